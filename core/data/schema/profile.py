"""Profiling: one vectorised pass over each column types it and flags the columns to exclude.

It costs about one sort of each numeric column (one hash pass for text columns): on a
million rows that is ~10-20 ms a column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.schema.model import MAX_CLASSES, ColumnProfile, FeatureType
from core.errors import DataError

__all__ = [
    "DEFAULT_TARGET",
    "FLAG_ALL_MISSING",
    "FLAG_CONSTANT",
    "FLAG_ID_LIKE",
    "FLAG_INFINITE",
    "ColumnStats",
    "column_stats",
    "default_target",
    "infer_feature_type",
    "is_numeric",
    "label_text",
    "profile_columns",
    "quote_list",
]

DEFAULT_TARGET = "output"  # the Kaggle heart dataset's target name
MAX_CODES = 10  # integer columns with at most this many values, over a small range, are codes
MAX_CODE_RANGE = 10  # ... and max - min at most this (codes 0-4, 1-7; not 0, 10, 20, 30)
MIN_ID_ROWS = 20  # a column is ID-like only with more rows than this (small tables repeat less)
HIGH_CARDINALITY = 50  # text columns with more distinct values than this ...
HIGH_CARDINALITY_SHARE = 0.5  # ... and more than this share of rows distinct are excluded
_KEEP_UNIQUES = MAX_CLASSES  # distinct values (and their counts) are kept up to this many

FLAG_ALL_MISSING = "all missing"
FLAG_CONSTANT = "constant"
FLAG_ID_LIKE = "ID-like (a distinct value in every row)"
FLAG_INFINITE = "has infinities"


# -- per-column statistics ------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnStats:
    """What typing needs to know about one column, from one pass over it."""

    rows: int
    missing: int
    distinct: int
    numeric: bool  # numbers, not booleans
    floating: bool  # a float dtype (integers and text can be ID-like, floats cannot)
    has_inf: bool
    uniques: np.ndarray | None  # sorted distinct non-missing values, when at most _KEEP_UNIQUES
    counts: np.ndarray | None  # rows per unique value (only when asked for)

    @property
    def integral(self) -> bool:
        """All distinct values are whole numbers (only known when the uniques were kept)."""
        if not self.numeric or self.uniques is None:
            return False
        values = self.uniques.astype(np.float64)
        return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype))


def column_stats(series: pd.Series, counts: bool = False) -> ColumnStats:
    if is_numeric(series):
        return _numeric_stats(series, counts)
    return _other_stats(series, counts)


def _numeric_stats(series: pd.Series, want_counts: bool) -> ColumnStats:
    """Numbers are sorted rather than hashed: numpy's SIMD sort takes ~15 ms for a million
    values whatever their cardinality, where a hash table takes ~100 ms for distinct floats."""
    dtype = series.dtype
    floating = pd.api.types.is_float_dtype(dtype)
    rows = len(series)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        ordered = np.sort(series.to_numpy())
    else:
        ordered = np.sort(series.to_numpy(dtype=np.float64, na_value=np.nan))
        ordered = ordered[: ordered.size - int(np.count_nonzero(np.isnan(ordered)))]  # NaN sort last
    if ordered.size == 0:
        return ColumnStats(rows, rows, 0, True, floating, False, ordered, ordered.astype(np.int64))
    change = ordered[1:] != ordered[:-1]
    distinct = int(np.count_nonzero(change)) + 1
    has_inf = floating and bool(np.isinf(ordered[0]) or np.isinf(ordered[-1]))
    uniques = counts = None
    if distinct <= _KEEP_UNIQUES:
        starts = np.flatnonzero(np.concatenate(([True], change)))
        uniques = ordered[starts]
        counts = np.diff(np.append(starts, ordered.size)) if want_counts else None
    return ColumnStats(rows, rows - ordered.size, distinct, True, floating, has_inf, uniques, counts)


def _other_stats(series: pd.Series, want_counts: bool) -> ColumnStats:
    """Text, booleans, categoricals, dates: pandas' hashing (Arrow kernels for strings)."""
    rows = len(series)
    missing = int(series.isna().sum())
    distinct = int(series.nunique(dropna=True))
    uniques = counts = None
    if distinct <= _KEEP_UNIQUES:
        table = series.value_counts(dropna=True, sort=False)
        table = table[table > 0]  # a categorical dtype lists its unused categories too
        order = sorted(range(len(table)), key=lambda i: label_text(table.index[i]))
        uniques = np.array([table.index[i] for i in order], dtype=object)
        counts = table.to_numpy()[order] if want_counts else None
    return ColumnStats(rows, missing, distinct, False, False, False, uniques, counts)


