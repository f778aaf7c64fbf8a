"""Samplers (core.sweep.sampling): random, grid and bayesian through one ask/tell interface."""

from __future__ import annotations

import itertools
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from core.sweep.sampling import GridSampler, OptunaSampler, Sampler, from_internal, make_sampler, to_internal
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
)
from core.sweep.spec import Limits, Sampling, SweepSpec

ROOT = Path(__file__).resolve().parents[3]
MIXED: dict[str, Param] = {
    "depth": Choice((4, 8, None)),
    "rate": Uniform(0.1, 0.5),
    "C": LogUniform(math.log(0.01), math.log(100)),
    "trees": QUniform(10, 200, 10),
    "leaves": QLogUniform(math.log(2), math.log(64), 2),
    "shift": Normal(5.0, 2.0),
    "seed_like": Randint(3),
    "kernel": Fixed("rbf"),
    "weight": Fixed(None),
}


def spec_for(
    space: dict[str, Param], sampling: Sampling = "random", seed: int | None = 0, **kw: object
) -> SweepSpec:
    return SweepSpec("toy", "classification", space, sampling=sampling, seed=seed, **kw)  # type: ignore[arg-type]


def draw(sampler: Sampler, n: int, value: float = 0.5) -> list[dict[str, Scalar]]:
    out = []
    for _ in range(n):
        suggestion = sampler.ask()
        assert suggestion is not None
        out.append(suggestion.params)
        sampler.tell(suggestion.number, value)
    return out


def test_random_respects_every_distribution_and_merges_fixed_values() -> None:
    params = draw(make_sampler(spec_for(MIXED)), 300)
    assert all(list(p) == list(MIXED) for p in params)  # spec order, fixed included
    assert {p["depth"] for p in params} == {4, 8, None}
    assert all(0.1 <= p["rate"] <= 0.5 for p in params)  # type: ignore[operator]
    assert all(0.01 * 0.999 <= p["C"] <= 100 * 1.001 for p in params)  # type: ignore[operator]
    # log-uniform over 0.01..100: about half below the geometric middle 1
    assert 0.35 < sum(p["C"] < 1 for p in params) / len(params) < 0.65  # type: ignore[operator]
    assert all(
        isinstance(p["trees"], int) and p["trees"] % 10 == 0 and 10 <= p["trees"] <= 200 for p in params
    )
    assert all(
        isinstance(p["leaves"], int) and p["leaves"] % 2 == 0 and 2 <= p["leaves"] <= 64 for p in params
    )
    assert {p["seed_like"] for p in params} == {0, 1, 2}
    shifts = [float(p["shift"]) for p in params]  # type: ignore[arg-type]
    assert statistics.fmean(shifts) == pytest.approx(5.0, abs=0.4)
    assert statistics.stdev(shifts) == pytest.approx(2.0, abs=0.4)
    assert all(p["kernel"] == "rbf" and p["weight"] is None for p in params)


def test_none_survives_as_a_real_choice() -> None:
    params = draw(make_sampler(spec_for({"max_depth": Choice((None, 1, True, "None"))})), 200)
    values = [p["max_depth"] for p in params]
    assert any(v is None for v in values)
    assert any(v == "None" and isinstance(v, str) for v in values)
    assert any(v is True for v in values)
    assert any(v == 1 and type(v) is int for v in values)  # 1 and True stay apart


@pytest.mark.parametrize("sampling", ["random", "bayesian"])
def test_same_seed_same_sequence(sampling: Sampling) -> None:
    space: dict[str, Param] = {"a": Uniform(0, 1), "b": Choice((1, 2, 3)), "c": QUniform(0, 10, 1)}
    first = draw(make_sampler(spec_for(space, sampling, seed=11, limits=Limits(30))), 15, value=0.1)
    again = draw(make_sampler(spec_for(space, sampling, seed=11, limits=Limits(30))), 15, value=0.1)
    other = draw(make_sampler(spec_for(space, sampling, seed=12, limits=Limits(30))), 15, value=0.1)
    assert first == again
    assert first != other


