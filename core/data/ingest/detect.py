"""Stage 2, detect: the dialect, from a small prefix only (~64 KB plus the header line).

HTML/JSON posing as CSV, the delimiter, the decimal mark and the header (column limit,
duplicate names).
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

from core.data.ingest.messages import FIX_PICK, MB, mb, quoted_list
from core.errors import DataError

__all__ = [
    "DELIMITERS",
    "MAX_BLOCK_BYTES",
    "MAX_COLUMNS",
    "SAMPLE_BYTES",
    "Sample",
    "big_fields",
    "check_header",
    "check_options",
    "delimiter_name",
    "detect_decimal",
    "detect_delimiter",
    "read_records",
    "reject_non_csv_text",
    "take_sample",
]

MAX_COLUMNS = 5_000

SAMPLE_BYTES = 64 * 1024  # detection only ever looks at this much (plus the header line)
_MAX_HEADER_BYTES = 16 * MB  # a first line longer than this is not a usable header
_SAMPLE_RECORDS = 200
MAX_BLOCK_BYTES = 2**31 - 1  # pyarrow's largest block, and the largest cell csv may read
DELIMITERS = (",", ";", "\t", "|")  # in order of preference when detection is a tie
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")
_DOT_DECIMAL = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Sample:
    text: str  # the first records of the file, header first, BOM removed
    data: bytes  # the same records as UTF-8 bytes
    truncated: bool  # the file goes on after the sample


def check_options(delimiter: str | None, decimal: str | None) -> None:
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


def take_sample(data: bytes) -> Sample:
    """The first ~64 KB cut at a line end, extended to the whole header line if it is longer."""
    header_end = _line_end(data, 0, _MAX_HEADER_BYTES)
    if header_end < 0:
        if len(data) > _MAX_HEADER_BYTES:
            raise DataError(
                f"The first line of the file is longer than {mb(_MAX_HEADER_BYTES)} with no line break.",
                "Check that this is a CSV file with one row per line.",
            )
        header_end = len(data)
    end = max(header_end + 1, min(len(data), SAMPLE_BYTES))
    truncated = end < len(data)
    if truncated:
        cut = max(data.rfind(b"\n", header_end, end), data.rfind(b"\r", header_end, end))
        end = cut + 1 if cut >= header_end else header_end + 1
    chunk = data[:end]
    return Sample(chunk.decode("utf-8-sig", errors="replace"), chunk, truncated)


def _line_end(data: bytes, start: int, stop: int) -> int:
    """Position of the first line break (\\n, or \\r for old Mac files) in data[start:stop]."""
    end = data.find(b"\n", start, stop)
    if end < 0:
        end = data.find(b"\r", start, stop)
    return end


def reject_non_csv_text(text: str) -> None:
    start = text.lstrip()[:200].lower()
    if not start:
        raise DataError("The file contains only blank lines or spaces.", FIX_PICK)
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
def big_fields() -> Iterator[None]:
    """Let the csv module read cells larger than its 128 KB default, then restore the limit.

    The limit is process-wide, hence the lock; raising it briefly cannot break other readers.
    """
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit(MAX_BLOCK_BYTES)
        try:
            yield
        finally:
            csv.field_size_limit(previous)


def read_records(sample: Sample, delimiter: str, limit: int = _SAMPLE_RECORDS) -> list[list[str]]:
    """The sample's first non-blank records (header first); a record cut by the sample end is dropped."""
    with big_fields():
        reader = csv.reader(io.StringIO(sample.text, newline=""), delimiter=delimiter)
        records = [r for r in islice(reader, limit + 1) if r]
    if sample.truncated and len(records) > 1:
        records = records[:-1]
    if not records:
        raise DataError("The file contains only blank lines or spaces.", FIX_PICK)
    return records[:limit]


def detect_delimiter(sample: Sample) -> str:
    """The candidate that splits the header into the most fields, consistently across rows."""
    best, best_score = ",", (0.0, 0)
    for candidate in DELIMITERS:
        if candidate not in sample.text:
            continue
        counts = [len(r) for r in read_records(sample, candidate)]
        if counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def detect_decimal(rows: list[list[str]]) -> str:
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


def delimiter_name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def check_header(header: list[str]) -> None:
    """Column limit and duplicate names, from the raw header (pandas would rename x to x.1)."""
    if len(header) > MAX_COLUMNS:
        raise DataError(
            f"The file has {len(header):,} columns; the limit is {MAX_COLUMNS:,}.",
            "Drop columns you do not need (or split the file) and upload it again.",
        )
    duplicates = [name for name, n in Counter(header).items() if n > 1 and name]
    if duplicates:
        listed = quoted_list(duplicates)
        raise DataError(
            f"The header has duplicate column names: {listed}.",
            "Give every column a unique name and upload the file again.",
        )
