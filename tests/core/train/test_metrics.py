"""Metrics on hand-made arrays, checked against scikit-learn and by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from core.data.schema import Task
from core.errors import UserFacingError
from core.train.metrics import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    check_metric,
    compute_metrics,
    default_metric,
    is_better,
    metric_goal,
)


def test_names_and_goals() -> None:
    assert CLASSIFICATION_METRICS == ("accuracy", "f1", "roc_auc", "precision", "recall", "log_loss")
    assert REGRESSION_METRICS == ("r2", "mae", "rmse")
    goals = {name: metric_goal(name) for name in CLASSIFICATION_METRICS + REGRESSION_METRICS}
    assert {n for n, g in goals.items() if g == "minimize"} == {"log_loss", "mae", "rmse"}
    assert default_metric(Task.CLASSIFICATION) == "accuracy" and default_metric(Task.REGRESSION) == "r2"
    with pytest.raises(UserFacingError, match="no metric 'auc'"):
        metric_goal("auc")
    with pytest.raises(UserFacingError, match="'r2' is not a classification metric") as caught:
        check_metric(Task.CLASSIFICATION, "r2")
    assert "accuracy, f1, roc_auc" in caught.value.fix


def test_is_better_follows_the_goal_and_never_prefers_nan() -> None:
    assert is_better("accuracy", 0.9, 0.8) and not is_better("accuracy", 0.8, 0.9)
    assert is_better("rmse", 1.0, 2.0) and not is_better("log_loss", 0.7, 0.3)
    assert is_better("r2", 0.1, None) and is_better("r2", 0.1, math.nan)
    assert not is_better("r2", math.nan, 0.1)


def test_binary_scores_the_positive_class() -> None:
    classes = ("no", "yes")
    y_true = np.array(["no", "yes", "yes", "no", "yes", "no", "yes", "yes"])
    y_pred = np.array(["no", "yes", "no", "no", "yes", "yes", "yes", "yes"])
    p_yes = np.array([0.1, 0.9, 0.4, 0.2, 0.8, 0.6, 0.7, 0.95])
    proba = np.column_stack([1 - p_yes, p_yes])
    got = compute_metrics(Task.CLASSIFICATION, y_true, y_pred, proba, classes)
    assert got["accuracy"] == pytest.approx(6 / 8)
    assert got["precision"] == pytest.approx(4 / 5)  # 5 predicted yes, 4 right
    assert got["recall"] == pytest.approx(4 / 5)  # 5 actual yes, 4 found
    assert got["f1"] == pytest.approx(skm.f1_score(y_true, y_pred, pos_label="yes"))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y_true == "yes", p_yes))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y_true, proba, labels=list(classes)))
    assert all(isinstance(v, float) for v in got.values())


def test_binary_positive_class_is_the_second_class_given() -> None:
    y_true = np.array([1, 1, 0, 0, 1])
    y_pred = np.array([1, 0, 0, 1, 1])
    forward = compute_metrics(Task.CLASSIFICATION, y_true, y_pred, None, (0, 1))
    reverse = compute_metrics(Task.CLASSIFICATION, y_true, y_pred, None, (1, 0))
    assert forward["recall"] == pytest.approx(2 / 3)
    assert reverse["recall"] == pytest.approx(1 / 2)  # class 0 as positive: 1 of 2 found


def test_multiclass_is_macro_and_one_vs_rest() -> None:
    classes = ("a", "b", "c")
    y_true = np.array(["a", "b", "c", "a", "b", "c", "a", "c"])
    y_pred = np.array(["a", "b", "b", "a", "c", "c", "b", "c"])
    proba = np.array(
        [
            [0.7, 0.2, 0.1],
            [0.2, 0.6, 0.2],
            [0.1, 0.5, 0.4],
            [0.8, 0.1, 0.1],
            [0.2, 0.3, 0.5],
            [0.1, 0.2, 0.7],
            [0.3, 0.4, 0.3],
            [0.1, 0.1, 0.8],
        ]
    )
    got = compute_metrics(Task.CLASSIFICATION, y_true, y_pred, proba, classes)
    for name, fn in (("f1", skm.f1_score), ("precision", skm.precision_score), ("recall", skm.recall_score)):
        assert got[name] == pytest.approx(fn(y_true, y_pred, average="macro"))
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y_true, proba, multi_class="ovr"))
    assert got["log_loss"] == pytest.approx(skm.log_loss(y_true, proba))
    assert got["accuracy"] == pytest.approx(5 / 8)


def test_without_probabilities_the_probability_metrics_are_left_out() -> None:
    got = compute_metrics(Task.CLASSIFICATION, [0, 1, 1], [0, 1, 0], None, (0, 1))
    assert set(got) == {"accuracy", "f1", "precision", "recall"}


def test_undefined_auc_is_nan_not_an_error() -> None:
    proba = np.array([[0.2, 0.8], [0.4, 0.6]])
    got = compute_metrics(Task.CLASSIFICATION, [1, 1], [1, 1], proba, (0, 1))
    assert math.isnan(got["roc_auc"]) and got["accuracy"] == 1.0
    assert got["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)


def test_probabilities_must_match_the_classes() -> None:
    with pytest.raises(ValueError, match="one column per class"):
        compute_metrics(Task.CLASSIFICATION, [0, 1], [0, 1], np.ones((2, 3)) / 3, (0, 1))


def test_regression_metrics() -> None:
    y_true = np.array([3.0, -0.5, 2.0, 7.0])
    y_pred = np.array([2.5, 0.0, 2.0, 8.0])
    got = compute_metrics(Task.REGRESSION, y_true, y_pred)
    assert got["mae"] == pytest.approx(0.5)  # (0.5 + 0.5 + 0 + 1) / 4
    assert got["rmse"] == pytest.approx(math.sqrt((0.25 + 0.25 + 0 + 1) / 4))
    assert got["r2"] == pytest.approx(skm.r2_score(y_true, y_pred))
    assert math.isnan(compute_metrics(Task.REGRESSION, [1.0], [2.0])["r2"])


@pytest.mark.parametrize("seed", range(6))
def test_random_predictions_match_scikit_learn(seed: int) -> None:
    """The NumPy formulas against scikit-learn, with tied scores and 2 to 4 classes."""
    rng = np.random.default_rng(seed)
    k = 2 + seed % 3
    classes = tuple(f"c{i}" for i in range(k))
    n = 60
    y_true = np.array(classes)[np.concatenate([np.arange(k), rng.integers(0, k, n - k)])]
    proba = rng.dirichlet(np.ones(k), n).round(1)  # rounding makes ties
    proba[:, -1] = 1 - proba[:, :-1].sum(axis=1)
    proba = np.clip(proba, 0, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    y_pred = np.array(classes)[rng.integers(0, k, n)]
    got = compute_metrics(Task.CLASSIFICATION, y_true, y_pred, proba, classes)
    labels = list(classes)
    if k == 2:
        averaging: dict[str, object] = {"pos_label": classes[1]}
        auc = skm.roc_auc_score(y_true == classes[1], proba[:, 1])
    else:
        averaging = {"average": "macro", "labels": labels}
        auc = skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=labels)
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert got["f1"] == pytest.approx(skm.f1_score(y_true, y_pred, zero_division=0, **averaging))
    assert got["precision"] == pytest.approx(
        skm.precision_score(y_true, y_pred, zero_division=0, **averaging)
    )
    assert got["recall"] == pytest.approx(skm.recall_score(y_true, y_pred, zero_division=0, **averaging))
    assert got["roc_auc"] == pytest.approx(auc)
    assert got["log_loss"] == pytest.approx(skm.log_loss(y_true, proba, labels=labels))

    target = rng.normal(size=n)
    estimate = target + rng.normal(scale=0.5, size=n)
    regression = compute_metrics(Task.REGRESSION, target, estimate)
    assert regression["r2"] == pytest.approx(skm.r2_score(target, estimate))
    assert regression["mae"] == pytest.approx(skm.mean_absolute_error(target, estimate))
    assert regression["rmse"] == pytest.approx(skm.root_mean_squared_error(target, estimate))


def test_edge_cases_match_scikit_learn() -> None:
    # a class never predicted (precision 0/0) and a constant regression target
    got = compute_metrics(Task.CLASSIFICATION, [0, 1, 2, 2], [0, 0, 2, 2], None, (0, 1, 2))
    assert got["precision"] == pytest.approx(
        skm.precision_score([0, 1, 2, 2], [0, 0, 2, 2], average="macro", zero_division=0)
    )
    assert compute_metrics(Task.REGRESSION, [2.0, 2.0], [2.0, 2.0])["r2"] == skm.r2_score([2, 2], [2, 2])
    assert compute_metrics(Task.REGRESSION, [2.0, 2.0], [1.0, 2.0])["r2"] == skm.r2_score([2, 2], [1, 2])
    with pytest.raises(ValueError, match="outside the classes"):
        compute_metrics(Task.CLASSIFICATION, [0, 5], [0, 1], None, (0, 1))
