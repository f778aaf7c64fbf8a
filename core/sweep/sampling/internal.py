"""The *internal* space each parameter is sampled in, and its mapping to the value.

Each parameter is sampled in an internal space and then mapped to its value with Azure's
semantics (see ``core.sweep.space``):

=============  =========================================  =================================
type           internal Optuna distribution               value
=============  =========================================  =================================
Choice         CategoricalDistribution(0 .. n-1)          ``values[index]``
Uniform        FloatDistribution(min, max)                as is
LogUniform     FloatDistribution(min, max) (exponent)     ``exp(x)``
QUniform       FloatDistribution(min, max)                ``round(x / q) * q``
QLogUniform    FloatDistribution(min, max) (exponent)     ``round(exp(x) / q) * q``
Normal         FloatDistribution(1e-9, 1 - 1e-9)          ``mu + sigma * inverse_cdf(u)``
Randint        IntDistribution(0, upper - 1)              as is
=============  =========================================  =================================

Choice is sampled by index: Optuna accepts ``None`` among categorical choices, but it
looks values up with ``==``, so ``1`` and ``True`` would alias; indices keep every value,
``None`` included, distinct. Optuna has no normal distribution, so Normal is drawn by the
inverse-CDF method from a uniform ``u`` (exact for random sampling; TPE models ``u``).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from core.sweep.sampling.base import same_value
from core.sweep.space import (
    Choice,
    LogUniform,
    Normal,
    Param,
    QLogUniform,
    QUniform,
    Randint,
    Scalar,
    Uniform,
    quantize,
)

EPS = 1e-9


def to_internal(param: Param, value: Scalar) -> float | int:
    """Inverse of ``from_internal``, used to replay finished trials into Optuna."""
    if isinstance(param, Choice):
        for index, choice in enumerate(param.values):
            if same_value(choice, value):
                return index
        for index, choice in enumerate(param.values):
            if choice == value:
                return index
        raise ValueError(f"{value!r} is not one of the choices {param.values!r}")
    number = float(value)  # type: ignore[arg-type]
    if isinstance(param, Randint):
        return int(number)
    if isinstance(param, Normal):
        u = NormalDist(param.mu, param.sigma).cdf(number)
        return min(max(u, EPS), 1 - EPS)
    if isinstance(param, LogUniform | QLogUniform):
        number = math.log(number) if number > 0 else param.min_value
    assert isinstance(param, Uniform | LogUniform | QUniform | QLogUniform)
    return min(max(number, param.min_value), param.max_value)


def from_internal(param: Param, x: Any) -> Scalar:
    """Map an internal sample to the parameter's value (Azure's semantics)."""
    if isinstance(param, Choice):
        return param.values[int(x)]
    if isinstance(param, Randint):
        return int(x)
    if isinstance(param, Uniform):
        return float(x)
    if isinstance(param, LogUniform):
        return math.exp(x)
    if isinstance(param, QUniform):
        return quantize(float(x), param.q)
    if isinstance(param, QLogUniform):
        return quantize(math.exp(x), param.q)
    if isinstance(param, Normal):
        return NormalDist(param.mu, param.sigma).inv_cdf(float(x))
    raise TypeError(f"{param!r} is not searched")


def optuna_distribution(param: Param) -> Any:
    """The internal Optuna distribution for a searched parameter."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(param, Choice):
        return CategoricalDistribution(tuple(range(len(param.values))))
    if isinstance(param, Randint):
        return IntDistribution(0, param.upper - 1)
    if isinstance(param, Normal):
        return FloatDistribution(EPS, 1 - EPS)
    if isinstance(param, Uniform | LogUniform | QUniform | QLogUniform):
        return FloatDistribution(float(param.min_value), float(param.max_value))
    raise TypeError(f"{param!r} is not searched")
