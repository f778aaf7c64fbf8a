"""The scoring contract: what a ``POST /score`` body may hold, checked and turned into columns.

Two body shapes are accepted:

- Azure's no-code MLflow deployment: ``{"input_data": {"columns": [...], "index": [...],
  "data": [[...], ...]}}``, a DataFrame in split orientation (``index`` is optional);
- the classic tutorial's ``score.py``: ``{"data": [{"age": 63, ...}, ...]}``, one record a row.

An optional ``"params": {"probabilities": true}`` (or the query ``?probabilities=true``) asks a
classifier for class probabilities as well.

Every column is checked against the model's MLflow signature, so a body that would make the
model fail is refused with a 400 that names the column and the row. JSON has one number type,
so conversion follows the signature: an integer column takes ``63`` and ``63.0`` (but not
``63.5``), a double column takes ``1`` and ``1.0``; ``null`` is a missing value, which the
pipeline's imputers fill in. The checks are per column (one ``set(map(type, column))`` pass,
then one NumPy conversion), so a 10,000-row body costs milliseconds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_ROWS",
    "Column",
    "ScoringError",
    "ScoringInput",
    "parse_json",
    "parse_request",
]

MAX_ROWS = 50_000  # rows in one request
MAX_BODY_BYTES = 32 * 1024 * 1024  # bytes in one request body
PARAMS = {"probabilities": "true to get class probabilities as well (classifiers only)"}
_NONE = type(None)
_NUMBER_TYPES: frozenset[type] = frozenset({int, float, _NONE})
_KIND = {
    "long": "integer",
    "integer": "integer",
    "double": "number",
    "float": "number",
    "string": "text",
    "boolean": "bool",
}
_WHAT = {
    "integer": "whole numbers",
    "number": "numbers",
    "text": "text",
    "bool": "true or false",
}
_EXAMPLE = '{"input_data": {"columns": ["age", ...], "index": [0], "data": [[63, ...]]}}'


class ScoringError(Exception):
    """A request the endpoint refuses: the HTTP status and a message that names the problem."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Column:
    """One input column of the model's signature, with MLflow's type name."""

    name: str
    type: str  # long, integer, double, float, string, boolean; anything else is passed through

    @property
    def kind(self) -> str:
        return _KIND.get(self.type, "any")


@dataclass(frozen=True)
class ScoringInput:
    """A checked request: one NumPy array per signature column, in signature order."""

    columns: dict[str, np.ndarray]
    rows: int
    probabilities: bool


def parse_json(body: bytes) -> Any:
    """The body as JSON; a 400 when it is empty or not JSON (NaN and Infinity are not JSON)."""
    if not body.strip():
        raise ScoringError(400, f"The request body is empty. Send JSON such as {_EXAMPLE}.")
    try:
        return json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise ScoringError(400, "The request body is not usable JSON: it is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ScoringError(400, f"The request body is not valid JSON ({_short(str(exc), 120)}).") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value; send null for a missing value")


def parse_request(
    payload: Any,
    signature: Sequence[Column],
    *,
    max_rows: int = MAX_ROWS,
    probabilities: str | None = None,
) -> ScoringInput:
    """Check a decoded body against the signature and convert it; ScoringError(400) otherwise.

    ``probabilities`` is the raw ``?probabilities=`` query value, if any.
    """
    if not isinstance(payload, dict):
        raise ScoringError(
            400,
            f"The body must be a JSON object, not {_describe(payload)}. Send {_EXAMPLE}, "
            'or {"data": [{"age": 63, ...}]}.',
        )
    unknown = sorted(set(payload) - {"input_data", "data", "params"})
    if "input_data" in payload and "data" in payload:
        raise ScoringError(400, "The body has both 'input_data' and 'data'; send one of them.")
    if "input_data" in payload:
        names, columns, rows = _split_orientation(payload["input_data"], signature, max_rows)
    elif "data" in payload:
        names, columns, rows = _records(payload["data"], signature, max_rows)
    else:
        hint = (
            " MLflow's own 'dataframe_split' key is not what Azure's endpoints accept; "
            "rename it to 'input_data'."
            if "dataframe_split" in payload or "dataframe_records" in payload
            else ""
        )
        raise ScoringError(
            400, f"The body has neither 'input_data' nor 'data'. Send {_EXAMPLE}.{hint}".rstrip()
        )
    if unknown:
        raise ScoringError(
            400, f"The body has unknown keys {_names(unknown)}; allowed are 'input_data', 'data', 'params'."
        )
    want = _want_probabilities(payload.get("params"), probabilities)
    by_name = {col.name: col for col in signature}
    converted = {
        name: _convert(name, values, by_name[name]) for name, values in zip(names, columns, strict=True)
    }
    ordered = {col.name: converted[col.name] for col in signature}
    return ScoringInput(ordered, rows, want)


