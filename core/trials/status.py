"""Trial status and trial number, from whatever tool wrote the run.

Statuses, in the order the page lists them: completed, early_terminated, failed, canceled,
running. Sources, first match wins:

1. this app's ``trial_status`` tag;
2. Optuna's MLflowCallback ``state`` tag (COMPLETE, PRUNED, FAIL, RUNNING, WAITING);
3. an ``early_terminated`` tag equal to "true" (this app, and Azure ML sweeps tagged alike);
4. MLflow's run status: FINISHED -> completed, FAILED -> failed, KILLED -> canceled,
   RUNNING / SCHEDULED -> running.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from core.mlflow_layout import TAG_EARLY_TERMINATED, TAG_STATUS, TAG_TRIAL

STATUSES: tuple[str, ...] = ("completed", "early_terminated", "failed", "canceled", "running")
STATUS_LABELS = {
    "completed": "completed",
    "early_terminated": "early-terminated",
    "failed": "failed",
    "canceled": "canceled",
    "running": "running",
}
_OPTUNA_STATE = {
    "COMPLETE": "completed",
    "PRUNED": "early_terminated",
    "FAIL": "failed",
    "RUNNING": "running",
    "WAITING": "running",
}
_MLFLOW_STATUS = {
    "FINISHED": "completed",
    "FAILED": "failed",
    "KILLED": "canceled",
    "RUNNING": "running",
    "SCHEDULED": "running",
}
_NUMBERED_NAME = re.compile(r"^(?:\d+|trial[-_ ]?(\d+)|HD_[0-9a-fA-F-]+_(\d+))$")


def trial_status(mlflow_status: str, tags: Mapping[str, str]) -> str:
    tagged = tags.get(TAG_STATUS, "")
    if tagged in STATUSES:
        return tagged
    state = _OPTUNA_STATE.get(tags.get("state", "").upper())
    if state is not None:
        return state
    if tags.get(TAG_EARLY_TERMINATED, "").lower() == "true":
        return "early_terminated"
    return _MLFLOW_STATUS.get(mlflow_status.upper(), "running")


def _number_from(tags: Mapping[str, str], run_name: str) -> int | None:
    for key in (TAG_TRIAL, "number"):
        text = tags.get(key, "").strip()
        if text.lstrip("-").isdigit():
            return int(text)
    found = _NUMBERED_NAME.match(run_name.strip())
    if found:
        digits = found.group(1) or found.group(2) or found.group(0)
        return int(digits)
    return None


def trial_numbers(
    tags: Sequence[Mapping[str, str]], run_names: Sequence[str], start_ms: Sequence[float]
) -> np.ndarray:
    """Each run's trial number: from its tags or its name (Optuna "7", "trial-007", Azure
    "HD_<id>_7"); when any run has none, or two share one, every run is numbered by start time."""
    found = [_number_from(t, n) for t, n in zip(tags, run_names, strict=True)]
    numbers = [n for n in found if n is not None]
    if len(numbers) == len(found) and len(set(numbers)) == len(numbers):
        return np.asarray(numbers, dtype=np.int64)
    order = np.argsort(np.asarray(start_ms, dtype=np.float64), kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    return ranks
