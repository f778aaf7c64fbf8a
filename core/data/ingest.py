"""Read an uploaded CSV's raw bytes into a DataFrame: safely, with helpful errors, and fast.

The pipeline costs about one ``pandas.read_csv`` on a clean file:

1. Cheap whole-file checks on the raw bytes: size, magic numbers (gzip, ZIP/Excel, PNG, PDF...),
   NUL bytes, encoding (BOMs, UTF-8 validation, Latin-1/cp1252 fallback). Non-UTF-8 input is
   converted to UTF-8 once, so everything after this step sees UTF-8 bytes.
2. Detection on a small prefix only (~64 KB plus the header line): HTML/JSON posing as CSV,
   the delimiter, the decimal mark, the header (column limit, duplicate names) and which
   columns pyarrow would turn into dates (they are kept as text, as ``pandas.read_csv`` does).
3. One multi-threaded parse of the whole file with ``pyarrow.csv`` (about 0.8-1x the time of
   ``pandas.read_csv``). It rejects rows with the wrong number of fields, which pandas' C
   parser would silently pad with NaN.
4. Vectorised column checks with Arrow kernels: a saved row index, infinities, mostly-numeric
   text columns, formula-like or HTML cells. Then one conversion to pandas.

Expensive diagnostics, a line-by-line scan that names the 1-based line of a ragged row or an
unclosed quote, only run when the parse fails or its last row suggests a quote left open.
``load_csv`` raises :class:`~core.errors.DataError`, and nothing else, for any input bytes.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pa_compute
import pyarrow.csv as pa_csv

from core.data.split import MIN_ROWS
from core.errors import DataError

__all__ = [
    "MAX_COLUMNS",
    "MAX_UPLOAD_MB",
    "MIN_ROWS",
    "LoadedCsv",
    "inert_text",
    "load_csv",
]

MAX_UPLOAD_MB: int = 200  # mirrors .streamlit/config.toml server.maxUploadSize
MAX_COLUMNS = 5_000

_MB = 1024 * 1024
_SAMPLE_BYTES = 64 * 1024  # detection only ever looks at this much (plus the header line)
_MAX_HEADER_BYTES = 16 * _MB  # a first line longer than this is not a usable header
_SAMPLE_RECORDS = 200
_BLOCK_BYTES = _MB  # pyarrow's default; grown only when one row is larger than a block
_MAX_BLOCK_BYTES = 2**31 - 1
_DELIMITERS = (",", ";", "\t", "|")  # in order of preference when detection is a tie
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
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")
_DOT_DECIMAL = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")
# A formula starts with = + - @ followed by a letter (=HYPERLINK(...), @SUM(...), -cmd|...);
# HTML is a tag or a comment anywhere in the cell. The patterns run in RE2 (pyarrow) and in
# Python's re, so they use no lookarounds; "-inf" and the like are excluded separately.
_FORMULA_PATTERN = r"^[=+\-@][A-Za-z]"
_FORMULA_RE = re.compile(_FORMULA_PATTERN)
_HTML_PATTERN = r"<[!/?]?[A-Za-z][^>]*>|<!--"
_SIGNED_SPECIAL = r"^[+-](?i:inf|infinity|nan)$"
_SIGNED_SPECIAL_RE = re.compile(_SIGNED_SPECIAL)

_FIX_EXPORT = "Export it as CSV (File > Save As > CSV) and upload that."
_FIX_AGAIN = "Fix it in the file and upload it again."
_FIX_PICK = "Check that you picked the right file and that it was saved with its data, then upload it again."


@dataclass(frozen=True)
class LoadedCsv:
    frame: pd.DataFrame
    source_name: str
    encoding: str  # e.g. "utf-8", "utf-8-sig", "utf-16", "latin-1"
    delimiter: str  # ",", ";", "\t", "|"
    decimal: str  # "." or ","
    notes: tuple[str, ...]  # non-fatal findings shown to the user, each a full sentence


def load_csv(
    raw: bytes,
    source_name: str = "upload.csv",
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    max_bytes: int = MAX_UPLOAD_MB * _MB,
) -> LoadedCsv:
    """Parse an uploaded CSV file; raise DataError (only) when it cannot be used as it is.

    ``delimiter`` and ``decimal`` are detected when None. ``notes`` of the result lists what
    was detected or repaired, for the user to read.
    """
    try:
        return _load(raw, source_name, delimiter, decimal, max_bytes)
    except DataError:
        raise
    except MemoryError as exc:
        raise DataError(
            "The file is too large to load in the memory available.",
            "Upload a sample of the rows or drop columns you do not need.",
        ) from exc
    except Exception as exc:  # any bytes at all must end in a DataError
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"The file could not be read as a CSV ({detail}).",
            "Check that it is a plain-text CSV file with one header row, then upload it again.",
        ) from exc


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


# -- orchestration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Decoded:
    data: bytes  # UTF-8, possibly starting with a BOM (pyarrow and decode("utf-8-sig") skip it)
    encoding: str
    note: str | None


@dataclass(frozen=True)
class _Sample:
    text: str  # the first records of the file, header first, BOM removed
    data: bytes  # the same records as UTF-8 bytes
    truncated: bool  # the file goes on after the sample


def _load(
    raw: bytes, source_name: str, delimiter: str | None, decimal: str | None, max_bytes: int
) -> LoadedCsv:
    raw = _as_bytes(raw)
    if not raw:
        raise DataError("The file is empty (0 bytes).", _FIX_PICK)
    _check_size(len(raw), max_bytes)
    _check_options(delimiter, decimal)
    _reject_binary(raw)
    decoded = _decode(raw)
    data = decoded.data
    notes: list[str] = [decoded.note] if decoded.note else []
    sample = _sample(data)
    _reject_non_csv_text(sample.text)

    if delimiter is None:
        delimiter = _detect_delimiter(sample)
        if delimiter != ",":
            notes.append(f"Detected {_delimiter_name(delimiter)} as the delimiter.")
    records = _records(sample, delimiter)
    header = records[0]
    _check_header(header)
    if decimal is None:
        decimal = _detect_decimal(records[1:]) if delimiter != "," and len(header) > 1 else "."
        if decimal == ",":
            notes.append(
                "Detected ',' as the decimal mark (as in 3,5), so those columns are read as numbers."
            )
    if decimal == delimiter:
        raise DataError(
            f"The decimal mark and the delimiter are both {decimal!r}.",
            "Choose ';' or tab as the delimiter, or '.' as the decimal mark.",
        )

    table = _parse(data, sample, delimiter, decimal)
    notes.extend(_single_column_note(table.num_columns, header, delimiter))
    _check_rows(table.num_rows, header)
    table, more_notes = _tidy(table, data, decimal)
    notes.extend(more_notes)
    holder = [table]
    del table  # _to_pandas must hold the only reference to free Arrow memory as it converts
    frame = _to_pandas(holder)
    return LoadedCsv(frame, source_name, decoded.encoding, delimiter, decimal, tuple(notes))


def _parse(data: bytes, sample: _Sample, delimiter: str, decimal: str) -> Any:
    """Parse the whole file once into an Arrow table, with the column names pandas would give.

    Diagnostics and pandas' C parser only run when pyarrow fails.
    """
    has_quotes = b'"' in data
    try:
        table = _read_arrow(data, sample, delimiter, decimal, has_quotes)
    except pa.ArrowException as exc:
        problem = _diagnose(data, delimiter)
        if problem is not None:
            raise problem from exc
        return _read_pandas(data, delimiter, decimal)
    if has_quotes and _may_end_inside_quotes(table):
        problem = _diagnose(data, delimiter)
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


# -- 1. whole-file checks on the raw bytes ----------------------------------------------------


def _as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, bytearray | memoryview):
        return bytes(raw)
    raise DataError(
        f"The upload arrived as {type(raw).__name__}, not as file bytes.",
        "Upload the file again; if this keeps happening, report it as a bug.",
    )


def _mb(n_bytes: int) -> str:
    value = n_bytes / _MB
    return f"{value:,.1f}".removesuffix(".0") + " MB" if value >= 1 else f"{value:.2g} MB"


def _check_size(n_bytes: int, max_bytes: int) -> None:
    if n_bytes > max_bytes:
        raise DataError(
            f"The file is {_mb(n_bytes)}, larger than the {_mb(max_bytes)} limit.",
            "Upload a sample of the rows (for example every 10th row) or drop columns you do not "
            "need, so that the file is under the limit.",
        )


def _check_options(delimiter: str | None, decimal: str | None) -> None:
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'
    ):
        raise DataError(
            f"{delimiter!r} cannot be used as the delimiter.",
            "Choose one of ',', ';', tab or '|', or let the delimiter be detected.",
        )
    if decimal is not None and decimal not in (".", ","):
        raise DataError(
            f"{decimal!r} cannot be used as the decimal mark.",
            "Choose '.' or ',', or let the decimal mark be detected.",
        )


# (magic bytes, what the file looks like, how to fix it); checked against the file's start.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "a gzip-compressed file", "Decompress it (e.g. with 7-Zip or gunzip) and upload the CSV."),
    (b"BZh", "a bzip2-compressed file", "Decompress it and upload the CSV inside."),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "Decompress it and upload the CSV inside."),
    (b"(\xb5/\xfd", "a zstd-compressed file", "Decompress it and upload the CSV inside."),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "Extract it and upload the CSV inside."),
    (b"Rar!\x1a\x07", "a RAR archive", "Extract it and upload the CSV inside."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Excel (.xls) or Office file", _FIX_EXPORT),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "Upload the CSV data file, not an image."),
    (b"\xff\xd8\xff", "a JPEG image", "Upload the CSV data file, not an image."),
    (b"GIF87a", "a GIF image", "Upload the CSV data file, not an image."),
    (b"GIF89a", "a GIF image", "Upload the CSV data file, not an image."),
    (b"%PDF-", "a PDF document", "Upload the data as a CSV file; PDF tables cannot be read."),
    (b"PAR1", "a Parquet file", "Convert it to CSV (e.g. pandas.read_parquet(...).to_csv(...))."),
    (b"SQLite format 3\x00", "an SQLite database", "Export the table you need as CSV."),
)


def _reject_binary(raw: bytes) -> None:
    """Refuse archives, images, documents and other binary files before trying to decode them."""
    head = raw[:8]
    if raw.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        start = raw[:_SAMPLE_BYTES]
        if b"xl/" in start or b"[Content_Types].xml" in start:
            raise DataError("This looks like an Excel workbook (.xlsx, a ZIP file), not a CSV.", _FIX_EXPORT)
        if b"opendocument.spreadsheet" in start:
            raise DataError(
                "This looks like an OpenDocument spreadsheet (a ZIP file), not a CSV.", _FIX_EXPORT
            )
        raise DataError(
            "This looks like a ZIP archive, not a CSV.",
            "Extract it and upload the CSV inside; if it is a spreadsheet, export it as CSV instead.",
        )
    for magic, what, fix in _MAGIC:
        if head.startswith(magic):
            if magic == b"BZh" and not raw[3:4].isdigit():
                continue  # a CSV whose header starts with "BZh"
            if magic == b"PAR1" and not raw.endswith(b"PAR1"):
                continue  # a CSV whose header starts with "PAR1"
            raise DataError(f"This looks like {what}, not a CSV.", fix)


_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _decode(raw: bytes) -> _Decoded:
    """Find the encoding and return the file as UTF-8 bytes (only non-UTF-8 input is copied)."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return _transcode(raw, encoding)
    if b"\x00" in raw:
        utf16 = _bomless_utf16(raw[:4096])
        if utf16 is None:
            raise DataError(
                "The file contains binary data (NUL bytes), so it is not a plain-text CSV.",
                "If it came from a spreadsheet or a database, export it as CSV and upload that.",
            )
        return _transcode(raw, utf16)
    if _is_utf8(raw):
        if raw.startswith(codecs.BOM_UTF8):
            return _Decoded(
                raw, "utf-8-sig", "The file starts with a UTF-8 byte-order mark (BOM); it was ignored."
            )
        return _Decoded(raw, "utf-8", None)
    # Bytes 0x80-0x9F are printable in Windows-1252 (curly quotes, €) but control codes in Latin-1.
    if re.search(rb"[\x80-\x9f]", raw):
        try:
            return _Decoded(raw.decode("cp1252").encode("utf-8"), "cp1252", _legacy_note("Windows-1252"))
        except UnicodeDecodeError:
            pass
    return _Decoded(raw.decode("latin-1").encode("utf-8"), "latin-1", _legacy_note("Latin-1 (ISO-8859-1)"))


