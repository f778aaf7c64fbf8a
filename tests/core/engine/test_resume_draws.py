"""Resume after a crash: the resumed sweep goes on with the draws an uninterrupted sweep would make,
and never repeats a finished trial's configuration."""

from __future__ import annotations

import json
import math
import os
import signal

from mlflow.tracking import MlflowClient

from core.local.backend import LocalBackend
from core.sweep.sampling import make_sampler
from core.sweep.space import Choice, Fixed, LogUniform
from core.sweep.spec import Limits, SweepSpec
from tests.core.engine.conftest import wait_for
from tests.workspaces import CC, WS

BUDGET = 12


def fast_spec() -> SweepSpec:
    """Logistic regression on a continuous C: quick trials, and no two draws alike by chance."""
    return SweepSpec(
        "logistic_regression",
        "classification",
        {
            "C": LogUniform(math.log(1e-3), math.log(1e3)),
            "class_weight": Choice((None, "balanced")),
            "max_iter": Fixed(200),
        },
        sampling="random",
        seed=7,
        limits=Limits(max_total_trials=BUDGET, max_concurrent_trials=2),
        cv_folds=2,
    )


def uninterrupted_draws(spec: SweepSpec) -> list[str]:
    """What a sweep that never stopped draws, in order (random draws do not depend on scores)."""
    sampler = make_sampler(spec)
    out = []
    for _ in range(spec.limits.max_total_trials):
        suggestion = sampler.ask()
        assert suggestion is not None
        out.append(json.dumps(suggestion.params))
        sampler.tell(suggestion.number, 0.5)
    return out


def test_a_resumed_random_sweep_draws_what_an_uninterrupted_one_would(sweep_backend: LocalBackend) -> None:
    spec = fast_spec()
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    running = wait_for(sweep_backend, job.id, lambda s: s.job.counts.get("completed", 0) >= 3)
    assert running.state == "running", "the sweep must still run when it is killed"
    os.killpg(running.job.pid, signal.SIGKILL)  # the runner and its workers, as a crash would
    wait_for(sweep_backend, job.id, lambda s: s.state == "interrupted", timeout=30)

    sweep_backend.resume_sweep(WS, job.id)
    status = wait_for(sweep_backend, job.id, lambda s: s.state == "completed")
    client = MlflowClient(sweep_backend.tracking_uri(WS))
    experiment = client.get_run(status.job.run_id).info.experiment_id
    children = client.search_runs(
        [experiment], filter_string=f"tags.`mlflow.parentRunId` = '{status.job.run_id}'"
    )
    done = [r for r in children if r.data.tags.get("trial_status") != "canceled"]
    configs = [r.data.tags["params_json"] for r in done]
    assert len(configs) == BUDGET
    assert len(set(configs)) == len(configs), "a finished trial's configuration was drawn again"
    expected = uninterrupted_draws(spec)
    assert sorted(configs) == sorted(expected), "the resumed sweep drew other configurations"
    by_draw = sorted(done, key=lambda r: int(r.data.tags["draw"]))
    assert [r.data.tags["params_json"] for r in by_draw] == expected, "each draw is the one of its index"
    assert sorted(int(r.data.tags["draw"]) for r in done) == list(range(BUDGET))
