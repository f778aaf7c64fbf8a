"""Stage 3, parse: one multi-threaded read of the whole file with ``pyarrow.csv``, then pandas.

About 0.8-1x the time of ``pandas.read_csv``. It rejects rows with the wrong number of
fields, which pandas' C parser would silently pad with NaN; the diagnostics that name the
line only run when the read fails or its last row suggests a quote left open.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from core.data.ingest.detect import MAX_BLOCK_BYTES, Sample
from core.data.ingest.diagnose import diagnose
from core.data.ingest.messages import FIX_AGAIN, MB
from core.errors import DataError

__all__ = ["parse_table", "to_pandas"]

_BLOCK_BYTES = MB  # pyarrow's default; grown only when one row is larger than a block
# pandas' default missing-value markers, so both parsers agree on what is missing.
_NA_VALUES = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)


def parse_table(data: bytes, sample: Sample, delimiter: str, decimal: str) -> Any:
    """Parse the whole file once into an Arrow table, with the column names pandas would give.

    Diagnostics and pandas' C parser only run when pyarrow fails.
    """
    has_quotes = b'"' in data
    try:
        table = _read_arrow(data, sample, delimiter, decimal, has_quotes)
    except pa.ArrowException as exc:
        problem = diagnose(data, delimiter)
        if problem is not None:
            raise problem from exc
        return _read_pandas(data, delimiter, decimal)
    if has_quotes and _may_end_inside_quotes(table):
        problem = diagnose(data, delimiter)
        if problem is not None:
            raise problem
    names = [f"Unnamed: {i}" if name == "" else name for i, name in enumerate(table.schema.names)]
    return table.rename_columns(names)


def _may_end_inside_quotes(table: Any) -> bool:
    """Whether the last row holds a line break: the sign of a quote left open.

    pyarrow reads an unclosed quote as a cell running to the end of the file. If the quote
    opened in the last column the row still has the right number of fields, so nothing failed.
    """
    last = table.slice(max(table.num_rows - 1, 0))
    for column in last.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            value = column[0].as_py() if len(column) else None
            if value and ("\n" in value or "\r" in value):
                return True
    return False


def _arrow_options(delimiter: str, decimal: str, has_quotes: bool, column_types: dict[str, Any]) -> Any:
    parse = pa_csv.ParseOptions(
        delimiter=delimiter,
        quote_char='"',
        double_quote=True,
        newlines_in_values=has_quotes,  # slower, so only when a quoted value can hold a line break
        ignore_empty_lines=True,
    )
    convert = pa_csv.ConvertOptions(
        null_values=list(_NA_VALUES),
        strings_can_be_null=True,
        decimal_point=decimal,
        column_types=column_types,
    )
    return parse, convert


@dataclass(frozen=True)
class _SampleTypes:
    text: dict[str, Any]  # columns pyarrow would read as dates/times: read as text, as pandas does
    seen: dict[str, Any]  # the other columns' types in the sample, a hint that halves parse memory


def _sample_types(sample: Sample, delimiter: str, decimal: str, has_quotes: bool) -> _SampleTypes:
    """Parse the sample (fast) to learn the column types pyarrow will infer."""
    parse, convert = _arrow_options(delimiter, decimal, has_quotes, {})
    try:
        table = pa_csv.read_csv(pa.py_buffer(sample.data), parse_options=parse, convert_options=convert)
    except pa.ArrowException:
        return _SampleTypes({}, {})  # the full read reports the problem
    names = Counter(table.schema.names)
    text, seen = {}, {}
    for field in table.schema:
        if names[field.name] > 1:
            continue  # e.g. several nameless columns: leave them to inference
        if pa.types.is_temporal(field.type):
            text[field.name] = pa.string()
        elif not pa.types.is_null(field.type):
            seen[field.name] = field.type
    return _SampleTypes(text, seen)


def _read_arrow(data: bytes, sample: Sample, delimiter: str, decimal: str, has_quotes: bool) -> Any:
    """pyarrow's multi-threaded reader, told the sample's column types when they hold.

    With known types pyarrow converts each block as it goes; inferring types makes it keep
    every parsed block until the end, about doubling peak memory. If a later value does not
    fit (an integer column with 2.5 further down, a number column with text), read again
    with inference for all but the date-like columns.
    """
    types = _sample_types(sample, delimiter, decimal, has_quotes)
    if types.seen:
        try:
            return _read_arrow_with(data, delimiter, decimal, has_quotes, {**types.seen, **types.text})
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc):
                raise
    return _read_arrow_with(data, delimiter, decimal, has_quotes, types.text)


def _read_arrow_with(
    data: bytes, delimiter: str, decimal: str, has_quotes: bool, column_types: dict[str, Any]
) -> Any:
    """One pyarrow read; the block size grows only if a single row is larger than a block."""
    parse, convert = _arrow_options(delimiter, decimal, has_quotes, column_types)
    block = _BLOCK_BYTES
    while True:
        read = pa_csv.ReadOptions(block_size=block, use_threads=True)
        try:
            return pa_csv.read_csv(
                pa.BufferReader(pa.py_buffer(data)),
                read_options=read,
                parse_options=parse,
                convert_options=convert,
            )
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc) or block >= min(len(data) + 1, MAX_BLOCK_BYTES):
                raise
            block = min(block * 16, len(data) + 1, MAX_BLOCK_BYTES)


def _read_pandas(data: bytes, delimiter: str, decimal: str) -> Any:
    """pandas' C parser, for the rare file pyarrow refuses although no row is malformed."""
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            decimal=decimal,
            encoding="utf-8-sig",
            skip_blank_lines=True,
            dtype_backend="pyarrow",  # so the columns convert to Arrow as they are
        )
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            "The file has no columns to read.", "Check that the first line holds the column names."
        ) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "parser error"
        raise DataError(f"The file is not a well-formed CSV ({detail}).", FIX_AGAIN) from exc
    frame.columns = [str(c) for c in frame.columns]
    # Without pandas' metadata, the Arrow columns convert back to the usual NumPy dtypes.
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


def to_pandas(holder: list[Any]) -> pd.DataFrame:
    """Arrow table to pandas, a quarter of the columns at a time.

    Each quarter's Arrow memory is handed back before the next quarter is copied, so the
    peak stays near one copy of the data rather than two. That only works if nobody else
    holds the table, so it comes in a list that this function empties.
    """
    table = holder.pop()
    group = max(1, math.ceil(table.num_columns / 4))
    pool = pa.default_memory_pool()
    parts = []
    while table.num_columns:
        part = table.select(range(min(group, table.num_columns)))
        table = table.select(range(part.num_columns, table.num_columns))
        parts.append(part.to_pandas(split_blocks=True, self_destruct=True))
        del part
        pool.release_unused()
    return pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
