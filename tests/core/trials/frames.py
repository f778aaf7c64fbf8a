"""Trials frames built in memory (no MLflow), for scoring, importance and figure tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.trials.frame import SweepMeta, TrialsFrame, build_trials
from core.trials.load import RunTable


def make_frame(
    params: Sequence[Mapping[str, Any]],
    metrics: Mapping[str, Sequence[float]],
    statuses: Sequence[str] | None = None,
    workers: Sequence[str] | None = None,
    spec: dict[str, Any] | None = None,
    goal: str | None = "maximize",
    durations_s: Sequence[float] | None = None,
) -> TrialsFrame:
    """A frame through the real builder, from a RunTable assembled here. ``statuses`` are
    this app's trial_status tags; params are written as MLflow text plus params_json."""
    import json

    n = len(params)
    statuses = list(statuses or ["completed"] * n)
    mlflow_status = {
        "completed": "FINISHED",
        "early_terminated": "FINISHED",
        "failed": "FAILED",
        "running": "RUNNING",
        "canceled": "KILLED",
    }
    start = 1_700_000_000_000 + np.arange(n) * 10_000.0
    lengths = np.asarray(durations_s if durations_s is not None else [8.0] * n) * 1000
    end = np.where(np.asarray(statuses) == "running", np.nan, start + lengths)
    runs = pd.DataFrame(
        {
            "run_id": [f"run{i:05d}" for i in range(n)],
            "name": [f"trial-{i:03d}" for i in range(n)],
            "mlflow_status": [mlflow_status[s] for s in statuses],
            "start_ms": start,
            "end_ms": end,
            "parent": ["parent"] * n,
            "artifact_uri": [""] * n,
        }
    )
    tags = [
        {
            "trial_number": str(i),
            "trial_status": s,
            "params_json": json.dumps(dict(p)),
            "worker": (workers[i] if workers else f"worker-{i % 2}"),
        }
        for i, (p, s) in enumerate(zip(params, statuses, strict=True))
    ]
    text = [{k: "None" if v is None else str(v) for k, v in p.items()} for p in params]
    table = RunTable(
        "sqlite:///nowhere.db",
        "1",
        runs,
        text,
        tags,
        pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in metrics.items()}),
    )
    meta = SweepMeta(
        "test", table.uri, "1", "parent", primary_metric=next(iter(metrics), None), goal=goal, spec=spec
    )  # type: ignore[arg-type]
    return build_trials(table, meta)


def driven_sweep(n: int = 400, seed: int = 0, negate: bool = False) -> TrialsFrame:
    """x sets which trials are best (a narrow peak at 0.5); y alone sets which are worst (y < 0.1
    costs 3); z and the categorical c are noise. Ranking by the *bottom* would pick y."""
    rng = np.random.default_rng(seed)
    x, y, z = rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    c = rng.choice(["a", "b", None], n)
    value = 3 * np.exp(-(((x - 0.5) / 0.04) ** 2)) - 3.0 * (y < 0.1) + 0.05 * rng.normal(size=n)
    if negate:
        value = -value
    params = [
        {"x": float(a), "y": float(b), "z": float(d), "c": e} for a, b, d, e in zip(x, y, z, c, strict=True)
    ]
    return make_frame(params, {"score": value}, goal="minimize" if negate else "maximize")
