"""Samplers behind one small ask/tell interface, built on Optuna.

``make_sampler(spec)`` returns a :class:`Sampler`: ``ask()`` gives the next
configuration (``None`` once a grid is exhausted) and ``tell()`` reports how it did.

- **random**: Optuna's ``RandomSampler``; the k-th draw is seeded from ``(seed, k)`` alone.
- **grid**: every combination of the Choice values exactly once (``itertools.product``);
  the order is shuffled by ``seed``, or the natural product order without a seed.
- **bayesian**: Optuna's ``TPESampler(seed, multivariate=True)``, a real model-based sampler
  fed through ``study.ask``/``study.tell``. It never proposes a configuration that already
  ran (or runs) while the space still has others.

Every ask is a *draw* with an index (the k-th configuration the sweep asked for). A resumed
sweep replays its trials with ``restore``: finished ones are done; those the crash cut short
(``interrupted``) are drawn again first, in order, then the sweep goes on after the last
draw. Random and grid draws depend only on the seed and the index, so a resumed sweep draws
exactly what an uninterrupted one would; TPE is re-seeded from the draws done, so it does not
replay its start-up sequence.

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
import json
import math
import random
import warnings
from collections.abc import Callable, Sequence
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
REDRAWS = 4  # a bayesian ask that repeats a known configuration is drawn again this often at most
FRESH_TRIES = 1000  # random configurations tried to find one not known yet, before giving up


@dataclass(frozen=True)
class Suggestion:
    """One configuration to try: ``number`` identifies it in ``tell``; ``draw`` is its index
    among the sweep's draws (what a resume goes on from)."""

    number: int
    params: dict[str, Scalar]
    draw: int = 0


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

    def restore(
        self,
        params: dict[str, Scalar],
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
        *,
        draw: int | None = None,
        number: int | None = None,
        interrupted: bool = False,
    ) -> None:
        """Replay a trial of the sweep before a restart, so it is not repeated or forgotten.
        ``draw`` defaults to the order of the calls; ``number`` (its trial number) is never
        handed out again; an ``interrupted`` trial did not finish: its draw is made again."""
        ...


class _Draws:
    """Which draw comes next: the lowest index not done yet, so the draws a crash cut short
    (or that were queued and never logged) are made again before the sweep goes on."""

    def __init__(self) -> None:
        self.done: set[int] = set()
        self.next = 0
        self.restored = 0

    def restore(self, draw: int | None, interrupted: bool) -> int:
        index = self.restored if draw is None else draw
        self.restored += 1
        if not interrupted:
            self.done.add(index)
        return index

    def take(self) -> int:
        while self.next in self.done:
            self.next += 1
        self.next += 1
        return self.next - 1


class _Numbers:
    """Trial numbers: after a restore, never one a restored trial had."""

    def __init__(self) -> None:
        self.next = 0

    def restore(self, number: int | None) -> None:
        self.next = self.next + 1 if number is None else max(self.next, number + 1)

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def seed_for(base: int, index: int, stream: int = 0) -> int:
    """A seed that depends only on ``(base, index, stream)``: the k-th draw's own randomness."""
    import numpy as np

    return int(np.random.SeedSequence([base % 2**64, stream, index]).generate_state(1)[0])


def _key(params: dict[str, Scalar]) -> str:
    """A configuration's identity (``1`` and ``True``, ``None`` and ``"None"`` stay apart)."""
    return json.dumps(params, sort_keys=True)


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


Known: TypeAlias = tuple[Outcome, float | None, tuple[float, ...]] | None  # None: still running


