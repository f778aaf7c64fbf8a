"""SweepsAPI: a launched sweep runs to its end, reads the same in the list and the live view,
and refuses what its state does not allow."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from core.backend import ACTIVE_STATES, SweepInfo, SweepProgress
from core.errors import ConflictError, NotFoundError, UserFacingError
from core.sweep.spec import Limits
from tests.contract.conftest import DATASET, EXPERIMENT, Swept, wait_finished
from tests.core.engine.conftest import small_spec
from tests.workspaces import CC, WS, WS_REF

pytestmark = pytest.mark.contract_slice("sweeps")

TRIAL_KEYS = {"number", "status", "value", "started", "ended", "worker", "folds", "params"}
TRIAL_STATES = {"completed", "early_terminated", "failed", "canceled", "running", "queued"}


def test_a_launched_sweep_says_what_it_runs(swept: Swept) -> None:
    launched = swept.launched
    assert isinstance(launched, SweepInfo)
    assert launched.id and launched.state in ACTIVE_STATES
    assert (launched.workspace, launched.experiment, launched.cluster) == (WS, EXPERIMENT, CC)
    assert (launched.dataset, launched.dataset_version) == (DATASET, swept.stored.asset.version)
    assert launched.spec["model_family"] == "random_forest" and launched.workers >= 1
    assert launched.tracking_uri == swept.backend.tracking_uri(WS_REF)
    assert launched.schema["target"] == "output" and launched.created_at


def test_a_finished_sweep_has_its_trials_and_best_model(swept: Swept) -> None:
    progress = swept.progress
    assert isinstance(progress, SweepProgress) and isinstance(progress.job, SweepInfo)
    assert progress.state == progress.job.state == "completed"
    assert progress.eta_s is None and progress.elapsed_s > 0
    assert len(progress.trials) == 3
    for trial in progress.trials:
        assert set(trial) >= TRIAL_KEYS and trial["status"] in TRIAL_STATES
        assert trial["folds"] == 2 and isinstance(trial["params"], dict)
    values = [t["value"] for t in progress.trials if t["status"] == "completed"]
    assert values and all(isinstance(v, float) for v in values)
    best = max(v for v in values if v is not None)
    job = progress.job
    assert job.best_value == best, "accuracy: the best trial has the highest value"
    assert job.best_run_id and job.model_uri and job.run_id and isinstance(job.best_params, dict)
    assert job.started_at and job.ended_at and job.counts.get("completed") == len(values)


def test_the_list_and_the_live_view_agree(swept: Swept) -> None:
    backend, sweep_id = swept.backend, swept.launched.id
    listed = [s for s in backend.list_sweeps(WS_REF) if s.id == sweep_id]
    assert len(listed) == 1 and isinstance(listed[0], SweepInfo)
    assert listed[0].state == "completed"
    assert backend.sweep_status(WS_REF, sweep_id).job.best_run_id == listed[0].best_run_id
    created = [s.created_at for s in backend.list_sweeps(WS_REF)]
    assert created == sorted(created), "oldest first"


def test_the_training_data_of_a_sweep(swept: Swept) -> None:
    data = swept.backend.sweep_training_data(WS_REF, swept.launched.id)
    assert data is not None
    assert data.setup.family == "random_forest" and data.setup.folds == 2
    assert data.setup.primary_metric == swept.launched.spec["primary_metric"]
    assert data.setup.schema["target"] == "output"
    train = pd.read_csv(io.BytesIO(data.train_csv))  # the split itself, not a path to it
    stored = pd.read_csv(io.BytesIO(swept.backend.data_asset_file(WS_REF, DATASET, 1, "train.csv")))
    assert train.shape == stored.shape and list(train.columns) == list(stored.columns)


def test_what_a_finished_sweep_refuses(swept: Swept) -> None:
    backend, sweep_id = swept.backend, swept.launched.id
    with pytest.raises(ConflictError, match="not running") as caught:
        backend.cancel_sweep(WS_REF, sweep_id)
    assert caught.value.fix
    with pytest.raises(ConflictError, match="not interrupted"):
        backend.close_sweep(WS_REF, sweep_id)
    if backend.capabilities.resume_sweeps:
        with pytest.raises(ConflictError, match="not interrupted") as caught:
            backend.resume_sweep(WS_REF, sweep_id)
        assert caught.value.fix
    else:
        with pytest.raises(UserFacingError):
            backend.resume_sweep(WS_REF, sweep_id)
    assert backend.sweep_status(WS_REF, sweep_id).state == "completed", "nothing changed"


def test_unknown_things_are_named(swept: Swept) -> None:
    backend, spec = swept.backend, small_spec()
    for action in (
        lambda: backend.sweep_status(WS_REF, "sweep-nope"),
        lambda: backend.cancel_sweep(WS_REF, "sweep-nope"),
        lambda: backend.close_sweep(WS_REF, "sweep-nope"),
        lambda: backend.resume_sweep(WS_REF, "sweep-nope"),
    ):
        with pytest.raises(NotFoundError, match="no sweep 'sweep-nope'"):
            action()
    with pytest.raises(NotFoundError, match="no compute cluster called 'nocluster'"):
        backend.launch_sweep(WS_REF, "nocluster", DATASET, 1, spec, EXPERIMENT)
    with pytest.raises(NotFoundError, match="version 9"):
        backend.launch_sweep(WS_REF, CC, DATASET, 9, spec, EXPERIMENT)
    with pytest.raises(NotFoundError, match="no workspace called 'no-such-ws'"):
        backend.list_sweeps("no-such-ws")
    assert swept.launched.id in {s.id for s in backend.list_sweeps(WS_REF)}


def test_a_canceled_sweep_ends_canceled(swept: Swept) -> None:
    backend = swept.backend
    spec = small_spec(limits=Limits(max_total_trials=200, max_concurrent_trials=2))
    launched = backend.launch_sweep(WS_REF, CC, DATASET, 1, spec, EXPERIMENT)
    canceled = backend.cancel_sweep(WS_REF, launched.id)
    assert isinstance(canceled, SweepInfo) and canceled.id == launched.id
    progress = wait_finished(backend, launched.id)
    assert progress.state == "canceled", progress.job.message
    assert progress.job.counts.get("completed", 0) < 200
    with pytest.raises(ConflictError, match="not running"):
        backend.cancel_sweep(WS_REF, launched.id)
