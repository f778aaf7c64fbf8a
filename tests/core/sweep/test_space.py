"""Search-space types (core.sweep.space): Azure's semantics, validation, round trips."""

from __future__ import annotations

import json
import math
import random

import pytest

from core.errors import UserFacingError
from core.sweep.space import (
    Choice,
    Fixed,
    LogUniform,
    Normal,
    Param,
    QLogUniform,
    QUniform,
    Randint,
    Uniform,
    param_from_dict,
    quantize,
)

ALL_PARAMS: list[Param] = [
    Choice((4, 6, None, "sqrt", 0.5, True)),
    Uniform(0.1, 0.9),
    LogUniform(-6.9, -2.3),
    QUniform(10, 200, 10),
    QLogUniform(1.0, 5.0, 2),
    Normal(10.0, 3.0),
    Randint(5),
    Fixed(None),
    Fixed("balanced"),
]


@pytest.mark.parametrize("param", ALL_PARAMS, ids=lambda p: type(p).__name__)
def test_to_dict_is_json_and_round_trips(param: Param) -> None:
    data = json.loads(json.dumps(param.to_dict()))
    assert data["type"] == param.kind
    back = param_from_dict(data)
    assert back == param
    assert type(back) is type(param)
    assert param.problems("space.x") == []


def test_choice_keeps_none_and_types_through_json() -> None:
    back = param_from_dict(json.loads(json.dumps(Choice((1, True, None, "1.5")).to_dict())))
    assert isinstance(back, Choice)
    assert back.values == (1, True, None, "1.5")
    assert [type(v) for v in back.values] == [int, bool, type(None), str]


def test_loguniform_bounds_are_natural_log_exponents() -> None:
    """Azure: exp(uniform(min_value, max_value)), values in [e^min, e^max]."""
    param = LogUniform(-6.907755, -2.302585)  # ln(0.001), ln(0.1)
    low, high = param.value_range
    assert low == pytest.approx(0.001, rel=1e-5)
    assert high == pytest.approx(0.1, rel=1e-5)
    rng = random.Random(0)
    draws = [param.sample(rng) for _ in range(2000)]
    assert all(0.001 * 0.9999 <= d <= 0.1 * 1.0001 for d in draws)
    # log-uniform: about half the draws fall below the geometric middle 0.01
    below = sum(d < 0.01 for d in draws) / len(draws)
    assert 0.45 < below < 0.55
    # negative exponents are legal: exp() of anything is > 0
    assert LogUniform(-10, -5).problems("p") == []
    assert "values from 0.001 to 0.1" in param.describe()


def test_loguniform_from_range() -> None:
    param = LogUniform.from_range(0.001, 0.1)
    assert param.min_value == pytest.approx(math.log(0.001))
    assert param.max_value == pytest.approx(math.log(0.1))
    with pytest.raises(UserFacingError, match="above 0"):
        LogUniform.from_range(0, 1)


def test_quniform_rounds_to_multiples_of_q_as_int_when_q_is_int() -> None:
    param = QUniform(12, 97, 10)
    rng = random.Random(1)
    draws = {param.sample(rng) for _ in range(500)}
    assert draws <= {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
    assert all(isinstance(d, int) for d in draws)
    assert {20, 50, 90} <= draws
    assert quantize(0.31, 0.1) == 0.3  # no 0.30000000000000004
    assert isinstance(quantize(0.31, 0.1), float)


def test_qloguniform_samples_positive_multiples() -> None:
    param = QLogUniform(math.log(2), math.log(64), 2)
    rng = random.Random(2)
    draws = [param.sample(rng) for _ in range(500)]
    assert all(isinstance(d, int) and d % 2 == 0 and 2 <= d <= 64 for d in draws)


def test_randint_is_zero_to_upper_exclusive() -> None:
    rng = random.Random(3)
    draws = {Randint(4).sample(rng) for _ in range(400)}
    assert draws == {0, 1, 2, 3}
    assert "0 to 3" in Randint(4).describe()


@pytest.mark.parametrize(
    ("param", "path", "needle"),
    [
        (Uniform(1.0, 1.0), "p.min_value", "lower than max_value"),
        (Uniform(2.0, 1.0), "p.min_value", "Swap them"),
        (Uniform(float("nan"), 1.0), "p.min_value", "finite number"),
        (Uniform(True, 2.0), "p.min_value", "finite number"),  # type: ignore[arg-type]
        (LogUniform(3.0, 1.0), "p.min_value", "lower than"),
        (LogUniform(0.0, 800.0), "p.max_value", "exponent"),
        (QUniform(0, 10, 0), "p.q", "above 0"),
        (QUniform(0, 10, -1), "p.q", "above 0"),
        (QLogUniform(0.0, 3.0, 0), "p.q", "above 0"),
        (QLogUniform(-5.0, 3.0, 1), "p.min_value", "round to 0"),
        (Normal(0.0, 0.0), "p.sigma", "above 0"),
        (Normal(0.0, -1.0), "p.sigma", "above 0"),
        (Randint(0), "p.upper", "at least 1"),
        (Randint(2.5), "p.upper", "whole number"),  # type: ignore[arg-type]
        (Choice(()), "p.values", "at least one"),
        (Choice((1, 2, 1)), "p.values", "twice"),
        (Choice((1, 1.0)), "p.values", "twice"),
        (Choice((None, "None")), "p.values", "cannot be told apart"),
        (Choice((True, "True")), "p.values", "cannot be told apart"),
        (Choice(([1, 2], 3)), "p.values", "cannot be a choice"),  # type: ignore[arg-type]
        (Fixed({"a": 1}), "p.value", "cannot be a value"),  # type: ignore[arg-type]
    ],
)
def test_problems_name_the_field_and_the_fix(param: Param, path: str, needle: str) -> None:
    problems = param.problems("p")
    assert problems, f"{param!r} should be invalid"
    assert problems[0].path == path
    assert needle in problems[0].message


def test_choice_true_and_one_are_distinct_values() -> None:
    assert Choice((1, True, 0, False)).problems("p") == []


def test_qloguniform_min_that_keeps_values_positive_is_fine() -> None:
    assert QLogUniform(math.log(1.0), 3.0, 1).problems("p") == []


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("choice", "mapping"),
        ({"type": "beta", "a": 1}, "unknown type"),
        ({"type": "uniform", "min_value": 1}, "missing: max_value"),
        ({"type": "randint", "upper": 3, "lower": 0}, "unexpected: lower"),
        ({"type": "choice", "values": "abc"}, "must be a list"),
    ],
)
def test_param_from_dict_rejects_malformed_input(data: object, needle: str) -> None:
    with pytest.raises(UserFacingError, match=needle):
        param_from_dict(data, "x")


def test_describe_mentions_the_numbers() -> None:
    assert Choice((10, None)).describe() == "Choice of 10, None"
    assert "steps of 10" in QUniform(10, 200, 10).describe()
    assert "unbounded" in Normal(1, 2).describe()
    assert Fixed(None).describe() == "Fixed at None"
