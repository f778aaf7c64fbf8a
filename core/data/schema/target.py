"""Target analysis: check the target, suggest a task, fix the label encoding, encode it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.schema.model import MAX_CLASSES, Schema, TargetInfo, Task
from core.data.schema.profile import ColumnStats, column_stats, label_text, quote_list
from core.errors import DataError

__all__ = ["analyse_target", "encode_target"]

SUGGEST_REGRESSION_ABOVE = 20  # a numeric target with more distinct values suggests regression
MAX_TARGET_MISSING = 0.5  # a target missing in more than this share of rows is refused


def analyse_target(frame: pd.DataFrame, target: str, task: Task | None = None) -> TargetInfo:
    """Check the target, suggest a task and, for classification, fix the label encoding.

    ``task`` is the user's choice; None takes the suggestion. Classification of a continuous
    target (a number with more than MAX_CLASSES distinct values) switches to regression, with a
    note. Raises DataError when the target cannot be used for the task (all or mostly missing,
    one value, text for regression, too many text classes).
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
    stats = column_stats(series, counts=True)
    notes = _missing_target_notes(target, stats)
    if stats.distinct == 1:
        only = label_text(stats.uniques[0]) if stats.uniques is not None else "?"
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
    if suggested == Task.REGRESSION and not (task == Task.CLASSIFICATION and is_continuous(stats)):
        notes.append(
            f"The target has {stats.distinct:,} distinct numeric values, so this is a regression task."
        )
    chosen = Task(task) if task is not None else suggested
    if chosen == Task.CLASSIFICATION and is_continuous(stats):
        chosen = Task.REGRESSION  # cannot be classes: switch rather than refuse until the user does
        notes.append(
            f"'{target}' is a continuous number ({stats.distinct:,} distinct values, more than the "
            f"{MAX_CLASSES} classes classification allows), so the task was switched to regression."
        )
    if chosen == Task.REGRESSION:
        notes.extend(_check_regression_target(series, target, stats))
        return TargetInfo(target, chosen, suggested, (), None, tuple(notes))
    classes, label_map, class_notes = _classes(target, stats, forced=suggested == Task.REGRESSION)
    return TargetInfo(target, chosen, suggested, classes, label_map, tuple(notes + class_notes))


def is_continuous(stats: ColumnStats) -> bool:
    """A numeric target with too many distinct values to be classes: only regression fits it."""
    return stats.numeric and stats.distinct > MAX_CLASSES


def _missing_target_notes(target: str, stats: ColumnStats) -> list[str]:
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


def _check_regression_target(series: pd.Series, target: str, stats: ColumnStats) -> list[str]:
    if not stats.numeric:
        example = series.dropna().iloc[0]
        raise DataError(
            f"Regression needs a numeric target, but {target!r} holds {series.dtype} values "
            f"(for example {label_text(example)!r}).",
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
    target: str, stats: ColumnStats, forced: bool
) -> tuple[tuple[str, ...], dict[str, int] | None, list[str]]:
    """Class labels in encoded order, the label map (None for ints 0..k-1) and notes."""
    if stats.distinct > MAX_CLASSES or stats.uniques is None or stats.counts is None:
        raise DataError(
            f"The target {target!r} has {stats.distinct:,} distinct values: too many to treat as classes "
            f"(at most {MAX_CLASSES}).",
            "Choose regression if the target is a quantity, or pick a target with fewer distinct values "
            "(for example bin the values into ranges first).",
        )
    texts = [label_text(v) for v in stats.uniques]
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
            f"The class(es) {quote_list(lonely)} have a single row; a stratified split needs at least "
            "two rows in every class."
        )
    return tuple(texts), label_map, notes


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
    texts = [label_text(v) for v in uniques]
    unknown = [t for t in texts if t not in lookup]
    if unknown:
        raise DataError(
            f"The target {name!r} has labels that were not in the data when its schema was made: "
            f"{quote_list(unknown)}.",
            "Remove those rows, or build the schema again from data that includes them.",
        )
    mapped = np.array([lookup[t] for t in texts], dtype=np.int64)
    return pd.Series(mapped[codes], index=series.index, name=series.name)
