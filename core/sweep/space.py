"""Search-space value types, mirroring ``azure.ai.ml.sweep`` one to one.

Each type is a frozen dataclass with ``to_dict``/``param_from_dict`` (JSON-safe and
tagged with the same ``type`` strings as Azure's sweep YAML), a human ``describe()``,
``problems()`` for validation and a reference ``sample(rng)``.

Azure's semantics, which differ from what the names suggest:

- ``LogUniform(min_value, max_value)`` draws ``exp(uniform(min_value, max_value))``. The
  bounds are natural-log *exponents*, so they may be negative and the values lie in
  ``[e**min_value, e**max_value]``. For values from 0.001 to 0.1 write
  ``LogUniform(ln 0.001, ln 0.1) = LogUniform(-6.91, -2.30)``, or use
  ``LogUniform.from_range(0.001, 0.1)``. (Azure ML v1 and v2 SDK docstrings:
  "Minimum value of the log of the distribution".)
- ``QLogUniform(min_value, max_value, q)`` is ``round(exp(uniform(min, max)) / q) * q``,
  with the same exponent bounds.
- ``QUniform(min_value, max_value, q)`` is ``round(uniform(min, max) / q) * q``: multiples
  of ``q``, not ``min_value + k * q``.
- ``Randint(upper)`` draws an integer in ``[0, upper)`` (v1 docs; unconfirmed for v2).
- ``Normal(mu, sigma)`` is unbounded.

Quantised values are ``int`` when ``q`` is an ``int`` (so ``n_estimators`` stays an
integer), else floats. ``Fixed`` is not an Azure type: it marks a hyperparameter that is
passed as a plain input instead of being searched.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

from core.errors import UserFacingError

Scalar: TypeAlias = "bool | int | float | str | None"

# exp() overflows a float just above 709.78.
MAX_LOG_EXPONENT = 700.0


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong (or worth a warning) in a sweep spec.

    ``path`` names the field, e.g. ``space.max_depth.values`` or ``limits.max_total_trials``;
    ``message`` says what is wrong and how to fix it.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def is_scalar(value: object) -> bool:
    """True for a JSON scalar this app can carry as a hyperparameter value."""
    if value is None or isinstance(value, bool | int | str):
        return True
    return isinstance(value, float) and math.isfinite(value)


def value_text(value: Scalar) -> str:
    """The text a value becomes on a command line (how Azure passes it to the trial)."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_problems(path: str, **fields: object) -> list[SpecProblem]:
    out = []
    for name, value in fields.items():
        if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
            out.append(SpecProblem(f"{path}.{name}", f"{name} must be a finite number, not {value!r}."))
    return out


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def quantize(value: float, q: float) -> int | float:
    """Azure's ``round(value / q) * q``: an ``int`` when ``q`` is an ``int``."""
    steps = round(value / q)
    if isinstance(q, int) and not isinstance(q, bool):
        return int(steps) * q
    return float(f"{steps * q:.12g}")  # drop float noise such as 0.30000000000000004


def _range_problems(path: str, low: float, high: float, what: str) -> list[SpecProblem]:
    if low < high:
        return []
    return [
        SpecProblem(
            f"{path}.min_value",
            f"min_value ({low:g}) must be lower than max_value ({high:g}). "
            f"Swap them, or use Fixed if {what} should not be searched.",
        )
    ]


@dataclass(frozen=True)
class Choice:
    """Pick one of ``values`` (any JSON scalars; ``None`` is a real choice)."""

    values: tuple[Scalar, ...]
    kind: ClassVar[str] = "choice"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "values": list(self.values)}

    def describe(self) -> str:
        return "Choice of " + ", ".join(value_text(v) for v in self.values)

    def problems(self, path: str) -> list[SpecProblem]:
        if not self.values:
            return [SpecProblem(f"{path}.values", "Choice needs at least one value. Add the values to try.")]
        out = []
        seen: dict[object, Scalar] = {}
        texts: dict[str, Scalar] = {}
        for value in self.values:
            if not is_scalar(value):
                out.append(
                    SpecProblem(
                        f"{path}.values",
                        f"{value!r} cannot be a choice. Use numbers, text, true/false or None.",
                    )
                )
                continue
            key = ("bool", value) if isinstance(value, bool) else value
            if key in seen:
                out.append(SpecProblem(f"{path}.values", f"{value!r} is listed twice. Remove the duplicate."))
                continue
            seen[key] = value
            text = value_text(value)
            if text in texts:
                out.append(
                    SpecProblem(
                        f"{path}.values",
                        f"{texts[text]!r} and {value!r} both read as '{text}' once passed to a training "
                        "script, so they cannot be told apart. Keep only one of them.",
                    )
                )
            texts[text] = value
        return out

    def sample(self, rng: random.Random) -> Scalar:
        return rng.choice(self.values)


