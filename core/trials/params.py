"""Hyperparameters typed back from what MLflow stored: numeric, categorical, and None as a category.

MLflow keeps every param as text. This app's trials also carry the exact values in the
``params_json`` tag; other tools' runs only have the text, so values are parsed ("3" -> 3,
"0.01" -> 0.01, "True" -> True, "None" -> None) and each hyperparameter gets a kind:

- **numeric**: every value is a number (booleans are not numbers here). Stored as float64
  with NaN where the value is None or the run did not log it (``has_none``).
- **categorical**: anything else, including a search-space Choice of numbers, and a numeric
  hyperparameter that mixes a few numbers with None (``max_depth`` in 3, 10, None). The
  categories are labels in display order: numbers ascending, booleans, text, "None" last.

Where the search space is known (this app's ``sweep_spec.json``, or Optuna's
``<name>_distribution`` tags) it decides the kind and whether an axis is log-scale;
otherwise positive values over two decades or more, bunched at the low end as log-uniform
draws are, get a log axis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

Scalar: TypeAlias = "bool | int | float | str | None"
ParamKind: TypeAlias = Literal["numeric", "categorical"]
NONE_LABEL = "None"
MAX_NONE_MIXED_CATEGORIES = 20  # numbers + None with at most this many distinct numbers -> categorical
LOG_SPAN_INFERRED = 1e2  # positive values spread over this ratio or more may be log-scale

_INT = re.compile(r"^[+-]?\d+$")
_NONE_TEXTS = frozenset({"None", "none", "null", "NULL"})


@dataclass(frozen=True)
class SpaceHint:
    """What a search space says about one hyperparameter."""

    kind: ParamKind | None  # None: let the values decide
    log: bool = False
    constant: bool = False
    source: str = "spec"  # "spec" (this app's sweep_spec.json) or "optuna" (distribution tags)


@dataclass(frozen=True)
class ParamInfo:
    """How one hyperparameter is shown: its kind, its axis and its categories."""

    name: str
    kind: ParamKind
    log: bool = False
    has_none: bool = False
    integer: bool = False
    categories: tuple[str, ...] = ()  # categorical only: labels in display order
    constant: bool = False  # a single value across the trials: in the table, not in charts
    source: str = "inferred"  # where kind and log came from: spec, optuna or inferred

    @property
    def varies(self) -> bool:
        return not self.constant


def parse_text(text: str | None) -> Scalar:
    """A param as MLflow stored it, typed back. "None" and "null" are None."""
    if text is None:
        return None
    value = text.strip()
    if value in _NONE_TEXTS:
        return None
    if value in ("True", "true"):
        return True
    if value in ("False", "false"):
        return False
    if _INT.match(value):
        return int(value)
    try:
        number = float(value)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def label(value: Scalar) -> str:
    """The text a value is shown as: the same text MLflow stores, "None" for None."""
    if value is None:
        return NONE_LABEL
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _category_order(values: Sequence[Scalar]) -> tuple[str, ...]:
    numbers = sorted({float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)})
    by_number: dict[float, str] = {}
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool):
            by_number.setdefault(float(v), label(v))
    bools = sorted({v for v in values if isinstance(v, bool)})
    texts = sorted({v for v in values if isinstance(v, str)})
    ordered = [by_number[n] for n in numbers] + [label(b) for b in bools] + texts
    if any(v is None for v in values):
        ordered.append(NONE_LABEL)
    seen: dict[str, None] = {}
    for item in ordered:
        seen.setdefault(item, None)
    return tuple(seen)


def looks_log(values: np.ndarray) -> bool:
    """A guess for values with no search space: positive, spread over two decades or more, and
    bunched at the low end the way log-uniform draws are (median under a fifth of the max)."""
    if values.size < 5 or np.unique(values).size < 5 or values.min() <= 0:
        return False
    low, high = float(values.min()), float(values.max())
    return high / low >= LOG_SPAN_INFERRED and float(np.median(values)) < 0.2 * high


def type_param(name: str, values: Sequence[Scalar], hint: SpaceHint | None = None) -> tuple[ParamInfo, Any]:
    """Type one hyperparameter across trials: its :class:`ParamInfo` and a column for a DataFrame
    (float64 with NaN for None, or a pandas Categorical of labels)."""
    non_null = [v for v in values if v is not None]
    has_none = len(non_null) < len(values)
    numeric_values = all(_is_number(v) for v in non_null) and bool(non_null)
    distinct = {label(v) for v in values}
    constant = len(distinct) <= 1 or bool(hint and hint.constant)
    source = hint.source if hint and hint.kind else "inferred"
    if hint and hint.kind:
        kind: ParamKind = hint.kind if (hint.kind == "categorical" or numeric_values) else "categorical"
    elif not numeric_values or has_none and len(distinct) - 1 <= MAX_NONE_MIXED_CATEGORIES:
        kind = "categorical"
    else:
        kind = "numeric"
    if kind == "numeric":
        column = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        finite = column[np.isfinite(column)]
        integer = bool(all(isinstance(v, int) for v in non_null))
        log = hint.log if hint and hint.kind == "numeric" else looks_log(finite)
        if log and (finite.size == 0 or finite.min() <= 0):
            log = False  # a log axis cannot show zero or negatives
        info = ParamInfo(name, "numeric", log, has_none, integer, (), constant, source)
        return info, column
    categories = _category_order(values)
    labels = [label(v) for v in values]
    info = ParamInfo(name, "categorical", False, has_none, False, categories, constant, source)
    return info, pd.Categorical(labels, categories=list(categories), ordered=True)


def hints_from_spec(spec: Mapping[str, Any] | None) -> dict[str, SpaceHint]:
    """Kinds and log axes from this app's ``sweep_spec.json`` (a SweepSpec dict)."""
    if not spec:
        return {}
    from core.errors import UserFacingError
    from core.sweep.space import Choice, Fixed, LogUniform, QLogUniform
    from core.sweep.spec import SweepSpec

    try:
        parsed = SweepSpec.from_dict(dict(spec))
    except (UserFacingError, TypeError, ValueError):
        return {}
    hints: dict[str, SpaceHint] = {}
    for name, param in parsed.space.items():
        if isinstance(param, Fixed):
            hints[name] = SpaceHint(None, constant=True)
        elif isinstance(param, Choice):
            hints[name] = SpaceHint("categorical")
        else:
            hints[name] = SpaceHint("numeric", log=isinstance(param, LogUniform | QLogUniform))
    return hints


_DIST = re.compile(r"^(\w+)Distribution\((.*)\)$", re.S)


def hints_from_optuna_tags(tags: Mapping[str, str]) -> dict[str, SpaceHint]:
    """Kinds and log axes from Optuna's MLflowCallback tags: ``<param>_distribution``."""
    hints: dict[str, SpaceHint] = {}
    for key, text in tags.items():
        if not key.endswith("_distribution"):
            continue
        found = _DIST.match(str(text).strip())
        if not found:
            continue
        name, family, body = key[: -len("_distribution")], found.group(1), found.group(2)
        if family == "Categorical":
            hints[name] = SpaceHint("categorical", source="optuna")
        elif family in (
            "Float",
            "Int",
            "Uniform",
            "LogUniform",
            "IntUniform",
            "IntLogUniform",
            "DiscreteUniform",
        ):
            log = "log=True" in body or family.endswith("LogUniform")
            hints[name] = SpaceHint("numeric", log=log, source="optuna")
    return hints
