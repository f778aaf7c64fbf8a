"""What the model sees: the feature columns, and the target as labels the model predicts.

Classifiers are fitted on the *original class labels*, normalised through the schema: the
schema's :func:`~core.data.schema.encode_target` checks every label (missing or unknown
labels raise a DataError) and numbers it, and the number is turned back into a label by
:func:`class_labels`. Labels that all read as whole numbers become ints (``0``/``1``, or
``1``/``2``/``3``, even when a CSV with gaps stored them as ``1.0``); any other labels stay
text (``"yes"``/``"no"``). So the fitted pipeline, and the MLflow model logged from it,
predicts the labels as the user knows them, without a custom wrapper class.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from core.data.schema import Schema, Task, encode_target
from core.errors import DataError

__all__ = ["class_labels", "feature_frame", "target_values"]

_INTEGER = re.compile(r"-?\d+")


def class_labels(schema: Schema) -> tuple[Any, ...]:
    """The classes as the model predicts them, in the schema's encoded order (empty for
    regression): ints when every label reads as a whole number, else the label texts."""
    if schema.task == Task.REGRESSION:
        return ()
    texts = schema.classes
    if not texts and schema.label_map:
        texts = tuple(sorted(schema.label_map, key=schema.label_map.__getitem__))
    if texts and all(_INTEGER.fullmatch(text) for text in texts):
        return tuple(int(text) for text in texts)
    return tuple(texts)


def feature_frame(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The schema's feature columns, in order; a DataError naming any that are missing."""
    missing = [name for name in schema.features if name not in frame.columns]
    if missing:
        shown = ", ".join(repr(name) for name in missing[:10])
        raise DataError(
            f"The data lacks {len(missing)} feature column(s) that its schema lists: {shown}.",
            "Use the data the schema was made from, or build the schema again from this data.",
        )
    return frame.loc[:, list(schema.features)]


def target_values(frame: pd.DataFrame, schema: Schema) -> np.ndarray:
    """The target as the model is fitted on it: class labels (see :func:`class_labels`) for
    classification, float64 for regression."""
    if schema.target not in frame.columns:
        raise DataError(
            f"The data has no target column {schema.target!r}.",
            "Use the data the schema was made from, or build the schema again from this data.",
        )
    encoded = encode_target(frame[schema.target], schema).to_numpy()
    if schema.task == Task.REGRESSION:
        return np.asarray(encoded, dtype=np.float64)
    labels = class_labels(schema)
    dtype = np.int64 if labels and isinstance(labels[0], int) else object
    values: np.ndarray = np.asarray(labels, dtype=dtype)[encoded]
    return values
