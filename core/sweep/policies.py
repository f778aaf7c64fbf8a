"""Azure ML's early-termination policies as pure functions over metric histories.

A history is the list of primary-metric values a trial has logged so far; each logged
value is one *interval* (here: one CV fold). A policy is applied to a trial when it has
just logged interval ``n`` and ``n`` is a multiple of ``evaluation_interval`` with
``n >= delay_evaluation``. At interval ``n`` a trial is compared only with the first ``n``
values of the trials that reached ``n`` (running, finished or already terminated), so a
young trial is never judged against values older trials logged later. Finished trials
are never terminated. The rules, with "better"/"worse" following the goal:

- **Bandit.** ``ref`` is the best value among all trials' first ``n`` values, and the
  candidate's score is its best value so far. With ``slack_amount`` the candidate is cut
  when it is more than ``slack_amount`` worse than ``ref``. With ``slack_factor`` it is cut,
  when maximising, if below ``ref / (1 + slack_factor)``, and when minimising, if above
  ``ref * (1 + slack_factor)`` (Azure's formulas). For a negative ``ref`` those formulas
  would put the threshold on the wrong side, so the margin is taken from ``abs(ref)``:
  ``ref - abs(ref) * f / (1 + f)`` and ``ref + abs(ref) * f``; for ``ref > 0`` this is exactly
  Azure's rule.
- **Median stopping.** Each trial that reached ``n`` has a running average, the mean of
  its first ``n`` values. The candidate is cut when its best value so far is strictly
  worse than the median of those averages (its own included).
- **Truncation selection.** The pool is every trial's value *at* interval ``n``. With
  ``k = floor(len(pool) * truncation_percentage / 100)``, the candidate is cut when at
  least ``len(pool) - k`` pool values are strictly better than its own value. Ties are
  therefore kept (never more than ``k`` cut), and a pool too small for ``k >= 1`` (e.g. the
  first trial to reach ``n``) cuts nothing, so trials are not cut for being young.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Mapping, Sequence

from core.sweep.spec import BanditPolicy, Goal, MedianStoppingPolicy, Policy, TruncationSelectionPolicy

Histories = Mapping[str, Sequence[float]]


def is_evaluation_point(policy: Policy, interval: int) -> bool:
    """True when the policy is applied at ``interval`` (1-based count of logged values)."""
    return (
        interval >= 1 and interval % policy.evaluation_interval == 0 and interval >= policy.delay_evaluation
    )


def _better(a: float, b: float, goal: Goal) -> bool:
    return a > b if goal == "maximize" else a < b


def _best(values: Sequence[float], goal: Goal) -> float:
    return max(values) if goal == "maximize" else min(values)


def _bandit_cut(policy: BanditPolicy, own_best: float, ref: float, goal: Goal) -> bool:
    if policy.slack_amount is not None:
        margin = policy.slack_amount
    else:
        factor = policy.slack_factor or 0.0
        margin = abs(ref) * factor / (1 + factor) if goal == "maximize" else abs(ref) * factor
    if goal == "maximize":
        return own_best < ref - margin
    return own_best > ref + margin


def should_terminate(policy: Policy, trial: str, histories: Histories, goal: Goal) -> bool:
    """Whether ``trial`` is cut by ``policy`` at its current interval ``len(histories[trial])``.

    Returns False when that interval is not an evaluation point.
    """
    own = list(histories[trial])
    n = len(own)
    if not is_evaluation_point(policy, n):
        return False
    reached = {name: list(values[:n]) for name, values in histories.items() if len(values) >= n}
    own_best = _best(own, goal)
    if isinstance(policy, BanditPolicy):
        ref = _best([_best(values, goal) for values in reached.values()], goal)
        return _bandit_cut(policy, own_best, ref, goal)
    if isinstance(policy, MedianStoppingPolicy):
        median = statistics.median(statistics.fmean(values) for values in reached.values())
        return _better(median, own_best, goal)
    if isinstance(policy, TruncationSelectionPolicy):
        pool = [values[n - 1] for values in reached.values()]
        k = math.floor(len(pool) * policy.truncation_percentage / 100)
        if k < 1:
            return False
        strictly_better = sum(_better(value, own[n - 1], goal) for value in pool)
        return strictly_better >= len(pool) - k
    raise TypeError(f"Unknown policy {policy!r}")


def trials_to_terminate(
    policy: Policy | None, histories: Histories, goal: Goal, running: Collection[str] | None = None
) -> list[str]:
    """The running trials the policy cuts now, in the order of ``histories``.

    ``running`` names the trials still running (default: all). Call it each time a trial
    logs a value: each trial is judged at its own latest interval.
    """
    if policy is None:
        return []
    alive = set(histories) if running is None else set(running)
    return [
        name
        for name, values in histories.items()
        if name in alive and values and should_terminate(policy, name, histories, goal)
    ]


def replay(policy: Policy | None, full: Histories, goal: Goal) -> dict[str, int]:
    """Simulate trials that advance in lockstep; return ``{trial: interval it was cut at}``.

    ``full`` holds each trial's complete sequence as if never stopped. At each interval
    every live trial logs its next value, then the policy judges them all against the
    same snapshot. A cut trial logs nothing more; a trial that has just logged its last
    value has finished and is not judged. Useful for previews and tests.
    """
    if policy is None:
        return {}
    longest = max((len(values) for values in full.values()), default=0)
    logged: dict[str, list[float]] = {name: [] for name in full}
    cut: dict[str, int] = {}
    for n in range(1, longest + 1):
        for name, values in full.items():
            if name not in cut and len(values) >= n:
                logged[name].append(values[n - 1])
        live = [name for name, values in full.items() if name not in cut and len(values) > n]
        for name in [t for t in live if should_terminate(policy, t, logged, goal)]:
            cut[name] = n
    return cut
