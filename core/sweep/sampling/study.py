"""Random and TPE (bayesian) sampling through an in-memory Optuna study's ask/tell.

Random draws depend only on the seed and the draw index, so a resumed sweep draws exactly
what an uninterrupted one would; TPE is re-seeded from the draws done after a restore, so it
does not replay its start-up sequence, and it never proposes a configuration that already ran
(or runs) while the space still has others.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from core.sweep.sampling.base import Draws, Numbers, Outcome, Suggestion, config_key, merge_fixed, seed_for
from core.sweep.sampling.internal import from_internal, optuna_distribution, to_internal
from core.sweep.space import Choice, Param, Randint, Scalar
from core.sweep.spec import SweepSpec

REDRAWS = 4  # a bayesian ask that repeats a known configuration is drawn again this often at most
FRESH_TRIES = 1000  # random configurations tried to find one not known yet, before giving up


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
        self._draws = Draws()
        self._numbers = Numbers()
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
            key = config_key(params)
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
        return trial, merge_fixed(self._spec, sampled)

    def _exhausted(self) -> bool:
        """Every configuration of a finite space is known: repeating one is all that is left."""
        return self._size is not None and len(self._known) >= self._size

    def _unknown(self, draw: int) -> dict[str, Any] | None:
        """Random internal values of a configuration not known yet, or None if none turned up."""
        rng = random.Random(seed_for(self._base, draw, stream=2))
        for _ in range(FRESH_TRIES):
            internal = {name: _uniform(rng, d) for name, d in self._distributions.items()}
            sampled = {name: from_internal(p, internal[name]) for name, p in self._searched.items()}
            if config_key(merge_fixed(self._spec, sampled)) not in self._known:
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
        self._known[config_key(params)] = (state, value, tuple(intermediate))
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
