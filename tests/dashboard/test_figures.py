"""The Plotly builders turn core's aggregates into the charts the EDA page shows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data import eda
from core.data.samples import heart_sample
from core.data.split import class_balance, split_frame
from dashboard import figures
from dashboard.figures import dataset


def test_class_balance_labels_counts_and_shares() -> None:
    fig = figures.class_balance(pd.Series([138, 165], index=["0", "1"]), "output")
    bar = fig.data[0]
    assert list(bar.x) == ["0", "1"] and list(bar.y) == [138, 165]
    assert list(bar.text) == ["138 (45.5%)", "165 (54.5%)"]
    assert fig.layout.title.text == "Class balance of 'output'"
    assert fig.layout.font.size == figures.FONT["size"], "readable on a projector"


def test_numeric_distribution_has_one_overlaid_histogram_per_class() -> None:
    frame = heart_sample()
    fig = figures.numeric_distribution(eda.numeric_histogram(frame["age"], frame["output"]), "age")
    assert [t.name for t in fig.data] == ["0", "1"]
    assert sum(int(np.sum(t.y)) for t in fig.data) == len(frame)
    assert fig.layout.barmode == "overlay" and fig.layout.xaxis.title.text == "age"


def test_categorical_distribution_keeps_codes_in_natural_order() -> None:
    values = pd.Series([10, 2, 2, 1, 10, 3] * 5)
    groups = pd.Series(["no", "yes"] * 15)
    table = eda.category_counts(values, groups)
    fig = figures.categorical_distribution(table, "grade")
    assert list(fig.data[0].x) == ["1", "2", "3", "10"]
    assert [t.name for t in fig.data] == ["no", "yes"]
    assert int(table.to_numpy().sum()) == 30


def test_correlation_heatmap_is_square_and_bounded() -> None:
    frame = heart_sample()
    corr = eda.correlation_matrix(frame, ["age", "chol", "thalachh", "output"])
    heat = figures.correlation_heatmap(corr).data[0]
    assert np.asarray(heat.z).shape == (4, 4)
    assert heat.zmin == -1 and heat.zmax == 1
    assert np.allclose(np.diag(np.asarray(heat.z)), 1.0)


def test_missing_values_chart_only_when_something_is_missing() -> None:
    frame = heart_sample()
    assert figures.missing_values(eda.column_summary(frame)) is None
    frame.loc[:29, "chol"] = np.nan
    fig = figures.missing_values(eda.column_summary(frame))
    assert fig is not None and list(fig.data[0].y) == ["chol"]
    assert round(float(fig.data[0].x[0]), 1) == round(100 * 30 / len(frame), 1)


def test_split_balance_shows_both_sides() -> None:
    frame = heart_sample()
    split = split_frame(frame, "output", test_fraction=0.1, seed=0, stratify=True)
    fig = figures.split_balance(class_balance(split, "output"), "output")
    assert [t.name for t in fig.data] == ["train", "test"]


def test_associations_bar_ranks_strongest_at_the_top() -> None:
    scores = pd.Series({"a": 0.9, "b": 0.5, "c": 0.1})
    bar = figures.associations_bar(scores, "output").data[0]
    assert list(bar.y) == ["c", "b", "a"], "Plotly draws the last bar on top"


def test_split_balance_bars_axis_and_labels_all_say_the_share() -> None:
    split = split_frame(heart_sample(), "output", test_fraction=0.1, seed=42)
    table = class_balance(split, "output")
    fig = figures.split_balance(table, "output")
    train = fig.data[0]
    assert list(train.y) == list(table["train %"]), "the bars are shares"
    assert "%" in fig.layout.yaxis.title.text
    assert list(train.text) == [
        f"{s:.1f}% ({n:,})" for s, n in zip(table["train %"], table["train"], strict=True)
    ]
    assert list(train.customdata) == list(table["train"]), "the counts are in the label and hover"


def test_regression_charts_show_each_feature_against_the_target() -> None:
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=500), name="tau1")
    y = pd.Series(x * 3 + rng.normal(size=500), name="stab")
    fig = dataset.numeric_against_target(eda.numeric_against_target(x, y), "tau1", "stab")
    assert fig.layout.title.text == "'stab' against 'tau1'"
    assert fig.layout.xaxis.title.text == "tau1" and fig.layout.yaxis.title.text == "stab"
    assert [t.name for t in fig.data if t.showlegend is not False] == [
        "rows (sample)",
        "middle half",
        "mean per bin",
    ]
    codes = pd.Series(rng.integers(0, 3, 500), name="cp")
    box = dataset.categorical_against_target(eda.category_against_target(codes, y), "cp", "stab")
    assert box.layout.title.text == "'stab' per 'cp' category" and "by class" not in box.layout.title.text
    assert list(box.data[0].x)[0].startswith("0 (")