# -- body shapes -------------------------------------------------------------------------------
def _split_orientation(
    block: Any, signature: Sequence[Column], max_rows: int
) -> tuple[list[str], list[tuple[Any, ...]], int]:
    if not isinstance(block, dict):
        raise ScoringError(
            400,
            f"'input_data' must be an object with 'columns' and 'data' (split orientation), not "
            f"{_describe(block)}. Send {_EXAMPLE}.",
        )
    extra = sorted(set(block) - {"columns", "index", "data"})
    if extra:
        raise ScoringError(
            400, f"'input_data' has unknown keys {_names(extra)}; allowed are 'columns', 'index', 'data'."
        )
    names = block.get("columns")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ScoringError(400, "'input_data.columns' must be a list of column names (strings).")
    _check_names(names, signature)
    data = block.get("data")
    if not isinstance(data, list):
        raise ScoringError(400, "'input_data.data' must be a list of rows, each a list of values.")
    _check_row_count(len(data), max_rows)
    width = len(names)
    for i, row in enumerate(data):
        if type(row) is not list or len(row) != width:
            got = f"{len(row)} values" if isinstance(row, list) else _describe(row)
            raise ScoringError(
                400,
                f"Row {i} of 'input_data.data' holds {got}; every row needs {width} values, one per column.",
            )
    index = block.get("index")
    if index is not None and (not isinstance(index, list) or len(index) != len(data)):
        raise ScoringError(
            400, f"'input_data.index' must be a list with one entry per row ({len(data)}), or left out."
        )
    return names, list(zip(*data, strict=True)), len(data)


def _records(
    data: Any, signature: Sequence[Column], max_rows: int
) -> tuple[list[str], list[tuple[Any, ...]], int]:
    if not isinstance(data, list):
        raise ScoringError(400, f"'data' must be a list of records (objects), not {_describe(data)}.")
    _check_row_count(len(data), max_rows)
    names = [col.name for col in signature]
    expected = set(names)
    for i, record in enumerate(data):
        if type(record) is not dict:
            raise ScoringError(
                400, f"Record {i} of 'data' is {_describe(record)}; each record must be an object."
            )
        if record.keys() != expected:
            missing = [n for n in names if n not in record]
            unknown = [k for k in record if k not in expected]
            parts = []
            if missing:
                parts.append(f"lacks the columns {_names(missing)}")
            if unknown:
                parts.append(f"has unknown columns {_names(unknown)}")
            raise ScoringError(
                400,
                f"Record {i} of 'data' {' and '.join(parts)}. Every record needs every feature column "
                "(null for a missing value).",
            )
    return names, [tuple(record[n] for record in data) for n in names], len(data)


def _check_names(names: list[str], signature: Sequence[Column]) -> None:
    expected = [col.name for col in signature]
    given, known = set(names), set(expected)  # sets: a body may list millions of names
    duplicated = sorted(n for n, k in Counter(names).items() if k > 1) if len(given) != len(names) else []
    missing = [n for n in expected if n not in given]
    unknown = [n for n in names if n not in known]
    problems = []
    if missing:
        problems.append(f"missing columns {_names(missing)}")
    if unknown:
        problems.append(f"unknown columns {_names(unknown)}")
    if duplicated:
        problems.append(f"repeated columns {_names(duplicated)}")
    if problems:
        raise ScoringError(
            400, f"The input has {'; '.join(problems)}. The model expects {_names(expected, limit=40)}."
        )


