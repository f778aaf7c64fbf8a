"""Summaries and aggregates for the EDA charts, computed once and small enough to plot.

Every chart is built from these aggregates (counts, histogram bins, a correlation
matrix), never from the raw rows, so a million-row file keeps the page responsive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.schema.profile import label_text

ASSOCIATION_SAMPLE = 50_000  # rows used to rank features by association with the target
FIGURE_SAMPLE = 100_000  # rows the distribution and correlation charts are drawn from
HISTOGRAM_BINS = 30
MAX_CATEGORIES = 20  # more than this are folded into "(other)" in grouped bars
TREND_BINS = 20  # a numeric feature against a numeric target: the target's spread per quantile bin
SCATTER_POINTS = (
    800  # ... over at most this many points (a fixed sample; SVG, so a page of charts stays light)
)


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # length bins + 1
    counts: dict[str, np.ndarray]  # group label -> counts per bin


def column_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: dtype, missing count and share, distinct values, numeric statistics."""
    numeric = frame.select_dtypes("number")
    stats = pd.DataFrame(
        [_finite_stats(_as_array(numeric[c])) for c in numeric.columns],
        index=numeric.columns,
        columns=["distinct", "mean", "std", "min", "median", "max"],
    )
    others = frame.columns.difference(numeric.columns, sort=False)
    distinct = pd.concat([stats.pop("distinct").astype("int64"), frame[others].nunique(dropna=True)])
    missing = frame.isna().sum()
    summary = pd.DataFrame(
        {
            "dtype": frame.dtypes.astype(str),
            "missing": missing,
            "missing %": (100 * missing / max(1, len(frame))).round(2),
            "distinct": distinct.reindex(frame.columns),
        }
    )
    return summary.join(stats).rename_axis("column")


