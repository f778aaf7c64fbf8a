"""The problems reported to the user about the file's shape, each naming where to fix it.

The line-by-line scan that names the 1-based line of a ragged row or an unclosed quote
(only run when the parse failed or the quotes do not pair up), and the checks on the parsed
table's size.
"""

from __future__ import annotations

import csv
import io

from core.data.ingest.detect import DELIMITERS, big_fields, delimiter_name
from core.data.ingest.messages import FIX_AGAIN, quoted_list
from core.data.split import MIN_ROWS
from core.errors import DataError

__all__ = ["check_rows", "diagnose", "single_column_note"]


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


def diagnose(data: bytes, delimiter: str) -> DataError | None:
    """Find the first ragged row or unclosed quote and name its line (1-based, as in an editor)."""
    text = data.decode("utf-8-sig", errors="replace")
    feed = _LineFeed(text)
    expected, header_line = 0, 0
    last_line, last_offset = 1, 0  # where the last record starts
    with big_fields():
        reader = csv.reader(feed, delimiter=delimiter)
        while True:
            start_line, start_offset = feed.line + 1, feed.offset
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                return DataError(f"Line {start_line} could not be read as CSV ({exc}).", FIX_AGAIN)
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
    name = delimiter_name(delimiter)
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


def single_column_note(n_columns: int, header: list[str], delimiter: str) -> list[str]:
    if n_columns != 1 or not header:
        return []
    others = [d for d in DELIMITERS if d != delimiter and d in header[0]]
    if not others:
        return []
    return [
        f"Only one column was found using {delimiter_name(delimiter)} as the delimiter, but the "
        f"header contains {delimiter_name(others[0])}. If that is wrong, choose another delimiter."
    ]


def check_rows(rows: int, header: list[str]) -> None:
    if rows == 0:
        raise DataError(
            f"The file has a header row ({quoted_list(header, 5)}) but no data rows.",
            f"Add data rows (at least {MIN_ROWS}) and upload it again.",
        )
    if rows < MIN_ROWS:
        raise DataError(
            f"The file has only {rows} data row{'s' if rows != 1 else ''}: too few rows to split "
            "into training and test sets.",
            f"Add more rows; at least {MIN_ROWS} are needed.",
        )
