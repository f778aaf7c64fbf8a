"""Read an uploaded CSV's raw bytes into a DataFrame: safely, with helpful errors, and fast.

The pipeline costs about one ``pandas.read_csv`` on a clean file, one module a stage:

1. :mod:`~core.data.ingest.decode`: cheap whole-file checks on the raw bytes: size, magic
   numbers (gzip, ZIP/Excel, PNG, PDF...), NUL bytes, encoding (BOMs, UTF-8 validation,
   Latin-1/cp1252 fallback). Non-UTF-8 input is converted to UTF-8 once, so everything after
   this step sees UTF-8 bytes.
2. :mod:`~core.data.ingest.detect`: detection on a small prefix only (~64 KB plus the header
   line): HTML/JSON posing as CSV, the delimiter, the decimal mark, the header (column limit,
   duplicate names).
3. :mod:`~core.data.ingest.parse`: one multi-threaded parse of the whole file with
   ``pyarrow.csv`` (about 0.8-1x the time of ``pandas.read_csv``), told which columns pyarrow
   would turn into dates (they are kept as text, as ``pandas.read_csv`` does). It rejects rows
   with the wrong number of fields, which pandas' C parser would silently pad with NaN.
4. :mod:`~core.data.ingest.tidy`: vectorised column checks with Arrow kernels: a saved row
   index, infinities, mostly-numeric text columns, formula-like or HTML cells. Then one
   conversion to pandas.

:mod:`~core.data.ingest.diagnose` holds the expensive diagnostics, a line-by-line scan that
names the 1-based line of a ragged row or an unclosed quote; they only run when the parse
fails or its last row suggests a quote left open. :mod:`~core.data.ingest.load` runs the
stages; :mod:`~core.data.ingest.messages` holds the wording they share. ``load_csv`` raises
:class:`~core.errors.DataError`, and nothing else, for any input bytes.
"""

from core.data.ingest.decode import MAX_UPLOAD_MB
from core.data.ingest.detect import MAX_COLUMNS
from core.data.ingest.load import LoadedCsv, load_csv
from core.data.ingest.tidy import inert_text
from core.data.split import MIN_ROWS

__all__ = [
    "MAX_COLUMNS",
    "MAX_UPLOAD_MB",
    "MIN_ROWS",
    "LoadedCsv",
    "inert_text",
    "load_csv",
]
