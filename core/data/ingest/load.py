"""The pipeline in one call: decode, detect, parse, diagnose and tidy an uploaded CSV."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.data.ingest.decode import MAX_UPLOAD_MB, as_bytes, check_size, decode, reject_binary
from core.data.ingest.detect import (
    check_header,
    check_options,
    delimiter_name,
    detect_decimal,
    detect_delimiter,
    read_records,
    reject_non_csv_text,
    take_sample,
)
from core.data.ingest.diagnose import check_rows, single_column_note
from core.data.ingest.messages import FIX_PICK, MB
from core.data.ingest.parse import parse_table, to_pandas
from core.data.ingest.tidy import tidy
from core.errors import DataError

__all__ = ["LoadedCsv", "load_csv"]


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
    max_bytes: int = MAX_UPLOAD_MB * MB,
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


def _load(
    raw: bytes, source_name: str, delimiter: str | None, decimal: str | None, max_bytes: int
) -> LoadedCsv:
    raw = as_bytes(raw)
    if not raw:
        raise DataError("The file is empty (0 bytes).", FIX_PICK)
    check_size(len(raw), max_bytes)
    check_options(delimiter, decimal)
    reject_binary(raw)
    decoded = decode(raw)
    data = decoded.data
    notes: list[str] = [decoded.note] if decoded.note else []
    sample = take_sample(data)
    reject_non_csv_text(sample.text)

    if delimiter is None:
        delimiter = detect_delimiter(sample)
        if delimiter != ",":
            notes.append(f"Detected {delimiter_name(delimiter)} as the delimiter.")
    records = read_records(sample, delimiter)
    header = records[0]
    check_header(header)
    if decimal is None:
        decimal = detect_decimal(records[1:]) if delimiter != "," and len(header) > 1 else "."
        if decimal == ",":
            notes.append(
                "Detected ',' as the decimal mark (as in 3,5), so those columns are read as numbers."
            )
    if decimal == delimiter:
        raise DataError(
            f"The decimal mark and the delimiter are both {decimal!r}.",
            "Choose ';' or tab as the delimiter, or '.' as the decimal mark.",
        )

    table = parse_table(data, sample, delimiter, decimal)
    notes.extend(single_column_note(table.num_columns, header, delimiter))
    check_rows(table.num_rows, header)
    table, more_notes = tidy(table, data, decimal)
    notes.extend(more_notes)
    holder = [table]
    del table  # to_pandas must hold the only reference to free Arrow memory as it converts
    frame = to_pandas(holder)
    return LoadedCsv(frame, source_name, decoded.encoding, delimiter, decimal, tuple(notes))