def _feature_type(stats: ColumnStats) -> FeatureType:
    if stats.distinct == 2:
        return FeatureType.BINARY
    if not stats.numeric:
        return FeatureType.CATEGORICAL
    if (
        3 <= stats.distinct <= MAX_CODES
        and stats.uniques is not None
        and stats.integral
        and float(stats.uniques[-1]) - float(stats.uniques[0]) <= MAX_CODE_RANGE
    ):
        return FeatureType.CATEGORICAL
    return FeatureType.NUMERIC


# -- feature typing ----------------------------------------------------------------------------


def default_target(columns: Sequence[str]) -> str:
    """``output`` when there is such a column (the heart dataset), else the last column."""
    if len(columns) == 0:
        raise DataError("The data has no columns.", "Load a CSV file with a header row and data rows.")
    return DEFAULT_TARGET if DEFAULT_TARGET in columns else str(columns[-1])


def infer_feature_type(series: pd.Series) -> FeatureType:
    """Binary for two values; categorical for text or small integer codes; numeric otherwise."""
    return _feature_type(column_stats(series))


def profile_columns(frame: pd.DataFrame, target: str) -> list[ColumnProfile]:
    """Type and flag every column except the target, in the frame's column order."""
    _check_unique_names(frame)
    return [_profile(str(name), series) for name, series in frame.items() if name != target]


def _check_unique_names(frame: pd.DataFrame) -> None:
    if frame.columns.is_unique:
        return
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    raise DataError(
        f"Some column names appear more than once: {', '.join(repr(c) for c in repeated[:5])}.",
        "Give every column its own name in the header row and load the file again.",
    )


def _profile(name: str, series: pd.Series) -> ColumnProfile:
    stats = column_stats(series)
    flags: list[str] = []
    reason = ""
    present = stats.rows - stats.missing
    if stats.distinct == 0:
        flags.append(FLAG_ALL_MISSING)
        reason = "It has no values at all."
    elif stats.distinct == 1:
        flags.append(FLAG_CONSTANT)
        reason = "It has the same value in every row, so it cannot help a model."
    elif not stats.floating and stats.distinct == present and present > MIN_ID_ROWS:
        flags.append(FLAG_ID_LIKE)
        reason = "A different value in every row, like an ID, teaches a model nothing about new rows."
    elif (
        not stats.numeric
        and stats.distinct > HIGH_CARDINALITY
        and stats.distinct > HIGH_CARDINALITY_SHARE * present
    ):
        flags.append(f"high cardinality ({stats.distinct:,} distinct text values)")
        reason = "Too many distinct text values to one-hot encode (each would become a column)."
    if stats.has_inf:
        flags.append(FLAG_INFINITE)
    if stats.rows and stats.missing * 2 > stats.rows and stats.distinct:
        flags.append(f"mostly missing ({100 * stats.missing / stats.rows:.0f}%)")
    return ColumnProfile(
        name=name,
        dtype=str(series.dtype),
        feature_type=_feature_type(stats),
        missing=stats.missing,
        missing_pct=100 * stats.missing / stats.rows if stats.rows else 0.0,
        distinct=stats.distinct,
        flags=tuple(flags),
        excluded=bool(reason),
        reason=reason,
    )


# -- labels and names as the user reads them --------------------------------------------------


def label_text(value: object) -> str:
    """A label as the user reads it: 1.0 shows as "1" (a target with gaps is read as floats)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def quote_list(texts: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(repr(t) for t in texts[:limit])
    return shown + (f" and {len(texts) - limit} more" if len(texts) > limit else "")