def _legacy_note(name: str) -> str:
    return (
        f"The file is not valid UTF-8, so it was read as {name}. If accented letters look wrong, "
        "save it as 'CSV UTF-8' and upload it again."
    )


def _transcode(raw: bytes, encoding: str) -> _Decoded:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"The file looks like {encoding.upper()} text but is not valid {encoding.upper()} "
            f"(bad bytes at position {exc.start:,}).",
            "Save it again as 'CSV UTF-8' and upload it again.",
        ) from exc
    if "\x00" in text:
        raise DataError(
            "The file contains binary data (NUL characters), so it is not a plain-text CSV.",
            "If it came from a spreadsheet or a database, export it as CSV and upload that.",
        )
    note = f"The file is encoded as {encoding.upper()}, not UTF-8; it was converted to read it."
    return _Decoded(text.removeprefix("\ufeff").encode("utf-8"), encoding, note)


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte of ASCII-heavy text."""
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _is_utf8(raw: bytes) -> bool:
    """Validate UTF-8 in 1 MB chunks, so a large file is not copied into one huge str."""
    if raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), _MB):
            decoder.decode(view[start : start + _MB])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# -- 2. detection on a prefix ----------------------------------------------------------------


def _sample(data: bytes) -> _Sample:
    """The first ~64 KB cut at a line end, extended to the whole header line if it is longer."""
    header_end = _line_end(data, 0, _MAX_HEADER_BYTES)
    if header_end < 0:
        if len(data) > _MAX_HEADER_BYTES:
            raise DataError(
                f"The first line of the file is longer than {_mb(_MAX_HEADER_BYTES)} with no line break.",
                "Check that this is a CSV file with one row per line.",
            )
        header_end = len(data)
    end = max(header_end + 1, min(len(data), _SAMPLE_BYTES))
    truncated = end < len(data)
    if truncated:
        cut = max(data.rfind(b"\n", header_end, end), data.rfind(b"\r", header_end, end))
        end = cut + 1 if cut >= header_end else header_end + 1
    chunk = data[:end]
    return _Sample(chunk.decode("utf-8-sig", errors="replace"), chunk, truncated)


def _line_end(data: bytes, start: int, stop: int) -> int:
    """Position of the first line break (\\n, or \\r for old Mac files) in data[start:stop]."""
    end = data.find(b"\n", start, stop)
    if end < 0:
        end = data.find(b"\r", start, stop)
    return end


def _reject_non_csv_text(text: str) -> None:
    start = text.lstrip()[:200].lower()
    if not start:
        raise DataError("The file contains only blank lines or spaces.", _FIX_PICK)
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<table", "<!--")):
        raise DataError(
            "This looks like an HTML web page, not a CSV.",
            "This happens when a download saves the page around the file: download the CSV itself "
            "(e.g. the 'Raw' or 'Download' button) and upload that.",
        )
    if start.startswith("<"):
        raise DataError(
            "This looks like an XML or HTML document, not a CSV.", "Export the data as CSV and upload that."
        )
    if start.startswith("{") or re.match(r"\[\s*(?:[\[{\"\d\-\]]|true|false|null)", start):
        raise DataError(
            "This looks like a JSON file, not a CSV.",
            "Convert it to CSV (e.g. pandas.read_json(...).to_csv(...)) and upload that.",
        )


_FIELD_LIMIT_LOCK = threading.Lock()


@contextmanager
def _big_fields() -> Iterator[None]:
    """Let the csv module read cells larger than its 128 KB default, then restore the limit.

    The limit is process-wide, hence the lock; raising it briefly cannot break other readers.
    """
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit(_MAX_BLOCK_BYTES)
        try:
            yield
        finally:
            csv.field_size_limit(previous)


def _records(sample: _Sample, delimiter: str, limit: int = _SAMPLE_RECORDS) -> list[list[str]]:
    """The sample's first non-blank records (header first); a record cut by the sample end is dropped."""
    with _big_fields():
        reader = csv.reader(io.StringIO(sample.text, newline=""), delimiter=delimiter)
        records = [r for r in islice(reader, limit + 1) if r]
    if sample.truncated and len(records) > 1:
        records = records[:-1]
    if not records:
        raise DataError("The file contains only blank lines or spaces.", _FIX_PICK)
    return records[:limit]


