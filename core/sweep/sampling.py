"""Samplers behind one small ask/tell interface, built on Optuna.

``make_sampler(spec)`` returns a :class:`Sampler`: ``ask()`` gives the next
configuration (``None`` once a grid is exhausted) and ``tell()`` reports how it did.

- **random**: Optuna's ``RandomSampler(seed)``.
- **grid**: every combination of the Choice values exactly once (``itertools.product``);
  the order is shuffled by ``seed``, or the natural product order without a seed.
- **bayesian**: Optuna's ``TPESampler(seed, multivariate=True)``, a real model-based sampler
  fed through ``study.ask``/``study.tell``.

Each parameter is sampled in an *internal* space and then mapped to its value with
Azure's semantics (see ``core.sweep.space``):

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

import itertools
import math
import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal, Protocol, TypeAlias

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
    Uniform,
    quantize,
)
from core.sweep.spec import SweepSpec

Outcome: TypeAlias = Literal["complete", "failed", "pruned"]
_EPS = 1e-9
MAX_STARTUP_TRIALS = 10


@dataclass(frozen=True)
class Suggestion:
    """One configuration to try: ``number`` identifies it in ``tell``."""

    number: int
    params: dict[str, Scalar]


class Sampler(Protocol):
    """Ask for configurations, tell how they did."""

    name: str

    def ask(self) -> Suggestion | None:
        """The next configuration, or None when the sampler has nothing left."""
        ...

    def tell(
        self,
        number: int,
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
    ) -> None:
        """Report a trial: its final value, or ``failed``, or ``pruned`` (early-terminated)
        with the values it logged before it was stopped."""
        ...

    def restore(self, params: dict[str, Scalar], value: float | None, state: Outcome = "complete") -> None:
        """Replay a trial finished before a restart, so it is not repeated or forgotten."""
        ...


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def to_internal(param: Param, value: Scalar) -> float | int:
    """Inverse of ``from_internal``, used to replay finished trials into Optuna."""
    if isinstance(param, Choice):
        for index, choice in enumerate(param.values):
            if _same(choice, value):
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
        return min(max(u, _EPS), 1 - _EPS)
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
        return FloatDistribution(_EPS, 1 - _EPS)
    if isinstance(param, Uniform | LogUniform | QUniform | QLogUniform):
        return FloatDistribution(float(param.min_value), float(param.max_value))
    raise TypeError(f"{param!r} is not searched")


def _merge(spec: SweepSpec, sampled: dict[str, Scalar]) -> dict[str, Scalar]:
    """All hyperparameters in the spec's order: sampled ones and the Fixed values."""
    return {
        name: param.value if isinstance(param, Fixed) else sampled[name] for name, param in spec.space.items()
    }


class OptunaSampler:
    """Random or TPE sampling through an in-memory Optuna study's ask/tell."""

    def __init__(self, spec: SweepSpec, sampler: Any, name: str) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.name = name
        self._spec = spec
        self._searched = spec.searched
        self._distributions = {n: optuna_distribution(p) for n, p in self._searched.items()}
        self._study = optuna.create_study(direction=spec.resolved_goal, sampler=sampler)
        self._pending: dict[int, Any] = {}

    @property
    def study(self) -> Any:
        """The underlying ``optuna.Study`` (for inspection and importance plots)."""
        return self._study

    def ask(self) -> Suggestion | None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial = self._study.ask(dict(self._distributions))
        self._pending[trial.number] = trial
        sampled = {name: from_internal(p, trial.params[name]) for name, p in self._searched.items()}
        return Suggestion(trial.number, _merge(self._spec, sampled))

    def tell(
        self,
        number: int,
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
    ) -> None:
        from optuna.trial import TrialState

        trial = self._pending.pop(number)
        usable = value is not None and math.isfinite(value)
        if state == "failed" or (state == "complete" and (value is None or not usable)):
            self._study.tell(trial, state=TrialState.FAIL)
        elif state == "pruned":
            steps = [float(v) for v in intermediate if math.isfinite(v)]
            if not steps and value is not None and usable:
                steps = [float(value)]
            for step, step_value in enumerate(steps):
                trial.report(float(step_value), step)
            self._study.tell(trial, state=TrialState.PRUNED)
        else:
            self._study.tell(trial, float(value or 0.0))

    def restore(self, params: dict[str, Scalar], value: float | None, state: Outcome = "complete") -> None:
        import optuna
        from optuna.trial import TrialState

        internal = {name: to_internal(p, params[name]) for name, p in self._searched.items()}
        usable = value is not None and math.isfinite(value)
        if state == "complete" and usable:
            frozen = optuna.trial.create_trial(
                params=internal,
                distributions=dict(self._distributions),
                value=float(value),  # type: ignore[arg-type]
            )
        else:
            outcome = TrialState.PRUNED if state == "pruned" else TrialState.FAIL
            report = {0: float(value)} if state == "pruned" and usable else None  # type: ignore[arg-type]
            frozen = optuna.trial.create_trial(
                params=internal,
                distributions=dict(self._distributions),
                state=outcome,
                intermediate_values=report,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._study.add_trial(frozen)


class GridSampler:
    """Every combination of the Choice values exactly once, then None."""

    name = "grid"

    def __init__(self, spec: SweepSpec) -> None:
        self._spec = spec
        searched = spec.searched
        for name, param in searched.items():
            if not isinstance(param, Choice):
                raise ValueError(f"Grid sampling takes Choice only; '{name}' is {type(param).__name__}.")
        names = list(searched)
        combos = [
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(p.values for p in searched.values()))  # type: ignore[union-attr]
        ]
        if spec.seed is not None:
            random.Random(spec.seed).shuffle(combos)
        self._queue = combos
        self._next_number = 0
        self.results: dict[int, tuple[Outcome, float | None]] = {}

    @property
    def remaining(self) -> int:
        return len(self._queue)

    def ask(self) -> Suggestion | None:
        if not self._queue:
            return None
        combo = self._queue.pop(0)
        number = self._next_number
        self._next_number += 1
        return Suggestion(number, _merge(self._spec, combo))

    def tell(
        self,
        number: int,
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
    ) -> None:
        self.results[number] = (state, value)

    def restore(self, params: dict[str, Scalar], value: float | None, state: Outcome = "complete") -> None:
        for index, combo in enumerate(self._queue):
            if all(_same(combo[name], params.get(name, object())) for name in combo):
                del self._queue[index]
                break
        self._next_number += 1


def make_sampler(spec: SweepSpec) -> Sampler:
    """The sampler for ``spec.sampling``, seeded with ``spec.seed``."""
    import optuna

    if spec.sampling == "grid":
        return GridSampler(spec)
    if spec.sampling == "bayesian":
        startup = min(MAX_STARTUP_TRIALS, max(2, spec.limits.max_total_trials // 3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tpe = optuna.samplers.TPESampler(seed=spec.seed, multivariate=True, n_startup_trials=startup)
        return OptunaSampler(spec, tpe, "bayesian")
    if spec.sampling == "random":
        return OptunaSampler(spec, optuna.samplers.RandomSampler(seed=spec.seed), "random")
    raise ValueError(f"Unknown sampling {spec.sampling!r}")
