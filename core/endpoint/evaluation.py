"""The metrics of a live test: predictions against the truth of the held-out split.

Classification: the classification report (precision, recall, f1-score, support per class,
then accuracy, macro and weighted averages: the table of scikit-learn's
``classification_report`` and of the classic tutorial), the confusion matrix, and ROC curves
when probabilities came back (the positive class for two classes, one-vs-rest otherwise).
Regression: MAE, RMSE and R². On a small test set every figure comes with a 95 % interval
(:mod:`core.endpoint.intervals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.endpoint.intervals import Interval, classification_intervals, is_small, regression_intervals
from core.train.curves import Curve, class_curves

__all__ = [
    "ClassificationEvaluation",
    "Evaluation",
    "RegressionEvaluation",
    "evaluate",
    "evaluate_classification",
    "evaluate_regression",
]


@dataclass(frozen=True)
class ClassificationEvaluation:
    labels: list[Any]  # class labels, in the order of the report and the matrix
    report: list[dict[str, Any]]  # rows: class / accuracy / macro avg / weighted avg
    accuracy: float
    confusion: list[list[int]]  # rows: truth, columns: prediction, in ``labels`` order
    roc: list[Curve] = field(default_factory=list)  # the class as label, AUC as area
    rows: int = 0
    # on a small test set: "accuracy", "<metric>:<report row>", "auc:<class>" (see intervals)
    intervals: dict[str, Interval] = field(default_factory=dict)

    @property
    def task(self) -> str:
        return "classification"


@dataclass(frozen=True)
class RegressionEvaluation:
    mae: float
    rmse: float
    r2: float
    rows: int
    y_true: list[float]
    y_pred: list[float]
    intervals: dict[str, Interval] = field(default_factory=dict)  # on a small test set: r2, rmse, mae

    @property
    def task(self) -> str:
        return "regression"


Evaluation = ClassificationEvaluation | RegressionEvaluation


def evaluate(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    probabilities: np.ndarray | None,
    classes: Sequence[Any] | None,
    task: str,
) -> Evaluation:
    if str(task) == "regression":
        return evaluate_regression(y_true, y_pred)
    return evaluate_classification(y_true, y_pred, probabilities, classes)


def evaluate_classification(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    probabilities: np.ndarray | None = None,
    classes: Sequence[Any] | None = None,
) -> ClassificationEvaluation:
    from sklearn.metrics import classification_report, confusion_matrix

    truth, predicted = _labels(y_true), _labels(y_pred)
    labels = list(classes) if classes is not None else sorted(set(truth) | set(predicted), key=str)
    names = [str(label) for label in labels]
    raw = classification_report(
        [str(v) for v in truth],
        [str(v) for v in predicted],
        labels=names,
        target_names=names,
        output_dict=True,
        zero_division=0,
    )
    report = []
    for name in names:
        scores = raw[name]
        report.append(_row(name, scores))
    accuracy = float(np.mean(np.asarray(truth, dtype=object) == np.asarray(predicted, dtype=object)))
    report.append(
        {"class": "accuracy", "precision": None, "recall": None, "f1-score": accuracy, "support": len(truth)}
    )
    for average in ("macro avg", "weighted avg"):
        report.append(_row(average, raw[average]))
    matrix = confusion_matrix([str(v) for v in truth], [str(v) for v in predicted], labels=names)
    roc = class_curves(truth, probabilities, labels)[0] if probabilities is not None else []
    intervals = {}
    if is_small(len(truth)):
        proba = np.asarray(probabilities, dtype=np.float64) if roc else None
        scores = {c.label: proba[:, names.index(c.label)] for c in roc} if proba is not None else None
        intervals = classification_intervals(
            [str(v) for v in truth], [str(v) for v in predicted], names, scores
        )
    return ClassificationEvaluation(
        labels, report, accuracy, matrix.astype(int).tolist(), roc, len(truth), intervals
    )


def _row(name: str, scores: dict[str, float]) -> dict[str, Any]:
    return {
        "class": name,
        "precision": float(scores["precision"]),
        "recall": float(scores["recall"]),
        "f1-score": float(scores["f1-score"]),
        "support": int(scores["support"]),
    }


def _labels(values: Sequence[Any] | np.ndarray) -> list[Any]:
    return list(np.asarray(values, dtype=object).tolist())


def evaluate_regression(
    y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray
) -> RegressionEvaluation:
    truth = np.asarray(y_true, dtype=np.float64)
    predicted = np.asarray(y_pred, dtype=np.float64)
    errors = predicted - truth
    spread = float(np.sum((truth - truth.mean()) ** 2))
    r2 = 1.0 - float(np.sum(errors**2)) / spread if spread > 0 else float("nan")
    return RegressionEvaluation(
        mae=float(np.mean(np.abs(errors))),
        rmse=float(np.sqrt(np.mean(errors**2))),
        r2=r2,
        rows=len(truth),
        y_true=truth.tolist(),
        y_pred=predicted.tolist(),
        intervals=regression_intervals(truth, predicted) if is_small(len(truth)) else {},
    )
