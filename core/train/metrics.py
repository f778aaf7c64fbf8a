"""Metric names, their goals, and computing every metric of a task on one fold.

The names are what trials log to MLflow and what a sweep's ``primary_metric`` names (Azure
requires the two to match exactly). Binary classification scores the positive class, which is
the second class of the schema (the one encoded as 1); multiclass averages over the classes
("macro") and computes ROC AUC one-vs-rest from the predicted probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.data.schema import Task
from core.errors import UserFacingError

__all__ = [
    "CLASSIFICATION_METRICS",
    "METRICS",
    "REGRESSION_METRICS",
    "Goal",
    "MetricInfo",
    "check_metric",
    "compute_metrics",
    "default_metric",
    "is_better",
    "metric_goal",
    "metrics_for",
]

Goal = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    task: Task
    goal: Goal
    needs_proba: bool  # computed from predicted probabilities, not labels
    description: str


METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in [
        MetricInfo("accuracy", "Accuracy", Task.CLASSIFICATION, "maximize", False, "Share of rows right."),
        MetricInfo(
            "f1",
            "F1",
            Task.CLASSIFICATION,
            "maximize",
            False,
            "Harmonic mean of precision and recall (macro average over classes when more than two).",
        ),
        MetricInfo(
            "roc_auc",
            "ROC AUC",
            Task.CLASSIFICATION,
            "maximize",
            True,
            "Chance that a random positive ranks above a random negative (one-vs-rest macro average "
            "when more than two classes).",
        ),
        MetricInfo(
            "precision",
            "Precision",
            Task.CLASSIFICATION,
            "maximize",
            False,
            "Share of predicted positives that are positive (macro average when more than two classes).",
        ),
        MetricInfo(
            "recall",
            "Recall",
            Task.CLASSIFICATION,
            "maximize",
            False,
            "Share of positives found (macro average when more than two classes).",
        ),
        MetricInfo(
            "log_loss",
            "Log loss",
            Task.CLASSIFICATION,
            "minimize",
            True,
            "Cross-entropy of the predicted probabilities: lower is better, punishes confident errors.",
        ),
        MetricInfo(
            "r2", "R²", Task.REGRESSION, "maximize", False, "Share of the target's variance explained."
        ),
        MetricInfo("mae", "MAE", Task.REGRESSION, "minimize", False, "Mean absolute error, in target units."),
        MetricInfo(
            "rmse",
            "RMSE",
            Task.REGRESSION,
            "minimize",
            False,
            "Root mean squared error, in target units: punishes large errors more than MAE.",
        ),
    ]
}
CLASSIFICATION_METRICS = tuple(n for n, i in METRICS.items() if i.task == Task.CLASSIFICATION)
REGRESSION_METRICS = tuple(n for n, i in METRICS.items() if i.task == Task.REGRESSION)


def metrics_for(task: Task) -> tuple[str, ...]:
    return CLASSIFICATION_METRICS if Task(task) == Task.CLASSIFICATION else REGRESSION_METRICS


def default_metric(task: Task) -> str:
    """accuracy for classification, r2 for regression."""
    return metrics_for(task)[0]


def check_metric(task: Task, name: str) -> MetricInfo:
    """The metric's description; a UserFacingError if it is not a metric of ``task``."""
    info = METRICS.get(name)
    if info is None or info.task != Task(task):
        raise UserFacingError(
            f"{name!r} is not a {Task(task).value} metric.",
            "Pick one of: " + ", ".join(metrics_for(task)) + ".",
        )
    return info


def metric_goal(name: str) -> Goal:
    """``"maximize"`` or ``"minimize"``; a UserFacingError for an unknown metric."""
    info = METRICS.get(name)
    if info is None:
        raise UserFacingError(f"There is no metric {name!r}.", "Pick one of: " + ", ".join(METRICS) + ".")
    return info.goal


