"""Stage 4, tidy: checks and repairs on the parsed table, with vectorised Arrow kernels.

A saved row index, empty nameless columns, infinities, dates read as text; notes for
mostly-numeric text columns and formula-like or HTML cells, which :func:`inert_text`
makes safe to show.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pa_compute

from core.data.ingest.messages import quoted_list

__all__ = ["inert_text", "tidy"]

# A formula starts with = + - @ followed by a letter (=HYPERLINK(...), @SUM(...), -cmd|...);
# HTML is a tag or a comment anywhere in the cell. The patterns run in RE2 (pyarrow) and in
# Python's re, so they use no lookarounds; "-inf" and the like are excluded separately.
_FORMULA_PATTERN = r"^[=+\-@][A-Za-z]"
_FORMULA_RE = re.compile(_FORMULA_PATTERN)
_HTML_PATTERN = r"<[!/?]?[A-Za-z][^>]*>|<!--"
_SIGNED_SPECIAL = r"^[+-](?i:inf|infinity|nan)$"
_SIGNED_SPECIAL_RE = re.compile(_SIGNED_SPECIAL)


def inert_text(value: object) -> str:
    """A display-safe string for one cell: formulas cannot run, HTML cannot render.

    Formula-like text gets a leading ``'`` (as spreadsheets do to force text), and ``<`` / ``>``
    become ``&lt;`` / ``&gt;``. Broader than the note in ``load_csv``: anything starting with
    ``=``, or with a tab or carriage return, is prefixed as well. Missing values become "".
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    text = str(value)
    if text.startswith(("=", "\t", "\r")) or _is_formula(text):
        text = "'" + text
    return text.replace("<", "&lt;").replace(">", "&gt;")


def tidy(table: Any, data: bytes, decimal: str) -> tuple[Any, list[str]]:
    """Drop a saved index and empty nameless columns, clear infinities, and note odd text."""
    notes: list[str] = []
    for step in (_drop_index_column, _drop_empty_unnamed, _infinities_to_null, _fix_types):
        table, note = step(table)
        notes.extend(note)
    notes.extend(_mixed_type_notes(table, decimal))
    notes.extend(_active_content_note(table, data))
    return table, notes


def _drop_index_column(table: Any) -> tuple[Any, list[str]]:
    """A nameless first column counting 0..n-1 or 1..n is a saved row index (df.to_csv default)."""
    if table.num_columns < 2 or table.schema.names[0] != "Unnamed: 0":
        return table, []
    column = table.column(0)
    if not pa.types.is_integer(column.type) or column.null_count:
        return table, []
    values = column.to_numpy()
    if values[0] not in (0, 1) or not bool((np.diff(values) == 1).all()):
        return table, []
    first = int(values[0])
    note = (
        f"The first column has no name and counts {first}, {first + 1}, {first + 2}, ..., so it was "
        "recognised as a saved row index and dropped."
    )
    return table.remove_column(0), [note]


def _drop_empty_unnamed(table: Any) -> tuple[Any, list[str]]:
    """Nameless, entirely empty columns come from a delimiter at the end of every line."""
    empty = [
        i
        for i, field in enumerate(table.schema)
        if field.name.startswith("Unnamed: ") and pa.types.is_null(field.type)
    ]
    if not empty or len(empty) == table.num_columns:
        return table, []
    note = (
        f"Dropped {len(empty)} empty column{'s' if len(empty) > 1 else ''} without a name "
        "(usually a delimiter at the end of each line)."
    )
    keep = [i for i in range(table.num_columns) if i not in set(empty)]
    return table.select(keep), [note]


def _infinities_to_null(table: Any) -> tuple[Any, list[str]]:
    """Keep numeric columns numeric: inf/-inf/Infinity become missing (models and charts reject inf)."""
    changed: list[str] = []
    for i, field in enumerate(table.schema):
        if not pa.types.is_floating(field.type):
            continue
        column = table.column(i)
        infinite = pa_compute.is_inf(column)
        if pa_compute.any(infinite).as_py():
            table = table.set_column(i, field, pa_compute.if_else(infinite, None, column))
            changed.append(field.name)
    if not changed:
        return table, []
    return table, [
        f"Infinite values (inf, -inf) in {_columns_phrase(changed)} were turned into missing "
        "values (NaN) so the columns stay numeric."
    ]


