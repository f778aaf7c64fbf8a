"""A trial's out-of-fold predictions as a CSV file: written by the trainer, read by the Trials page.

Every trial (:mod:`core.train.cli`) logs the predictions of the cross-validation it ran as the
run artifact ``oof_predictions.csv`` (:data:`core.mlflow_layout.OOF_ARTIFACT`), so the best
trial's confusion matrix and curves need no refit, also for a sweep read from Azure days later.

The columns are ``y_true`` and ``y_pred`` and, for a classifier, one ``proba:<label>`` column
per class in the schema's class order (the label follows the prefix as is, so any label
round-trips: CSV quoting takes care of commas and quotes). Rows are in the train split's order
(not fold order). Floats are written in Python's shortest exact form, so they read back equal.

Class labels read back as the trainer fits them (:func:`core.train.target.class_labels`): ints
when every label reads as a whole number, else text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import UserFacingError

if TYPE_CHECKING:
    from core.train.trainer import TrialResult

__all__ = ["PROBA_PREFIX", "Predictions", "predictions_csv", "read_predictions_csv", "split_order"]

TRUE_COLUMN, PRED_COLUMN = "y_true", "y_pred"
PROBA_PREFIX = "proba:"
_INTEGER = re.compile(r"-?\d+")
_FIX = "Run the trial again: its trainer writes this file at the end of its cross-validation."


@dataclass(frozen=True)
class Predictions:
    """Out-of-fold predictions in the train split's row order."""

    classes: tuple[Any, ...]  # () for regression
    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None  # one column per class, in ``classes`` order


def split_order(result: TrialResult) -> Predictions:
    """A trial's out-of-fold predictions, put back from fold order into the split's row order."""
    order = np.argsort(result.row_index, kind="stable")
    proba = None if result.y_proba is None else np.asarray(result.y_proba)[order]
    return Predictions(
        tuple(result.classes), np.asarray(result.y_true)[order], np.asarray(result.y_pred)[order], proba
    )


def predictions_csv(predictions: Predictions) -> str:
    """The CSV text of the predictions (see the module's docstring for the columns)."""
    columns: dict[str, Any] = {TRUE_COLUMN: predictions.y_true, PRED_COLUMN: predictions.y_pred}
    if predictions.y_proba is not None:
        for index, label in enumerate(predictions.classes):
            columns[f"{PROBA_PREFIX}{label}"] = predictions.y_proba[:, index]
    buffer = io.StringIO()
    pd.DataFrame(columns).to_csv(buffer, index=False)
    return buffer.getvalue()


def read_predictions_csv(csv: bytes, *, classification: bool) -> Predictions:
    """Read :func:`predictions_csv`'s text back; a UserFacingError if it is not such a file."""
    try:
        frame = pd.read_csv(io.BytesIO(csv), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UserFacingError(
            f"The out-of-fold predictions file cannot be read as CSV ({exc}).", _FIX
        ) from exc
    missing = [name for name in (TRUE_COLUMN, PRED_COLUMN) if name not in frame.columns]
    if missing or frame.empty:
        raise UserFacingError(
            "The out-of-fold predictions file has "
            + (f"no {' or '.join(missing)} column." if missing else "no rows."),
            _FIX,
        )
    truth, guess = frame[TRUE_COLUMN].to_numpy(dtype=str), frame[PRED_COLUMN].to_numpy(dtype=str)
    if not classification:
        return Predictions((), _floats(truth, TRUE_COLUMN), _floats(guess, PRED_COLUMN), None)
    proba_columns = [str(c) for c in frame.columns if str(c).startswith(PROBA_PREFIX)]
    texts = [c[len(PROBA_PREFIX) :] for c in proba_columns]
    if not texts:  # no probabilities: the classes seen, in sorted order
        texts = sorted(set(truth.tolist()) | set(guess.tolist()))
    unknown = sorted((set(truth.tolist()) | set(guess.tolist())) - set(texts))
    if unknown:
        raise UserFacingError(
            f"The out-of-fold predictions name classes without a probability column: {unknown[:5]}.", _FIX
        )
    proba = None
    if proba_columns:
        proba = np.column_stack([_floats(frame[c].to_numpy(dtype=str), c) for c in proba_columns])
    if all(_INTEGER.fullmatch(text) for text in texts):
        return Predictions(
            tuple(int(t) for t in texts), truth.astype(np.int64), guess.astype(np.int64), proba
        )
    return Predictions(tuple(texts), truth.astype(object), guess.astype(object), proba)


def _floats(values: np.ndarray, column: str) -> np.ndarray:
    try:
        return values.astype(np.float64)
    except ValueError as exc:
        raise UserFacingError(
            f"The out-of-fold predictions file has a value in column {column!r} that is not a number.", _FIX
        ) from exc
