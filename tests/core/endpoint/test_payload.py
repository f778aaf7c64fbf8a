"""The scoring contract without a server: every shape, type and limit, checked and converted."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.endpoint.payload import Column, ScoringError, parse_json, parse_request

SIGNATURE = [
    Column("age", "long"),
    Column("oldpeak", "double"),
    Column("sex", "string"),
    Column("ok", "boolean"),
]


def split(columns: list[str], data: list[list[Any]], **extra: Any) -> dict[str, Any]:
    return {"input_data": {"columns": columns, "index": list(range(len(data))), "data": data}, **extra}


def refused(payload: Any, status: int = 400, **options: Any) -> str:
    with pytest.raises(ScoringError) as caught:
        parse_request(payload, SIGNATURE, **options)
    assert caught.value.status == status
    return caught.value.message


def test_split_orientation_is_converted_by_the_signature_types() -> None:
    got = parse_request(
        split(["age", "oldpeak", "sex", "ok"], [[63, 1, "M", True], [41.0, 2.5, "F", False]]), SIGNATURE
    )
    assert got.rows == 2 and not got.probabilities
    assert got.columns["age"].dtype == np.int64 and got.columns["age"].tolist() == [63, 41]
    assert got.columns["oldpeak"].dtype == np.float64 and got.columns["oldpeak"].tolist() == [1.0, 2.5]
    assert got.columns["sex"].tolist() == ["M", "F"]
    assert got.columns["ok"].dtype == bool


def test_columns_come_back_in_signature_order_whatever_the_request_order() -> None:
    got = parse_request(split(["ok", "sex", "oldpeak", "age"], [[True, "M", 1.5, 50]]), SIGNATURE)
    assert list(got.columns) == ["age", "oldpeak", "sex", "ok"]


def test_records_shape_and_missing_values() -> None:
    got = parse_request(
        {
            "data": [
                {"age": 63, "oldpeak": None, "sex": "M", "ok": True},
                {"age": None, "oldpeak": 1, "sex": None, "ok": None},
            ]
        },
        SIGNATURE,
    )
    assert np.isnan(got.columns["oldpeak"][0]) and np.isnan(got.columns["age"][1])
    assert got.columns["age"].dtype == np.float64  # an integer column with a missing value
    assert got.columns["sex"].tolist() == ["M", None]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ([1, 2], "must be a JSON object, not a list of 2"),
        ({"rows": []}, "neither 'input_data' nor 'data'"),
        ({"dataframe_split": {}}, "rename it to 'input_data'"),
        ({"input_data": [[1]]}, "'input_data' must be an object"),
        ({"input_data": {"columns": "age", "data": []}}, "'input_data.columns' must be a list"),
        ({"input_data": {"columns": ["age"], "data": [[1]]}}, "missing columns 'oldpeak', 'sex', 'ok'"),
        (split(["age", "oldpeak", "sex", "ok", "chol"], [[1, 1, "M", True, 200]]), "unknown columns 'chol'"),
        (split(["age", "age", "oldpeak", "sex", "ok"], [[1, 1, 1, "M", True]]), "repeated columns 'age'"),
        (split(["age", "oldpeak", "sex", "ok"], []), "no rows"),
        (split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M"]]), "Row 0 of 'input_data.data' holds 3 values"),
        (
            split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M", True], "x"]),
            "Row 1 of 'input_data.data' holds the text",
        ),
        (
            split(["age", "oldpeak", "sex", "ok"], [["63", 1, "M", True]]),
            "Column 'age' expects whole numbers (long); row 0 holds the text '63'",
        ),
        (
            split(["age", "oldpeak", "sex", "ok"], [[63.5, 1, "M", True]]),
            "Column 'age' holds whole numbers (long); row 0 holds 63.5",
        ),
        (
            split(["age", "oldpeak", "sex", "ok"], [[1, True, "M", True]]),
            "Column 'oldpeak' expects numbers (double); row 0 holds true",
        ),
        (
            split(["age", "oldpeak", "sex", "ok"], [[1, 1, 5, True]]),
            "Column 'sex' expects text (string); row 0 holds the number 5",
        ),
        (split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M", "yes"]]), "Column 'ok' expects true or false"),
        (split(["age", "oldpeak", "sex", "ok"], [[2**70, 1, "M", True]]), "too large"),
        (split(["age", "oldpeak", "sex", "ok"], [[1, [1], "M", True]]), "row 0 holds a list of 1"),
        ({"data": [{"age": 1, "oldpeak": 1, "sex": "M"}]}, "Record 0 of 'data' lacks the columns 'ok'"),
        ({"data": [{"age": 1, "oldpeak": 1, "sex": "M", "ok": True, "x": 1}]}, "has unknown columns 'x'"),
        ({"data": [[1, 1, "M", True]]}, "Record 0 of 'data' is a list of 4"),
        ({"data": {"age": 1}}, "'data' must be a list of records"),
        ({"data": [], "input_data": {}}, "both 'input_data' and 'data'"),
        (split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M", True]], extra=1), "unknown keys 'extra'"),
        (
            split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M", True]], params={"top": 3}),
            "'params' has unknown keys 'top'",
        ),
        (
            split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M", True]], params={"probabilities": "yes"}),
            "must be true or false",
        ),
    ],
)
def test_malformed_input_is_refused_with_the_problem_named(payload: Any, words: str) -> None:
    assert words in refused(payload)


def test_index_must_match_the_rows() -> None:
    payload = split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M", True]])
    payload["input_data"]["index"] = [0, 1]
    assert "one entry per row (1)" in refused(payload)


def test_row_limit() -> None:
    rows = [[1, 1.0, "M", True]] * 11
    assert "11 rows; this endpoint takes at most 10" in refused(
        split(["age", "oldpeak", "sex", "ok"], rows), max_rows=10
    )
    assert parse_request(split(["age", "oldpeak", "sex", "ok"], rows[:10]), SIGNATURE, max_rows=10).rows == 10


def test_probabilities_from_params_or_query() -> None:
    payload = split(["age", "oldpeak", "sex", "ok"], [[1, 1, "M", True]])
    assert not parse_request(payload, SIGNATURE).probabilities
    assert parse_request({**payload, "params": {"probabilities": True}}, SIGNATURE).probabilities
    assert parse_request(payload, SIGNATURE, probabilities="true").probabilities
    assert "query parameter" in refused(payload, probabilities="maybe")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"data": [NaN]}', "NaN is not a JSON value"),
        (b'{"data": [Infinity]}', "Infinity is not a JSON value"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_bodies_that_are_not_json(body: bytes, words: str) -> None:
    with pytest.raises(ScoringError) as caught:
        parse_json(body)
    assert caught.value.status == 400 and words in caught.value.message


def test_an_overflowing_float_is_refused() -> None:
    payload = parse_json(
        b'{"input_data": {"columns": ["age", "oldpeak", "sex", "ok"], "data": [[1, 1e999, "M", true]]}}'
    )
    assert "too large to be finite" in refused(payload)


def test_a_huge_list_of_column_names_is_refused_quickly() -> None:
    import time

    names = [f"c{i}" for i in range(300_000)] + ["c1"]
    started = time.perf_counter()
    message = refused({"input_data": {"columns": names, "data": [[0] * len(names)]}})
    # a guard against quadratic work only: about 0.15 s normally, so the limit is 20x that
    assert time.perf_counter() - started < 3.0
    assert "repeated columns 'c1'" in message and "and 299991 more" in message