def _fix_types(table: Any) -> tuple[Any, list[str]]:
    """Give the dtypes pandas.read_csv would: all-empty columns float, late-found dates text."""
    for i, field in enumerate(table.schema):
        if pa.types.is_null(field.type):
            table = table.set_column(i, field.with_type(pa.float64()), table.column(i).cast(pa.float64()))
        elif pa.types.is_temporal(field.type):
            table = table.set_column(i, field.with_type(pa.string()), table.column(i).cast(pa.string()))
    return table, []


def _columns_phrase(names: list[str]) -> str:
    return f"column {names[0]!r}" if len(names) == 1 else f"columns {quoted_list(names)}"


def _text_columns(table: Any) -> list[tuple[str, Any]]:
    return [
        (field.name, table.column(i))
        for i, field in enumerate(table.schema)
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
    ]


def _number_pattern(decimal: str) -> str:
    """What pyarrow reads as a number (RE2 syntax), with the file's decimal mark."""
    mark = re.escape(decimal)
    return (
        rf"^\s*[+-]?(?:\d+(?:{mark}\d*)?|{mark}\d+)(?:[eE][+-]?\d+)?\s*$"
        r"|^\s*[+-]?(?i:inf|infinity|nan)\s*$"
    )


def _mixed_type_notes(table: Any, decimal: str) -> list[str]:
    """Text columns that are mostly numbers: name each with an example of the odd value out."""
    pattern = _number_pattern(decimal)
    notes = []
    for name, column in _text_columns(table):
        probe = column.slice(0, 5000).drop_null().slice(0, 1000)
        if len(probe) == 0:
            continue
        if pa_compute.sum(pa_compute.match_substring_regex(probe, pattern)).as_py() * 2 <= len(probe):
            continue  # a real text column: cheap to rule out on a probe
        is_text = pa_compute.invert(pa_compute.match_substring_regex(column, pattern))
        n_text = pa_compute.sum(is_text).as_py() or 0
        if not n_text:
            continue
        example = str(pa_compute.filter(column, is_text)[0].as_py())[:40]
        count = f"{n_text:,} value{'s are' if n_text > 1 else ' is'}"
        notes.append(
            f"Column {name!r} is mostly numbers but {count} text (for example {example!r}), so it was "
            "kept as text. If it should be numeric, fix or blank those cells and upload the file again."
        )
    return notes


def _active_content_note(table: Any, data: bytes) -> list[str]:
    """One note naming the columns with formula-like or HTML cells; nothing is ever evaluated.

    Only characters present in the file are looked for: ``b"<" in data`` costs milliseconds,
    a regex over a million cells tens of them.
    """
    columns = _text_columns(table)
    if not columns:
        return []
    starts = [char for char in "=+-@" if char.encode() in data]
    html = b"<" in data
    flagged: list[str] = []
    example = ""
    for name, column in columns:
        hits = _formula_cells(column, starts) if starts else column.slice(0, 0)
        if not len(hits) and html:  # the regex only runs on cells with a '<'
            hits = _matches(_matches(column, "<", regex=False), _HTML_PATTERN)
        if len(hits):
            flagged.append(name)
            example = example or str(hits[0].as_py())[:40]
    if not flagged:
        return []
    return [
        f"Some cells in {_columns_phrase(flagged)} look like spreadsheet formulas or HTML (for example "
        f"{example!r}); they are kept as plain text and shown as inert text, never run."
    ]


def _formula_cells(column: Any, starts: list[str]) -> Any:
    """Cells like =HYPERLINK(...): a fast starts_with test first, then the exact pattern."""
    first = pa_compute.starts_with(column, starts[0])
    for char in starts[1:]:
        first = pa_compute.or_(first, pa_compute.starts_with(column, char))
    if not pa_compute.any(first).as_py():
        return column.slice(0, 0)
    hits = _matches(pa_compute.filter(column, first), _FORMULA_PATTERN)
    signed_special = pa_compute.match_substring_regex(hits, _SIGNED_SPECIAL)  # -inf is a number
    return pa_compute.filter(hits, pa_compute.invert(signed_special))


def _matches(column: Any, pattern: str, *, regex: bool = True) -> Any:
    """The values of an Arrow string column that match the pattern."""
    find = pa_compute.match_substring_regex if regex else pa_compute.match_substring
    return pa_compute.filter(column, find(column, pattern))


def _is_formula(text: str) -> bool:
    return bool(_FORMULA_RE.match(text)) and not _SIGNED_SPECIAL_RE.match(text)
