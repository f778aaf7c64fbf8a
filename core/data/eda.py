"""Summaries and aggregates for the EDA charts, computed once and small enough to plot.

Every chart is built from these aggregates (counts, histogram bins, a correlation
matrix), never from the raw rows, so a million-row file keeps the page responsive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ASSOCIATION_SAMPLE = 50_000  # rows used to rank features by association with the target
HISTOGRAM_BINS = 30
MAX_CATEGORIES = 20  # more than this are folded into "(other)" in grouped bars


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # length bins + 1
    counts: dict[str, np.ndarray]  # group label -> counts per bin


def column_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: dtype, missing count and share, distinct values, numeric statistics."""
    numeric = frame.select_dtypes("number")
    finite = numeric.replace([np.inf, -np.inf], np.nan)
    summary = pd.DataFrame(
        {
            "dtype": frame.dtypes.astype(str),
            "missing": frame.isna().sum(),
            "missing %": (100 * frame.isna().mean()).round(2),
            "distinct": frame.nunique(dropna=True),
        }
    )
    stats = pd.DataFrame(
        {
            "mean": finite.mean(),
            "std": finite.std(),
            "min": finite.min(),
            "median": finite.median(),
            "max": finite.max(),
        }
    )
    return summary.join(stats).rename_axis("column")


def target_counts(series: pd.Series) -> pd.Series:
    """Rows per class, labels as text, sorted by label."""
    counts = series.value_counts(dropna=False)
    counts.index = counts.index.map(lambda v: "(missing)" if pd.isna(v) else str(v))
    return counts.sort_index()


def numeric_histogram(values: pd.Series, groups: pd.Series | None, bins: int = HISTOGRAM_BINS) -> Histogram:
    """Shared bin edges for a numeric column, with counts per class (or one group 'all')."""
    finite = values.replace([np.inf, -np.inf], np.nan)
    mask = finite.notna().to_numpy()
    data = finite.to_numpy(dtype=float, na_value=np.nan)[mask]
    if data.size == 0:
        return Histogram(np.array([0.0, 1.0]), {})
    edges = np.histogram_bin_edges(data, bins=bins)
    if groups is None:
        return Histogram(edges, {"all": np.histogram(data, bins=edges)[0]})
    labels = groups.to_numpy()[mask]
    counts = {}
    for label in pd.unique(labels):
        if pd.isna(label):
            continue
        counts[str(label)] = np.histogram(data[labels == label], bins=edges)[0]
    return Histogram(edges, dict(sorted(counts.items())))


def category_counts(values: pd.Series, groups: pd.Series | None) -> pd.DataFrame:
    """A crosstab of category by class, with rare categories folded into '(other)'."""
    text = values.astype("string").fillna("(missing)")
    top = text.value_counts().index[:MAX_CATEGORIES]
    text = text.where(text.isin(top), "(other)")
    if groups is None:
        return text.value_counts().sort_index().to_frame("all")
    table = pd.crosstab(text, groups.astype("string").fillna("(missing)"))
    table.columns = table.columns.map(str)
    return table


def correlation_matrix(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Pearson correlation of the numeric and binary columns, infinities treated as missing."""
    numeric = frame[columns].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    return numeric.corr()


def associations(frame: pd.DataFrame, target: str, features: list[str], classification: bool) -> pd.Series:
    """How strongly each feature goes with the target, on a fixed sample: 0 (none) to 1.

    Numeric features: correlation ratio (eta) with the classes, or |Spearman| for regression.
    Categorical features: Cramér's V with the classes, or eta of the target over categories.
    """
    sample = frame if len(frame) <= ASSOCIATION_SAMPLE else frame.sample(ASSOCIATION_SAMPLE, random_state=0)
    sample = sample[sample[target].notna()]
    y = sample[target]
    scores = {}
    for col in features:
        x = sample[col]
        numeric = pd.api.types.is_numeric_dtype(x) and x.nunique() > 10
        if classification:
            scores[col] = _eta(x, y) if numeric else _cramers_v(x, y)
        else:
            yf = pd.to_numeric(y, errors="coerce")
            scores[col] = abs(float(x.corr(yf, method="spearman"))) if numeric else _eta(yf, x)
    return pd.Series(scores, name="association").fillna(0.0).sort_values(ascending=False)


def _eta(values: pd.Series, groups: pd.Series) -> float:
    """Correlation ratio: the share of a numeric variable's variance explained by the groups."""
    v = pd.to_numeric(values, errors="coerce").replace([np.inf, -np.inf], np.nan)
    keep = v.notna() & groups.notna()
    v, g = v[keep], groups[keep].astype("string")
    total = float(((v - v.mean()) ** 2).sum())
    if total == 0 or v.empty:
        return 0.0
    stats = v.groupby(g).agg(["mean", "count"])
    between = float((stats["count"] * (stats["mean"] - v.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def _cramers_v(x: pd.Series, y: pd.Series) -> float:
    table = pd.crosstab(x.astype("string").fillna("(missing)"), y.astype("string"))
    n = table.to_numpy().sum()
    if n == 0 or min(table.shape) < 2:
        return 0.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table.to_numpy() - expected) ** 2 / np.where(expected == 0, 1, expected)).sum())
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
