"""Out-of-fold predictions of one trial (read from its artifact, or recomputed) and their curves.

A trial run by ``python -m core.train`` (every Azure trial) logs its predictions as the
``oof_predictions.csv`` artifact, and the local sweep engine stores its best trial's with the
sweep when it refits (``oof/<run id>.csv`` on the parent run, see :mod:`core.trials.artifacts`):
:func:`out_of_fold_from_predictions` reads either, no refit. For any other trial (or a sweep
from before the engine stored them) the best-trial panel re-runs the trial's cross-validation
(:func:`out_of_fold`, :func:`out_of_fold_csv`) once with the same trainer
(:func:`core.train.trainer.cross_validate_trial`), the same train split, hyperparameters,
folds and seed: the same folds and the same models, so the same predictions. Every fold is
run, also for a trial a policy stopped early. Both give the same :class:`OutOfFold`
(:func:`build_out_of_fold`), rows in the train split's order.
For classification this gives the confusion matrix, ROC and precision-recall curves (the
positive class in a binary task, one-vs-rest per class otherwise); for regression the
predicted and actual values and the residuals.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import UserFacingError
from core.train.curves import Curve, class_curves
from core.train.predictions import Predictions, read_predictions_csv, split_order
from core.train.setup import TrialSetup

if TYPE_CHECKING:
    from core.engine.job import SweepJob
    from core.train.trainer import TrialResult


@dataclass(frozen=True)
class TrainingData:
    """What re-running a trial needs: the train split and the sweep's :class:`TrialSetup` (schema,
    family, metric, CV folds and seed). The split is the CSV's bytes, as a backend hands them over
    (read from a local file, or downloaded from a data asset), never a path the page would open
    itself."""

    train_csv: bytes = field(repr=False)
    setup: TrialSetup


@dataclass(frozen=True)
class OutOfFold:
    task: str  # classification / regression
    classes: tuple[str, ...]
    y_true: np.ndarray
    y_pred: np.ndarray
    mean: dict[str, float]
    std: dict[str, float]
    folds: int
    confusion: np.ndarray | None  # rows: true class, columns: predicted, in ``classes`` order
    roc: tuple[Curve, ...]
    pr: tuple[Curve, ...]


def training_data_from_job(job: SweepJob) -> TrainingData:
    """The local engine's record of a sweep, with its train split read from disk."""
    spec = job.spec
    return TrainingData(
        train_csv=Path(job.train_csv).read_bytes(),
        setup=TrialSetup(
            schema=dict(job.schema),
            family=str(spec["model_family"]),
            primary_metric=str(spec["primary_metric"]),
            folds=int(spec.get("cv_folds") or 5),
            seed=int(spec.get("seed") or 0),
        ),
    )


def out_of_fold(data: TrainingData, params: Mapping[str, object]) -> OutOfFold:
    """Re-run one trial's cross-validation and collect its out-of-fold predictions."""
    result = _cross_validate(data, params)
    return build_out_of_fold(
        result.task.value, split_order(result), mean=result.mean, std=result.std, folds=result.folds_done
    )


def out_of_fold_csv(data: TrainingData, params: Mapping[str, object]) -> bytes:
    """Re-run one trial's cross-validation; its out-of-fold predictions as the CSV a trial logs
    (:func:`core.train.predictions.predictions_csv`), to be kept with the sweep."""
    from core.train.predictions import predictions_csv

    return predictions_csv(split_order(_cross_validate(data, params))).encode()


def _cross_validate(data: TrainingData, params: Mapping[str, object]) -> TrialResult:
    import pandas as pd

    from core.data.schema import Schema
    from core.train.trainer import cross_validate_trial

    if not data.train_csv.strip():
        raise UserFacingError(
            "The sweep's train split is empty.",
            "The predictions need the training data; store the dataset again on the Data page.",
        )
    frame = pd.read_csv(io.BytesIO(data.train_csv))
    setup = data.setup
    schema = Schema.from_dict(setup.schema)
    return cross_validate_trial(
        frame,
        schema,
        setup.family,
        params,
        primary_metric=setup.primary_metric,
        folds=setup.folds,
        seed=setup.seed,
    )


def out_of_fold_from_predictions(
    csv: bytes, *, task: str, mean: dict[str, float], std: dict[str, float], folds: int
) -> OutOfFold:
    """The out-of-fold view from a trial's ``oof_predictions.csv`` artifact (no refit); the
    scores come from the run's metrics. A UserFacingError if the file is not such a CSV."""
    if task not in ("classification", "regression"):
        raise UserFacingError(
            f"The trial's task {task!r} is neither classification nor regression.",
            "Check the run's 'task' tag.",
        )
    predictions = read_predictions_csv(csv, classification=task == "classification")
    return build_out_of_fold(task, predictions, mean=mean, std=std, folds=folds)


def build_out_of_fold(
    task: str, predictions: Predictions, *, mean: Mapping[str, float], std: Mapping[str, float], folds: int
) -> OutOfFold:
    """Confusion matrix and curves (classification) from the predictions; classes compared as text."""
    y_true, y_pred = predictions.y_true, predictions.y_pred
    classes = tuple(str(c) for c in predictions.classes)
    confusion = None
    roc: tuple[Curve, ...] = ()
    pr: tuple[Curve, ...] = ()
    if task == "classification":
        codes = {c: i for i, c in enumerate(classes)}
        truth = np.array([codes[str(v)] for v in y_true], dtype=np.int64)
        guess = np.array([codes[str(v)] for v in y_pred], dtype=np.int64)
        confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
        np.add.at(confusion, (truth, guess), 1)
        if predictions.y_proba is not None:
            curves = class_curves(y_true, predictions.y_proba, classes, prefix="class ")
            roc, pr = tuple(curves[0]), tuple(curves[1])
    return OutOfFold(
        task=task,
        classes=classes,
        y_true=y_true,
        y_pred=y_pred,
        mean=dict(mean),
        std=dict(std),
        folds=folds,
        confusion=confusion,
        roc=roc,
        pr=pr,
    )
