"""Which value ranks a trial, the best trial, best-so-far, "top k %" and the table's filters.

A trial's score is never silently "the last logged value". :class:`Ranking` says which:

- ``final``: the trial's final value, the cross-fold mean when logged (this app's
  ``<metric>_mean``), else the metric's latest value;
- ``best_step``: the best value over its logged steps (max or min by the goal);
- ``step``: the value at one given step (NaN for trials that never reached it, e.g. cut by
  an early-termination policy before it).

The best trial is the best-scored *completed* trial: an early-terminated trial's score
covers fewer folds or steps, so it does not compete (the sweep engine rules the same). If no
trial completed, the best of the rest is used and :attr:`Scores.best_is_completed` is False.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np

from core.trials.frame import Goal, TrialsFrame
from core.trials.history import HistoryMatrix

RankKind: TypeAlias = Literal["final", "best_step", "step"]
RANK_KINDS: tuple[RankKind, ...] = ("final", "best_step", "step")


@dataclass(frozen=True)
class Ranking:
    kind: RankKind = "final"
    step: int | None = None  # for kind == "step"

    def describe(self) -> str:
        if self.kind == "best_step":
            return "best step"
        if self.kind == "step":
            return f"step {self.step}"
        return "final value"

    @property
    def needs_history(self) -> bool:
        return self.kind != "final"


@dataclass(frozen=True)
class Scores:
    """Each trial's score under one metric, goal and ranking, aligned with the frame's rows."""

    metric: str
    goal: Goal
    ranking: Ranking
    values: np.ndarray
    std: np.ndarray
    best: int | None  # row of the best trial
    best_is_completed: bool

    @property
    def best_value(self) -> float | None:
        return None if self.best is None else float(self.values[self.best])

    @property
    def maximize(self) -> bool:
        return self.goal == "maximize"


def better(goal: Goal) -> np.ufunc:
    return np.fmax if goal == "maximize" else np.fmin


def best_position(values: np.ndarray, statuses: np.ndarray, goal: Goal) -> tuple[int | None, bool]:
    """Row of the best completed trial (else of the best trial with a value), and whether it
    is a completed one. Ties go to the earlier row (the lower trial number)."""
    finite = np.isfinite(values)
    for pool, completed in ((finite & (statuses == "completed"), True), (finite, False)):
        if pool.any():
            masked = np.where(pool, values, -np.inf if goal == "maximize" else np.inf)
            row = int(np.argmax(masked) if goal == "maximize" else np.argmin(masked))
            return row, completed
    return None, False


def step_scores(history: HistoryMatrix, ranking: Ranking, goal: Goal) -> np.ndarray:
    """Per trial, the value ``ranking`` picks from its history."""
    n = history.values.shape[0]
    if history.values.shape[1] == 0:
        return np.full(n, np.nan)
    if ranking.kind == "step":
        hits = np.flatnonzero(history.steps == (ranking.step or 0))
        return history.values[:, hits[0]].copy() if hits.size else np.full(n, np.nan)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows stay NaN
            picked = (
                np.nanmax(history.values, axis=1) if goal == "maximize" else np.nanmin(history.values, axis=1)
            )
    picked = np.asarray(picked, dtype=np.float64)
    picked[~history.loaded] = np.nan
    return picked


def score_trials(
    frame: TrialsFrame,
    metric: str,
    goal: Goal,
    ranking: Ranking = Ranking(),
    history: HistoryMatrix | None = None,
) -> Scores:
    """Score every trial. Step rankings need ``history`` of the metric's per-step key."""
    final, std = frame.metric_values(metric)
    if ranking.needs_history:
        if history is None:
            raise ValueError("a step ranking needs the metric's history")
        values = step_scores(history, ranking, goal)
    else:
        values = final
    best, completed = best_position(values, frame.statuses, goal)
    return Scores(metric, goal, ranking, values, std, best, completed)


def best_so_far(values: np.ndarray, statuses: np.ndarray, goal: Goal) -> np.ndarray:
    """Running best of the completed trials, in row order (NaN before the first one)."""
    counted = np.where(np.isfinite(values) & (statuses == "completed"), values, np.nan)
    return np.asarray(better(goal).accumulate(counted), dtype=np.float64)


def top_k_mask(values: np.ndarray, goal: Goal, percent: float, among: np.ndarray | None = None) -> np.ndarray:
    """The best ``percent`` % of the trials that have a value (at least one trial); of trials
    tied at the cut, the earlier rows (as for the best trial)."""
    pool: np.ndarray = np.isfinite(values) if among is None else (np.isfinite(values) & among)
    if percent >= 100:
        return pool
    count = int(pool.sum())
    if count == 0:
        return pool
    keep = max(1, math.ceil(count * percent / 100.0))
    ranked = -values[pool] if goal == "maximize" else values[pool]
    chosen = np.flatnonzero(pool)[np.argsort(ranked, kind="stable")][:keep]  # ties: the earlier row
    mask = np.zeros(len(values), dtype=bool)
    mask[chosen] = True
    return mask


def top_k_range(values: np.ndarray, mask: np.ndarray) -> tuple[float, float] | None:
    """The metric range the top-k trials span (for a parallel-coordinates constraint range)."""
    picked = values[mask & np.isfinite(values)]
    return (float(picked.min()), float(picked.max())) if picked.size else None


@dataclass(frozen=True)
class TrialFilter:
    """The table's filters; every chart shows the trials that pass them."""

    statuses: frozenset[str] | None = None  # None: every status
    value_range: tuple[float, float] | None = None
    numeric: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # inclusive; None passes
    categories: Mapping[str, frozenset[str]] = field(default_factory=dict)  # labels kept
    top_percent: float = 100.0


def filter_mask(frame: TrialsFrame, scores: Scores, flt: TrialFilter, apply_top: bool = True) -> np.ndarray:
    """Rows passing ``flt``; "top k %" is taken among the trials that pass the other filters."""
    mask = np.ones(len(frame), dtype=bool)
    if flt.statuses is not None:
        mask &= np.isin(frame.statuses, list(flt.statuses))
    if flt.value_range is not None:
        low, high = flt.value_range
        mask &= np.isfinite(scores.values) & (scores.values >= low) & (scores.values <= high)
    for name, (low, high) in flt.numeric.items():
        if name in frame.params:
            column = frame.params[name].to_numpy(dtype=np.float64)
            mask &= ~np.isfinite(column) | ((column >= low) & (column <= high))
    for name, kept in flt.categories.items():
        if name in frame.params:
            mask &= frame.params[name].astype(str).isin(list(kept)).to_numpy()
    if apply_top and flt.top_percent < 100:
        mask &= top_k_mask(scores.values, scores.goal, flt.top_percent, among=mask)
    return mask
