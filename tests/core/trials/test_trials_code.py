"""The Trials "Show code" snippet, run against real MLflow stores, returns the page's trials."""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np
import pytest

from core.codegen.trials import query_of_view, trials_query_code
from core.trials import (
    TrialFilter,
    TrialsFrame,
    filter_mask,
    frame_for_group,
    load_runs,
    load_sweep,
    score_trials,
)
from core.trials.frame import sweep_groups
from core.trials.scoring import Ranking


def page_rows(frame: TrialsFrame, metric: str, goal: str, flt: TrialFilter) -> list[str]:
    """The run ids the page shows for ``flt``, best first, unscored last (trial order)."""
    scores = score_trials(frame, metric, goal)  # type: ignore[arg-type]
    rows = np.flatnonzero(filter_mask(frame, scores, flt))
    values = scores.values[rows]
    scored = rows[np.isfinite(values)]
    ranked = -scores.values[scored] if goal == "maximize" else scores.values[scored]
    order = list(scored[np.argsort(ranked, kind="stable")]) + list(rows[~np.isfinite(values)])
    return [str(frame.run_ids[r]) for r in order]


def run_snippet(frame: TrialsFrame, metric: str, goal: str, flt: TrialFilter) -> tuple[list[str], str]:
    scores = score_trials(frame, metric, goal)  # type: ignore[arg-type]
    code = trials_query_code(query_of_view(frame.meta.uri, frame.meta.experiment_id, frame, scores, flt))
    namespace: dict[str, Any] = {"print": lambda *_: None}
    try:
        exec(compile(code, "<show code>", "exec"), namespace)  # the snippet as the user pastes it
    finally:
        mlflow.set_tracking_uri(None)
    return [str(r) for r in namespace["view"]["run_id"]], code


APP_VIEWS = [
    TrialFilter(),
    TrialFilter(top_percent=50),
    TrialFilter(statuses=frozenset({"completed", "failed"}), top_percent=40),
    TrialFilter(value_range=(0.75, 0.83), categories={"class_weight": frozenset({"None"})}),
    TrialFilter(numeric={"learning_rate": (0.005, 0.2)}, top_percent=67),
]


@pytest.mark.parametrize(
    "flt", APP_VIEWS, ids=["all", "top-50", "statuses-top-40", "range-cat", "numeric-top"]
)
def test_the_snippet_returns_the_trials_the_page_shows(
    app_sweep: tuple[str, str, str], flt: TrialFilter
) -> None:
    uri, _, parent = app_sweep
    frame = load_sweep(uri, parent, "sweep")
    expected = page_rows(frame, "accuracy", "maximize", flt)
    got, code = run_snippet(frame, "accuracy", "maximize", flt)
    assert got == expected, code
    assert "mlflow.search_runs(" in code and f"tags.`mlflow.parentRunId` = '{parent}'" in code


def test_runs_of_another_tool_and_a_minimised_metric(plain: tuple[str, str]) -> None:
    uri, experiment_id = plain
    table = load_runs(uri, experiment_id)
    frame = frame_for_group(table, sweep_groups(table)[0])
    for flt in (
        TrialFilter(top_percent=50),
        TrialFilter(categories={"depth": frozenset({"None", "3"})}),
        TrialFilter(categories={"dropout": frozenset({"None"})}),  # a param one run did not log
        TrialFilter(statuses=frozenset({"completed"})),
    ):
        got, code = run_snippet(frame, "loss", "minimize", flt)
        assert got and got == page_rows(frame, "loss", "minimize", flt), code


def test_optuna_statuses(optuna_runs: tuple[str, str]) -> None:
    uri, experiment_id = optuna_runs
    table = load_runs(uri, experiment_id)
    frame = frame_for_group(table, sweep_groups(table)[0])
    metric = frame.metric_names()[0]
    flt = TrialFilter(statuses=frozenset({"early_terminated", "completed"}))
    got, code = run_snippet(frame, metric, "minimize", flt)
    assert got == page_rows(frame, metric, "minimize", flt) and len(got) == 3, code


def test_a_step_ranking_is_named_and_a_password_never_shown(app_sweep: tuple[str, str, str]) -> None:
    uri, _, parent = app_sweep
    frame = load_sweep(uri, parent, "sweep")
    scores = score_trials(frame, "accuracy", "maximize")
    query = query_of_view("https://me:s3cret@mlflow.example.com", "1", frame, scores, TrialFilter())
    code = trials_query_code(query)
    assert "s3cret" not in code and "MLFLOW_TRACKING_PASSWORD" in code
    from dataclasses import replace

    stepped = replace(scores, ranking=Ranking("step", 1))
    assert "ranks by step 1" in trials_query_code(query_of_view(uri, "1", frame, stepped, TrialFilter()))
