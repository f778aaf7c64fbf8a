"""The search space as rows of an editable table, and back.

One row per hyperparameter: ``mode`` is ``fixed`` or one of Azure's distributions, ``values``
holds a fixed value or a Choice list (``10, 50, None``), and ``low`` / ``high`` / ``q`` hold
numbers. Log ranges are edited as the values the user means (0.001 to 1000) and turned into
Azure's natural-log exponents here, so nobody has to type ``-6.91``. Normal uses low = mu,
high = sigma; Randint uses high = upper (values 0 to upper - 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from core.sweep.space import (
    Choice,
    Fixed,
    LogUniform,
    Normal,
    Param,
    QLogUniform,
    QUniform,
    Randint,
    Scalar,
    SpecProblem,
    Uniform,
    param_from_dict,
)

MODES = ("fixed", "choice", "uniform", "loguniform", "quniform", "qloguniform", "normal", "randint")
COLUMNS = ("hyperparameter", "mode", "values", "low", "high", "q")
_WORDS: dict[str, Scalar] = {"none": None, "null": None, "true": True, "false": False}


def parse_value(text: str) -> Scalar:
    """``None``, booleans, integers and floats by their look; anything else stays text."""
    cleaned = text.strip().strip("'\"") if text.strip()[:1] in "'\"" else text.strip()
    if cleaned != text.strip():  # quoted: always text
        return cleaned
    word = cleaned.lower()
    if word in _WORDS:
        return _WORDS[word]
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        number = float(cleaned)
    except ValueError:
        return cleaned
    return number if math.isfinite(number) else cleaned


def parse_values(text: str) -> tuple[Scalar, ...]:
    """A comma-separated Choice list: ``10, 50, None`` → (10, 50, None)."""
    return tuple(parse_value(part) for part in str(text).split(",") if part.strip())


def value_text(value: Scalar) -> str:
    if value is None:
        return "None"
    if isinstance(value, str) and parse_value(value) != value:
        return f'"{value}"'  # text that would read as a number or None keeps its quotes
    return str(value)


def space_to_rows(space: Mapping[str, Param | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows for the editor from a space (Param objects or their ``to_dict`` form)."""
    rows = []
    for name, raw in space.items():
        param = raw if not isinstance(raw, Mapping) else param_from_dict(dict(raw), name)
        row: dict[str, Any] = {
            "hyperparameter": name,
            "mode": param.kind,
            "values": "",
            "low": None,
            "high": None,
            "q": None,
        }
        if isinstance(param, Fixed):
            row["values"] = value_text(param.value)
        elif isinstance(param, Choice):
            row["values"] = ", ".join(value_text(v) for v in param.values)
        elif isinstance(param, Uniform):
            row.update(low=param.min_value, high=param.max_value)
        elif isinstance(param, LogUniform):
            row.update(low=_round(math.exp(param.min_value)), high=_round(math.exp(param.max_value)))
        elif isinstance(param, QUniform):
            row.update(low=param.min_value, high=param.max_value, q=param.q)
        elif isinstance(param, QLogUniform):
            row.update(
                low=_round(math.exp(param.min_value)), high=_round(math.exp(param.max_value)), q=param.q
            )
        elif isinstance(param, Normal):
            row.update(low=param.mu, high=param.sigma)
        elif isinstance(param, Randint):
            row.update(high=param.upper)
        rows.append(row)
    return rows


NICE_TOLERANCE = 0.01  # a log bound within 1 % of a round number is shown as that number


def _round(value: float) -> float:
    """A value from a log exponent, as people write it: exponents are often typed to two
    decimals (6.9 for ln 1000 = 6.9078), so e^6.9 = 992.27 is shown as 1000 and e^-4.6 = 0.01005
    as 0.01; a value far from any round number keeps six significant digits."""
    if value <= 0 or not math.isfinite(value):
        return value
    nice = float(f"{value:.1g}")
    if abs(nice - value) <= NICE_TOLERANCE * value:
        return nice
    return float(f"{value:.6g}")


def _number(
    row: Mapping[str, Any], key: str, name: str, problems: list[SpecProblem], what: str
) -> float | None:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        problems.append(
            SpecProblem(f"space.{name}.{key}", f"{what} is empty. Type a number in the '{key}' column.")
        )
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        problems.append(SpecProblem(f"space.{name}.{key}", f"{what} must be a number, not {value!r}."))
        return None


