"""The editable search-space table round-trips and explains every bad row."""

from __future__ import annotations

import math

import pytest

from core.sweep.editing import parse_value, parse_values, rows_to_space, space_to_rows
from core.sweep.space import Choice, Fixed, LogUniform, Normal, QLogUniform, QUniform, Randint, Uniform


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10", 10),
        ("0.5", 0.5),
        ("None", None),
        ("none", None),
        ("True", True),
        ("gini", "gini"),
        ('"10"', "10"),
        ("'None'", "None"),
        ("1e-3", 0.001),
        ("nan", "nan"),
    ],
)
def test_parse_value_reads_what_people_type(text: str, value: object) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_choice_lists_keep_none_as_a_real_choice() -> None:
    assert parse_values("4, 6, 8, 10, None") == (4, 6, 8, 10, None)
    assert parse_values("gini, entropy,") == ("gini", "entropy")


def test_every_kind_round_trips_through_the_table() -> None:
    space = {
        "n_estimators": Choice((10, 50, 100, 125, 150)),
        "max_depth": Choice((4, 6, 8, 10, None)),
        "criterion": Fixed("gini"),
        "version_label": Choice(("10", "None")),  # text that looks like a number stays text
        "learning_rate": LogUniform.from_range(0.001, 1.0),
        "l2": Uniform(0.0, 2.0),
        "max_iter": QUniform(50, 500, 50),
        "C": QLogUniform(math.log(1.0), math.log(1000.0), 1),
        "shift": Normal(0.0, 1.5),
        "seed_offset": Randint(7),
    }
    rows = space_to_rows(space)
    assert rows[4]["low"] == 0.001 and rows[4]["high"] == 1.0, "log ranges are edited as values"
    back, problems = rows_to_space(rows)
    assert problems == []
    assert back["n_estimators"] == space["n_estimators"] and back["max_depth"] == space["max_depth"]
    assert back["criterion"] == Fixed("gini") and back["version_label"] == Choice(("10", "None"))
    assert isinstance(back["learning_rate"], LogUniform)
    assert back["learning_rate"].min_value == pytest.approx(math.log(0.001))
    assert back["max_iter"] == QUniform(50, 500, 50) and isinstance(back["max_iter"].q, int)
    assert back["C"].max_value == pytest.approx(math.log(1000.0))
    assert back["shift"] == Normal(0.0, 1.5) and back["seed_offset"] == Randint(7)


def test_the_default_space_in_dict_form_is_accepted() -> None:
    rows = space_to_rows({"max_depth": {"type": "choice", "values": [4, None]}})
    assert rows[0]["values"] == "4, None"


def test_bad_rows_are_explained_not_raised() -> None:
    rows = [
        {"hyperparameter": "a", "mode": "uniform", "values": "", "low": None, "high": 2.0, "q": None},
        {"hyperparameter": "b", "mode": "loguniform", "values": "", "low": 0.0, "high": 1.0, "q": None},
        {"hyperparameter": "c", "mode": "fixed", "values": "", "low": None, "high": None, "q": None},
        {"hyperparameter": "c", "mode": "choice", "values": "1", "low": None, "high": None, "q": None},
        {"hyperparameter": "", "mode": "choice", "values": "1", "low": None, "high": None, "q": None},
        {"hyperparameter": "d", "mode": "gaussian", "values": "", "low": None, "high": None, "q": None},
        {"hyperparameter": "e", "mode": "quniform", "values": "", "low": 1, "high": 5, "q": "x"},
    ]
    space, problems = rows_to_space(rows)
    text = " | ".join(str(p) for p in problems)
    assert "space.a.low: The lower end of a's range is empty" in text
    assert "A log range needs values above 0" in text
    assert "space.c.values: A fixed hyperparameter needs exactly one value" in text
    assert "'c' appears twice" in text
    assert "A row has no hyperparameter name" in text
    assert "space.d.mode: Pick a mode from the list, not 'gaussian'" in text
    assert "space.e.q: The step q must be a number" in text
    assert space == {}
