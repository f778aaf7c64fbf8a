"""A real local sweep: runner process, worker pool, MLflow on SQLite, refit model."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from core.engine.job import runner_alive
from core.local.backend import LocalBackend
from core.mlflow_layout import sweep_oof_artifact
from core.sweep.sampling import make_sampler
from core.sweep.space import Choice, Fixed, QUniform
from core.sweep.spec import BanditPolicy, Limits, SweepSpec
from core.train.predictions import read_predictions_csv
from core.trials.oof import out_of_fold, training_data_from_job
from tests.core.engine.conftest import finished, small_spec, wait_for
from tests.workspaces import CC, WS


def test_a_sweep_runs_to_the_end_and_leaves_a_best_model(sweep_backend: LocalBackend) -> None:
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, small_spec(), experiment="heart-sweeps")
    status = wait_for(sweep_backend, job.id, finished)
    assert status.state == "completed", status.job.message
    assert status.job.counts["completed"] == 4
    assert status.job.message == "Finished. 4 completed."

    client = MlflowClient(sweep_backend.tracking_uri(WS))
    parent = client.get_run(status.job.run_id)
    assert parent.info.status == "FINISHED"
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )
    assert len(children) == 4
    numbers = sorted(int(r.data.tags["trial_number"]) for r in children)
    assert numbers == [0, 1, 2, 3]
    for run in children:
        assert run.info.status == "FINISHED"
        assert {"n_estimators", "max_depth", "criterion"} <= set(run.data.params)
        history = client.get_metric_history(run.info.run_id, "accuracy")
        assert [m.step for m in sorted(history, key=lambda m: m.step)] == [0, 1, 2]
        assert abs(sorted(history, key=lambda m: m.step)[-1].value - run.data.metrics["accuracy_mean"]) < 1e-9
    top = max(r.data.metrics["accuracy_mean"] for r in children)
    best_ids = {r.info.run_id for r in children if r.data.metrics["accuracy_mean"] == top}
    assert parent.data.tags["best_child_run_id"] in best_ids
    assert status.job.best_value == top == parent.data.metrics["best_accuracy"]

    models = client.search_logged_models(
        experiment_ids=[parent.info.experiment_id], filter_string=f"source_run_id = '{parent.info.run_id}'"
    )
    assert len(models) == 1, "one refit model on the sweep, even when an early refit was superseded"
    best_number = next(
        r.data.tags["trial_number"]
        for r in children
        if r.info.run_id == parent.data.tags["best_child_run_id"]
    )
    assert client.get_run(parent.info.run_id).data.tags["refit_from_trial"] == best_number
    mlflow.set_tracking_uri(sweep_backend.tracking_uri(WS))  # models:/ URIs resolve in the workspace
    model = mlflow.pyfunc.load_model(status.job.model_uri)
    artifacts = client.get_run(status.job.run_id).info.artifact_uri
    assert artifacts.startswith(Path(sweep_backend.data_dir).resolve().as_uri()), (
        "artifacts stay in the workspace"
    )
    rows = pd.read_csv(status.job.train_csv).drop(columns="output").head(5)
    assert len(model.predict(rows)) == 5

    # the best trial's out-of-fold predictions are stored with the sweep, as its worker made them
    best_run = parent.data.tags["refit_from_run"]
    stored = sweep_backend.run_artifact(WS, parent.info.run_id, sweep_oof_artifact(best_run))
    assert stored is not None, "the refit stores the best trial's out-of-fold predictions"
    kept = read_predictions_csv(stored, classification=True)
    best_params = json.loads(client.get_run(best_run).data.tags["params_json"])
    again = out_of_fold(training_data_from_job(status.job), best_params)
    assert len(kept.y_true) == len(pd.read_csv(status.job.train_csv)), "every row of the train split"
    assert [str(v) for v in kept.y_pred] == [str(v) for v in again.y_pred], "the trial's own predictions"


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(sweep_backend: LocalBackend) -> None:
    spec = small_spec(
        space={"n_estimators": Choice((5,)), "max_depth": Choice((3, -2)), "criterion": Fixed("gini")},
        sampling="grid",
        seed=None,
        limits=Limits(max_total_trials=2, max_concurrent_trials=1),
    )
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    status = wait_for(sweep_backend, job.id, finished)
    assert status.state == "completed"
    assert status.job.counts["completed"] == 1 and status.job.counts["failed"] == 1
    assert "1 completed, 1 failed." in status.job.message
    client = MlflowClient(sweep_backend.tracking_uri(WS))
    failed = [t for t in status.trials if t["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["params"]["max_depth"] == -2
    runs = client.search_runs(
        [client.get_run(status.job.run_id).info.experiment_id], filter_string="attributes.status = 'FAILED'"
    )
    assert len(runs) == 1 and "max_depth" in runs[0].data.tags["error"]


def test_the_policy_cuts_a_hopeless_trial(sweep_backend: LocalBackend) -> None:
    spec = small_spec(
        space={"n_estimators": Choice((50, 1)), "max_depth": Choice((None,)), "max_features": Fixed("sqrt")},
        sampling="grid",
        seed=None,  # natural grid order: the strong forest first, then a single tree
        policy=BanditPolicy(slack_amount=0.001),
        limits=Limits(max_total_trials=2, max_concurrent_trials=1),
        cv_folds=5,
    )
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    status = wait_for(sweep_backend, job.id, finished)
    by_number = {t["number"]: t for t in status.trials}
    assert by_number[0]["status"] == "completed" and by_number[0]["folds"] == 5
    assert by_number[1]["status"] == "early_terminated" and by_number[1]["folds"] < 5
    client = MlflowClient(sweep_backend.tracking_uri(WS))
    cut = client.search_runs(
        [client.get_run(status.job.run_id).info.experiment_id],
        filter_string="tags.early_terminated = 'true'",
    )
    assert len(cut) == 1 and cut[0].data.tags["trial_number"] == "1"
    assert status.job.best_params == {"n_estimators": 50, "max_depth": None, "max_features": "sqrt"}


def test_cancel_stops_running_trials_and_keeps_finished_ones(sweep_backend: LocalBackend) -> None:
    spec = small_spec(limits=Limits(max_total_trials=200, max_concurrent_trials=2))
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    wait_for(sweep_backend, job.id, lambda s: s.job.counts.get("completed", 0) >= 2)
    sweep_backend.cancel_sweep(WS, job.id)
    status = wait_for(sweep_backend, job.id, finished, timeout=60)
    assert status.state == "canceled"
    completed = status.job.counts["completed"]
    assert 2 <= completed < 200
    assert status.job.message.startswith("Canceled.")
    client = MlflowClient(sweep_backend.tracking_uri(WS))
    experiment = client.get_run(status.job.run_id).info.experiment_id
    finished_runs = client.search_runs([experiment], filter_string="attributes.status = 'FINISHED'")
    assert len(finished_runs) == completed + 0  # the parent is KILLED, not FINISHED
    assert client.get_run(status.job.run_id).info.status == "KILLED"
    assert not client.search_runs([experiment], filter_string="attributes.status = 'RUNNING'")
    assert status.job.model_uri, "the best finished trial is refit even after a cancel"


def many_configurations(budget: int) -> SweepSpec:
    """Random sampling over about a million configurations: no two draws alike by chance."""
    return small_spec(
        space={
            "n_estimators": Fixed(20),
            "max_depth": QUniform(2, 200, 1),
            "min_samples_split": QUniform(2, 100, 1),
            "min_samples_leaf": QUniform(1, 50, 1),
        },
        seed=7,
        limits=Limits(max_total_trials=budget, max_concurrent_trials=2),
        cv_folds=2,
    )


def uninterrupted_draws(spec: SweepSpec) -> list[str]:
    """What a sweep that never stopped draws, in order (random draws do not depend on scores)."""
    sampler = make_sampler(spec)
    out = []
    for _ in range(spec.limits.max_total_trials):
        suggestion = sampler.ask()
        assert suggestion is not None
        out.append(json.dumps(suggestion.params, sort_keys=True))
        sampler.tell(suggestion.number, 0.5)
    return out


def config(run: Run) -> str:
    return json.dumps(json.loads(run.data.tags["params_json"]), sort_keys=True)


def test_resume_after_the_runner_was_killed_goes_on_with_the_uninterrupted_draws(
    sweep_backend: LocalBackend,
) -> None:
    spec = many_configurations(10)
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    running = wait_for(sweep_backend, job.id, lambda s: s.job.counts.get("completed", 0) >= 2)
    assert running.state == "running", "the sweep must still run when it is killed"
    os.killpg(running.job.pid, signal.SIGKILL)  # the runner and its workers, as a crash would
    interrupted = wait_for(sweep_backend, job.id, lambda s: s.state == "interrupted", timeout=30)
    kept = interrupted.job.counts["completed"]

    sweep_backend.resume_sweep(WS, job.id)
    status = wait_for(sweep_backend, job.id, lambda s: s.state == "completed")
    client = MlflowClient(sweep_backend.tracking_uri(WS))
    experiment = client.get_run(status.job.run_id).info.experiment_id
    children = client.search_runs(
        [experiment], filter_string=f"tags.`mlflow.parentRunId` = '{status.job.run_id}'"
    )
    numbers = [int(r.data.tags["trial_number"]) for r in children]
    statuses = [r.data.tags.get("trial_status") for r in children]
    assert len(numbers) == len(set(numbers)), "no trial number is used twice"
    assert statuses.count("completed") == 10, "interrupted trials do not eat the budget"
    assert statuses.count("canceled") <= 2 and len(children) == 10 + statuses.count("canceled")
    assert kept <= 10 and not [r for r in children if r.info.status == "RUNNING"]
    assert status.job.resumes == 1 and status.job.model_uri
    parent = client.get_run(status.job.run_id)
    best_run = parent.data.tags["refit_from_run"]
    assert sweep_backend.run_artifact(WS, parent.info.run_id, sweep_oof_artifact(best_run)), (
        "a resumed sweep stores its best trial's predictions too (re-run when it ran before the crash)"
    )

    done = [r for r in children if r.data.tags["trial_status"] != "canceled"]
    configs = [config(r) for r in done]
    assert len(set(configs)) == len(configs), "a finished trial's configuration was drawn again"
    expected = uninterrupted_draws(SweepSpec.from_dict(status.job.spec))  # the spec as the runner read it
    assert sorted(configs) == sorted(expected), "the resumed sweep drew other configurations"
    by_draw = sorted(done, key=lambda r: int(r.data.tags["draw"]))
    assert [config(r) for r in by_draw] == expected, "each draw is the one of its index"


def test_deleting_the_workspace_stops_its_running_sweep(sweep_backend: LocalBackend) -> None:
    spec = small_spec(limits=Limits(max_total_trials=500, max_concurrent_trials=2))
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    running = wait_for(sweep_backend, job.id, lambda s: s.state == "running" and s.job.pid is not None)
    sweep_backend.delete_workspace(WS)
    deadline = time.time() + 10
    while runner_alive(running.job.pid) and time.time() < deadline:
        time.sleep(0.1)
    assert not runner_alive(running.job.pid), "nothing keeps writing into a deleted workspace"
