"""Column typing and target analysis: the schema the Data page builds and the trainer reads.

The Data page types every column (numeric, binary, categorical or excluded), works out the
task from the target, and lets the user correct both. The result is a :class:`Schema`: it is
stored with each data-asset version as JSON, and the trainer builds its preprocessing from
it with :func:`core.train.preprocessing.build_preprocessor`, so what the EDA page previews is
what gets trained.

- :mod:`~core.data.schema.model`: :class:`Schema`, :class:`FeatureType`, :class:`Task`, the
  profile and target records.
- :mod:`~core.data.schema.profile`: typing and flagging the columns, vectorised.
- :mod:`~core.data.schema.target`: checking the target, suggesting a task, encoding the labels.
- :mod:`~core.data.schema.build`: the schema from the detected typing and the user's corrections.

No scikit-learn here: importing it takes seconds.
"""

from core.data.schema.build import EXCLUDED_BY_USER, build_schema
from core.data.schema.model import MAX_CLASSES, ColumnProfile, FeatureType, Schema, TargetInfo, Task
from core.data.schema.profile import (
    FLAG_ALL_MISSING,
    FLAG_CONSTANT,
    FLAG_ID_LIKE,
    FLAG_INFINITE,
    default_target,
    infer_feature_type,
    profile_columns,
)
from core.data.schema.target import analyse_target, encode_target

__all__ = [
    "EXCLUDED_BY_USER",
    "FLAG_ALL_MISSING",
    "FLAG_CONSTANT",
    "FLAG_ID_LIKE",
    "FLAG_INFINITE",
    "MAX_CLASSES",
    "ColumnProfile",
    "FeatureType",
    "Schema",
    "TargetInfo",
    "Task",
    "analyse_target",
    "build_schema",
    "default_target",
    "encode_target",
    "infer_feature_type",
    "profile_columns",
]
