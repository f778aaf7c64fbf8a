"""Issue 19, item 2: every held-out figure of a small test set comes with a 95 % interval (Wilson
for the proportions, a seeded bootstrap for the rest), and the live and cross-validated figures'
difference is explained. Item 3: a regression prediction is rounded to the target's spread."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import classification_report, mean_absolute_error, r2_score, roc_auc_score

from core.endpoint.evaluation import ClassificationEvaluation, RegressionEvaluation, evaluate
from core.endpoint.intervals import (
    SMALL_TEST_SET_ROWS,
    _auc,
    _regression_statistic,
    _report_statistic,
    bootstrap,
    is_small,
    live_vs_cv,
    where_cv_falls,
    wilson,
)
from core.endpoint.rounding import decimals_for, round_prediction, spread_of


def test_the_demo_accuracy_gets_the_wilson_interval_scipy_computes() -> None:
    # the demo's case: 19 of 30 held-out rows right, live accuracy 0.633
    got = wilson(19, 30)
    assert got is not None and got.method == "Wilson"
    reference = binomtest(19, 30).proportion_ci(confidence_level=0.95, method="wilson")
    assert (got.low, got.high) == pytest.approx((reference.low, reference.high))
    assert (round(got.low, 3), round(got.high, 3)) == (0.455, 0.781)  # the published Wilson bounds
    assert got.text() == "0.455–0.781"
    assert wilson(0, 0) is None
    assert wilson(30, 30).high == pytest.approx(1.0)  # type: ignore[union-attr]


def test_small_is_one_named_threshold() -> None:
    assert is_small(30) and is_small(SMALL_TEST_SET_ROWS - 1)
    assert not is_small(SMALL_TEST_SET_ROWS)


def _classified(rows: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, rows)
    predicted = np.where(rng.random(rows) < 0.7, truth, rng.integers(0, 3, rows))
    proba = rng.dirichlet([1, 1, 1], rows) * 0.6
    proba[np.arange(rows), truth] += 0.4
    return truth, predicted, proba


def test_every_report_figure_of_a_small_test_set_has_an_interval_around_it() -> None:
    truth, predicted, proba = _classified(60)
    got = evaluate(truth, predicted, proba, [0, 1, 2], "classification")
    assert isinstance(got, ClassificationEvaluation)
    rows = {row["class"]: row for row in got.report}
    cells = {
        ("accuracy" if name == "accuracy" else f"{metric}:{name}"): row[metric]
        for name, row in rows.items()
        for metric in ("precision", "recall", "f1-score")
        if row[metric] is not None
    }
    assert set(got.intervals) == set(cells) | {"auc:0", "auc:1", "auc:2"}, "every figure, and each AUC"
    for key, value in cells.items():
        interval = got.intervals[key]
        assert interval.low <= value <= interval.high, (key, value, interval)
        assert interval.high - interval.low > 0.05, "60 rows cannot pin a figure down"
        proportion = key == "accuracy" or key.split(":")[0] in ("precision", "recall")
        proportion = proportion and "avg" not in key
        assert interval.method == ("Wilson" if proportion else "bootstrap"), key
    hits = int(np.sum(truth == predicted))
    assert got.intervals["accuracy"] == wilson(hits, 60)
    class_1 = (truth == 1) & (predicted == 1)
    assert got.intervals["precision:1"] == wilson(int(class_1.sum()), int(np.sum(predicted == 1)))
    assert got.intervals["recall:1"] == wilson(int(class_1.sum()), int(np.sum(truth == 1)))
    for label in range(3):
        auc = got.roc[label].area
        assert got.intervals[f"auc:{label}"].low <= auc <= got.intervals[f"auc:{label}"].high


def test_the_bootstrap_statistics_are_scikit_learns_figures_on_the_full_sample() -> None:
    truth, predicted, proba = _classified(80, seed=5)
    values = _report_statistic(3)(truth, predicted)
    reference = classification_report(truth, predicted, output_dict=True, zero_division=0)
    expected = [reference[str(k)]["f1-score"] for k in range(3)] + [
        reference[average][metric]
        for average in ("macro avg", "weighted avg")
        for metric in ("precision", "recall", "f1-score")
    ]
    assert values == pytest.approx(expected)
    positive = (truth == 2).astype(int)
    assert _auc(positive, proba[:, 2])[0] == pytest.approx(roc_auc_score(positive, proba[:, 2]))
    tied = np.array([0.5, 0.5, 0.2, 0.9])  # ties count one half, as in scikit-learn
    assert _auc(np.array([1, 0, 0, 1]), tied)[0] == pytest.approx(roc_auc_score([1, 0, 0, 1], tied))
    y, yhat = np.array([3.0, 5.0, 2.5, 7.0, 4.0]), np.array([2.5, 5.0, 3.0, 8.0, 4.5])
    r2, rmse, mae = _regression_statistic(y, yhat)
    assert (r2, mae) == pytest.approx((r2_score(y, yhat), mean_absolute_error(y, yhat)))
    assert rmse == pytest.approx(math.sqrt(np.mean((y - yhat) ** 2)))


def test_the_bootstrap_is_seeded_and_falls_back_when_bca_cannot_be_computed() -> None:
    y = np.linspace(0.0, 10.0, 40)
    yhat = y + np.random.default_rng(1).normal(0, 1, 40)
    first, second = bootstrap(_regression_statistic, (y, yhat)), bootstrap(_regression_statistic, (y, yhat))
    assert first == second, "the same answers give the same interval"
    assert bootstrap(_regression_statistic, (y, yhat), seed=1) != first
    perfect = np.array([1, 1, 0, 1])  # F1 is 1 in every resample: BCa gives NaN, the interval is [1, 1]
    f1_of_class_1 = bootstrap(_report_statistic(2), (perfect, perfect))[1]
    assert f1_of_class_1 is not None and (f1_of_class_1.low, f1_of_class_1.high) == (1.0, 1.0)


def test_regression_figures_get_bootstrap_intervals_and_a_large_test_set_none() -> None:
    rng = np.random.default_rng(2)
    y = rng.normal(50, 10, 120)
    yhat = y + rng.normal(0, 4, 120)
    got = evaluate(y, yhat, None, None, "regression")
    assert isinstance(got, RegressionEvaluation)
    assert set(got.intervals) == {"r2", "rmse", "mae"}
    for key, value in (("r2", got.r2), ("rmse", got.rmse), ("mae", got.mae)):
        assert got.intervals[key].method == "bootstrap"
        assert got.intervals[key].low < value < got.intervals[key].high
    big = SMALL_TEST_SET_ROWS
    truth = rng.integers(0, 2, big)
    assert evaluate(truth, truth, None, [0, 1], "classification").intervals == {}


def test_one_sentence_says_why_the_live_and_cross_validated_figures_differ() -> None:
    said = live_vs_cv(30)
    assert said.count(". ") == 0 and said.endswith(".")
    assert "30 held-out rows" in said and "one row moves accuracy by 3.3 points" in said
    assert "cross-validated" in said and "chance" in said
    assert "one row moves accuracy" not in live_vs_cv(300, "R²")


@pytest.mark.parametrize(
    ("value", "spread", "text"),
    [
        (243.78912345, 52.0, "243.8"),  # cholesterol
        (0.055337921, 0.0387, "0.0553"),  # a grid's stability
        (245312.77, 98000.0, "245,313"),  # a house price
        (1.23456789, math.nan, "1.23"),  # no spread: the value's own size
        ("yes", 1.0, "yes"),  # a class label stays as it is
    ],
)
def test_a_regression_prediction_is_rounded_to_the_targets_spread(
    value: object, spread: float, text: str
) -> None:
    assert round_prediction(value, spread) == text


def test_spread_and_decimals() -> None:
    assert spread_of([1.0, 3.0, "x", None]) == pytest.approx(math.sqrt(2))
    assert math.isnan(spread_of([4.0]))
    assert decimals_for(0.5) == 3 and decimals_for(5.0) == 2 and decimals_for(5000.0) == 0


def test_where_the_cross_validated_figure_falls() -> None:
    live = wilson(21, 30)  # the demo's live accuracy 0.700: 0.521–0.833
    assert live is not None
    assert where_cv_falls(live, 0.80).startswith("inside the live 95 % interval: chance alone")
    assert where_cv_falls(live, 0.835).startswith("outside the live 95 % interval: chance explains")
