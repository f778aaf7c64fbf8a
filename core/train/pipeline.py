"""The model pipeline: the schema's preprocessing followed by a family's estimator.

The preprocessing is :func:`core.train.preprocessing.build_preprocessor`, the same
``ColumnTransformer`` the EDA page previews, so the typing from the data step is the one
training uses. scikit-learn is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.data.schema import Schema, Task
from core.errors import DataError, UserFacingError
from core.train.families import Family, get_family
from core.train.preprocessing import build_preprocessor
from core.train.target import feature_frame, target_values

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["build_pipeline", "fit_final", "resolve_family"]


def resolve_family(schema: Schema, family: Family | str) -> Family:
    """The family object for a key (looked up for the schema's task); checks that tasks match."""
    resolved = get_family(schema.task, family) if isinstance(family, str) else family
    if resolved.task != schema.task:
        raise UserFacingError(
            f"{resolved.label} ({resolved.task.value}) cannot be trained on the {schema.task.value} "
            f"target {schema.target!r}.",
            f"Pick a {schema.task.value} model family.",
        )
    return resolved


def build_pipeline(
    schema: Schema, family: Family | str, params: Mapping[str, object], seed: int = 0
) -> Pipeline:
    """``Pipeline([("preprocess", build_preprocessor(schema)), ("model", estimator)])``, unfitted."""
    from sklearn.pipeline import Pipeline

    estimator = resolve_family(schema, family).build_estimator(params, seed)
    return Pipeline([("preprocess", build_preprocessor(schema)), ("model", estimator)])


def fit_final(
    frame: pd.DataFrame, schema: Schema, family: Family | str, params: Mapping[str, object], seed: int = 0
) -> Pipeline:
    """The configuration refitted on every row of ``frame`` (the whole train split).

    The fitted pipeline takes the schema's feature columns and predicts the class labels of
    :func:`core.train.target.class_labels` (or numbers, for regression).
    """
    pipeline = build_pipeline(schema, family, params, seed)
    y = target_values(frame, schema)
    if schema.task == Task.CLASSIFICATION and len(np.unique(y)) < 2:
        raise DataError(
            f"The target {schema.target!r} has a single class in these rows, so there is nothing to learn.",
            "Train on data that has at least two classes.",
        )
    pipeline.fit(feature_frame(frame, schema), y)
    return pipeline