GRID: dict[str, Param] = {
    "n_estimators": Choice((10, 50, 100)),
    "max_depth": Choice((4, None)),
    "criterion": Choice(("gini", "entropy")),
    "bootstrap": Fixed(True),
}
ALL_COMBOS = {(n, d, c) for n, d, c in itertools.product((10, 50, 100), (4, None), ("gini", "entropy"))}


def grid_run(seed: int | None) -> list[tuple[Scalar, ...]]:
    sampler = make_sampler(spec_for(GRID, "grid", seed=seed))
    seen = []
    while (suggestion := sampler.ask()) is not None:
        p = suggestion.params
        assert p["bootstrap"] is True
        seen.append((p["n_estimators"], p["max_depth"], p["criterion"]))
        sampler.tell(suggestion.number, 0.5)
    assert sampler.ask() is None  # stays exhausted
    return seen


def test_grid_enumerates_every_combination_exactly_once() -> None:
    seen = grid_run(seed=5)
    assert len(seen) == 12
    assert set(seen) == ALL_COMBOS


def test_grid_order_is_deterministic_per_seed() -> None:
    assert grid_run(seed=5) == grid_run(seed=5)
    assert grid_run(seed=5) != grid_run(seed=6)
    natural = list(itertools.product((10, 50, 100), (4, None), ("gini", "entropy")))
    assert grid_run(seed=None) == natural


def test_grid_refuses_non_choice_and_restores_finished_combinations() -> None:
    with pytest.raises(ValueError, match="Choice only"):
        GridSampler(spec_for({"a": Uniform(0, 1)}, "grid"))
    sampler = GridSampler(spec_for(GRID, "grid", seed=1))
    sampler.restore({"n_estimators": 10, "max_depth": None, "criterion": "gini", "bootstrap": True}, 0.8)
    sampler.restore(
        {"n_estimators": 50, "max_depth": 4, "criterion": "entropy", "bootstrap": True}, None, "failed"
    )
    assert sampler.remaining == 10
    rest = []
    while (s := sampler.ask()) is not None:
        rest.append((s.params["n_estimators"], s.params["max_depth"], s.params["criterion"]))
    assert set(rest) == ALL_COMBOS - {(10, None, "gini"), (50, 4, "entropy")}


TOY = {"x": Uniform(0, 1), "y": Uniform(0, 1), "fixed": Fixed(1)}


def toy_regret(sampling: Sampling, seed: int, trials: int = 30) -> float:
    """Best distance (squared) to the optimum (0.73, 0.21) after ``trials`` trials."""
    sampler = make_sampler(spec_for(TOY, sampling, seed=seed, limits=Limits(trials)))
    best = math.inf
    for _ in range(trials):
        s = sampler.ask()
        assert s is not None
        loss = (float(s.params["x"]) - 0.73) ** 2 + (float(s.params["y"]) - 0.21) ** 2  # type: ignore[arg-type]
        best = min(best, loss)
        sampler.tell(s.number, -loss)  # accuracy-like: maximised
    return best


def test_bayesian_beats_random_on_a_toy_objective() -> None:
    seeds = range(6)
    bayes = statistics.fmean(toy_regret("bayesian", s) for s in seeds)
    rand = statistics.fmean(toy_regret("random", s) for s in seeds)
    # measured: bayesian ~0.001, random ~0.014
    assert bayes < 0.5 * rand, (bayes, rand)


