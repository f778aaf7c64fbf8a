"""While a sweep runs, a refresh reads only the runs still open at the last load and those
started since, and ends up with what a full load returns."""

from __future__ import annotations

from pathlib import Path

from mlflow.tracking import MlflowClient

from core.trials import load_runs
from core.trials.load import refresh_runs
from core.trials.sweeps import load_sweep_runs
from tests.core.trials.stores import APP_TRIALS, sqlite_uri, write_app_sweep
from tests.core.trials.test_load_rest import as_rows

T0 = 1_700_000_000_000


def running_experiment(uri: str) -> tuple[str, list[str]]:
    """12 runs: 0-8 finished, 9-11 still running (9 started before 8 finished)."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("live")
    ids = []
    for i in range(12):
        run = client.create_run(experiment_id, start_time=T0 + 1000 * i, tags={"trial_number": str(i)})
        client.log_metric(run.info.run_id, "acc", i / 20, step=0, timestamp=T0 + 1000 * i)
        if i < 9:
            client.set_terminated(run.info.run_id, "FINISHED", end_time=T0 + 1000 * i + 500)
        ids.append(run.info.run_id)
    return experiment_id, ids


def test_a_refresh_ends_with_what_a_full_load_returns(tmp_path: Path) -> None:
    uri = sqlite_uri(tmp_path / "live")
    experiment_id, ids = running_experiment(uri)
    client = MlflowClient(uri)
    previous = load_runs(uri, experiment_id)
    client.log_metric(ids[9], "acc", 0.9, step=1, timestamp=T0 + 20_000)
    client.set_terminated(ids[9], "FINISHED", end_time=T0 + 20_000)
    client.set_tag(ids[10], "trial_status", "early_terminated")
    new = client.create_run(experiment_id, start_time=T0 + 30_000).info.run_id
    client.log_metric(new, "f1", 0.4, step=0)
    refreshed = refresh_runs(previous)
    full = load_runs(uri, experiment_id)
    assert new in set(refreshed.runs["run_id"]) and len(refreshed) == 13
    assert as_rows(refreshed).equals(as_rows(full)), "the same rows, new metric columns included"
    assert list(refreshed.runs["start_ms"]) == sorted(refreshed.runs["start_ms"], reverse=True)


def test_runs_that_had_finished_are_not_read_again(tmp_path: Path) -> None:
    uri = sqlite_uri(tmp_path / "live")
    experiment_id, ids = running_experiment(uri)
    client = MlflowClient(uri)
    previous = load_runs(uri, experiment_id)
    client.set_tag(ids[2], "late", "written after it finished")  # not seen by a refresh, by design
    client.set_tag(ids[11], "late", "still running")
    refreshed = refresh_runs(previous)
    row_2, row_11 = refreshed.row_of(ids[2]), refreshed.row_of(ids[11])
    assert row_2 is not None and "late" not in refreshed.tags[row_2], "a finished run keeps its loaded row"
    assert row_11 is not None and refreshed.tags[row_11]["late"] == "still running"
    client.set_terminated(ids[9], "FINISHED")
    client.set_terminated(ids[10], "FINISHED")
    client.set_terminated(ids[11], "FINISHED")
    done = refresh_runs(refreshed)
    assert set(done.runs["mlflow_status"]) == {"FINISHED"} and len(done) == 12
    assert refresh_runs(done).runs["run_id"].tolist() == done.runs["run_id"].tolist(), (
        "nothing open: only runs started at or after the newest start are read again"
    )


def test_a_sweep_refreshed_keeps_to_its_own_trials(tmp_path: Path) -> None:
    uri = sqlite_uri(tmp_path / "app")
    _, parent = write_app_sweep(uri)
    write_app_sweep(uri, sweep_id="sweep-test-2")  # another sweep in the same experiment
    _, children = load_sweep_runs(uri, parent)
    _, again = load_sweep_runs(uri, parent, previous=children)
    assert as_rows(again).equals(as_rows(children)) and len(again) == len(APP_TRIALS)