def _check_row_count(rows: int, max_rows: int) -> None:
    if rows == 0:
        raise ScoringError(400, "The input has no rows; send at least one.")
    if rows > max_rows:
        raise ScoringError(
            400,
            f"The input has {rows:,} rows; this endpoint takes at most {max_rows:,} in one request. "
            "Split it into several requests.",
        )


def _want_probabilities(params: Any, query: str | None) -> bool:
    want = False
    if params is not None:
        if not isinstance(params, dict):
            raise ScoringError(400, f"'params' must be an object, not {_describe(params)}.")
        unknown = sorted(set(params) - set(PARAMS))
        if unknown:
            raise ScoringError(
                400, f"'params' has unknown keys {_names(unknown)}; the only one is 'probabilities'."
            )
        value = params.get("probabilities", False)
        if not isinstance(value, bool):
            raise ScoringError(400, "'params.probabilities' must be true or false.")
        want = value
    if query is not None:
        lowered = query.strip().lower()
        if lowered not in ("true", "false", "1", "0", ""):
            raise ScoringError(400, "The query parameter 'probabilities' must be true or false.")
        want = want or lowered in ("true", "1")
    return want


# -- conversion ---------------------------------------------------------------------------------
def _convert(name: str, values: tuple[Any, ...], column: Column) -> np.ndarray:
    kind = column.kind
    types = set(map(type, values))
    if kind in ("integer", "number"):
        return _numbers(name, values, types, column)
    if kind == "text":
        _only(name, values, types, {str, _NONE}, column)
        return np.array(values, dtype=object)
    if kind == "bool":
        _only(name, values, types, {bool, _NONE}, column)
        return np.array(values, dtype=object if _NONE in types else bool)
    nested = {list, dict} & types
    if nested:
        _only(name, values, types, types - nested, column)
    return np.array(values, dtype=object)


def _numbers(name: str, values: tuple[Any, ...], types: set[type], column: Column) -> np.ndarray:
    _only(name, values, types, _NUMBER_TYPES, column)
    try:
        if _NONE in types:
            array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif column.kind == "integer" and types == {int}:
            return np.array(values, dtype=np.int64)
        else:
            array = np.array(values, dtype=np.float64)
    except OverflowError:
        i = next((i for i, v in enumerate(values) if isinstance(v, int) and abs(v) > 2**53), 0)
        raise ScoringError(
            400,
            f"Column '{name}' row {i} holds {_short(str(values[i]), 30)}, a number too large for this model.",
        ) from None
    present = ~np.isnan(array)
    if not np.isfinite(array[present]).all():
        i = int(np.flatnonzero(present & ~np.isfinite(array))[0])
        raise ScoringError(400, f"Column '{name}' row {i} holds a number too large to be finite.")
    if column.kind == "integer":
        fractional = present & (array != np.round(array))
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            raise ScoringError(
                400,
                f"Column '{name}' holds whole numbers ({column.type}); row {i} holds {values[i]!r}.",
            )
        if _NONE not in types:
            return array.astype(np.int64)
    return array


def _only(
    name: str, values: tuple[Any, ...], types: set[type], allowed: set[type] | frozenset[type], column: Column
) -> None:
    if types <= allowed:
        return
    i = next(i for i, v in enumerate(values) if type(v) not in allowed)
    what = _WHAT.get(column.kind, "plain values")
    raise ScoringError(
        400,
        f"Column '{name}' expects {what} ({column.type}); row {i} holds {_describe(values[i])}.",
    )


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {_short(value, 40)!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    return f"the number {_short(repr(value), 30)}"


def _names(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(repr(_short(n, 60)) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
