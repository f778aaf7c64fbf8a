"""A regression prediction rounded to what the target's spread makes meaningful.

An endpoint answers ``243.78912345`` for a cholesterol level and ``0.055337921`` for a grid's
stability; neither needs eight decimals. The prediction keeps :data:`SIGNIFICANT` significant
digits of the target's spread (its standard deviation in the data): one decimal for cholesterol
(spread about 52), four for stability (spread about 0.039), none for house prices.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

__all__ = ["SIGNIFICANT", "decimals_for", "round_prediction", "spread_of"]

SIGNIFICANT = 3  # significant digits of the target's spread that a prediction keeps


def decimals_for(spread: float) -> int:
    """Decimals that keep :data:`SIGNIFICANT` significant digits of ``spread`` (0 or more)."""
    if not math.isfinite(spread) or spread <= 0:
        return SIGNIFICANT
    return max(0, SIGNIFICANT - 1 - math.floor(math.log10(spread)))


def round_prediction(value: object, spread: float) -> str:
    """``value`` as text, rounded for a target that spreads over ``spread``; a non-number (a class
    label) unchanged. Without a usable spread the value's own size sets the decimals."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        return str(value)
    number = float(value)
    usable = math.isfinite(spread) and spread > 0
    decimals = decimals_for(spread if usable else abs(number))
    return f"{number:,.{decimals}f}"


def spread_of(values: Iterable[object]) -> float:
    """The standard deviation of the numbers among ``values`` (NaN when fewer than two)."""
    import pandas as pd

    numbers = pd.to_numeric(pd.Series(list(values)), errors="coerce").dropna()
    return float(numbers.std()) if len(numbers) > 1 else math.nan
