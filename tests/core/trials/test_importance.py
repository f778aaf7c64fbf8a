"""Importance with Optuna's evaluators, on synthetic sweeps where the answer is known."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.errors import UserFacingError
from core.trials import JOBS, Importance, param_importance, score_trials
from core.trials.importance import filter_digest, importance_job
from tests.core.trials.frames import driven_sweep, make_frame


@pytest.mark.parametrize("negate", [False, True], ids=["maximize", "minimize"])
def test_the_param_that_sets_the_best_trials_apart_ranks_first_for_both_goals(negate: bool) -> None:
    """x makes the best trials, y makes the worst ones. Looking at the wrong end of the sweep
    (the bug Optuna Dashboard had for maximised objectives) would rank y first."""
    frame = driven_sweep(negate=negate)
    goal = "minimize" if negate else "maximize"
    found = param_importance(frame, score_trials(frame, "score", goal))
    assert found.method == "ped_anova" and "PED-ANOVA" in found.label
    assert list(found.values)[0] == "x", found.values
    assert found.values["x"] > 0.5
    assert sum(found.values.values()) == pytest.approx(1.0)
    assert set(found.values) == {"x", "y", "z", "c"}, "the categorical param with None is assessed too"
    assert found.trials == 400 and found.note == ""


def test_the_wrong_direction_would_have_picked_the_other_param() -> None:
    """The synthetic sweep really is direction-sensitive: scored the wrong way round, y wins."""
    frame = driven_sweep()
    wrong = param_importance(frame, score_trials(frame, "score", "minimize"))
    assert list(wrong.values)[0] == "y"


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_fanova_ranks_the_driving_param_first(goal: str) -> None:
    rng = np.random.default_rng(3)
    x, noise = rng.uniform(0, 1, 120), rng.uniform(0, 1, (120, 2))
    params = [{"x": float(a), "n1": float(b), "n2": float(c)} for a, (b, c) in zip(x, noise, strict=True)]
    frame = make_frame(params, {"acc": 2 * x + 0.05 * noise[:, 0]})
    found = param_importance(frame, score_trials(frame, "acc", goal), method="fanova")  # type: ignore[arg-type]
    assert list(found.values)[0] == "x" and found.values["x"] > 0.8
    assert "fANOVA" in found.label


def test_only_completed_trials_inside_the_filter_count() -> None:
    frame = driven_sweep(n=60)
    scores = score_trials(frame, "score", "maximize")
    rows = np.zeros(len(frame), dtype=bool)
    rows[:30] = True
    found = param_importance(frame, scores, rows)
    assert found.trials == 30 and "rough" in found.note


def test_too_few_trials_or_nothing_varying_is_said_plainly() -> None:
    frame = make_frame([{"a": 1, "b": "x"}] * 3, {"acc": [0.1, 0.2, 0.3]})
    with pytest.raises(UserFacingError, match="at least 5 completed trials"):
        param_importance(frame, score_trials(frame, "acc", "maximize"))
    constant = make_frame([{"a": 1}] * 8, {"acc": np.linspace(0, 1, 8)})
    with pytest.raises(UserFacingError, match="No hyperparameter varies"):
        param_importance(constant, score_trials(constant, "acc", "maximize"))
    with pytest.raises(UserFacingError, match="Unknown importance method"):
        param_importance(constant, score_trials(constant, "acc", "maximize"), method="shap")  # type: ignore[arg-type]


def test_a_sweep_larger_than_the_limit_is_sampled_and_says_so() -> None:
    frame = driven_sweep(n=400)
    scores = score_trials(frame, "score", "maximize")
    found = param_importance(frame, scores, max_trials=200)
    assert found.trials == 200 and found.sampled_from == 400
    assert "random sample of 200 of the 400 completed trials" in found.note
    assert list(found.values)[0] == "x", "a sample of a large sweep still finds what drives it"
    again = param_importance(frame, scores, max_trials=200)
    assert again.values == found.values, "the sample is seeded: the same trials each time"
    whole = param_importance(frame, scores)
    assert whole.sampled_from == 0 and whole.trials == 400 and "sample" not in whole.note


def test_the_background_job_runs_once_per_sweep_filter_and_method() -> None:
    frame = driven_sweep(n=120, seed=4)
    scores = score_trials(frame, "score", "maximize")
    rows = np.ones(len(frame), dtype=bool)
    before = JOBS.started
    job = importance_job("sweep-a", frame, scores, rows)
    assert importance_job("sweep-a", frame, scores, rows.copy()) is job, "asked again: the same job"
    reloaded = driven_sweep(n=120, seed=4)  # a reload that changed nothing: the same digest
    assert importance_job("sweep-a", reloaded, score_trials(reloaded, "score", "maximize"), rows) is job
    assert JOBS.started == before + 1
    found = job.result(timeout=60)
    assert isinstance(found, Importance) and found.values == param_importance(frame, scores, rows).values
    assert importance_job("sweep-a", frame, scores, rows) is job and JOBS.started == before + 1, (
        "a finished job is kept, never recomputed"
    )
    narrower = rows.copy()
    narrower[:60] = False
    other = importance_job("sweep-a", frame, scores, narrower)
    assert other is not job and other.result(timeout=60).trials == 60, "another filter: another job"
    fanova = importance_job("sweep-a", frame, scores, rows, "fanova")
    assert fanova is not job and "fANOVA" in fanova.result(timeout=60).label
    assert JOBS.started == before + 3


def test_the_digest_follows_what_importance_depends_on() -> None:
    frame = driven_sweep(n=50)
    scores = score_trials(frame, "score", "maximize")
    rows = np.ones(len(frame), dtype=bool)
    digest = filter_digest(frame, scores, rows)
    assert filter_digest(frame, score_trials(frame, "score", "minimize"), rows) != digest, "the goal"
    changed = scores.values.copy()
    changed[3] += 1
    assert filter_digest(frame, dataclasses.replace(scores, values=changed), rows) != digest, "a score"
    rows[0] = False
    assert filter_digest(frame, scores, rows) != digest, "the filter"


def test_an_impossible_importance_is_kept_as_its_error() -> None:
    frame = make_frame([{"a": 1, "b": "x"}] * 3, {"acc": [0.1, 0.2, 0.3]})
    job = importance_job("tiny", frame, score_trials(frame, "acc", "maximize"), np.ones(3, dtype=bool))
    assert isinstance(job.exception(timeout=60), UserFacingError)