def test_bayesian_minimises_when_the_metric_is_an_error() -> None:
    spec = spec_for(TOY, "bayesian", seed=3, primary_metric="log_loss", limits=Limits(30))
    sampler = make_sampler(spec)
    assert isinstance(sampler, OptunaSampler)
    assert sampler.study.direction == optuna.study.StudyDirection.MINIMIZE
    xs = []
    for _ in range(30):
        s = sampler.ask()
        assert s is not None
        xs.append(float(s.params["x"]))  # type: ignore[arg-type]
        sampler.tell(s.number, abs(float(s.params["x"]) - 0.2))  # type: ignore[arg-type]
    # after the random start-up trials, TPE concentrates near x = 0.2
    late = statistics.fmean(abs(x - 0.2) for x in xs[-10:])
    early = statistics.fmean(abs(x - 0.2) for x in xs[:10])
    assert late < early / 2


def test_failed_and_pruned_trials_are_recorded_and_the_sweep_goes_on() -> None:
    sampler = make_sampler(spec_for(TOY, "bayesian", seed=1, limits=Limits(20)))
    assert isinstance(sampler, OptunaSampler)
    a, b, c, d = (sampler.ask() for _ in range(4))
    assert a and b and c and d
    sampler.tell(a.number, 0.7)
    sampler.tell(b.number, None, "failed")
    sampler.tell(c.number, 0.4, "pruned", intermediate=[0.5, 0.45, 0.4])
    sampler.tell(d.number, float("nan"))  # a NaN score counts as failed
    states = [t.state for t in sampler.study.trials]
    assert states == [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED, TrialState.FAIL]
    assert sampler.study.trials[2].intermediate_values == {0: 0.5, 1: 0.45, 2: 0.4}
    assert draw(sampler, 12)  # still sampling, TPE included


def test_restore_replays_finished_trials_into_the_study() -> None:
    space: dict[str, Param] = {"C": LogUniform(-5, 5), "d": Choice((None, 3)), "k": Fixed("rbf")}
    sampler = make_sampler(spec_for(space, "bayesian", seed=0))
    assert isinstance(sampler, OptunaSampler)
    sampler.restore({"C": math.e, "d": None, "k": "rbf"}, 0.9)
    sampler.restore({"C": 1.0, "d": 3, "k": "rbf"}, 0.5, "pruned")
    sampler.restore({"C": 1.0, "d": 3, "k": "rbf"}, None, "failed")
    trials = sampler.study.trials
    assert trials[0].params == {"C": pytest.approx(1.0), "d": 0}  # exponent, choice index
    assert trials[0].value == 0.9
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]
    suggestion = sampler.ask()
    assert suggestion is not None and suggestion.number == 3


@pytest.mark.parametrize(
    ("param", "value"),
    [
        (Choice((1, True, None)), True),
        (Choice((1, True, None)), None),
        (Uniform(0, 2), 1.5),
        (LogUniform(-3, 3), 2.0),
        (QUniform(0, 100, 5), 35),
        (QLogUniform(0, 5, 1), 20),
        (Normal(3, 2), 4.5),
        (Randint(7), 6),
    ],
)
def test_internal_mapping_round_trips(param: Param, value: Scalar) -> None:
    back = from_internal(param, to_internal(param, value))
    assert back == pytest.approx(value) if isinstance(value, float) else back == value
    assert type(back) is type(value) or isinstance(value, float)


def test_restoring_a_value_outside_the_choices_says_so() -> None:
    with pytest.raises(ValueError, match="not one of the choices"):
        to_internal(Choice((1, 2)), 3)