@dataclass(frozen=True)
class Uniform:
    """A float drawn uniformly from ``[min_value, max_value]``."""

    min_value: float
    max_value: float
    kind: ClassVar[str] = "uniform"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "min_value": self.min_value, "max_value": self.max_value}

    def describe(self) -> str:
        return f"Uniform from {_fmt(self.min_value)} to {_fmt(self.max_value)}"

    def problems(self, path: str) -> list[SpecProblem]:
        out = _number_problems(path, min_value=self.min_value, max_value=self.max_value)
        return out or _range_problems(path, self.min_value, self.max_value, "it")

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.min_value, self.max_value)


def _log_problems(path: str, low: float, high: float) -> list[SpecProblem]:
    out = _number_problems(path, min_value=low, max_value=high)
    if out:
        return out
    out = _range_problems(path, low, high, "it")
    if high > MAX_LOG_EXPONENT:
        out.append(
            SpecProblem(
                f"{path}.max_value",
                f"max_value is an exponent: e^{high:g} is too large. "
                "The bounds are natural logs, e.g. ln(1000) = 6.91.",
            )
        )
    return out


@dataclass(frozen=True)
class LogUniform:
    """``exp(uniform(min_value, max_value))``: the bounds are natural-log exponents."""

    min_value: float
    max_value: float
    kind: ClassVar[str] = "loguniform"

    @classmethod
    def from_range(cls, low: float, high: float) -> LogUniform:
        """The LogUniform whose values run from ``low`` to ``high`` (both > 0)."""
        if low <= 0 or high <= 0:
            raise UserFacingError(
                f"A log range needs values above 0, not {low:g} to {high:g}.",
                "Use Uniform for ranges that include 0 or negative values.",
            )
        return cls(math.log(low), math.log(high))

    @property
    def value_range(self) -> tuple[float, float]:
        return math.exp(self.min_value), math.exp(self.max_value)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "min_value": self.min_value, "max_value": self.max_value}

    def describe(self) -> str:
        low, high = self.value_range
        return (
            f"LogUniform: exp(uniform({_fmt(self.min_value)}, {_fmt(self.max_value)})), "
            f"values from {_fmt(low)} to {_fmt(high)}"
        )

    def problems(self, path: str) -> list[SpecProblem]:
        return _log_problems(path, self.min_value, self.max_value)

    def sample(self, rng: random.Random) -> float:
        return math.exp(rng.uniform(self.min_value, self.max_value))


def _q_problems(path: str, q: object) -> list[SpecProblem]:
    if not _is_number(q) or not math.isfinite(float(q)) or float(q) <= 0:  # type: ignore[arg-type]
        return [SpecProblem(f"{path}.q", f"q must be a number above 0, not {q!r}. Use 1 for whole numbers.")]
    return []


@dataclass(frozen=True)
class QUniform:
    """``round(uniform(min_value, max_value) / q) * q``: multiples of ``q``."""

    min_value: float
    max_value: float
    q: float
    kind: ClassVar[str] = "quniform"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "min_value": self.min_value, "max_value": self.max_value, "q": self.q}

    def describe(self) -> str:
        return f"QUniform from {_fmt(self.min_value)} to {_fmt(self.max_value)} in steps of {_fmt(self.q)}"

    def problems(self, path: str) -> list[SpecProblem]:
        out = _number_problems(path, min_value=self.min_value, max_value=self.max_value)
        return (out or _range_problems(path, self.min_value, self.max_value, "it")) + _q_problems(
            path, self.q
        )

    def sample(self, rng: random.Random) -> int | float:
        return quantize(rng.uniform(self.min_value, self.max_value), self.q)


@dataclass(frozen=True)
class QLogUniform:
    """``round(exp(uniform(min_value, max_value)) / q) * q``; the bounds are exponents."""

    min_value: float
    max_value: float
    q: float
    kind: ClassVar[str] = "qloguniform"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "min_value": self.min_value, "max_value": self.max_value, "q": self.q}

    def describe(self) -> str:
        low = quantize(math.exp(self.min_value), self.q)
        high = quantize(math.exp(self.max_value), self.q)
        return (
            f"QLogUniform: round(exp(uniform({_fmt(self.min_value)}, {_fmt(self.max_value)})) / "
            f"{_fmt(self.q)}) * {_fmt(self.q)}, values from {_fmt(low)} to {_fmt(high)}"
        )

    def problems(self, path: str) -> list[SpecProblem]:
        out = _log_problems(path, self.min_value, self.max_value)
        q_out = _q_problems(path, self.q)
        if not out and not q_out and quantize(math.exp(self.min_value), self.q) <= 0:
            floor = math.log(float(self.q))
            out.append(
                SpecProblem(
                    f"{path}.min_value",
                    f"The smallest values, e^{self.min_value:g} = {_fmt(math.exp(self.min_value))}, round "
                    f"to 0 with q = {self.q:g}, and a log range must stay above 0. min_value is an "
                    f"exponent: raise it to at least ln(q) = {floor:.3g}.",
                )
            )
        return out + q_out

    def sample(self, rng: random.Random) -> int | float:
        return quantize(math.exp(rng.uniform(self.min_value, self.max_value)), self.q)