def _finite_stats(values: np.ndarray) -> tuple[int, float, float, float, float, float]:
    """Distinct values, then mean, std, min, median and max of the finite values.

    One sort gives the distinct count, min, median and max: numpy sorts a million integers in
    a few milliseconds, faster than hashing them for ``nunique`` and selecting a median. When
    the values repeat a lot (codes, ages, most real columns), the mean and std come from the
    distinct values and their counts, not from another two passes over every row.
    Infinities count as distinct values but are left out of the statistics.
    """
    ordered = np.sort(values)
    if values.dtype.kind not in "iu":
        ordered = ordered[: ordered.size - int(np.count_nonzero(np.isnan(ordered)))]  # NaN sort last
    starts = (
        np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        if ordered.size
        else np.zeros(0, dtype=np.intp)
    )
    distinct = int(starts.size)
    if values.dtype.kind not in "iu" and ordered.size:
        low = int(np.searchsorted(ordered, -np.inf, side="right"))
        high = int(np.searchsorted(ordered, np.inf, side="left"))
        if low or high < ordered.size:  # infinities: drop them, and their runs
            ordered = ordered[low:high]
            starts = starts[(starts >= low) & (starts < high)] - low
    n = ordered.size
    if n == 0:
        return (distinct, np.nan, np.nan, np.nan, np.nan, np.nan)
    median = (float(ordered[(n - 1) // 2]) + float(ordered[n // 2])) / 2
    if starts.size * 8 <= n:
        uniques = ordered[starts].astype(np.float64)
        counts = np.diff(np.append(starts, n))
        mean = float(uniques @ counts) / n
        std = float(np.sqrt(((uniques - mean) ** 2) @ counts / (n - 1))) if n > 1 else np.nan
    else:
        mean = float(ordered.mean())
        std = float(ordered.std(ddof=1)) if n > 1 else np.nan
    return distinct, mean, std, float(ordered[0]), median, float(ordered[-1])


def _as_array(series: pd.Series) -> np.ndarray:
    """Integers stay integers (no missing values possible); everything else becomes float."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
        return np.asarray(series.to_numpy())
    return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))


def figure_sample(frame: pd.DataFrame, rows: int = FIGURE_SAMPLE) -> pd.DataFrame:
    """The rows the charts are drawn from: all of them, or a fixed random sample of a big file.

    Distributions, correlations and associations of 100,000 random rows are indistinguishable
    on screen from the full data, and keep a million-row page responsive. Summary statistics
    always use every row.
    """
    if len(frame) <= rows:
        return frame
    picked = np.random.default_rng(0).choice(len(frame), size=rows, replace=False)
    return frame.take(np.sort(picked))  # sorted positions: a cheap, cache-friendly gather


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


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes and text labels of a column's values, missing values as the last code.

    Factorizing the raw values is many times faster than converting a million cells to text
    first; only the (few) distinct values are turned into labels.
    """
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("(missing)")
    return codes, labels


def category_counts(values: pd.Series, groups: pd.Series | None) -> pd.DataFrame:
    """Rows per category and class, with rare categories folded into '(other)'.

    Categories keep their natural order (0, 1, 2, ... 10, not "10" before "2").
    """
    codes, labels = _codes(values)
    if groups is None:
        group_codes, group_labels = np.zeros(len(codes), dtype=np.intp), ["all"]
    else:
        group_codes, group_labels = _codes(groups)
    joint = np.bincount(
        codes * len(group_labels) + group_codes, minlength=len(labels) * len(group_labels)
    ).reshape(len(labels), len(group_labels))
    table = pd.DataFrame(joint, index=pd.Index(labels, name=values.name), columns=group_labels)
    table = table.groupby(level=0, sort=False).sum()  # values that print the same share a row
    if len(table) > MAX_CATEGORIES:
        top = table.sum(axis=1).nlargest(MAX_CATEGORIES).index
        rest = table.loc[~table.index.isin(top)].sum().to_frame("(other)").T
        table = pd.concat([table.loc[table.index.isin(top)], rest])
    return table


@dataclass(frozen=True)
class TargetTrend:
    """A numeric feature against a numeric target: a point sample and the binned trend."""

    points: pd.DataFrame  # columns x, y: at most SCATTER_POINTS finite pairs
    bins: pd.DataFrame  # one row per quantile bin of x: x (median), mean, q25, q75 of y, rows


def numeric_against_target(
    values: pd.Series, target: pd.Series, bins: int = TREND_BINS, points: int = SCATTER_POINTS
) -> TargetTrend:
    """How the target moves along a numeric feature: its mean and quartiles per quantile bin of
    the feature (equal rows per bin), and a fixed sample of the points to draw under them."""
    pairs = _finite_pairs(values, target)
    sample = pairs.sample(points, random_state=0) if len(pairs) > points else pairs
    if pairs.empty:
        return TargetTrend(sample, pd.DataFrame(columns=["x", "mean", "q25", "q75", "rows"]))
    binned = pd.qcut(pairs["x"], q=min(bins, pairs["x"].nunique()), duplicates="drop")
    grouped = pairs.groupby(binned, observed=True)
    table = pd.DataFrame(
        {
            "x": grouped["x"].median(),
            "mean": grouped["y"].mean(),
            "q25": grouped["y"].quantile(0.25),
            "q75": grouped["y"].quantile(0.75),
            "rows": grouped["y"].size(),
        }
    ).reset_index(drop=True)
    return TargetTrend(sample.reset_index(drop=True), table)


def category_against_target(values: pd.Series, target: pd.Series) -> pd.DataFrame:
    """The target's spread per category (rows, mean and 5/25/50/75/95th percentiles), categories
    in their natural order and, past MAX_CATEGORIES, the rarest folded into '(other)'."""
    y = pd.to_numeric(target, errors="coerce").replace([np.inf, -np.inf], np.nan)
    keep = y.notna().to_numpy()
    codes, uniques = pd.factorize(values[keep], sort=True, use_na_sentinel=True)
    labels = [label_text(u) for u in uniques]  # 1.0 reads "1" (a code column with gaps is float)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("(missing)")
    frame = pd.DataFrame({"label": np.asarray(labels, dtype=object)[codes], "y": y[keep].to_numpy()})
    sizes = frame["label"].value_counts()
    if len(sizes) > MAX_CATEGORIES:
        rare = set(sizes.index[MAX_CATEGORIES:])
        frame["label"] = frame["label"].where(~frame["label"].isin(rare), "(other)")
        labels = [label for label in labels if label not in rare] + ["(other)"]
    grouped = frame.groupby("label", sort=False)["y"]
    table = pd.DataFrame(
        {
            "rows": grouped.size(),
            "mean": grouped.mean(),
            **{f"p{q}": grouped.quantile(q / 100) for q in (5, 25, 50, 75, 95)},
        }
    )
    order = [label for label in labels if label in table.index]
    return table.loc[order].rename_axis(values.name)


def _finite_pairs(values: pd.Series, target: pd.Series) -> pd.DataFrame:
    x = pd.to_numeric(values, errors="coerce").replace([np.inf, -np.inf], np.nan)
    y = pd.to_numeric(target, errors="coerce").replace([np.inf, -np.inf], np.nan)
    pairs = pd.DataFrame(
        {"x": x.to_numpy(dtype=float, na_value=np.nan), "y": y.to_numpy(dtype=float, na_value=np.nan)}
    )
    return pairs.dropna()


def correlation_matrix(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Pearson correlation of the numeric and binary columns, infinities treated as missing."""
    numeric = frame[columns].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    return numeric.corr()


def associations(frame: pd.DataFrame, target: str, features: list[str], classification: bool) -> pd.Series:
    """How strongly each feature goes with the target, on a fixed sample: 0 (none) to 1.

    Numeric features: correlation ratio (eta) with the classes, or |Spearman| for regression.
    Categorical features: Cramér's V with the classes, or eta of the target over categories.
    """
    sample = figure_sample(frame, ASSOCIATION_SAMPLE)
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
    keep = (v.notna() & groups.notna()).to_numpy()
    data = v.to_numpy(dtype=float, na_value=np.nan)[keep]
    if data.size == 0:
        return 0.0
    codes = _codes(groups[keep])[0]
    total = float(((data - data.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    counts = np.bincount(codes)
    sums = np.bincount(codes, weights=data)
    present = counts > 0
    means = sums[present] / counts[present]
    between = float((counts[present] * (means - data.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def _cramers_v(x: pd.Series, y: pd.Series) -> float:
    table = category_counts(x, y).to_numpy(dtype=float)
    n = table.sum()
    if n == 0 or min(table.shape) < 2:
        return 0.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / np.where(expected == 0, 1, expected)).sum())
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))
