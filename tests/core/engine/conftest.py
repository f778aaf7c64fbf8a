"""A workspace with a 2-worker cluster and the heart sample stored as a dataset."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.engine.launcher import SweepStatus
from core.local.backend import LocalBackend
from core.sweep.space import Choice, Fixed
from core.sweep.spec import Limits, SweepSpec
from tests.workspaces import WS, ready_workspace


@pytest.fixture
def sweep_backend(data_dir: Path) -> LocalBackend:
    return ready_workspace(data_dir)


def small_spec(**changes: object) -> SweepSpec:
    base: dict[str, object] = {
        "model_family": "random_forest",
        "task": "classification",
        "space": {
            "n_estimators": Choice((5, 10)),
            "max_depth": Choice((3, None)),
            "criterion": Fixed("gini"),
        },
        "sampling": "random",
        "seed": 0,
        "limits": Limits(max_total_trials=4, max_concurrent_trials=2),
        "cv_folds": 3,
    }
    base.update(changes)
    return SweepSpec(**base)  # type: ignore[arg-type]


def wait_for(
    backend: LocalBackend, sweep_id: str, done: Callable[[SweepStatus], bool], timeout: float = 240
) -> SweepStatus:
    deadline = time.time() + timeout
    while True:
        status = backend.sweep_status(WS, sweep_id)
        if done(status):
            return status
        if time.time() > deadline:
            log = Path(backend.data_dir, "workspaces", WS, "sweeps", f"{sweep_id}.log")
            pytest.fail(f"sweep stuck in {status.state}: {status.job.message}\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def finished(status: SweepStatus) -> bool:
    return status.state not in ("starting", "running")
