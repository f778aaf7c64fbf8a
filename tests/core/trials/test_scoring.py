"""Scores, the best trial, best-so-far, top k % and the filters."""

from __future__ import annotations

import numpy as np
import pytest

from core.trials import (
    Ranking,
    TrialFilter,
    best_so_far,
    filter_mask,
    history_matrix,
    load_histories,
    load_sweep,
    score_trials,
    top_k_mask,
    top_k_range,
)
from core.trials.history import HistoryMatrix
from tests.core.trials.frames import make_frame

PARAMS = [{"lr": v, "kind": k} for v, k in [(0.1, "a"), (0.01, "b"), (0.001, None), (0.05, "a"), (0.2, "b")]]


def test_the_best_trial_is_the_best_completed_one_for_either_goal() -> None:
    frame = make_frame(
        PARAMS,
        {"acc": [0.7, 0.9, 0.99, 0.8, 0.5]},
        statuses=["completed", "completed", "early_terminated", "completed", "failed"],
    )
    up = score_trials(frame, "acc", "maximize")
    assert up.best == 1 and up.best_value == 0.9, "the early-terminated 0.99 covers fewer folds: not the best"
    assert up.best_is_completed
    down = score_trials(frame, "acc", "minimize")
    assert down.best == 0 and down.best_value == 0.7, "the failed 0.5 does not count either"


def test_without_completed_trials_the_best_of_the_rest_is_flagged() -> None:
    frame = make_frame(PARAMS[:2], {"acc": [0.6, 0.8]}, statuses=["early_terminated", "running"])
    scores = score_trials(frame, "acc", "maximize")
    assert scores.best == 1 and not scores.best_is_completed
    empty = score_trials(frame, "missing", "maximize")
    assert empty.best is None and np.isnan(empty.values).all()


def test_best_so_far_counts_completed_trials_only() -> None:
    values = np.array([0.5, 0.9, 0.7, 0.95, 0.8])
    statuses = np.array(["completed", "early_terminated", "completed", "failed", "completed"], dtype=object)
    np.testing.assert_allclose(best_so_far(values, statuses, "maximize"), [0.5, 0.5, 0.7, 0.7, 0.8])
    np.testing.assert_allclose(best_so_far(values, statuses, "minimize"), [0.5, 0.5, 0.5, 0.5, 0.5])


def test_top_k_percent() -> None:
    values = np.array([0.1, 0.5, np.nan, 0.9, 0.3, 0.7])
    assert np.flatnonzero(top_k_mask(values, "maximize", 40)).tolist() == [3, 5]  # ceil(5 * 0.4) = 2
    assert np.flatnonzero(top_k_mask(values, "minimize", 20)).tolist() == [0]
    assert top_k_mask(values, "maximize", 100).sum() == 5, "NaN never passes"
    among = np.array([True, True, True, False, True, True])
    assert np.flatnonzero(top_k_mask(values, "maximize", 25, among=among)).tolist() == [5]
    assert top_k_range(values, top_k_mask(values, "maximize", 40)) == (0.7, 0.9)


def test_step_rankings_use_the_history() -> None:
    frame = make_frame(
        PARAMS[:3], {"acc": [0.7, 0.8, 0.6]}, statuses=["completed", "completed", "early_terminated"]
    )
    history = HistoryMatrix(
        "acc",
        np.array([0, 1, 2]),
        np.array([[0.9, 0.8, 0.7], [0.6, 0.7, 0.8], [0.95, np.nan, np.nan]]),
        np.array([True, True, True]),
    )
    best_step = score_trials(frame, "acc", "maximize", Ranking("best_step"), history)
    np.testing.assert_allclose(best_step.values, [0.9, 0.8, 0.95])
    assert best_step.best == 0
    at_two = score_trials(frame, "acc", "maximize", Ranking("step", 2), history)
    np.testing.assert_allclose(at_two.values[:2], [0.7, 0.8])
    assert np.isnan(at_two.values[2]), "a trial cut before step 2 has no value there"
    assert at_two.best == 1
    assert np.isnan(score_trials(frame, "acc", "maximize", Ranking("step", 7), history).values).all()
    minimum = score_trials(frame, "acc", "minimize", Ranking("best_step"), history)
    np.testing.assert_allclose(minimum.values, [0.7, 0.6, 0.95])
    with pytest.raises(ValueError, match="needs the metric's history"):
        score_trials(frame, "acc", "maximize", Ranking("best_step"))
    assert Ranking("step", 3).describe() == "step 3" and Ranking().describe() == "final value"


def test_histories_are_read_in_bulk_from_sqlite(app_sweep: tuple[str, str, str]) -> None:
    uri, experiment_id, parent = app_sweep
    frame = load_sweep(uri, parent, "s")
    rows = load_histories(uri, experiment_id, list(frame.run_ids), ["accuracy", "accuracy_fold"])
    history = history_matrix(rows, frame.run_ids, "accuracy")
    assert history.steps.tolist() == [0, 1, 2]
    np.testing.assert_allclose(history.values[0], [0.80, 0.81, 0.81])  # the running mean per fold
    assert history.reached.tolist() == [3, 3, 3, 3, 3, 1, 0], (
        "the cut trial stops at one fold; the failed has none"
    )
    folds = history_matrix(rows, frame.run_ids, "accuracy_fold")
    np.testing.assert_allclose(folds.values[1], [0.85, 0.86, 0.84])
    lazy = history_matrix(rows, frame.run_ids, "accuracy", requested=[str(frame.run_ids[1])])
    assert lazy.loaded.tolist() == [False, True, False, False, False, False, False]


def test_filters() -> None:
    frame = make_frame(
        PARAMS,
        {"acc": [0.7, 0.9, 0.99, 0.8, 0.5]},
        statuses=["completed", "completed", "early_terminated", "completed", "failed"],
    )
    scores = score_trials(frame, "acc", "maximize")
    everything = filter_mask(frame, scores, TrialFilter())
    assert everything.all()
    only = filter_mask(frame, scores, TrialFilter(statuses=frozenset({"completed"})))
    assert np.flatnonzero(only).tolist() == [0, 1, 3]
    ranged = filter_mask(frame, scores, TrialFilter(value_range=(0.75, 0.95)))
    assert np.flatnonzero(ranged).tolist() == [1, 3]
    numeric = filter_mask(frame, scores, TrialFilter(numeric={"lr": (0.04, 0.15)}))
    assert np.flatnonzero(numeric).tolist() == [0, 3]
    kinds = filter_mask(frame, scores, TrialFilter(categories={"kind": frozenset({"None", "b"})}))
    assert np.flatnonzero(kinds).tolist() == [1, 2, 4], "None is a category like any other"
    top = filter_mask(frame, scores, TrialFilter(statuses=frozenset({"completed"}), top_percent=33))
    assert np.flatnonzero(top).tolist() == [1], "top k % among what passes the other filters"
    assert np.flatnonzero(filter_mask(frame, scores, TrialFilter(top_percent=34), apply_top=False)).size == 5
