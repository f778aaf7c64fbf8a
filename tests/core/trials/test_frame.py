"""The trials frame from real SQLite stores: this app's sweeps, plain runs, Optuna's layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from core.trials import build_trials, frame_for_group, last_update, load_runs, load_sweep, sweep_groups
from core.trials.frame import guess_goal
from core.trials.load import expected_runs
from tests.core.trials.stores import APP_TRIALS, write_app_sweep


def test_an_app_sweep_is_typed_from_its_spec(app_sweep: tuple[str, str, str]) -> None:
    uri, _, parent = app_sweep
    frame = load_sweep(uri, parent, "sweep-test-1")
    assert len(frame) == len(APP_TRIALS), "the parent run is not a trial"
    assert frame.numbers.tolist() == list(range(len(APP_TRIALS)))
    assert frame.statuses.tolist() == [status for _, _, status in APP_TRIALS]
    assert frame.info["worker"].tolist()[:2] == ["worker-0", "worker-1"]
    info = frame.param_info
    assert info["learning_rate"].kind == "numeric" and info["learning_rate"].log, "LogUniform -> log axis"
    assert info["learning_rate"].source == "spec"
    assert info["l2_regularization"].kind == "numeric" and not info["l2_regularization"].log
    assert info["max_iter"].kind == "categorical", "a Choice of numbers is categorical"
    assert info["max_iter"].categories == ("50", "100"), "numbers in numeric order"
    assert info["class_weight"].categories == ("balanced", "None") and info["class_weight"].has_none
    assert frame.exact_params[0] == APP_TRIALS[0][0], "exact types from params_json (None, ints)"
    assert frame.exact_params[0]["class_weight"] is None and frame.exact_params[0]["max_iter"] == 50
    meta = frame.meta
    assert (meta.primary_metric, meta.goal, meta.sweep_id) == ("accuracy", "maximize", "sweep-test-1")
    assert meta.spec is not None and meta.spec["cv_folds"] == 3
    assert meta.recorded_best_run_id == frame.run_ids[1]


def test_metrics_are_grouped_by_name_and_scores_are_the_fold_means(app_sweep: tuple[str, str, str]) -> None:
    uri, _, parent = app_sweep
    frame = load_sweep(uri, parent, "s")
    assert frame.metric_names() == ["accuracy", "f1", "log_loss"], "no _mean/_std/_fold or trial_seconds"
    values, std = frame.metric_values("accuracy")
    expected = [np.mean(folds) if folds else np.nan for _, folds, _ in APP_TRIALS]
    np.testing.assert_allclose(values, expected)
    assert np.isnan(values[6]) and np.isnan(std[6]), "the failed trial has no score"
    assert std[1] == pytest.approx(np.std([0.85, 0.86, 0.84]))


def test_plain_runs_from_another_tool(plain: tuple[str, str]) -> None:
    uri, experiment_id = plain
    table = load_runs(uri, experiment_id)
    groups = sweep_groups(table)
    assert [g.label for g in groups] == ["all 5 runs"] and groups[0].parent_run_id is None
    frame = frame_for_group(table, groups[0])
    assert frame.numbers.tolist() == [0, 1, 2, 3, 4], "numbered by start time: names carry no number"
    assert frame.info["name"].tolist()[0] == "bold-owl-40"
    assert frame.statuses.tolist() == ["completed"] * 4 + ["failed"]
    info = frame.param_info
    assert info["lr"].kind == "numeric"
    assert info["depth"].kind == "categorical" and info["depth"].categories == ("3", "5", "None")
    assert info["optimizer"].categories == ("adam", "sgd")
    assert info["dropout"].categories == ("False", "True", "None"), "a param a run did not log is None"
    assert frame.exact_params[1]["depth"] is None and frame.exact_params[0]["depth"] == 3
    assert frame.exact_params[0]["dropout"] is True
    assert frame.meta.primary_metric is None and frame.meta.goal is None, "nothing recorded"
    assert frame.metric_names() == ["accuracy", "loss"]
    accuracy, _ = frame.metric_values("accuracy")
    assert np.isnan(accuracy[3]), "a run without metrics has NaN, not 0"
    assert guess_goal("loss") == "minimize" and guess_goal("accuracy") == "maximize"
    assert guess_goal("log_loss") == "minimize" and guess_goal("throughput") == "maximize"


def test_optuna_runs(optuna_runs: tuple[str, str]) -> None:
    uri, experiment_id = optuna_runs
    table = load_runs(uri, experiment_id)
    frame = frame_for_group(table, sweep_groups(table)[0])
    assert frame.numbers.tolist() == [0, 1, 2, 3], "numbers from the tags, whatever the write order"
    assert frame.statuses.tolist() == ["completed", "completed", "early_terminated", "failed"]
    assert frame.meta.goal == "minimize", "Optuna's direction tag"
    assert frame.param_info["lr"].log and frame.param_info["lr"].source == "optuna"
    assert not frame.param_info["x"].log
    assert frame.param_info["kind"].kind == "categorical"
    assert frame.metric_names() == ["value"]


def test_sweeps_in_one_experiment_are_grouped_by_parent(store: str) -> None:
    experiment_id, first = write_app_sweep(store, sweep_id="sweep-a")
    _, second = write_app_sweep(store, sweep_id="sweep-b")
    client = MlflowClient(store)
    client.create_run(experiment_id, run_name="loose-run")
    table = load_runs(store, experiment_id)
    groups = sweep_groups(table)
    assert {g.parent_run_id for g in groups[:2]} == {first, second}
    assert [len(g.rows) for g in groups] == [7, 7, 1]
    assert groups[2].label == "1 run without a parent" and groups[2].parent_run_id is None
    frame = frame_for_group(table, next(g for g in groups if g.parent_run_id == second))
    assert frame.meta.sweep_id == "sweep-b" and frame.meta.spec is not None
    rows = next(g for g in groups if g.parent_run_id == second).rows
    assert set(frame.run_ids) == {table.runs["run_id"][i] for i in rows}


def test_paginated_load_reports_progress(store: str) -> None:
    client = MlflowClient(store)
    experiment_id = client.create_experiment("many")
    for i in range(10):
        client.create_run(experiment_id, run_name=str(i))
    seen: list[tuple[int, int | None]] = []
    table = load_runs(
        store, experiment_id, progress=lambda n, total: seen.append((n, total)), expected=10, page_size=3
    )
    assert len(table) == 10 and len(set(table.runs["run_id"])) == 10
    assert seen == [(3, 10), (6, 10), (9, 10), (10, 10)], "one search per page, never one call per run"
    assert expected_runs(store, experiment_id) == 10


def test_the_update_stamp_moves_only_when_runs_change(plain: tuple[str, str]) -> None:
    uri, experiment_id = plain
    client = MlflowClient(uri)
    stamp = last_update(uri, experiment_id)
    assert last_update(uri, experiment_id) == stamp
    run_id = load_runs(uri, experiment_id).runs["run_id"][0]
    client.log_metric(run_id, "accuracy", 0.99, step=1)
    after_metric = last_update(uri, experiment_id)
    assert after_metric != stamp
    client.set_tag(run_id, "mlflow.note.content", "look at this one")
    after_tag = last_update(uri, experiment_id)
    assert after_tag != after_metric
    client.create_run(experiment_id)
    assert last_update(uri, experiment_id) != after_tag


def test_a_folder_store_loads_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.trials import history_matrix, load_histories
    from tests.core.trials.stores import write_plain_runs

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    experiment_id = write_plain_runs(uri)
    table = load_runs(uri, experiment_id)
    frame = build_trials(table, frame_for_group(table, sweep_groups(table)[0]).meta)
    assert len(frame) == 5 and frame.param_info["depth"].has_none
    history = history_matrix(
        load_histories(uri, experiment_id, list(frame.run_ids), ["loss"]), frame.run_ids, "loss"
    )
    assert history.steps.tolist() == [0, 1, 2]
    np.testing.assert_allclose(history.values[0], [0.9, 0.5, 0.4])
    assert history.reached.tolist() == [3, 3, 2, 0, 1]
    assert last_update(uri, experiment_id) == last_update(uri, experiment_id)
