"""The preprocessing a schema asks for: the scikit-learn ColumnTransformer and its summary.

What the EDA page previews (:func:`preprocessing_table`) is what the trainer builds
(:func:`build_preprocessor`). scikit-learn is only imported when a transformer is built,
because importing it takes seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.data.schema import FeatureType, Schema, Task

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

__all__ = ["build_preprocessor", "preprocessing_table"]

_STEPS = {
    FeatureType.NUMERIC: "impute median → scale",
    FeatureType.BINARY: "impute mode → encode as one 0/1 column",
    FeatureType.CATEGORICAL: "impute mode → one-hot",
}


def build_preprocessor(schema: Schema) -> ColumnTransformer:
    """The scikit-learn ColumnTransformer for the schema's features.

    Binary columns are imputed and then one-hot encoded with ``drop="if_binary"``: a 0/1
    column comes out unchanged, and a yes/no or M/F column becomes one 0/1 column (a plain
    pass-through would hand the model strings). ``remainder="drop"`` only drops the target and
    the columns listed in ``schema.excluded``, since every other column is a feature.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pipelines = {
        FeatureType.NUMERIC: lambda: Pipeline(
            [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
        ),
        FeatureType.BINARY: lambda: Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("encode", OneHotEncoder(drop="if_binary", handle_unknown="ignore")),
            ]
        ),
        FeatureType.CATEGORICAL: lambda: Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]
        ),
    }
    transformers = [
        (kind.value, pipelines[kind](), schema.columns_of(kind))
        for kind in FeatureType
        if schema.columns_of(kind)
    ]
    return ColumnTransformer(transformers, remainder="drop")


def preprocessing_table(schema: Schema) -> list[dict[str, str]]:
    """One row per column: the target first, then the features in order, then the excluded."""
    if schema.task == Task.REGRESSION:
        target_step = "predicted as a number (regression)"
    elif schema.label_map is None:
        target_step = f"classes {', '.join(schema.classes)} used as they are"
    else:
        target_step = "encoded " + ", ".join(f"{label} → {code}" for label, code in schema.label_map.items())
    rows = [{"column": schema.target, "type": f"target ({schema.task.value})", "step": target_step}]
    rows += [
        {"column": name, "type": kind.value, "step": _STEPS[kind]} for name, kind in schema.features.items()
    ]
    rows += [
        {"column": name, "type": "excluded", "step": f"excluded: {reason}"}
        for name, reason in schema.excluded.items()
    ]
    return rows
