"""Typed hyperparameters: what each model family accepts, and how raw values are coerced.

Values arrive from three places: the sweep form (Python values), samplers (``100.0`` from a
QUniform for an integer), and Azure command jobs (every value is text, and ``None`` arrives
as the string ``"None"`` because Azure sweep inputs cannot be null). :meth:`ParamSpec.coerce`
turns all three into the one value the estimator gets, or raises a :class:`ParamError` that
names the hyperparameter, what it accepts and what it got.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core.errors import UserFacingError

__all__ = [
    "NONE_TEXT",
    "ParamError",
    "ParamKind",
    "ParamSpec",
    "coerce_params",
    "flag",
    "number",
    "text",
    "whole",
]

ParamKind = Literal["int", "float", "str", "bool"]
NONE_TEXT = "None"  # how Azure sweeps (and the classic tutorial) carry a None choice
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ParamError(UserFacingError):
    """A hyperparameter is unknown or has a value the model family cannot use."""


@dataclass(frozen=True)
class ParamSpec:
    """One hyperparameter of a model family.

    ``default`` is the value the estimator gets when the hyperparameter is not given.
    ``nullable`` means None is a real value (``max_depth=None``: no depth limit), described by
    ``none_means``. ``options`` lists the allowed texts of a "str" hyperparameter. ``minimum``
    and ``maximum`` bound numbers (``exclusive_minimum``: the minimum itself is refused).
    """

    name: str
    kind: ParamKind
    default: Any
    help: str
    nullable: bool = False
    none_means: str = ""
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False

    def accepts(self) -> str:
        """What the hyperparameter accepts, as a phrase: "a whole number of at least 1 or None"."""
        if self.kind == "str":
            text = "one of " + ", ".join(repr(o) for o in self.options)
        elif self.kind == "bool":
            text = "True or False"
        else:
            text = "a whole number" if self.kind == "int" else "a number"
            text += self._bounds_phrase()
        if self.nullable:
            text += f" or None ({self.none_means})" if self.none_means else " or None"
        return text

    def _bounds_phrase(self) -> str:
        low, high = self.minimum, self.maximum
        fmt = _number_text
        if low is not None and high is not None:
            if self.exclusive_minimum:
                return f" above {fmt(low)} and at most {fmt(high)}"
            return f" from {fmt(low)} to {fmt(high)}"
        if low is not None:
            return f" above {fmt(low)}" if self.exclusive_minimum else f" of at least {fmt(low)}"
        if high is not None:
            return f" of at most {fmt(high)}"
        return ""

    def coerce(self, value: object, family: str = "") -> Any:
        """The value as the estimator needs it; a ParamError when it cannot be one."""
        if value is None or (isinstance(value, str) and value.strip() == NONE_TEXT):
            if self.nullable:
                return None
            raise self._error(value, family)
        if self.kind == "bool":
            return self._coerce_bool(value, family)
        if self.kind == "str":
            if isinstance(value, str) and value.strip() in self.options:
                return value.strip()
            raise self._error(value, family)
        number = self._coerce_number(value, family)
        self._check_bounds(number, value, family)
        return number

    def _coerce_bool(self, value: object, family: str) -> bool:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer) and int(value) in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self._error(value, family)

    def _coerce_number(self, value: object, family: str) -> int | float:
        if isinstance(value, bool | np.bool_):
            raise self._error(value, family)
        number: float
        if isinstance(value, int | np.integer):
            number = float(int(value))
        elif isinstance(value, float | np.floating):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise self._error(value, family) from None
        else:
            raise self._error(value, family)
        if not math.isfinite(number):
            raise self._error(value, family)
        if self.kind == "int":
            if isinstance(value, int | np.integer):
                return int(value)
            if not number.is_integer():
                raise self._error(value, family)
            return int(number)
        return number

    def _check_bounds(self, number: float, raw: object, family: str) -> None:
        low, high = self.minimum, self.maximum
        too_low = low is not None and (number <= low if self.exclusive_minimum else number < low)
        too_high = high is not None and number > high
        if too_low or too_high:
            raise self._error(raw, family)

    def _error(self, value: object, family: str) -> ParamError:
        owner = f" of {family}" if family else ""
        return ParamError(
            f"The hyperparameter {self.name!r}{owner} must be {self.accepts()}, but it is {value!r}.",
            f"Change {self.name!r} in the search space (fixed value or searched range) and try again.",
        )


def coerce_params(
    specs: Mapping[str, ParamSpec], params: Mapping[str, object], family: str = ""
) -> dict[str, Any]:
    """Every given hyperparameter coerced; a ParamError naming unknown ones (and the known)."""
    unknown = sorted(str(name) for name in params if name not in specs)
    if unknown:
        owner = f"{family} has" if family else "The model family has"
        listed = ", ".join(repr(n) for n in unknown)
        raise ParamError(
            f"{owner} no hyperparameter {listed}.",
            "Use only these hyperparameters: " + ", ".join(sorted(specs)) + ".",
        )
    return {name: specs[name].coerce(value, family) for name, value in params.items()}


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- compact constructors for the family catalogue -------------------------------------------------


def whole(
    name: str,
    default: int | None,
    help: str,
    *,
    low: int | None = None,
    high: int | None = None,
    none: str = "",
) -> ParamSpec:
    """An integer hyperparameter; ``none`` (what None means) makes None a valid value."""
    return ParamSpec(name, "int", default, help, bool(none), none, minimum=low, maximum=high)


def number(
    name: str,
    default: float | None,
    help: str,
    *,
    low: float | None = None,
    above: float | None = None,
    high: float | None = None,
    none: str = "",
) -> ParamSpec:
    """A float hyperparameter: at least ``low``, or strictly ``above`` a bound."""
    return ParamSpec(
        name,
        "float",
        default,
        help,
        bool(none),
        none,
        minimum=above if above is not None else low,
        maximum=high,
        exclusive_minimum=above is not None,
    )


def text(name: str, default: str | None, help: str, options: tuple[str, ...], *, none: str = "") -> ParamSpec:
    """A hyperparameter that takes one of ``options`` (or None, when ``none`` says what it means)."""
    return ParamSpec(name, "str", default, help, bool(none), none, options=options)


def flag(name: str, default: bool, help: str) -> ParamSpec:
    return ParamSpec(name, "bool", default, help)
