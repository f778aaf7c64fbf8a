"""The live test's metrics agree with scikit-learn's on hand-made predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import classification_report, mean_absolute_error, r2_score, roc_auc_score

from core.endpoint.evaluation import ClassificationEvaluation, RegressionEvaluation, evaluate


def test_multiclass_report_matrix_and_one_vs_rest_roc() -> None:
    truth = ["a", "b", "c", "a", "b", "c", "a", "a"]
    predicted = ["a", "b", "b", "a", "c", "c", "b", "a"]
    proba = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.2, 0.7, 0.1],
            [0.1, 0.5, 0.4],
            [0.6, 0.2, 0.2],
            [0.1, 0.3, 0.6],
            [0.2, 0.2, 0.6],
            [0.3, 0.4, 0.3],
            [0.9, 0.05, 0.05],
        ]
    )
    got = evaluate(truth, predicted, proba, ["a", "b", "c"], "classification")
    assert isinstance(got, ClassificationEvaluation)
    reference = classification_report(truth, predicted, output_dict=True, zero_division=0)
    rows = {row["class"]: row for row in got.report}
    assert list(rows) == ["a", "b", "c", "accuracy", "macro avg", "weighted avg"]
    for name in ("a", "b", "c", "macro avg", "weighted avg"):
        for metric in ("precision", "recall", "f1-score", "support"):
            assert rows[name][metric] == pytest.approx(reference[name][metric])
    assert rows["accuracy"]["f1-score"] == pytest.approx(reference["accuracy"]) == got.accuracy
    assert got.confusion == [[3, 1, 0], [0, 1, 1], [0, 1, 1]]
    assert [c.label for c in got.roc] == ["a", "b", "c"]
    assert got.roc[0].area == pytest.approx(roc_auc_score(np.array(truth) == "a", proba[:, 0]))


def test_binary_roc_is_for_the_positive_class_and_int_labels_work() -> None:
    truth = np.array([0, 1, 1, 0, 1])
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    got = evaluate(truth, [0, 1, 1, 1, 0], proba, [0, 1], "classification")
    assert isinstance(got, ClassificationEvaluation)
    assert [c.label for c in got.roc] == ["1"]
    assert got.roc[0].area == pytest.approx(roc_auc_score(truth, proba[:, 1]))
    assert got.confusion == [[1, 1], [1, 2]]
    assert evaluate(truth, truth, None, [0, 1], "classification").roc == []  # type: ignore[union-attr]


def test_regression_metrics() -> None:
    truth = np.array([3.0, 5.0, 2.5, 7.0])
    predicted = np.array([2.5, 5.0, 3.0, 8.0])
    got = evaluate(truth, predicted, None, None, "regression")
    assert isinstance(got, RegressionEvaluation)
    assert got.mae == pytest.approx(mean_absolute_error(truth, predicted))
    assert got.rmse == pytest.approx(np.sqrt(np.mean((truth - predicted) ** 2)))
    assert got.r2 == pytest.approx(r2_score(truth, predicted))