def test_importing_the_package_stays_light() -> None:
    """Optuna and azure-ai-ml load only when a sampler or an Azure object is built."""
    code = (
        "import sys, core.sweep, core.sweep.azure\n"
        "names = ('optuna', 'azure.ai.ml', 'mlflow', 'streamlit', 'sklearn')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- resume: restored trials, then the draws an uninterrupted sweep would make -----------------
RESUME_SPACE: dict[str, Param] = {"a": Uniform(0, 1), "b": Choice((1, 2, 3)), "c": LogUniform(-3, 3)}


def asks(sampler: Sampler, n: int) -> list[dict[str, Scalar]]:
    return draw(sampler, n, value=0.3)


@pytest.mark.parametrize("seed", [0, 42])
def test_random_restore_goes_on_with_the_uninterrupted_sequence(seed: int) -> None:
    spec = spec_for(RESUME_SPACE, "random", seed=seed)
    uninterrupted = asks(make_sampler(spec), 12)
    resumed = make_sampler(spec)
    for params in uninterrupted[:5]:
        resumed.restore(params, 0.3)
    assert asks(resumed, 7) == uninterrupted[5:]


def test_random_restore_draws_the_interrupted_draws_again_first() -> None:
    spec = spec_for(RESUME_SPACE, "random", seed=3)
    uninterrupted = asks(make_sampler(spec), 10)
    resumed = make_sampler(spec)
    # draws 0..5 were asked; 2 and 4 were running at the crash; 5 was queued and never logged
    for k in (0, 1, 3):
        resumed.restore(uninterrupted[k], 0.3, draw=k, number=k)
    for k in (2, 4):
        resumed.restore(uninterrupted[k], None, "failed", draw=k, number=k, interrupted=True)
    following = [resumed.ask() for _ in range(7)]
    assert [s.params for s in following if s] == [uninterrupted[k] for k in (2, 4, 5, 6, 7, 8, 9)]
    assert [s.draw for s in following if s] == [2, 4, 5, 6, 7, 8, 9]
    assert [s.number for s in following if s] == list(range(5, 12)), "trial numbers are never reused"


def test_grid_restore_goes_on_with_the_uninterrupted_order_and_redraws_interrupted_combos() -> None:
    spec = spec_for(GRID, "grid", seed=4)
    uninterrupted = asks(make_sampler(spec), 12)
    resumed = make_sampler(spec)
    for k in (0, 1, 3):
        resumed.restore(uninterrupted[k], 0.3, draw=k)
    resumed.restore(uninterrupted[2], None, "failed", draw=2, interrupted=True)
    rest = []
    while (s := resumed.ask()) is not None:
        rest.append(s.params)
    assert rest == [uninterrupted[k] for k in [2, *range(4, 12)]]


def test_bayesian_restore_never_draws_a_finished_configuration_again() -> None:
    spec = spec_for(RESUME_SPACE, "bayesian", seed=5, limits=Limits(30))
    first = make_sampler(spec)
    before = asks(first, 6)
    resumed = make_sampler(spec)
    for params in before:
        resumed.restore(params, 0.3)
    after = asks(resumed, 12)
    assert not [p for p in after if p in before], "a finished configuration was drawn again"


def test_bayesian_restore_shows_pruned_and_failed_trials_to_the_sampler() -> None:
    spec = spec_for(RESUME_SPACE, "bayesian", seed=5, limits=Limits(30))
    sampler = make_sampler(spec)
    assert isinstance(sampler, OptunaSampler)
    done = asks(make_sampler(spec), 3)
    sampler.restore(done[0], 0.8)
    sampler.restore(done[1], 0.4, "pruned", intermediate=[0.5, 0.45, 0.4])
    sampler.restore(done[2], None, "failed")
    trials = sampler.study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]
    assert trials[1].intermediate_values == {0: 0.5, 1: 0.45, 2: 0.4}, "the whole history, not one value"


def test_bayesian_on_a_small_grid_of_choices_tries_every_configuration_before_repeating() -> None:
    space: dict[str, Param] = {"b": Choice((1, 2, 3)), "k": Choice(("x", "y"))}
    spec = spec_for(space, "bayesian", seed=1, limits=Limits(12))
    sampler = make_sampler(spec)
    first = asks(sampler, 2)
    resumed = make_sampler(spec)
    for params in first:
        resumed.restore(params, 0.3)
    after = asks(resumed, 4)
    seen = [json.dumps(p) for p in first + after]
    assert len(set(seen)) == 6, "every one of the six configurations, none twice"