def is_better(name: str, candidate: float, incumbent: float | None) -> bool:
    """Whether ``candidate`` beats ``incumbent`` for metric ``name`` (NaN never does)."""
    if math.isnan(candidate):
        return False
    if incumbent is None or math.isnan(incumbent):
        return True
    return candidate > incumbent if metric_goal(name) == "maximize" else candidate < incumbent


def compute_metrics(
    task: Task,
    y_true: Any,
    y_pred: Any,
    y_proba: Any | None = None,
    classes: Sequence[Any] = (),
) -> dict[str, float]:
    """Every metric of ``task``, as plain floats.

    Classification needs ``classes``, the labels in the order of ``y_proba``'s columns (for a
    binary task the second is the positive class). Without ``y_proba``, roc_auc and log_loss
    are left out. A metric that is undefined on these rows (ROC AUC when the rows hold one
    class only, R² on a single row) is NaN; precision, recall and F1 count 0/0 as 0.

    The formulas are scikit-learn's (the tests check them against it) in plain NumPy: its
    input validation costs ~15 ms a fold, which on small data is a tenth of a fold's time.
    """
    if Task(task) == Task.REGRESSION:
        return _regression(np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64))
    labels = list(classes)
    if len(labels) < 2:
        raise ValueError("classification metrics need the list of at least two classes")
    truth = _codes(y_true, labels)
    result = _from_confusion(truth, _codes(y_pred, labels), len(labels))
    if y_proba is None:
        return result
    proba = np.asarray(y_proba, dtype=np.float64)
    if proba.ndim != 2 or proba.shape != (len(truth), len(labels)):
        raise ValueError(f"y_proba must have one column per class ({len(labels)}), got {proba.shape}")
    if len(labels) == 2:
        result["roc_auc"] = _auc(truth == 1, proba[:, 1])
    else:  # one-vs-rest, macro average (undefined if a class has no rows here)
        result["roc_auc"] = float(np.mean([_auc(truth == k, proba[:, k]) for k in range(len(labels))]))
    eps = np.finfo(np.float64).eps
    chosen = np.clip(proba[np.arange(len(truth)), truth], eps, 1 - eps)
    result["log_loss"] = float(-np.mean(np.log(chosen)))
    return result


def _codes(values: Any, labels: list[Any]) -> np.ndarray:
    """Each value's position in ``labels``; ValueError for a value that is not a class."""
    codes = pd.Index(labels).get_indexer(np.asarray(values))
    if np.any(codes < 0):
        raise ValueError(f"labels outside the classes {labels}")
    return np.asarray(codes, dtype=np.intp)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, with 0 where the denominator is 0 (zero_division=0)."""
    out = np.zeros(len(numerator), dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _from_confusion(truth: np.ndarray, predicted: np.ndarray, k: int) -> dict[str, float]:
    confusion = np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k).astype(np.float64)
    tp = np.diag(confusion)
    fp = confusion.sum(axis=0) - tp
    fn = confusion.sum(axis=1) - tp
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    pick: Callable[[np.ndarray], float] = (lambda v: float(v[1])) if k == 2 else (lambda v: float(v.mean()))
    return {
        "accuracy": float(tp.sum() / max(len(truth), 1)),
        "f1": pick(f1),
        "precision": pick(precision),
        "recall": pick(recall),
    }


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half), which equals the area under
    scikit-learn's ROC curve; NaN unless both classes are present."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = np.argsort(score, kind="mergesort")
    ordered = score[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    ends = np.append(starts[1:], len(score))
    ranks = np.empty(len(score), dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)  # average 1-based rank of ties
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    error = y_true - y_pred
    result = {
        "r2": math.nan,
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
    }
    if len(y_true) > 1:  # scikit-learn's force_finite: a constant target scores 1 or 0
        residual = float(np.sum(error**2))
        total = float(np.sum((y_true - y_true.mean()) ** 2))
        result["r2"] = (1.0 if residual == 0 else 0.0) if total == 0 else 1 - residual / total
    return result
