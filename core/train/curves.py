"""ROC and precision-recall curves of a classifier's predicted probabilities.

One computation for every place that draws them: the live test of an endpoint
(:mod:`core.endpoint.evaluation`) and a trial's out-of-fold predictions (:mod:`core.trials.oof`).
A binary task scores its positive class (the second class, the one encoded as 1); more
classes give one curve per class, that class against the rest. A class absent from the truth
(or the only one in it) has no curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Curve", "class_curves"]


@dataclass(frozen=True)
class Curve:
    label: str  # the class scored as positive, as the legend names it
    x: np.ndarray  # ROC: false positive rate; PR: recall
    y: np.ndarray  # ROC: true positive rate; PR: precision
    area: float  # ROC AUC, or average precision
    baseline: float | None = None  # PR: the positive share (a random classifier's precision)


def class_curves(
    y_true: Sequence[Any] | np.ndarray,
    probabilities: np.ndarray,
    classes: Sequence[Any],
    prefix: str = "",
) -> tuple[list[Curve], list[Curve]]:
    """ROC and precision-recall curves, one per positive class, labelled ``prefix + class``.
    ``probabilities`` has one column per class, in ``classes`` order; classes and the truth
    are compared as text. Probabilities of another shape give no curves."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    labels = list(classes)
    proba = np.asarray(probabilities, dtype=np.float64)
    truth = np.asarray([str(v) for v in np.asarray(y_true, dtype=object).tolist()])
    if proba.ndim != 2 or proba.shape[1] != len(labels) or proba.shape[0] != len(truth):
        return [], []
    positives = [len(labels) - 1] if len(labels) == 2 else list(range(len(labels)))
    roc, pr = [], []
    for column in positives:
        positive = (truth == str(labels[column])).astype(int)
        if positive.all() or not positive.any():
            continue  # a class absent (or alone) in the truth has no curve
        score = proba[:, column]
        name = f"{prefix}{labels[column]}"
        fpr, tpr, _ = roc_curve(positive, score)
        roc.append(Curve(name, fpr, tpr, float(roc_auc_score(positive, score))))
        precision, recall, _ = precision_recall_curve(positive, score)
        pr.append(
            Curve(
                name,
                recall,
                precision,
                float(average_precision_score(positive, score)),
                float(positive.mean()),
            )
        )
    return roc, pr