def _whole(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def row_to_param(row: Mapping[str, Any], problems: list[SpecProblem]) -> Param | None:
    """One row as a Param, or None with the problems appended (nothing raises)."""
    name = str(row.get("hyperparameter") or "").strip()
    mode = str(row.get("mode") or "").strip().lower()
    if mode not in MODES:
        problems.append(SpecProblem(f"space.{name}.mode", f"Pick a mode from the list, not {mode!r}."))
        return None
    values = str(row.get("values") if row.get("values") is not None else "")
    if mode == "fixed":
        parsed = parse_values(values) if "," in values else (parse_value(values),)
        if len(parsed) != 1 or values.strip() == "":
            problems.append(
                SpecProblem(
                    f"space.{name}.values",
                    "A fixed hyperparameter needs exactly one value in 'values' (write None for no value).",
                )
            )
            return None
        return Fixed(parsed[0])
    if mode == "choice":
        return Choice(parse_values(values))
    if mode == "randint":
        upper = _number(row, "high", name, problems, "Randint's upper bound")
        return None if upper is None else Randint(int(upper))
    if mode == "normal":
        mu = _number(row, "low", name, problems, "Normal's mean (mu, in 'low')")
        sigma = _number(row, "high", name, problems, "Normal's standard deviation (sigma, in 'high')")
        return None if mu is None or sigma is None else Normal(mu, sigma)
    low = _number(row, "low", name, problems, f"The lower end of {name}'s range")
    high = _number(row, "high", name, problems, f"The upper end of {name}'s range")
    q = _number(row, "q", name, problems, "The step q") if mode.startswith("q") else None
    if low is None or high is None or (mode.startswith("q") and q is None):
        return None
    if mode in ("loguniform", "qloguniform") and (low <= 0 or high <= 0):
        problems.append(
            SpecProblem(
                f"space.{name}.low",
                f"A log range needs values above 0, not {low:g} to "
                f"{high:g}. Use uniform for ranges that include 0.",
            )
        )
        return None
    if mode == "uniform":
        return Uniform(low, high)
    if mode == "loguniform":
        return LogUniform.from_range(low, high)
    if mode == "quniform":
        return QUniform(_whole(low), _whole(high), _whole(q))  # type: ignore[arg-type]
    return QLogUniform(math.log(low), math.log(high), _whole(q))  # type: ignore[arg-type]


def rows_to_space(rows: Sequence[Mapping[str, Any]]) -> tuple[dict[str, Param], list[SpecProblem]]:
    """The edited table as a search space, with every problem found (nothing raises)."""
    space: dict[str, Param] = {}
    problems: list[SpecProblem] = []
    seen: set[str] = set()
    for row in rows:
        name = str(row.get("hyperparameter") or "").strip()
        if not name:
            problems.append(
                SpecProblem("space", "A row has no hyperparameter name. Name it or delete the row.")
            )
            continue
        if name in seen:
            problems.append(SpecProblem(f"space.{name}", f"'{name}' appears twice. Keep one row for it."))
            continue
        seen.add(name)
        param = row_to_param(row, problems)
        if param is not None:
            space[name] = param
    return space, problems


# The columns each mode reads; the others are cleared when a row's mode changes.
USED_COLUMNS: dict[str, frozenset[str]] = {
    "fixed": frozenset({"values"}),
    "choice": frozenset({"values"}),
    "uniform": frozenset({"low", "high"}),
    "loguniform": frozenset({"low", "high"}),
    "quniform": frozenset({"low", "high", "q"}),
    "qloguniform": frozenset({"low", "high", "q"}),
    "normal": frozenset({"low", "high"}),
    "randint": frozenset({"high"}),
}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def tidy_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with nothing left over from its previous mode: a Choice list turned into a
    range carries its smallest and largest numbers into empty low/high (randint: high = largest
    + 1), a range turned into a Choice carries low and high into empty values; then every column
    the mode does not read is cleared, so no stale text stays on screen."""
    tidy = {column: row.get(column) for column in COLUMNS}
    for column in ("low", "high", "q"):
        if _blank(tidy[column]):
            tidy[column] = None
    mode = str(tidy["mode"] or "").strip().lower()
    used = USED_COLUMNS.get(mode)
    if used is None:
        return tidy
    numbers = [_whole(float(v)) for v in parse_values(str(tidy["values"] or "")) if _is_number(v)]
    if "low" in used and numbers and tidy["low"] is None and tidy["high"] is None and mode != "normal":
        tidy["low"], tidy["high"] = min(numbers), max(numbers)
    elif mode == "randint" and numbers and tidy["high"] is None:
        tidy["high"] = int(max(numbers)) + 1
    if "values" in used and _blank(tidy["values"]):
        bounds = [_whole(float(b)) for b in (tidy["low"], tidy["high"]) if _is_number(b)]
        picked = bounds[:1] if mode == "fixed" else bounds
        tidy["values"] = ", ".join(value_text(b) for b in picked)
    for column in ("values", "low", "high", "q"):
        if column not in used:
            tidy[column] = "" if column == "values" else None
    return tidy


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def tidy_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every row tidied (see :func:`tidy_row`)."""
    return [tidy_row(row) for row in rows]


def needs_tidy(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether :func:`tidy_rows` would change what the table shows (blank cells are alike)."""

    def same(a: object, b: object) -> bool:
        return (_blank(a) and _blank(b)) or a == b

    return any(
        not same(row.get(column), tidy[column])
        for row, tidy in zip(rows, tidy_rows(rows), strict=True)
        for column in COLUMNS
    )
