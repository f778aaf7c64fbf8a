"""A trial's logged out-of-fold predictions, read instead of re-running it.

Two places hold them (:func:`logged_predictions` tries both, in this order): the trial's own
``oof_predictions.csv`` (every trial run by ``python -m core.train``, so every Azure trial), and
the sweep's parent run, ``oof/<trial run id>.csv`` (the local engine stores its best trial's
there when it refits; :func:`keep_with_sweep` adds one the page had to re-run, for a sweep from
before that, so it is re-run once, not each time the tab opens).

The CSV comes from the backend (``run_artifact``: on Azure the workspace's artifact store, which
MLflow cannot read in this process) for a workspace's own store, or through MLflow for any
other store (:func:`read_run_artifact`). :func:`trial_out_of_fold` adds what the CSV does not
hold: the task, the cross-validated scores and the number of folds, from the sweep's spec and
the trial's metrics.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.mlflow_layout import OOF_ARTIFACT, sweep_oof_artifact
from core.trials.oof import OutOfFold, out_of_fold_from_predictions

if TYPE_CHECKING:
    from core.trials.frame import TrialsFrame

_CLASSIFICATION_METRICS = {
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "f1",
    "log_loss",
    "precision",
    "recall",
}
_REGRESSION_METRICS = {"rmse", "mae", "r2", "mse", "mape"}


def read_run_artifact(uri: str, run_id: str, path: str) -> bytes | None:
    """One artifact of a run through MLflow; None when the run has no such file (or the store
    cannot serve it: an ``azureml://`` store's artifacts are read by the backend instead)."""
    if uri.lower().startswith("azureml://"):
        return None
    from core.trials.store import client

    mlflow_client = client(uri)
    parent = path.strip("/").rpartition("/")[0]
    try:
        if path.strip("/") not in {a.path for a in mlflow_client.list_artifacts(run_id, parent or None)}:
            return None
        with tempfile.TemporaryDirectory(prefix="azml-artifact-") as folder:
            return Path(mlflow_client.download_artifacts(run_id, path.strip("/"), folder)).read_bytes()
    except Exception:  # a missing run, an artifact store this process cannot open
        return None


ReadArtifact = Callable[[str, str], "bytes | None"]  # (run id, path) -> the file, or None


def logged_predictions(
    read: ReadArtifact, run_id: str, parent_run_id: str | None
) -> tuple[bytes, str] | None:
    """The trial's out-of-fold predictions CSV and the artifact it came from (the trial's own
    ``oof_predictions.csv``, else its sweep's ``oof/<run id>.csv``); None when neither exists."""
    own = read(run_id, OOF_ARTIFACT)
    if own:
        return own, OOF_ARTIFACT
    if parent_run_id:
        path = sweep_oof_artifact(run_id)
        kept = read(parent_run_id, path)
        if kept:
            return kept, path
    return None


def keep_with_sweep(uri: str, parent_run_id: str, run_id: str, csv: bytes) -> str | None:
    """Store re-run predictions on the sweep's parent run (as the refit does), so the next
    look reads them; the artifact path, or None when the store cannot take it (an Azure
    workspace's: its trials log their own predictions anyway)."""
    if uri.lower().startswith("azureml://"):
        return None
    from core.trials.store import client

    path = sweep_oof_artifact(run_id)
    try:
        client(uri).log_text(parent_run_id, csv.decode(), path)
    except Exception:  # a read-only store, a deleted run: the page keeps its in-memory copy
        return None
    return path


def _task(frame: TrialsFrame, csv: bytes) -> str:
    spec_task = (frame.meta.spec or {}).get("task")
    if spec_task in ("classification", "regression"):
        return str(spec_task)
    header = csv.split(b"\n", 1)[0]
    if b"proba:" in header:
        return "classification"
    names = set(frame.metric_names())
    if names & _REGRESSION_METRICS and not names & _CLASSIFICATION_METRICS:
        return "regression"
    return "classification"


def trial_out_of_fold(csv: bytes, frame: TrialsFrame, row: int) -> OutOfFold:
    """The out-of-fold view of trial ``row`` from its logged predictions (no refit)."""
    metrics = frame.metrics.iloc[row]
    mean: dict[str, float] = {}
    std: dict[str, float] = {}
    for name in frame.metric_names():
        value = metrics.get(f"{name}_mean", metrics.get(name))
        if value is not None and math.isfinite(float(value)):
            mean[name] = float(value)
        spread = metrics.get(f"{name}_std")
        if spread is not None and math.isfinite(float(spread)):
            std[name] = float(spread)
    folds = int((frame.meta.spec or {}).get("cv_folds") or 0)
    return out_of_fold_from_predictions(csv, task=_task(frame, csv), mean=mean, std=std, folds=folds)
