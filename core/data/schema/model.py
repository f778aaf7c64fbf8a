"""The schema: what each column is for, stored with each data-asset version as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.errors import DataError

__all__ = ["MAX_CLASSES", "ColumnProfile", "FeatureType", "Schema", "TargetInfo", "Task"]

MAX_CLASSES = 50  # classification refuses more classes than this
_SCHEMA_VERSION = 1


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
