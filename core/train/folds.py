"""Fold-level work: a validated plan of a trial's folds, and fitting and scoring one fold.

:func:`plan_trial` checks everything a user can get wrong (family, hyperparameters, metric,
folds, data) before anything is fitted and fixes the splits: stratified for classification,
shuffled with the seed. :func:`run_fold` fits and scores one fold of a plan. The trainer runs
the folds in order; a scheduler may also hand single folds to workers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.data.schema import Schema, Task
from core.errors import DataError, UserFacingError
from core.train.families import Family
from core.train.metrics import check_metric, compute_metrics
from core.train.pipeline import build_pipeline, resolve_family
from core.train.target import class_labels, feature_frame, target_values

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["FoldResult", "TrialPlan", "plan_trial", "run_fold"]


@dataclass(frozen=True)
class TrialPlan:
    """One configuration, validated, with its data and its folds fixed."""

    schema: Schema
    family: Family
    params: dict[str, Any]  # typed
    primary_metric: str
    seed: int
    X: pd.DataFrame  # the feature columns
    y: np.ndarray  # class labels, or floats for regression
    classes: tuple[Any, ...]  # class labels in the schema's order; () for regression
    splits: list[tuple[np.ndarray, np.ndarray]]  # (train rows, test rows) positions per fold

    @property
    def folds(self) -> int:
        return len(self.splits)


@dataclass(frozen=True)
class FoldResult:
    """One fold's metrics and its out-of-fold predictions (labels, and probabilities per class
    in ``TrialPlan.classes`` order for classification)."""

    fold: int
    metrics: dict[str, float]
    seconds: float  # fit, predict and score
    row_index: np.ndarray  # positions of the fold's test rows in the frame
    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None


def plan_trial(
    frame: pd.DataFrame,
    schema: Schema,
    family: Family | str,
    params: Mapping[str, object],
    *,
    primary_metric: str,
    folds: int = 5,
    seed: int = 0,
) -> TrialPlan:
    """Validate a trial and fix its folds; a UserFacingError names anything wrong."""
    fam = resolve_family(schema, family)
    typed = fam.coerce_params(params)
    metric = check_metric(schema.task, primary_metric)
    if metric.needs_proba and not hasattr(build_pipeline(schema, fam, typed, seed), "predict_proba"):
        raise UserFacingError(
            f"{fam.label} does not predict probabilities, which {primary_metric!r} needs.",
            "Pick another primary metric (accuracy, f1, precision or recall) or another family.",
        )
    X = feature_frame(frame, schema)
    y = target_values(frame, schema)
    classes = class_labels(schema)
    splits = _splits(schema, y, classes, folds, seed)
    return TrialPlan(schema, fam, typed, primary_metric, seed, X, y, classes, splits)


def run_fold(plan: TrialPlan, fold: int) -> FoldResult:
    """Fit a fresh pipeline on the fold's training rows and score it on its test rows."""
    started = time.perf_counter()
    train_rows, test_rows = plan.splits[fold]
    pipeline = build_pipeline(plan.schema, plan.family, plan.params, plan.seed)
    pipeline.fit(plan.X.iloc[train_rows], plan.y[train_rows])
    predicted, proba = _predict(pipeline, plan.X.iloc[test_rows], plan.classes)
    truth = plan.y[test_rows]
    metrics = compute_metrics(plan.schema.task, truth, predicted, proba, plan.classes)
    return FoldResult(fold, metrics, time.perf_counter() - started, test_rows, truth, predicted, proba)


def _splits(
    schema: Schema, y: np.ndarray, classes: tuple[Any, ...], folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import KFold, StratifiedKFold

    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise UserFacingError(
            f"Cross-validation needs a whole number of folds of at least 2, not {folds!r}.",
            "Set the folds to 2 or more (5 is usual).",
        )
    if len(y) < folds:
        raise DataError(
            f"There are {len(y)} rows, too few for {folds} folds (each fold needs rows to test on).",
            "Use fewer folds, or more data.",
        )
    if schema.task == Task.REGRESSION:
        splitter: Any = KFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y))))
    counts = pd.Series(y).value_counts()
    rare = [(label, int(counts.get(label, 0))) for label in classes if counts.get(label, 0) < folds]
    if rare:
        shown = ", ".join(f"{label!r} ({n} rows)" for label, n in rare[:5])
        raise DataError(
            f"Stratified {folds}-fold cross-validation needs at least {folds} rows of every class, "
            f"but these classes have fewer: {shown}.",
            "Use fewer folds, or remove the rare classes (or add rows of them) and store the data again.",
        )
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def _predict(
    pipeline: Pipeline, X: pd.DataFrame, classes: tuple[Any, ...]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions, and for a classifier the probabilities with one column per schema class
    (in the schema's order; a class missing from the training fold gets 0).

    A classifier's label is the most probable class, taken from the same ``predict_proba``
    call: that is how every classification family here predicts (the tests check it), and it
    saves a second pass over the model.
    """
    if not classes or not hasattr(pipeline, "predict_proba"):
        return np.asarray(pipeline.predict(X)), None
    raw = np.asarray(pipeline.predict_proba(X), dtype=np.float64)
    fitted = np.asarray(pipeline.classes_)
    position = {label: i for i, label in enumerate(classes)}
    aligned = np.zeros((len(X), len(classes)), dtype=np.float64)
    for column, label in enumerate(fitted):
        aligned[:, position[label]] = raw[:, column]
    return fitted[np.argmax(raw, axis=1)], aligned
