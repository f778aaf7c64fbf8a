"""The Sweep step's teaching details: round log bounds, rows that change mode keep nothing stale,
a Normal on a positive-only hyperparameter is flagged, errors list types as a sentence would,
and the code snippet names the environment the workspace really has."""

from __future__ import annotations

import math

import pytest

from core.codegen.sweep import ENVIRONMENT_PLACEHOLDER, sweep_environment
from core.data.schema import Task
from core.resources import Kind, Resource
from core.sweep.editing import MODES, needs_tidy, rows_to_space, space_to_rows, tidy_row, tidy_rows
from core.sweep.rules import bound_warnings, validate_spec, word_list
from core.sweep.space import LogUniform, Normal, Uniform
from core.sweep.spec import SweepSpec
from core.train.families import get_family


def _log_rows(family: str) -> dict[str, dict[str, object]]:
    space = get_family(Task.CLASSIFICATION, family).default_space()
    return {str(r["hyperparameter"]): r for r in space_to_rows(space)}


def test_default_log_bounds_read_as_round_numbers() -> None:
    rows = _log_rows("logistic_regression")
    assert (rows["C"]["low"], rows["C"]["high"]) == (0.001, 1000.0), "e^6.9 is shown as 1000, not 992.275"
    hgb = _log_rows("hist_gradient_boosting")
    assert (hgb["learning_rate"]["low"], hgb["learning_rate"]["high"]) == (0.01, 0.3)
    odd = space_to_rows({"C": LogUniform(math.log(0.00123456), math.log(7.7777))})[0]
    assert (odd["low"], odd["high"]) == (0.00123456, 7.7777), "a bound far from round is kept as typed"


def _row(
    mode: str, values: str = "", low: float | None = None, high: float | None = None
) -> dict[str, object]:
    return {
        "hyperparameter": "n_estimators",
        "mode": mode,
        "values": values,
        "low": low,
        "high": high,
        "q": None,
    }


def test_a_row_switched_from_choice_to_a_range_keeps_no_stale_values() -> None:
    stale = _row("uniform", values="10, 50, 100", high=math.nan)
    assert needs_tidy([stale])
    tidy = tidy_row(stale)
    assert tidy["values"] == "" and (tidy["low"], tidy["high"]) == (10, 100), "the list becomes the range"
    assert rows_to_space([tidy]) == ({"n_estimators": Uniform(10, 100)}, [])
    assert tidy_row(_row("randint", values="3, 7"))["high"] == 8, "randint's upper bound is exclusive"
    assert not needs_tidy([tidy]), "a tidy row stays as it is"


def test_a_row_switched_from_a_range_to_choice_or_fixed_keeps_no_stale_bounds() -> None:
    choice = tidy_row(_row("choice", low=0.001, high=1000.0))
    assert (choice["values"], choice["low"], choice["high"]) == ("0.001, 1000", None, None)
    fixed = tidy_row(_row("fixed", low=5.0, high=9.0))
    assert (fixed["values"], fixed["low"], fixed["high"]) == ("5", None, None)
    kept = tidy_row(_row("choice", values="gini, entropy"))
    assert kept["values"] == "gini, entropy" and not needs_tidy([_row("choice", values="gini, entropy")])


def test_normal_on_a_positive_only_hyperparameter_warns_with_the_share_that_fails() -> None:
    params = get_family(Task.CLASSIFICATION, "logistic_regression").params
    warned = bound_warnings({"C": Normal(1.0, 1.0)}, params)
    assert [w.path for w in warned] == ["space.C"]
    assert "C must be above 0" in warned[0].message and "16%" in warned[0].message
    assert "LogUniform" in warned[0].message
    assert bound_warnings({"C": LogUniform.from_range(0.01, 10)}, params) == []


def test_bayesian_error_lists_the_types_as_a_sentence() -> None:
    assert word_list(["Choice", "Uniform", "QUniform"], "or") == "Choice, Uniform or QUniform"
    assert word_list(["Choice"], "or") == "Choice"
    spec = SweepSpec(
        model_family="logistic_regression",
        task="classification",
        space={"C": LogUniform.from_range(0.01, 10)},
        sampling="bayesian",
    )
    message = next(p.message for p in validate_spec(spec) if p.path == "space.C")
    assert "Change it to Choice, Uniform or QUniform, or use random sampling." in message
    assert " and " not in message.split("Change it to")[1]


def _env(name: str, workspace: str, latest: int) -> Resource:
    return Resource(Kind.ENVIRONMENT, name, workspace, "", {"latest_version": latest, "versions": []})


def test_the_snippet_uses_the_registered_environment() -> None:
    assert sweep_environment([], "ws") == ENVIRONMENT_PLACEHOLDER
    assert sweep_environment([_env("sklearn-mlflow-env", "ws", 3)], "ws") == "azureml:sklearn-mlflow-env:3"
    assert sweep_environment([_env("mine", "ws", 2)], "ws") == "azureml:mine:2", "the only one"
    both = [_env("mine", "ws", 2), _env("sklearn-mlflow-env", "ws", 1), _env("x", "other", 9)]
    assert sweep_environment(both, "ws") == "azureml:sklearn-mlflow-env:1", "the default name first"
    assert sweep_environment([_env("a", "ws", 1), _env("b", "ws", 1)], "ws") == ENVIRONMENT_PLACEHOLDER


@pytest.mark.parametrize("mode", [*MODES, None, "bogus"])
@pytest.mark.parametrize(
    ("values", "low", "high"),
    [
        ("", None, None),
        ("1, 5", None, None),
        ("gini", 2.0, math.nan),
        (math.nan, 0.5, 3.0),
        ("x, 2", 1.0, None),
    ],
)
def test_tidying_twice_changes_nothing(mode: str | None, values: object, low: object, high: object) -> None:
    """The page reruns after a tidy; a second tidy that changed something again would loop."""
    row = {"hyperparameter": "p", "mode": mode, "values": values, "low": low, "high": high, "q": math.nan}
    assert not needs_tidy(tidy_rows([row]))
