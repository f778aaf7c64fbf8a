"""Column typing, target analysis and the preprocessing contract shared with the trainer.

The Data page types every column (numeric, binary, categorical or excluded), works out the
task from the target, and lets the user correct both. The result is a :class:`Schema`: it is
stored with each data-asset version as JSON, and the trainer builds its preprocessing from
it with :func:`build_preprocessor`, so what the EDA page previews is what gets trained.

Profiling is vectorised and costs about one sort of each numeric column (one hash pass for
text columns): on a million rows that is ~10-20 ms a column. scikit-learn is only imported
by the functions that build transformers, because importing it takes seconds.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.errors import DataError

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

__all__ = [
    "MAX_CLASSES",
    "ColumnProfile",
    "FeatureType",
    "Schema",
    "TargetInfo",
    "Task",
    "analyse_target",
    "build_preprocessor",
    "build_schema",
    "default_target",
    "encode_target",
    "infer_feature_type",
    "preprocessing_code",
    "preprocessing_table",
    "profile_columns",
]

DEFAULT_TARGET = "output"  # the Kaggle heart dataset's target name
MAX_CODES = 10  # integer columns with at most this many values, over a small range, are codes
MAX_CODE_RANGE = 10  # ... and max - min at most this (codes 0-4, 1-7; not 0, 10, 20, 30)
MIN_ID_ROWS = 20  # a column is ID-like only with more rows than this (small tables repeat less)
HIGH_CARDINALITY = 50  # text columns with more distinct values than this ...
HIGH_CARDINALITY_SHARE = 0.5  # ... and more than this share of rows distinct are excluded
SUGGEST_REGRESSION_ABOVE = 20  # a numeric target with more distinct values suggests regression
MAX_CLASSES = 50  # classification refuses more classes than this
MAX_TARGET_MISSING = 0.5  # a target missing in more than this share of rows is refused
_KEEP_UNIQUES = MAX_CLASSES  # distinct values (and their counts) are kept up to this many
_SCHEMA_VERSION = 1

EXCLUDED_BY_USER = "Excluded by your choice."
FLAG_ALL_MISSING = "all missing"
FLAG_CONSTANT = "constant"
FLAG_ID_LIKE = "ID-like (a distinct value in every row)"
FLAG_INFINITE = "has infinities"


class FeatureType(StrEnum):
    NUMERIC = "numeric"
    BINARY = "binary"
    CATEGORICAL = "categorical"


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


@dataclass(frozen=True)
class ColumnProfile:
    name: str
    dtype: str
    feature_type: FeatureType
    missing: int
    missing_pct: float  # 0-100
    distinct: int  # distinct non-missing values
    flags: tuple[str, ...]  # e.g. "all missing", "constant", "ID-like (...)", "has infinities"
    excluded: bool  # excluded by default (all missing, constant, ID-like, high-cardinality text)
    reason: str  # why excluded, a short sentence ("" when kept)


@dataclass(frozen=True)
class TargetInfo:
    name: str
    task: Task
    suggested_task: Task
    classes: tuple[str, ...]  # original labels as text, in encoded order (classification only)
    label_map: dict[str, int] | None  # label text -> encoded int; None when labels are ints 0..k-1
    notes: tuple[str, ...]  # full sentences for the user


@dataclass(frozen=True)
class Schema:
    target: str
    task: Task
    features: dict[str, FeatureType]  # kept feature columns, in their original order
    excluded: dict[str, str]  # column -> reason; every non-target column is a feature or here
    label_map: dict[str, int] | None
    classes: tuple[str, ...] = field(default=())

    def columns_of(self, feature_type: FeatureType) -> list[str]:
        """The feature columns of one type, in their original order."""
        return [name for name, kind in self.features.items() if kind == feature_type]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready. Columns are lists, so their order survives ``json.dumps(sort_keys=True)``."""
        return {
            "version": _SCHEMA_VERSION,
            "target": self.target,
            "task": self.task.value,
            "features": [{"name": name, "type": kind.value} for name, kind in self.features.items()],
            "excluded": [{"name": name, "reason": reason} for name, reason in self.excluded.items()],
            "label_map": None if self.label_map is None else dict(self.label_map),
            "classes": list(self.classes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """Inverse of :meth:`to_dict`; a DataError if the stored schema is damaged."""
        try:
            label_map = data["label_map"]
            schema = cls(
                target=str(data["target"]),
                task=Task(data["task"]),
                features={str(item["name"]): FeatureType(item["type"]) for item in data["features"]},
                excluded={str(item["name"]): str(item["reason"]) for item in data["excluded"]},
                label_map=(
                    None
                    if label_map is None
                    else {str(k): int(v) for k, v in sorted(label_map.items(), key=lambda kv: int(kv[1]))}
                ),
                classes=tuple(str(c) for c in data.get("classes", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(
                f"The stored schema could not be read ({type(exc).__name__}: {exc}).",
                "Store the dataset again from the Data page to write a fresh schema.",
            ) from exc
        return schema


# -- per-column statistics ------------------------------------------------------------------


@dataclass(frozen=True)
class _Stats:
    """What typing needs to know about one column, from one pass over it."""

    rows: int
    missing: int
    distinct: int
    numeric: bool  # numbers, not booleans
    floating: bool  # a float dtype (integers and text can be ID-like, floats cannot)
    has_inf: bool
    uniques: np.ndarray | None  # sorted distinct non-missing values, when at most _KEEP_UNIQUES
    counts: np.ndarray | None  # rows per unique value (only when asked for)

    @property
    def integral(self) -> bool:
        """All distinct values are whole numbers (only known when the uniques were kept)."""
        if not self.numeric or self.uniques is None:
            return False
        values = self.uniques.astype(np.float64)
        return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype))


def _stats(series: pd.Series, counts: bool = False) -> _Stats:
    if _is_numeric(series):
        return _numeric_stats(series, counts)
    return _other_stats(series, counts)


def _numeric_stats(series: pd.Series, want_counts: bool) -> _Stats:
    """Numbers are sorted rather than hashed: numpy's SIMD sort takes ~15 ms for a million
    values whatever their cardinality, where a hash table takes ~100 ms for distinct floats."""
    dtype = series.dtype
    floating = pd.api.types.is_float_dtype(dtype)
    rows = len(series)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        ordered = np.sort(series.to_numpy())
    else:
        ordered = np.sort(series.to_numpy(dtype=np.float64, na_value=np.nan))
        ordered = ordered[: ordered.size - int(np.count_nonzero(np.isnan(ordered)))]  # NaN sort last
    if ordered.size == 0:
        return _Stats(rows, rows, 0, True, floating, False, ordered, ordered.astype(np.int64))
    change = ordered[1:] != ordered[:-1]
    distinct = int(np.count_nonzero(change)) + 1
    has_inf = floating and bool(np.isinf(ordered[0]) or np.isinf(ordered[-1]))
    uniques = counts = None
    if distinct <= _KEEP_UNIQUES:
        starts = np.flatnonzero(np.concatenate(([True], change)))
        uniques = ordered[starts]
        counts = np.diff(np.append(starts, ordered.size)) if want_counts else None
    return _Stats(rows, rows - ordered.size, distinct, True, floating, has_inf, uniques, counts)


def _other_stats(series: pd.Series, want_counts: bool) -> _Stats:
    """Text, booleans, categoricals, dates: pandas' hashing (Arrow kernels for strings)."""
    rows = len(series)
    missing = int(series.isna().sum())
    distinct = int(series.nunique(dropna=True))
    uniques = counts = None
    if distinct <= _KEEP_UNIQUES:
        table = series.value_counts(dropna=True, sort=False)
        table = table[table > 0]  # a categorical dtype lists its unused categories too
        order = sorted(range(len(table)), key=lambda i: _label_text(table.index[i]))
        uniques = np.array([table.index[i] for i in order], dtype=object)
        counts = table.to_numpy()[order] if want_counts else None
    return _Stats(rows, missing, distinct, False, False, False, uniques, counts)


def _feature_type(stats: _Stats) -> FeatureType:
    if stats.distinct == 2:
        return FeatureType.BINARY
    if not stats.numeric:
        return FeatureType.CATEGORICAL
    if (
        3 <= stats.distinct <= MAX_CODES
        and stats.uniques is not None
        and stats.integral
        and float(stats.uniques[-1]) - float(stats.uniques[0]) <= MAX_CODE_RANGE
    ):
        return FeatureType.CATEGORICAL
    return FeatureType.NUMERIC


# -- feature typing ----------------------------------------------------------------------------


def default_target(columns: Sequence[str]) -> str:
    """``output`` when there is such a column (the heart dataset), else the last column."""
    if len(columns) == 0:
        raise DataError("The data has no columns.", "Load a CSV file with a header row and data rows.")
    return DEFAULT_TARGET if DEFAULT_TARGET in columns else str(columns[-1])


def infer_feature_type(series: pd.Series) -> FeatureType:
    """Binary for two values; categorical for text or small integer codes; numeric otherwise."""
    return _feature_type(_stats(series))


def profile_columns(frame: pd.DataFrame, target: str) -> list[ColumnProfile]:
    """Type and flag every column except the target, in the frame's column order."""
    _check_unique_names(frame)
    return [_profile(str(name), series) for name, series in frame.items() if name != target]


def _check_unique_names(frame: pd.DataFrame) -> None:
    if frame.columns.is_unique:
        return
    repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    raise DataError(
        f"Some column names appear more than once: {', '.join(repr(c) for c in repeated[:5])}.",
        "Give every column its own name in the header row and load the file again.",
    )


def _profile(name: str, series: pd.Series) -> ColumnProfile:
    stats = _stats(series)
    flags: list[str] = []
    reason = ""
    present = stats.rows - stats.missing
    if stats.distinct == 0:
        flags.append(FLAG_ALL_MISSING)
        reason = "It has no values at all."
    elif stats.distinct == 1:
        flags.append(FLAG_CONSTANT)
        reason = "It has the same value in every row, so it cannot help a model."
    elif not stats.floating and stats.distinct == present and present > MIN_ID_ROWS:
        flags.append(FLAG_ID_LIKE)
        reason = "A different value in every row, like an ID, teaches a model nothing about new rows."
    elif (
        not stats.numeric
        and stats.distinct > HIGH_CARDINALITY
        and stats.distinct > HIGH_CARDINALITY_SHARE * present
    ):
        flags.append(f"high cardinality ({stats.distinct:,} distinct text values)")
        reason = "Too many distinct text values to one-hot encode (each would become a column)."
    if stats.has_inf:
        flags.append(FLAG_INFINITE)
    if stats.rows and stats.missing * 2 > stats.rows and stats.distinct:
        flags.append(f"mostly missing ({100 * stats.missing / stats.rows:.0f}%)")
    return ColumnProfile(
        name=name,
        dtype=str(series.dtype),
        feature_type=_feature_type(stats),
        missing=stats.missing,
        missing_pct=100 * stats.missing / stats.rows if stats.rows else 0.0,
        distinct=stats.distinct,
        flags=tuple(flags),
        excluded=bool(reason),
        reason=reason,
    )


# -- the target -----------------------------------------------------------------------------------


def _label_text(value: object) -> str:
    """A label as the user reads it: 1.0 shows as "1" (a target with gaps is read as floats)."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _quote_list(texts: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(repr(t) for t in texts[:limit])
    return shown + (f" and {len(texts) - limit} more" if len(texts) > limit else "")


def analyse_target(frame: pd.DataFrame, target: str, task: Task | None = None) -> TargetInfo:
    """Check the target, suggest a task and, for classification, fix the label encoding.

    ``task`` is the user's choice; None takes the suggestion. Raises DataError when the target
    cannot be used for the task (all or mostly missing, one value, text for regression, too
    many classes).
    """
    if target not in frame.columns:
        raise DataError(
            f"There is no column {target!r} in the data.", "Pick the target from the column list."
        )
    series = frame[target]
    if isinstance(series, pd.DataFrame):
        raise DataError(
            f"More than one column is named {target!r}.", "Give every column its own name and load it again."
        )
    stats = _stats(series, counts=True)
    notes = _missing_target_notes(target, stats)
    if stats.distinct == 1:
        only = _label_text(stats.uniques[0]) if stats.uniques is not None else "?"
        raise DataError(
            f"The target {target!r} has the same value ({only!r}) in every row, so there is nothing "
            "to learn.",
            "Pick another target column, or load data that has more than one outcome.",
        )
    suggested = (
        Task.REGRESSION
        if stats.numeric and stats.distinct > SUGGEST_REGRESSION_ABOVE
        else Task.CLASSIFICATION
    )
    if suggested == Task.REGRESSION:
        notes.append(
            f"The target has {stats.distinct:,} distinct numeric values, so this is a regression task."
        )
    chosen = Task(task) if task is not None else suggested
    if chosen == Task.REGRESSION:
        notes.extend(_check_regression_target(series, target, stats))
        return TargetInfo(target, chosen, suggested, (), None, tuple(notes))
    classes, label_map, class_notes = _classes(target, stats, forced=suggested == Task.REGRESSION)
    return TargetInfo(target, chosen, suggested, classes, label_map, tuple(notes + class_notes))


def _missing_target_notes(target: str, stats: _Stats) -> list[str]:
    if stats.distinct == 0:
        raise DataError(
            f"The target {target!r} has no values: it is missing in every row.",
            "Pick another target column, or fill in the target values and load the file again.",
        )
    if not stats.missing:
        return []
    share = stats.missing / stats.rows
    rows = f"{stats.missing:,} of {stats.rows:,} rows ({100 * share:.1f}%)"
    if share > MAX_TARGET_MISSING:
        raise DataError(
            f"The target {target!r} is missing in {rows}: too few rows are left to learn from.",
            "Pick another target column, or fill in the missing target values and load the file again.",
        )
    return [f"{rows} have no value for {target!r}; they will be dropped before splitting and training."]


def _check_regression_target(series: pd.Series, target: str, stats: _Stats) -> list[str]:
    if not stats.numeric:
        example = series.dropna().iloc[0]
        raise DataError(
            f"Regression needs a numeric target, but {target!r} holds {series.dtype} values "
            f"(for example {_label_text(example)!r}).",
            "Choose classification, or pick a numeric target column.",
        )
    if stats.has_inf:
        raise DataError(
            f"The target {target!r} has infinite values (inf or -inf), which a regression cannot learn.",
            "Replace them with real numbers or blank them (those rows are then dropped), then load it again.",
        )
    if stats.distinct <= SUGGEST_REGRESSION_ABOVE:
        return [
            f"The target has only {stats.distinct} distinct values; classification usually fits such a "
            "target better than regression."
        ]
    return []


def _classes(
    target: str, stats: _Stats, forced: bool
) -> tuple[tuple[str, ...], dict[str, int] | None, list[str]]:
    """Class labels in encoded order, the label map (None for ints 0..k-1) and notes."""
    if stats.distinct > MAX_CLASSES or stats.uniques is None or stats.counts is None:
        raise DataError(
            f"The target {target!r} has {stats.distinct:,} distinct values: too many to treat as classes "
            f"(at most {MAX_CLASSES}).",
            "Choose regression if the target is a quantity, or pick a target with fewer distinct values "
            "(for example bin the values into ranges first).",
        )
    texts = [_label_text(v) for v in stats.uniques]
    if len(set(texts)) < len(texts):
        raise DataError(
            f"Some labels of the target {target!r} read the same as text (for example 1 and '1').",
            "Write each class the same way in every row, then load the file again.",
        )
    notes: list[str] = []
    if forced:
        notes.append(f"You chose classification, so each of the {len(texts)} distinct values is a class.")
    label_map: dict[str, int] | None = {text: i for i, text in enumerate(texts)}
    if stats.integral and [int(v) for v in stats.uniques] == list(range(len(texts))):
        label_map = None
    else:
        mapping = ", ".join(f"{text} → {i}" for i, text in enumerate(texts[:10]))
        more = f" (and {len(texts) - 10} more)" if len(texts) > 10 else ""
        notes.append(f"The classes are encoded as numbers for training: {mapping}{more}.")
    lonely = [text for text, count in zip(texts, stats.counts, strict=True) if count < 2]
    if lonely:
        notes.append(
            f"The class(es) {_quote_list(lonely)} have a single row; a stratified split needs at least "
            "two rows in every class."
        )
    return tuple(texts), label_map, notes


# -- the schema -------------------------------------------------------------------------------------


def build_schema(
    frame: pd.DataFrame,
    target: str,
    task: Task | None = None,
    overrides: Mapping[str, FeatureType | None] | None = None,
    profiles: Sequence[ColumnProfile] | None = None,
) -> Schema:
    """The schema from the detected typing and the user's corrections.

    ``overrides`` maps a column to its corrected type, or to None to exclude it; a type for a
    column excluded by default includes it again. Overrides for the target are ignored.
    ``profiles`` are ``profile_columns(frame, target)`` when the caller has them already.
    """
    info = analyse_target(frame, target, task)
    if profiles is None:
        profiles = profile_columns(frame, target)
    overrides = {k: v for k, v in (overrides or {}).items() if k != target}
    unknown = sorted(set(overrides) - {p.name for p in profiles})
    if unknown:
        raise DataError(
            f"The column types name columns that are not in the data: {_quote_list(unknown)}.",
            "Reload the data and set the column types again.",
        )
    features: dict[str, FeatureType] = {}
    excluded: dict[str, str] = {}
    for profile in profiles:
        if profile.name not in overrides:
            if profile.excluded:
                excluded[profile.name] = profile.reason
            else:
                features[profile.name] = profile.feature_type
            continue
        chosen = overrides[profile.name]
        if chosen is None:
            excluded[profile.name] = profile.reason or EXCLUDED_BY_USER
        else:
            features[profile.name] = _checked_override(frame[profile.name], profile, FeatureType(chosen))
    if not features:
        raise DataError(
            "No feature columns are left: every column apart from the target is excluded.",
            "Set at least one column's type to numeric, binary or categorical.",
        )
    return Schema(target, info.task, features, excluded, info.label_map, info.classes)


def _checked_override(series: pd.Series, profile: ColumnProfile, chosen: FeatureType) -> FeatureType:
    """Refuse a type the preprocessing cannot apply to the column."""
    name = profile.name
    if profile.distinct == 0:
        raise DataError(
            f"Column {name!r} has no values, so it cannot be used as a feature.", "Leave it excluded."
        )
    if chosen == FeatureType.NUMERIC and not _is_numeric(series):
        example = _label_text(series.dropna().iloc[0])
        raise DataError(
            f"Column {name!r} holds text (for example {example!r}), so it cannot be numeric.",
            "Set it to categorical (or binary if it has two values), or exclude it.",
        )
    if chosen == FeatureType.BINARY and profile.distinct > 2:
        raise DataError(
            f"Column {name!r} has {profile.distinct:,} distinct values, so it cannot be binary.",
            "Set it to categorical or numeric, or exclude it.",
        )
    return chosen


def encode_target(series: pd.Series, schema: Schema) -> pd.Series:
    """The target as the model sees it: class numbers (int64) or floats for regression.

    Drop rows with a missing target first (the split does): they raise a DataError here, as
    do labels the schema does not know.
    """
    name = schema.target
    missing = int(series.isna().sum())
    if missing:
        raise DataError(
            f"{missing:,} rows have no value for the target {name!r}.",
            "Drop the rows with a missing target before encoding it.",
        )
    if schema.task == Task.REGRESSION:
        try:
            return pd.to_numeric(series).astype(np.float64)
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"The regression target {name!r} has values that are not numbers ({exc}).",
                "Fix or remove those rows, or choose classification.",
            ) from exc
    codes, uniques = pd.factorize(series)
    lookup = schema.label_map or {str(i): i for i in range(len(schema.classes))}
    texts = [_label_text(v) for v in uniques]
    unknown = [t for t in texts if t not in lookup]
    if unknown:
        raise DataError(
            f"The target {name!r} has labels that were not in the data when its schema was made: "
            f"{_quote_list(unknown)}.",
            "Remove those rows, or build the schema again from data that includes them.",
        )
    mapped = np.array([lookup[t] for t in texts], dtype=np.int64)
    return pd.Series(mapped[codes], index=series.index, name=series.name)


# -- preprocessing ------------------------------------------------------------------------------------

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


_CODE_PIPELINES = {
    FeatureType.NUMERIC: (
        'numeric_steps = Pipeline([("impute", SimpleImputer(strategy="median")), '
        '("scale", StandardScaler())])'
    ),
    FeatureType.BINARY: """\
binary_steps = Pipeline(
    [
        ("impute", SimpleImputer(strategy="most_frequent")),
        ("encode", OneHotEncoder(drop="if_binary", handle_unknown="ignore")),  # one 0/1 column each
    ]
)""",
    FeatureType.CATEGORICAL: """\
categorical_steps = Pipeline(
    [
        ("impute", SimpleImputer(strategy="most_frequent")),
        ("onehot", OneHotEncoder(handle_unknown="ignore")),
    ]
)""",
}


def _q(value: str) -> str:
    """A Python string literal, double-quoted like the other snippets; repr when JSON escaping
    would not read back the same (characters outside the Basic Multilingual Plane)."""
    text = json.dumps(value)
    return text if ast.literal_eval(text) == value else repr(value)


def _comment(text: str) -> str:
    """Text safe inside a # comment: a line break in a column name must not end the comment."""
    return " ".join(text.split())


def _list_literal(names: Sequence[str], width: int = 96) -> str:
    """A list of string literals, wrapped to lines of about ``width`` characters."""
    lines: list[str] = []
    line = ""
    for literal in (_q(name) + "," for name in names):
        if line and len(line) + 1 + len(literal) > width - 4:
            lines.append(line)
            line = literal
        else:
            line = f"{line} {literal}" if line else literal
    if line:
        lines.append(line)
    if len(lines) == 1 and len(lines[0]) < width - 30:
        return "[" + lines[0].removesuffix(",") + "]"
    return "[\n" + "".join(f"    {text}\n" for text in lines) + "]"


def preprocessing_code(schema: Schema) -> str:
    """:func:`build_preprocessor` as paste-able Python; running it defines ``preprocessor``.

    Column names become string literals (never bare text), so no name can inject code.
    """
    lines = [
        "from sklearn.compose import ColumnTransformer",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.pipeline import Pipeline",
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler",
        "",
        f"target = {_q(schema.target)}  # {schema.task.value}",
    ]
    if schema.label_map is not None:
        pairs = ", ".join(f"{_q(label)}: {code}" for label, code in schema.label_map.items())
        lines.append(f"label_map = {{{pairs}}}  # class label (as text) -> class number")
    if schema.excluded:
        lines.append("# Not used (dropped by remainder='drop'):")
        lines += [f"#   {_comment(_q(name))}: {_comment(reason)}" for name, reason in schema.excluded.items()]
    used = [kind for kind in FeatureType if schema.columns_of(kind)]
    for kind in used:
        lines += [
            "",
            f"{kind.value}_columns = {_list_literal(schema.columns_of(kind))}",
            _CODE_PIPELINES[kind],
        ]
    lines += ["", "preprocessor = ColumnTransformer(", "    ["]
    lines += [f'        ("{kind.value}", {kind.value}_steps, {kind.value}_columns),' for kind in used]
    lines += ["    ],", '    remainder="drop",  # drops the target and the columns not used', ")", ""]
    return "\n".join(lines)
