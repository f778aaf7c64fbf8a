"""A resumed sweep's elapsed time counts from its first start; its ETA from the current runner's pace."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.backend import WorkspaceRef
from core.engine.job import JobStore, SweepJob
from core.engine.launcher import _eta, sweep_status
from core.engine.progress import progress_path
from core.sweep.space import Choice
from core.sweep.spec import Limits, SweepSpec

SPEC = SweepSpec(
    model_family="random_forest",
    task="classification",
    space={"n_estimators": Choice((5, 10))},
    limits=Limits(max_total_trials=10, max_concurrent_trials=1),
)


def _resumed_job(store: JobStore, first_start: float) -> SweepJob:
    job = SweepJob(
        id="sweep-random-forest-20261203-000000-beef",
        workspace=WorkspaceRef("rg", "ws"),
        experiment="heart-sweeps",
        dataset="heart",
        dataset_version=1,
        spec=SPEC.to_dict(),
        workers=1,
        created_at=datetime.fromtimestamp(first_start, UTC).isoformat(timespec="seconds"),
        tracking_uri="sqlite:///unused.db",
        train_csv="train.csv",
        schema={},
        state="running",
        pid=None,
        heartbeat_at=time.time(),
        resumes=1,
        started_at=datetime.fromtimestamp(first_start, UTC).isoformat(timespec="seconds"),
    )
    return store.save(job)


def _trial(number: int, ended: float) -> dict[str, object]:
    return {"number": number, "status": "completed", "value": 0.8, "started": ended - 1, "ended": ended}


def test_elapsed_counts_from_the_first_start_after_a_resume(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    now = time.time()
    job = _resumed_job(store, first_start=now - 1000)
    runner_start = now - 10  # the new runner started 10 s ago
    trials = [_trial(1, now - 990), _trial(2, now - 980), _trial(3, now - 6), _trial(4, now - 2)]
    progress_path(store, job.id).write_text(json.dumps({"trials": trials, "started": runner_start}))
    status = sweep_status(store, job.id)
    assert status.elapsed_s >= 999, "Resume does not restart the clock"
    # 6 trials left at the new runner's pace (2 in 10 s), not at the pace across the interruption
    assert _eta(job, trials, runner_start, now) == pytest.approx(30.0)