class OptunaSampler:
    """Random or TPE sampling through an in-memory Optuna study's ask/tell.

    ``factory(seed)`` builds the Optuna sampler. ``per_draw``: a new one seeded from
    ``(seed, draw)`` for every draw (random sampling: the k-th draw depends on nothing else).
    Otherwise one sampler, re-seeded from the draws done after a restore, and with
    ``dedupe`` a known configuration is drawn again (told its known result, as Optuna's FAQ
    advises) while the space has others."""

    def __init__(
        self,
        spec: SweepSpec,
        factory: Callable[[int | None], Any],
        name: str,
        *,
        per_draw: bool = False,
        dedupe: bool = False,
    ) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.name = name
        self._spec = spec
        self._searched = spec.searched
        self._distributions = {n: optuna_distribution(p) for n, p in self._searched.items()}
        self._factory = factory
        self._per_draw = per_draw
        self._dedupe = dedupe
        self._base = spec.seed if spec.seed is not None else random.SystemRandom().getrandbits(63)
        self._study = optuna.create_study(
            direction=spec.resolved_goal, sampler=None if per_draw else factory(spec.seed)
        )
        self._pending: dict[int, Any] = {}
        self._keys: dict[int, str] = {}
        self._known: dict[str, Known] = {}
        self._draws = _Draws()
        self._numbers = _Numbers()
        self._reseed = False
        self._size = _finite_size(self._searched)

    @property
    def study(self) -> Any:
        """The underlying ``optuna.Study`` (for inspection and importance plots)."""
        return self._study

    def ask(self) -> Suggestion | None:
        draw = self._draws.take()
        if self._per_draw:
            self._study.sampler = self._factory(seed_for(self._base, draw))
        elif self._reseed:  # a resumed sweep: not the start-up sequence of the first run again
            self._study.sampler = self._factory(seed_for(self._base, len(self._draws.done), stream=1))
            self._reseed = False
        trial, params = self._ask_trial()
        for attempt in range(REDRAWS + 1):
            key = _key(params)
            if not self._dedupe or key not in self._known or self._exhausted() or attempt == REDRAWS:
                break
            self._tell_trial(trial, *(self._known[key] or ("failed", None, ())))
            if attempt == REDRAWS - 1 and (fresh := self._unknown(draw)) is not None:
                self._study.enqueue_trial(fresh)  # TPE keeps repeating itself: a random one not known
            trial, params = self._ask_trial()
        number = self._numbers.take()
        self._pending[number] = trial
        self._keys[number] = key
        self._known.setdefault(key, None)
        return Suggestion(number, params, draw)

    def _ask_trial(self) -> tuple[Any, dict[str, Scalar]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial = self._study.ask(dict(self._distributions))
        sampled = {name: from_internal(p, trial.params[name]) for name, p in self._searched.items()}
        return trial, _merge(self._spec, sampled)

    def _exhausted(self) -> bool:
        """Every configuration of a finite space is known: repeating one is all that is left."""
        return self._size is not None and len(self._known) >= self._size

    def _unknown(self, draw: int) -> dict[str, Any] | None:
        """Random internal values of a configuration not known yet, or None if none turned up."""
        rng = random.Random(seed_for(self._base, draw, stream=2))
        for _ in range(FRESH_TRIES):
            internal = {name: _uniform(rng, d) for name, d in self._distributions.items()}
            sampled = {name: from_internal(p, internal[name]) for name, p in self._searched.items()}
            if _key(_merge(self._spec, sampled)) not in self._known:
                return internal
        return None

    def tell(
        self,
        number: int,
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
    ) -> None:
        trial = self._pending.pop(number)
        key = self._keys.pop(number)
        self._known[key] = (state, value, tuple(intermediate))
        self._tell_trial(trial, state, value, intermediate)

    def _tell_trial(
        self, trial: Any, state: Outcome, value: float | None, intermediate: Sequence[float]
    ) -> None:
        from optuna.trial import TrialState

        usable = value is not None and math.isfinite(value)
        if state == "failed" or (state == "complete" and (value is None or not usable)):
            self._study.tell(trial, state=TrialState.FAIL)
        elif state == "pruned":
            for step, step_value in enumerate(_steps(value, intermediate)):
                trial.report(step_value, step)
            self._study.tell(trial, state=TrialState.PRUNED)
        else:
            self._study.tell(trial, float(value or 0.0))

    def restore(
        self,
        params: dict[str, Scalar],
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
        *,
        draw: int | None = None,
        number: int | None = None,
        interrupted: bool = False,
    ) -> None:
        import optuna
        from optuna.trial import TrialState

        self._draws.restore(draw, interrupted)
        self._numbers.restore(number)
        if interrupted:  # not a result: random draws it again, TPE goes on without it
            return
        self._reseed = True
        self._known[_key(params)] = (state, value, tuple(intermediate))
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
            steps = _steps(value, intermediate) if state == "pruned" else []
            frozen = optuna.trial.create_trial(
                params=internal,
                distributions=dict(self._distributions),
                state=outcome,
                intermediate_values=dict(enumerate(steps)) or None,
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._study.add_trial(frozen)


def _steps(value: float | None, intermediate: Sequence[float]) -> list[float]:
    """A pruned trial's history (the running mean per fold), or its last value alone."""
    steps = [float(v) for v in intermediate if math.isfinite(v)]
    if not steps and value is not None and math.isfinite(value):
        steps = [float(value)]
    return steps


def _uniform(rng: random.Random, distribution: Any) -> Any:
    """One value drawn uniformly from an Optuna distribution (categorical, int or float)."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[rng.randrange(len(distribution.choices))]
    if isinstance(distribution, IntDistribution):
        return rng.randint(distribution.low, distribution.high)
    return rng.uniform(distribution.low, distribution.high)


def _finite_size(searched: dict[str, Param]) -> int | None:
    """How many configurations a space of Choice and Randint has; None for a continuous one."""
    size = 1
    for param in searched.values():
        if isinstance(param, Choice):
            size *= len(param.values)
        elif isinstance(param, Randint):
            size *= param.upper
        else:
            return None
    return size


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
        self._combos = combos
        self._draws = _Draws()
        self._numbers = _Numbers()
        self.results: dict[int, tuple[Outcome, float | None]] = {}

    @property
    def remaining(self) -> int:
        return sum(1 for k in range(self._draws.next, len(self._combos)) if k not in self._draws.done)

    def ask(self) -> Suggestion | None:
        if not self.remaining:
            return None
        draw = self._draws.take()
        return Suggestion(self._numbers.take(), _merge(self._spec, self._combos[draw]), draw)

    def tell(
        self,
        number: int,
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
    ) -> None:
        self.results[number] = (state, value)

    def restore(
        self,
        params: dict[str, Scalar],
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
        *,
        draw: int | None = None,
        number: int | None = None,
        interrupted: bool = False,
    ) -> None:
        self._numbers.restore(number)
        index = self._draws.restore(draw, interrupted=True)
        if interrupted:
            return
        if not (0 <= index < len(self._combos) and self._matches(index, params)):
            # a sweep from before draws were recorded: find its combination by value
            index = next((k for k in range(len(self._combos)) if self._matches(k, params)), -1)
        if index >= 0:
            self._draws.done.add(index)

    def _matches(self, index: int, params: dict[str, Scalar]) -> bool:
        combo = self._combos[index]
        return all(_same(combo[name], params.get(name, object())) for name in combo)


def make_sampler(spec: SweepSpec) -> Sampler:
    """The sampler for ``spec.sampling``, seeded with ``spec.seed``."""
    import optuna

    if spec.sampling == "grid":
        return GridSampler(spec)
    if spec.sampling == "bayesian":
        startup = min(MAX_STARTUP_TRIALS, max(2, spec.limits.max_total_trials // 3))

        def tpe(seed: int | None) -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return optuna.samplers.TPESampler(seed=seed, multivariate=True, n_startup_trials=startup)

        return OptunaSampler(spec, tpe, "bayesian", dedupe=True)
    if spec.sampling == "random":
        random_ = optuna.samplers.RandomSampler
        return OptunaSampler(spec, lambda seed: random_(seed=seed), "random", per_draw=True)
    raise ValueError(f"Unknown sampling {spec.sampling!r}")