def _detect_delimiter(sample: _Sample) -> str:
    """The candidate that splits the header into the most fields, consistently across rows."""
    best, best_score = ",", (0.0, 0)
    for candidate in _DELIMITERS:
        if candidate not in sample.text:
            continue
        counts = [len(r) for r in _records(sample, candidate)]
        if counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _detect_decimal(rows: list[list[str]]) -> str:
    """',' when the sample has more numbers like 3,5 than like 3.5 (only for non-comma files)."""
    comma = dot = 0
    for row in rows:
        for field in row:
            value = field.strip()
            if _COMMA_DECIMAL.fullmatch(value):
                comma += 1
            elif _DOT_DECIMAL.fullmatch(value):
                dot += 1
    return "," if comma > dot else "."


def _delimiter_name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _check_header(header: list[str]) -> None:
    """Column limit and duplicate names, from the raw header (pandas would rename x to x.1)."""
    if len(header) > MAX_COLUMNS:
        raise DataError(
            f"The file has {len(header):,} columns; the limit is {MAX_COLUMNS:,}.",
            "Drop columns you do not need (or split the file) and upload it again.",
        )
    duplicates = [name for name, n in Counter(header).items() if n > 1 and name]
    if duplicates:
        listed = _quoted_list(duplicates)
        raise DataError(
            f"The header has duplicate column names: {listed}.",
            "Give every column a unique name and upload the file again.",
        )


