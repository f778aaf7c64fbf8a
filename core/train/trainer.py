"""The trainer: one entry point shared by the local workers and the Azure command job.

- :func:`build_pipeline`: the schema's preprocessing (``build_preprocessor(schema)``, the
  ``ColumnTransformer`` the EDA page previews) followed by a family's estimator.
- :func:`cross_validate_trial`: scores one hyperparameter configuration fold by fold and
  reports every fold through ``on_fold``, which is where an early-termination policy (or a
  cancel) can stop the trial.
- :func:`fit_final`: refits the chosen configuration on the whole train split, and
  :func:`log_model` logs it to MLflow.

Nothing here writes to MLflow except :func:`log_model`: local workers hand results to the
sweep's single MLflow writer, and the command-line job (:mod:`core.train.cli`) logs through
:mod:`core.train.tracking`. scikit-learn and MLflow are imported inside the functions, so
importing this module stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.data.schema import Schema, Task
from core.train.families import Family
from core.train.folds import FoldResult, TrialPlan, plan_trial, run_fold
from core.train.pipeline import build_pipeline, fit_final, resolve_family
from core.train.tracking import log_model

__all__ = [
    "FoldResult",
    "OnFold",
    "TrialPlan",
    "TrialResult",
    "build_pipeline",
    "combine_folds",
    "cross_validate_trial",
    "fit_final",
    "log_model",
    "plan_trial",
    "resolve_family",
    "run_fold",
]

OnFold = Callable[[int, dict[str, float]], bool]
"""Called after each fold with (fold index from 0, every metric of the fold); False stops."""


@dataclass(frozen=True)
class TrialResult:
    """One configuration's cross-validation, complete or stopped early.

    ``y_true``/``y_pred``/``y_proba`` are the out-of-fold predictions of the folds that ran,
    in fold order; ``row_index`` gives each one's row position in the frame and ``fold_of_row``
    its fold. For classification they hold class labels, and ``y_proba``'s columns follow
    ``classes`` (the schema's order; in a binary task the second is the positive class).
    """

    family: str
    task: Task
    params: dict[str, Any]  # the given hyperparameters, typed
    seed: int
    primary_metric: str
    folds: int  # folds planned
    fold_metrics: list[dict[str, float]]  # one dict per fold that ran
    mean: dict[str, float]
    std: dict[str, float]  # population std over the folds that ran (0 for one fold)
    early_terminated: bool  # stopped before its last fold
    fold_seconds: list[float]  # fit, predict and score time of each fold
    seconds: float  # the whole trial, wall time
    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None
    classes: tuple[Any, ...]
    row_index: np.ndarray
    fold_of_row: np.ndarray

    @property
    def folds_done(self) -> int:
        return len(self.fold_metrics)

    @property
    def score(self) -> float:
        """Mean of the primary metric over the folds that ran."""
        return self.mean[self.primary_metric]


def cross_validate_trial(
    frame: pd.DataFrame,
    schema: Schema,
    family: Family | str,
    params: Mapping[str, object],
    *,
    primary_metric: str,
    folds: int = 5,
    seed: int = 0,
    on_fold: OnFold | None = None,
) -> TrialResult:
    """K-fold cross-validation of one configuration: stratified for classification, shuffled
    with ``seed`` (which also seeds the estimator), so a seed gives the same result again.

    After each fold every metric of the task is computed and passed to ``on_fold``; when it
    returns False the trial stops there, and the result is early-terminated unless that was
    the last fold. Bad hyperparameters, folds or data raise a UserFacingError before any fit.
    """
    started = time.perf_counter()
    plan = plan_trial(frame, schema, family, params, primary_metric=primary_metric, folds=folds, seed=seed)
    done: list[FoldResult] = []
    for fold in range(plan.folds):
        done.append(run_fold(plan, fold))
        if on_fold is not None and not on_fold(fold, dict(done[-1].metrics)):
            break
    return combine_folds(
        plan, done, early_terminated=len(done) < plan.folds, seconds=time.perf_counter() - started
    )


def combine_folds(
    plan: TrialPlan, done: Sequence[FoldResult], *, early_terminated: bool, seconds: float
) -> TrialResult:
    """The trial's result from the folds that ran (at least one), in fold order."""
    if not done:
        raise ValueError("a trial result needs at least one fold")
    ordered = sorted(done, key=lambda r: r.fold)
    names = list(ordered[0].metrics)
    probas = [r.y_proba for r in ordered if r.y_proba is not None]
    return TrialResult(
        family=plan.family.key,
        task=plan.schema.task,
        params=dict(plan.params),
        seed=plan.seed,
        primary_metric=plan.primary_metric,
        folds=plan.folds,
        fold_metrics=[r.metrics for r in ordered],
        mean={n: float(np.mean([r.metrics[n] for r in ordered])) for n in names},
        std={n: float(np.std([r.metrics[n] for r in ordered])) for n in names},
        early_terminated=early_terminated,
        fold_seconds=[r.seconds for r in ordered],
        seconds=seconds,
        y_true=np.concatenate([r.y_true for r in ordered]),
        y_pred=np.concatenate([r.y_pred for r in ordered]),
        y_proba=np.concatenate(probas) if len(probas) == len(ordered) else None,
        classes=plan.classes,
        row_index=np.concatenate([r.row_index for r in ordered]),
        fold_of_row=np.concatenate([np.full(len(r.row_index), r.fold) for r in ordered]),
    )
