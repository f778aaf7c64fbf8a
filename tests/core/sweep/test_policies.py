"""Early-termination policies (core.sweep.policies) on hand-worked metric sequences.

Each ``replay`` case lets the trials advance in lockstep: at interval n every live trial
logs its n-th value, then every live trial that has more values to come is judged on
the same snapshot. The expected cuts are worked out in the comments.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.sweep.policies import is_evaluation_point, replay, should_terminate, trials_to_terminate
from core.sweep.spec import BanditPolicy, MedianStoppingPolicy, Policy, TruncationSelectionPolicy


def test_evaluation_points() -> None:
    # applied at each multiple of evaluation_interval that is >= delay_evaluation
    policy = BanditPolicy(slack_factor=0.1, evaluation_interval=2, delay_evaluation=5)
    assert [n for n in range(1, 13) if is_evaluation_point(policy, n)] == [6, 8, 10, 12]
    every = MedianStoppingPolicy()
    assert [n for n in range(4) if is_evaluation_point(every, n)] == [1, 2, 3]
    delayed = TruncationSelectionPolicy(10, evaluation_interval=1, delay_evaluation=3)
    assert [n for n in range(1, 6) if is_evaluation_point(delayed, n)] == [3, 4, 5]


# --- bandit ---------------------------------------------------------------------------

MAX_RUNS = {
    "a": [0.80, 0.85, 0.88, 0.90, 0.92],
    "b": [0.70, 0.66, 0.68, 0.70, 0.71],
    "c": [0.60, 0.65, 0.70, 0.75, 0.80],
}


def test_bandit_slack_factor_maximize() -> None:
    # threshold = best / 1.25 = 0.8 * best
    # n=1: best 0.80 -> 0.64: c (0.60) cut; b (0.70) stays
    # n=2: best 0.85 -> 0.68: b's best so far 0.70 stays
    # n=3: best 0.88 -> 0.704: b's best 0.70 < 0.704 -> cut
    assert replay(BanditPolicy(slack_factor=0.25), MAX_RUNS, "maximize") == {"c": 1, "b": 3}


def test_bandit_delay_evaluation() -> None:
    # no evaluation at n=1
    # n=2: best 0.85 -> 0.68: c's best max(0.60, 0.65) = 0.65 -> cut; b 0.70 stays
    # n=3: best 0.88 -> 0.704: b cut
    policy = BanditPolicy(slack_factor=0.25, delay_evaluation=2)
    assert replay(policy, MAX_RUNS, "maximize") == {"c": 2, "b": 3}


def test_bandit_evaluation_interval() -> None:
    # evaluated at n=2 and n=4 only
    # n=2: c cut (0.65 < 0.68), b stays (0.70)
    # n=4: best 0.90 -> 0.72: b's best 0.70 -> cut
    policy = BanditPolicy(slack_factor=0.25, evaluation_interval=2)
    assert replay(policy, MAX_RUNS, "maximize") == {"c": 2, "b": 4}


def test_bandit_slack_factor_minimize() -> None:
    runs = {
        "a": [0.50, 0.45, 0.40, 0.38, 0.35],
        "b": [0.60, 0.58, 0.57, 0.56, 0.55],
        "c": [0.70, 0.62, 0.60, 0.59, 0.58],
    }
    # threshold = best * 1.25
    # n=1: best 0.50 -> 0.625: c (0.70) cut; b (0.60) stays
    # n=2: best 0.45 -> 0.5625: b's best 0.58 -> cut
    assert replay(BanditPolicy(slack_factor=0.25), runs, "minimize") == {"c": 1, "b": 2}


def test_bandit_slack_amount_maximize() -> None:
    runs = {"a": [0.80, 0.85, 0.86], "b": [0.78, 0.79, 0.80], "c": [0.74, 0.90, 0.91]}
    # n=1: best 0.80 - 0.05 = 0.75: c (0.74) cut, though it would have led later; b (0.78) stays
    # n=2: best 0.85 - 0.05 = 0.80: b's best 0.79 -> cut
    assert replay(BanditPolicy(slack_amount=0.05), runs, "maximize") == {"c": 1, "b": 2}


def test_bandit_slack_amount_minimize() -> None:
    runs = {"a": [1.0, 0.9, 0.8], "b": [1.05, 1.02, 1.0], "c": [1.2, 0.5, 0.4]}
    # n=1: best 1.0 + 0.1 = 1.1: c (1.2) cut; b (1.05) stays
    # n=2: best 0.9 + 0.1 = 1.0: b's best 1.02 -> cut
    assert replay(BanditPolicy(slack_amount=0.1), runs, "minimize") == {"c": 1, "b": 2}


def test_bandit_slack_factor_with_negative_scores_never_cuts_the_leader() -> None:
    runs = {"a": [-0.5, -0.4, -0.3], "b": [-0.55, -0.5, -0.45], "c": [-0.7, -0.6, -0.5]}
    # Azure's best / (1 + f) would put the threshold above the leader (-0.5 / 1.2 = -0.42).
    # Margin from |best|: n=1: -0.5 - 0.5 * 0.2 / 1.2 = -0.583: c (-0.7) cut, b (-0.55) stays
    # n=2: -0.4 - 0.4 * 0.2 / 1.2 = -0.467: b's best -0.5 -> cut; a is the leader
    assert replay(BanditPolicy(slack_factor=0.2), runs, "maximize") == {"c": 1, "b": 2}


def test_bandit_judges_a_young_trial_only_against_values_up_to_its_interval() -> None:
    policy = BanditPolicy(slack_amount=0.05)
    # b has logged one value; a's second value (0.9) is not yet comparable
    # n=1 for b: best of first values = max(0.5, 0.6) = 0.6 -> b stays
    assert trials_to_terminate(policy, {"a": [0.5, 0.9], "b": [0.6]}, "maximize", running={"b"}) == []
    # with a's first value at 0.9, b (0.6 < 0.85) is cut
    assert trials_to_terminate(policy, {"a": [0.9, 0.5], "b": [0.6]}, "maximize", running={"b"}) == ["b"]
    # a finished trial is never cut, even when it is far behind
    assert trials_to_terminate(policy, {"a": [0.9], "b": [0.1]}, "maximize", running={"a"}) == []
    assert trials_to_terminate(None, {"a": [0.9], "b": [0.1]}, "maximize") == []


# --- median stopping ------------------------------------------------------------------

MEDIAN_RUNS = {
    "a": [0.80, 0.82, 0.84, 0.86],
    "b": [0.70, 0.72, 0.74, 0.76],
    "c": [0.60, 0.78, 0.80, 0.81],
    "d": [0.50, 0.55, 0.60, 0.65],
}


def test_median_stopping_maximize() -> None:
    # n=1: averages .80 .70 .60 .50 -> median .65: c (best .60) and d (.50) cut
    # n=2: only a and b reached 2: averages .81 .71 -> median .76: b's best .72 -> cut
    assert replay(MedianStoppingPolicy(), MEDIAN_RUNS, "maximize") == {"c": 1, "d": 1, "b": 2}


def test_median_stopping_delay_evaluation() -> None:
    # n=2: averages a .81, b .71, c .69, d .525 -> median (.71 + .69) / 2 = .70
    #      bests a .82, b .72, c .78, d .55: d cut
    # n=3: averages a .82, b .72, c .7267 -> median .7267; b's best .74 and c's .80 stay
    assert replay(MedianStoppingPolicy(delay_evaluation=2), MEDIAN_RUNS, "maximize") == {"d": 2}


def test_median_stopping_evaluation_interval() -> None:
    # only n=3 (n=4 is the last value): averages a .82, b .72, c .7267, d .55
    # median (.72 + .7267) / 2 = .7233: b .74, c .80 stay; d .60 cut
    assert replay(MedianStoppingPolicy(evaluation_interval=3), MEDIAN_RUNS, "maximize") == {"d": 3}


def test_median_stopping_minimize() -> None:
    runs = {"a": [0.2, 0.18, 0.16], "b": [0.3, 0.29, 0.28], "c": [0.5, 0.45, 0.4]}
    # n=1: averages .2 .3 .5 -> median .3: b's best .3 is not worse (kept), c .5 cut
    # n=2: a and b: averages .19 .295 -> median .2425: b's best .29 -> cut
    assert replay(MedianStoppingPolicy(), runs, "minimize") == {"c": 1, "b": 2}


def test_median_stopping_never_cuts_a_lone_trial() -> None:
    # the median of one running average is that average, which the best value is never worse than
    assert trials_to_terminate(MedianStoppingPolicy(), {"a": [0.1, 0.9, 0.1]}, "maximize") == []


# --- truncation selection -------------------------------------------------------------


def test_truncation_maximize() -> None:
    runs = {
        "a": [0.80, 0.70, 0.90, 0.90],
        "b": [0.70, 0.80, 0.85, 0.90],
        "c": [0.75, 0.60, 0.80, 0.90],
        "d": [0.60, 0.90, 0.70, 0.90],
    }
    # 50 %: k = floor(n_pool * 0.5), cut when >= n_pool - k values are strictly better
    # n=1: pool .80 .70 .75 .60, k=2: d (3 better) and b (2 better) cut
    # n=2: pool a .70, c .60, k=1: c (1 better) cut
    # n=3: a alone, k=0: nothing
    assert replay(TruncationSelectionPolicy(50), runs, "maximize") == {"d": 1, "b": 1, "c": 2}


TRUNC_MIN = {
    "a": [0.3, 0.2, 0.1],
    "b": [0.4, 0.5, 0.2],
    "c": [0.5, 0.3, 0.3],
    "d": [0.6, 0.1, 0.4],
}


def test_truncation_minimize() -> None:
    # 25 %: n=1: pool .3 .4 .5 .6, k=1: d (3 lower values) cut
    # n=2: pool a .2, b .5, c .3; k = floor(0.75) = 0: nothing
    assert replay(TruncationSelectionPolicy(25), TRUNC_MIN, "minimize") == {"d": 1}


def test_truncation_delay_uses_the_value_at_the_interval() -> None:
    # first evaluation at n=2: pool .2 .5 .3 .1, k=1: b (value .5 at n=2) cut, although
    # d had the worst first value
    assert replay(TruncationSelectionPolicy(25, delay_evaluation=2), TRUNC_MIN, "minimize") == {"b": 2}
    assert replay(TruncationSelectionPolicy(25, evaluation_interval=2), TRUNC_MIN, "minimize") == {"b": 2}


def test_truncation_keeps_ties_and_young_trials() -> None:
    ties = {name: [0.5, 0.5] for name in "abcd"}
    assert replay(TruncationSelectionPolicy(50), ties, "maximize") == {}
    # first trial to reach interval 2: a pool of one, k = 0
    policy = TruncationSelectionPolicy(99)
    assert not should_terminate(policy, "b", {"a": [0.9], "b": [0.1, 0.0]}, "maximize")
    # once the others reach it, the worst is cut
    histories = {"a": [0.9, 0.9], "b": [0.1, 0.0]}
    assert trials_to_terminate(policy, histories, "maximize") == ["b"]


@pytest.mark.parametrize(
    "policy",
    [BanditPolicy(slack_factor=0.1), MedianStoppingPolicy(), TruncationSelectionPolicy(50)],
    ids=["bandit", "median", "truncation"],
)
def test_nothing_is_judged_between_evaluation_points(policy: Policy) -> None:
    every_second = replace(policy, evaluation_interval=2)
    histories = {"a": [0.9, 0.9, 0.9], "b": [0.1, 0.1, 0.1]}
    # b has logged 3 values: 3 is not a multiple of 2
    assert not should_terminate(every_second, "b", histories, "maximize")
    # at 2 values it is judged, and far behind
    assert should_terminate(every_second, "b", {k: v[:2] for k, v in histories.items()}, "maximize")


def test_replay_does_not_cut_a_trial_at_its_last_value() -> None:
    policy = BanditPolicy(slack_amount=0.05)
    # n=2: b drops to 0.1, but that was its last value: it has finished, so it is kept
    assert replay(policy, {"a": [0.9, 0.9], "b": [0.9, 0.1]}, "maximize") == {}
    # with a third value to come, b is judged at n=2: best 0.9 is not below 0.85 -> kept;
    # bandit looks at the best value so far, so a late drop alone never cuts
    assert replay(policy, {"a": [0.9, 0.9, 0.9], "b": [0.9, 0.1, 0.1]}, "maximize") == {}
    # truncation compares the value at n: at n=2 b (0.1) is the worst of two at 50 % -> cut
    assert replay(
        TruncationSelectionPolicy(50), {"a": [0.9, 0.9, 0.9], "b": [0.9, 0.1, 0.1]}, "maximize"
    ) == {"b": 2}
    assert replay(TruncationSelectionPolicy(50), {"a": [0.9, 0.9], "b": [0.9, 0.1]}, "maximize") == {}
