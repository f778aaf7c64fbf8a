"""Split and EDA aggregates on real frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import eda
from core.data.split import class_balance, split_frame
from core.errors import DataError


def make_frame(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    return pd.DataFrame(
        {
            "signal": y * 2.0 + rng.normal(size=n),
            "noise": rng.normal(size=n),
            "cat": rng.choice(["a", "b", "c"], size=n),
            "linked": np.where(y == 1, "yes", rng.choice(["yes", "no"], size=n)),
            "y": y,
        }
    )


def test_stratified_split_keeps_class_shares_and_disjoint_rows() -> None:
    frame = make_frame()
    split = split_frame(frame, "y", test_fraction=0.2, seed=7)
    assert len(split.test) == 100 and len(split.train) == 400
    assert split.train.index.intersection(split.test.index).empty
    assert sorted([*split.train.index, *split.test.index]) == list(frame.index)
    overall, test_share = frame["y"].mean(), split.test["y"].mean()
    assert abs(test_share - overall) <= 0.011
    table = class_balance(split, "y")
    assert list(table.columns) == ["train", "test", "train %", "test %"]
    assert table["train"].sum() == 400 and table["test"].sum() == 100


def test_same_seed_same_split_other_seed_other_split() -> None:
    frame = make_frame()
    a, b = split_frame(frame, "y", seed=1), split_frame(frame, "y", seed=1)
    c = split_frame(frame, "y", seed=2)
    assert list(a.test.index) == list(b.test.index)
    assert list(a.test.index) != list(c.test.index)


def test_unstratified_split_for_regression_and_rows_without_target_dropped() -> None:
    frame = make_frame().assign(y=lambda f: f["signal"] * 3)
    frame.loc[:9, "y"] = np.nan
    split = split_frame(frame, "y", stratify=False, test_fraction=0.1)
    assert len(split.train) + len(split.test) == len(frame) - 10
    assert not split.stratified


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (make_frame(8), {}, "at least 10"),
        (make_frame(), {"test_fraction": 0.9}, "outside 0.05–0.5"),
        (make_frame().assign(y=[*([0] * 499), 1]), {}, "single row"),
    ],
)
def test_split_problems_are_explained(frame: pd.DataFrame, kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(DataError, match=message):
        split_frame(frame, "y", **kwargs)


def test_column_summary_counts_missing_and_ignores_infinities() -> None:
    frame = pd.DataFrame({"x": [1.0, np.inf, np.nan, 3.0], "s": ["a", None, "b", "b"]})
    summary = eda.column_summary(frame)
    assert summary.loc["x", "missing"] == 1 and summary.loc["s", "missing"] == 1
    assert summary.loc["x", "max"] == 3.0
    assert summary.loc["s", "distinct"] == 2


def test_histograms_share_edges_and_count_every_finite_value() -> None:
    frame = make_frame()
    hist = eda.numeric_histogram(frame["signal"], frame["y"])
    assert set(hist.counts) == {"0", "1"}
    assert sum(int(c.sum()) for c in hist.counts.values()) == len(frame)
    assert len(hist.edges) == eda.HISTOGRAM_BINS + 1


def test_category_counts_fold_rare_values() -> None:
    values = pd.Series([f"v{i}" for i in range(40)] + ["v0"] * 10)
    table = eda.category_counts(values, None)
    assert "(other)" in table.index and len(table) == eda.MAX_CATEGORIES + 1
    assert int(table["all"].sum()) == 50


def test_associations_rank_the_real_signal_first() -> None:
    frame = make_frame(2000)
    scores = eda.associations(frame, "y", ["noise", "cat", "signal", "linked"], classification=True)
    assert list(scores.index[:2]) == ["signal", "linked"]
    assert scores["noise"] < 0.1 and scores["cat"] < 0.1
    reg = frame.assign(t=frame["signal"] * 2 + 0.1 * frame["noise"])
    reg_scores = eda.associations(reg, "t", ["noise", "signal"], classification=False)
    assert reg_scores.index[0] == "signal"


def test_column_summary_leaves_infinities_out_of_the_statistics() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, np.inf, -np.inf, np.nan, 3.0],
            "n": [5, 1, 3, 3, 2, 4],
            "t": ["a", "b", "a", None, "c", "a"],
        }
    )
    summary = eda.column_summary(frame)
    x, n = summary.loc["x"], summary.loc["n"]
    assert (x["min"], x["median"], x["max"], x["mean"]) == (1.0, 2.0, 3.0, 2.0)
    assert x["distinct"] == 5 and x["missing"] == 1, "±inf are values; NaN is missing"
    assert (n["min"], n["median"], n["max"]) == (1, 3.0, 5)
    assert n["std"] == pytest.approx(frame["n"].std())
    assert summary.loc["t", "distinct"] == 3 and summary.loc["t", "missing"] == 1
    assert np.isnan(summary.loc["t", "mean"])
    assert list(summary.index) == ["x", "n", "t"]


def test_figure_sample_is_fixed_and_only_for_big_frames() -> None:
    small = make_frame(500)
    assert eda.figure_sample(small) is small
    big = pd.DataFrame({"v": np.arange(300_000)})
    first, again = eda.figure_sample(big), eda.figure_sample(big)
    assert len(first) == eda.FIGURE_SAMPLE and first.index.is_monotonic_increasing
    assert first.index.equals(again.index), "the same rows on every rerun"
    assert first["v"].is_unique


def test_category_counts_missing_values_get_their_own_row() -> None:
    table = eda.category_counts(pd.Series(["a", None, "b", "a"]), pd.Series([0, 1, 1, 0]))
    assert list(table.index) == ["a", "b", "(missing)"]
    assert table.loc["a"].tolist() == [2, 0] and table.loc["(missing)"].tolist() == [0, 1]


def test_summary_statistics_match_pandas_on_both_paths() -> None:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 5, 4000).astype(float)  # few distinct values: counts path
    codes[:7] = [np.inf, -np.inf, np.nan, np.inf, np.nan, 2.0, 4.0]
    frame = pd.DataFrame({"codes": codes, "noise": rng.normal(size=4000), "ints": rng.integers(0, 3, 4000)})
    summary = eda.column_summary(frame)
    finite = frame.replace([np.inf, -np.inf], np.nan)
    for column in frame.columns:
        row = summary.loc[column]
        assert row["mean"] == pytest.approx(finite[column].mean())
        assert row["std"] == pytest.approx(finite[column].std())
        assert row["median"] == pytest.approx(finite[column].median())
        assert (row["min"], row["max"]) == (finite[column].min(), finite[column].max())
        assert row["distinct"] == frame[column].nunique()


def test_a_numeric_feature_against_a_numeric_target_follows_the_trend_per_bin() -> None:
    rng = np.random.default_rng(1)
    x = pd.Series(rng.uniform(0, 10, 3000), name="x")
    y = 2 * x + rng.normal(0, 1, 3000)
    y[:5] = np.nan  # rows without a target are left out
    trend = eda.numeric_against_target(x, y)
    bins = trend.bins
    assert len(bins) == eda.TREND_BINS and int(bins["rows"].sum()) == 2995
    assert bins["mean"].is_monotonic_increasing, "the mean per bin rises with x"
    assert (bins["q25"] <= bins["mean"]).all() and (bins["mean"] <= bins["q75"]).all()
    assert abs(float(np.polyfit(bins["x"], bins["mean"], 1)[0]) - 2) < 0.1
    assert len(trend.points) == eda.SCATTER_POINTS and trend.points.notna().all().all()


def test_a_category_against_a_numeric_target_gives_its_spread_in_natural_order() -> None:
    values = pd.Series([2, 10, 1] * 100 + [None] * 3, name="grade")
    target = pd.Series([20.0, 100.0, 10.0] * 100 + [5.0] * 3)
    table = eda.category_against_target(values, target)
    assert list(table.index) == ["1", "2", "10", "(missing)"]
    assert table.loc["10", "mean"] == 100 and table.loc["2", "rows"] == 100
    assert list(table.columns) == ["rows", "mean", "p5", "p25", "p50", "p75", "p95"]
    many = eda.category_against_target(pd.Series([f"c{i}" for i in range(60)] * 2), pd.Series(range(120)))
    assert len(many) == eda.MAX_CATEGORIES + 1 and many.index[-1] == "(other)"
    assert int(many["rows"].sum()) == 120
