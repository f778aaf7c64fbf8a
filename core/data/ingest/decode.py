"""Stage 1, decode: cheap whole-file checks on the raw bytes, and the file as UTF-8.

Size, magic numbers (gzip, ZIP/Excel, PNG, PDF...), NUL bytes, encoding (BOMs, UTF-8
validation, Latin-1/cp1252 fallback). Non-UTF-8 input is converted to UTF-8 once, so every
later stage sees UTF-8 bytes.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from core.data.ingest.detect import SAMPLE_BYTES
from core.data.ingest.messages import FIX_EXPORT, MB, mb
from core.errors import DataError

__all__ = ["MAX_UPLOAD_MB", "Decoded", "as_bytes", "check_size", "decode", "reject_binary"]

MAX_UPLOAD_MB: int = 200  # mirrors .streamlit/config.toml server.maxUploadSize


@dataclass(frozen=True)
class Decoded:
    data: bytes  # UTF-8, possibly starting with a BOM (pyarrow and decode("utf-8-sig") skip it)
    encoding: str
    note: str | None


def as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, bytearray | memoryview):
        return bytes(raw)
    raise DataError(
        f"The upload arrived as {type(raw).__name__}, not as file bytes.",
        "Upload the file again; if this keeps happening, report it as a bug.",
    )


def check_size(n_bytes: int, max_bytes: int) -> None:
    if n_bytes > max_bytes:
        raise DataError(
            f"The file is {mb(n_bytes)}, larger than the {mb(max_bytes)} limit.",
            "Upload a sample of the rows (for example every 10th row) or drop columns you do not "
            "need, so that the file is under the limit.",
        )


# (magic bytes, what the file looks like, how to fix it); checked against the file's start.
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "a gzip-compressed file", "Decompress it (e.g. with 7-Zip or gunzip) and upload the CSV."),
    (b"BZh", "a bzip2-compressed file", "Decompress it and upload the CSV inside."),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "Decompress it and upload the CSV inside."),
    (b"(\xb5/\xfd", "a zstd-compressed file", "Decompress it and upload the CSV inside."),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "Extract it and upload the CSV inside."),
    (b"Rar!\x1a\x07", "a RAR archive", "Extract it and upload the CSV inside."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Excel (.xls) or Office file", FIX_EXPORT),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "Upload the CSV data file, not an image."),
    (b"\xff\xd8\xff", "a JPEG image", "Upload the CSV data file, not an image."),
    (b"GIF87a", "a GIF image", "Upload the CSV data file, not an image."),
    (b"GIF89a", "a GIF image", "Upload the CSV data file, not an image."),
    (b"%PDF-", "a PDF document", "Upload the data as a CSV file; PDF tables cannot be read."),
    (b"PAR1", "a Parquet file", "Convert it to CSV (e.g. pandas.read_parquet(...).to_csv(...))."),
    (b"SQLite format 3\x00", "an SQLite database", "Export the table you need as CSV."),
)


def reject_binary(raw: bytes) -> None:
    """Refuse archives, images, documents and other binary files before trying to decode them."""
    head = raw[:8]
    if raw.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        start = raw[:SAMPLE_BYTES]
        if b"xl/" in start or b"[Content_Types].xml" in start:
            raise DataError("This looks like an Excel workbook (.xlsx, a ZIP file), not a CSV.", FIX_EXPORT)
        if b"opendocument.spreadsheet" in start:
            raise DataError(
                "This looks like an OpenDocument spreadsheet (a ZIP file), not a CSV.", FIX_EXPORT
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


def decode(raw: bytes) -> Decoded:
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
            return Decoded(
                raw, "utf-8-sig", "The file starts with a UTF-8 byte-order mark (BOM); it was ignored."
            )
        return Decoded(raw, "utf-8", None)
    # Bytes 0x80-0x9F are printable in Windows-1252 (curly quotes, €) but control codes in Latin-1.
    if re.search(rb"[\x80-\x9f]", raw):
        try:
            return Decoded(raw.decode("cp1252").encode("utf-8"), "cp1252", _legacy_note("Windows-1252"))
        except UnicodeDecodeError:
            pass
    return Decoded(raw.decode("latin-1").encode("utf-8"), "latin-1", _legacy_note("Latin-1 (ISO-8859-1)"))


def _legacy_note(name: str) -> str:
    return (
        f"The file is not valid UTF-8, so it was read as {name}. If accented letters look wrong, "
        "save it as 'CSV UTF-8' and upload it again."
    )


def _transcode(raw: bytes, encoding: str) -> Decoded:
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
    return Decoded(text.removeprefix("\ufeff").encode("utf-8"), encoding, note)


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
        for start in range(0, len(raw), MB):
            decoder.decode(view[start : start + MB])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