def _quoted_list(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(str(n)) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- 3. one parse of the whole file ----------------------------------------------------------


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


def _sample_types(sample: _Sample, delimiter: str, decimal: str, has_quotes: bool) -> _SampleTypes:
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


def _read_arrow(data: bytes, sample: _Sample, delimiter: str, decimal: str, has_quotes: bool) -> Any:
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
            if "straddl" not in str(exc) or block >= min(len(data) + 1, _MAX_BLOCK_BYTES):
                raise
            block = min(block * 16, len(data) + 1, _MAX_BLOCK_BYTES)


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
        raise DataError(f"The file is not a well-formed CSV ({detail}).", _FIX_AGAIN) from exc
    frame.columns = [str(c) for c in frame.columns]
    # Without pandas' metadata, the Arrow columns convert back to the usual NumPy dtypes.
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


# -- diagnostics: only when the parse failed or the quotes do not pair up ---------------------


class _LineFeed:
    """Feeds csv.reader one physical line at a time, remembering how far it has read."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")
        self.line = 0  # number of lines handed out
        self.offset = 0  # characters handed out

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = self._lines.readline()
        if not line:
            raise StopIteration
        self.line += 1
        self.offset += len(line)
        return line


def _diagnose(data: bytes, delimiter: str) -> DataError | None:
    """Find the first ragged row or unclosed quote and name its line (1-based, as in an editor)."""
    text = data.decode("utf-8-sig", errors="replace")
    feed = _LineFeed(text)
    expected, header_line = 0, 0
    last_line, last_offset = 1, 0  # where the last record starts
    with _big_fields():
        reader = csv.reader(feed, delimiter=delimiter)
        while True:
            start_line, start_offset = feed.line + 1, feed.offset
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                return DataError(f"Line {start_line} could not be read as CSV ({exc}).", _FIX_AGAIN)
            if not record:
                continue  # blank line, skipped by every parser
            last_line, last_offset = start_line, start_offset
            if not header_line:
                expected, header_line = len(record), start_line
            elif len(record) != expected:
                if feed.offset >= len(text) and _open_quote(text[start_offset:], delimiter):
                    return _unclosed_quote_error(start_line)
                return _ragged_error((start_line, feed.line), len(record), (header_line, expected), delimiter)
        if _open_quote(text[last_offset:], delimiter):
            return _unclosed_quote_error(last_line)
    return None


def _open_quote(tail: str, delimiter: str) -> bool:
    """Whether the text ends inside a quoted value (csv's strict mode says 'unexpected end')."""
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _unclosed_quote_error(line: int) -> DataError:
    return DataError(
        f'Line {line} opens a quoted value (") that is never closed, so the rest of the file '
        "would be read as one cell.",
        f"Add the missing closing quote on line {line} (or remove the stray one) and upload the file again.",
    )


def _ragged_error(lines: tuple[int, int], got: int, header: tuple[int, int], delimiter: str) -> DataError:
    """lines: where the row starts and ends; header: its line and number of fields."""
    (start, end), (header_line, expected) = lines, header
    fields = "field" if got == 1 else "fields"
    name = _delimiter_name(delimiter)
    if start == end:
        problem = f"Line {start} has {got} {fields} but the header (line {header_line}) has {expected}."
        fix = (
            f"Make that row match the header: look for a missing or extra {name}, or a value containing "
            f'{name} that should be wrapped in double quotes ("). Then upload the file again.'
        )
    else:
        problem = (
            f"The row starting on line {start} (it runs on to line {end}) has {got} {fields} but the "
            f"header (line {header_line}) has {expected}."
        )
        fix = f'A quote (") on line {start} is probably not closed: close or remove it, then upload again.'
    if expected == 1:
        fix += " If the first line is a title rather than the column names, delete it."
    return DataError(problem, fix)


# -- 4. checks on the parsed table: vectorised Arrow kernels, a few per column -----------------


def _single_column_note(n_columns: int, header: list[str], delimiter: str) -> list[str]:
    if n_columns != 1 or not header:
        return []
    others = [d for d in _DELIMITERS if d != delimiter and d in header[0]]
    if not others:
        return []
    return [
        f"Only one column was found using {_delimiter_name(delimiter)} as the delimiter, but the "
        f"header contains {_delimiter_name(others[0])}. If that is wrong, choose another delimiter."
    ]


def _check_rows(rows: int, header: list[str]) -> None:
    if rows == 0:
        raise DataError(
            f"The file has a header row ({_quoted_list(header, 5)}) but no data rows.",
            f"Add data rows (at least {MIN_ROWS}) and upload it again.",
        )
    if rows < MIN_ROWS:
        raise DataError(
            f"The file has only {rows} data row{'s' if rows != 1 else ''}: too few rows to split "
            "into training and test sets.",
            f"Add more rows; at least {MIN_ROWS} are needed.",
        )


def _tidy(table: Any, data: bytes, decimal: str) -> tuple[Any, list[str]]:
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
    return f"column {names[0]!r}" if len(names) == 1 else f"columns {_quoted_list(names)}"


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


def _to_pandas(holder: list[Any]) -> pd.DataFrame:
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


def _is_formula(text: str) -> bool:
    return bool(_FORMULA_RE.match(text)) and not _SIGNED_SPECIAL_RE.match(text)