@dataclass(frozen=True)
class Normal:
    """A float drawn from a normal distribution with mean ``mu`` and deviation ``sigma``."""

    mu: float
    sigma: float
    kind: ClassVar[str] = "normal"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "mu": self.mu, "sigma": self.sigma}

    def describe(self) -> str:
        return f"Normal with mean {_fmt(self.mu)} and standard deviation {_fmt(self.sigma)} (unbounded)"

    def problems(self, path: str) -> list[SpecProblem]:
        out = _number_problems(path, mu=self.mu, sigma=self.sigma)
        if not out and self.sigma <= 0:
            out.append(SpecProblem(f"{path}.sigma", f"sigma must be above 0, not {self.sigma:g}."))
        return out

    def sample(self, rng: random.Random) -> float:
        return rng.gauss(self.mu, self.sigma)


@dataclass(frozen=True)
class Randint:
    """An integer drawn uniformly from ``[0, upper)``, i.e. ``0 .. upper - 1``."""

    upper: int
    kind: ClassVar[str] = "randint"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "upper": self.upper}

    def describe(self) -> str:
        return f"Random integer from 0 to {self.upper - 1} (upper {self.upper} excluded)"

    def problems(self, path: str) -> list[SpecProblem]:
        if not isinstance(self.upper, int) or isinstance(self.upper, bool) or self.upper < 1:
            return [
                SpecProblem(
                    f"{path}.upper",
                    f"upper must be a whole number of at least 1, not {self.upper!r}; "
                    "values run from 0 to upper - 1.",
                )
            ]
        return []

    def sample(self, rng: random.Random) -> int:
        return rng.randrange(self.upper)


@dataclass(frozen=True)
class Fixed:
    """A hyperparameter that is not searched: every trial gets ``value``."""

    value: Scalar
    kind: ClassVar[str] = "fixed"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "value": self.value}

    def describe(self) -> str:
        return f"Fixed at {value_text(self.value)}"

    def problems(self, path: str) -> list[SpecProblem]:
        if is_scalar(self.value):
            return []
        return [
            SpecProblem(
                f"{path}.value", f"{self.value!r} cannot be a value. Use a number, text, true/false or None."
            )
        ]

    def sample(self, rng: random.Random) -> Scalar:
        return self.value


SearchParam: TypeAlias = "Choice | Uniform | LogUniform | QUniform | QLogUniform | Normal | Randint"
Param: TypeAlias = "SearchParam | Fixed"

PARAM_TYPES: dict[str, type[Any]] = {
    cls.kind: cls for cls in (Choice, Uniform, LogUniform, QUniform, QLogUniform, Normal, Randint, Fixed)
}
_FIELDS: dict[str, tuple[str, ...]] = {
    "choice": ("values",),
    "uniform": ("min_value", "max_value"),
    "loguniform": ("min_value", "max_value"),
    "quniform": ("min_value", "max_value", "q"),
    "qloguniform": ("min_value", "max_value", "q"),
    "normal": ("mu", "sigma"),
    "randint": ("upper",),
    "fixed": ("value",),
}


def is_searched(param: Param) -> bool:
    return not isinstance(param, Fixed)


def param_from_dict(data: object, name: str = "hyperparameter") -> Param:
    """Rebuild a parameter from ``to_dict()`` output; malformed input raises UserFacingError."""
    if not isinstance(data, dict):
        raise UserFacingError(
            f"'{name}' must be a mapping with a 'type'.", "Example: {type: choice, values: [1, 2]}."
        )
    kind = str(data.get("type", "")).lower()
    if kind not in PARAM_TYPES:
        raise UserFacingError(
            f"'{name}' has an unknown type {data.get('type')!r}.", f"Use one of {', '.join(PARAM_TYPES)}."
        )
    expected = set(_FIELDS[kind])
    given = set(data) - {"type"}
    if given != expected:
        missing = ", ".join(sorted(expected - given)) or "none"
        extra = ", ".join(sorted(given - expected)) or "none"
        raise UserFacingError(
            f"'{name}' ({kind}) has the wrong fields (missing: {missing}; unexpected: {extra}).",
            f"A {kind} takes exactly: {', '.join(_FIELDS[kind])}.",
        )
    kwargs = {key: data[key] for key in _FIELDS[kind]}
    if kind == "choice":
        if not isinstance(kwargs["values"], list | tuple):
            raise UserFacingError(f"'{name}': values must be a list.", "Example: values: [gini, entropy].")
        kwargs["values"] = tuple(kwargs["values"])
    param: Param = PARAM_TYPES[kind](**kwargs)
    return param
