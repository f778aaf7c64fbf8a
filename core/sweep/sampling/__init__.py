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

- :mod:`~core.sweep.sampling.base`: the ask/tell interface, draws and trial numbers.
- :mod:`~core.sweep.sampling.internal`: the internal space a parameter is sampled in.
- :mod:`~core.sweep.sampling.study`: random and TPE through an Optuna study.
- :mod:`~core.sweep.sampling.grid`: the grid.

Optuna is imported only when a sampler is built.
"""

from __future__ import annotations

import warnings
from typing import Any

from core.sweep.sampling.base import Outcome, Sampler, Suggestion
from core.sweep.sampling.grid import GridSampler
from core.sweep.sampling.internal import from_internal, optuna_distribution, to_internal
from core.sweep.sampling.study import OptunaSampler
from core.sweep.spec import SweepSpec

__all__ = [
    "GridSampler",
    "OptunaSampler",
    "Outcome",
    "Sampler",
    "Suggestion",
    "from_internal",
    "make_sampler",
    "optuna_distribution",
    "to_internal",
]

MAX_STARTUP_TRIALS = 10


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
