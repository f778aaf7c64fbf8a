"""The schema from the detected typing and the user's corrections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from core.data.schema.model import ColumnProfile, FeatureType, Schema, Task
from core.data.schema.profile import is_numeric, label_text, profile_columns, quote_list
from core.data.schema.target import analyse_target
from core.errors import DataError

__all__ = ["EXCLUDED_BY_USER", "build_schema"]

EXCLUDED_BY_USER = "Excluded by your choice."


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
            f"The column types name columns that are not in the data: {quote_list(unknown)}.",
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
    if chosen == FeatureType.NUMERIC and not is_numeric(series):
        example = label_text(series.dropna().iloc[0])
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
