"""The sweep spec (core.sweep.spec): round trips, validation rules, warnings."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from core.errors import UserFacingError
from core.sweep.rules import SpecError, check_spec, validate_spec, warnings_for
from core.sweep.space import Choice, Fixed, LogUniform, Normal, QLogUniform, QUniform, Randint, Uniform
from core.sweep.spec import (
    BanditPolicy,
    Limits,
    MedianStoppingPolicy,
    SweepSpec,
    TruncationSelectionPolicy,
    default_goal,
    default_metric,
    grid_size,
)

RF_SPACE = {
    "n_estimators": Choice((10, 50, 100, 125, 150)),
    "max_depth": Choice((4, 6, 8, 10, None)),
    "criterion": Choice(("gini", "entropy")),
    "max_features": Choice(("sqrt", "log2")),
}


def rf(**changes: object) -> SweepSpec:
    base = SweepSpec(model_family="random_forest", task="classification", space=dict(RF_SPACE), seed=7)
    return replace(base, **changes)  # type: ignore[arg-type]


def paths(spec: SweepSpec, max_instances: int | None = None) -> list[str]:
    return [p.path for p in validate_spec(spec, max_instances)]


def test_defaults_follow_the_task_and_metric() -> None:
    spec = rf()
    assert (spec.primary_metric, spec.goal, spec.cv_folds, spec.sampling) == (
        "accuracy",
        "maximize",
        5,
        "random",
    )
    reg = SweepSpec("ridge", "regression", {"alpha": Uniform(0.1, 10)})
    assert (reg.primary_metric, reg.goal) == ("r2", "maximize")
    assert (
        SweepSpec("ridge", "regression", {"alpha": Uniform(0.1, 10)}, primary_metric="rmse").goal
        == "minimize"
    )
    assert default_metric("classification") == "accuracy"
    assert [default_goal(m) for m in ("log_loss", "mae", "rmse", "f1", "roc_auc")] == [
        "minimize",
        "minimize",
        "minimize",
        "maximize",
        "maximize",
    ]
    assert validate_spec(spec, max_instances=4) == []


def test_json_round_trip_keeps_every_field_and_none() -> None:
    spec = SweepSpec(
        model_family="svc",
        task="classification",
        space={
            "C": LogUniform(-3, 3),
            "gamma": Choice(("scale", "auto", None)),
            "degree": Randint(5),
            "tol": QUniform(0.001, 0.01, 0.001),
            "shift": Normal(0, 1),
            "cache": QLogUniform(1, 5, 2),
            "kernel": Fixed("rbf"),
            "class_weight": Fixed(None),
        },
        sampling="random",
        seed=3,
        policy=BanditPolicy(slack_amount=0.05, evaluation_interval=2, delay_evaluation=1),
        limits=Limits(max_total_trials=40, max_concurrent_trials=4, timeout_s=3600, trial_timeout_s=120),
        primary_metric="log_loss",
        cv_folds=3,
    )
    text = spec.to_json()
    data = json.loads(text)
    assert data["space"]["gamma"] == {"type": "choice", "values": ["scale", "auto", None]}
    assert data["policy"]["type"] == "bandit"
    assert data["goal"] == "minimize"
    back = SweepSpec.from_json(text)
    assert back == spec
    assert back.to_dict() == spec.to_dict()
    assert list(back.space) == list(spec.space)  # order kept
    assert set(back.searched) == {"C", "gamma", "degree", "tol", "shift", "cache"}
    assert set(back.fixed) == {"kernel", "class_weight"}


@pytest.mark.parametrize(
    "policy",
    [
        None,
        BanditPolicy(slack_factor=0.1),
        MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=5),
        TruncationSelectionPolicy(truncation_percentage=20, evaluation_interval=2, delay_evaluation=4),
    ],
)
def test_each_policy_round_trips(policy: object) -> None:
    spec = rf(policy=policy)
    assert SweepSpec.from_dict(json.loads(spec.to_json())) == spec


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([], "JSON object"),
        ({"task": "classification", "space": {}}, "model_family"),
        ({"model_family": "rf", "task": "classification", "space": {}, "version": 2}, "version 2"),
        (
            {"model_family": "rf", "task": "classification", "space": {}, "policy": {"type": "hyperband"}},
            "policy",
        ),
        (
            {
                "model_family": "rf",
                "task": "classification",
                "space": {},
                "policy": {"type": "bandit", "x": 1},
            },
            "unexpected fields",
        ),
        (
            {"model_family": "rf", "task": "classification", "space": {}, "limits": {"max_trials": 1}},
            "max_trials",
        ),
    ],
)
def test_from_dict_rejects_malformed_specs(data: object, needle: str) -> None:
    with pytest.raises(UserFacingError, match=needle):
        SweepSpec.from_dict(data)


def test_from_json_reports_bad_json() -> None:
    with pytest.raises(UserFacingError, match="not valid JSON"):
        SweepSpec.from_json("{nope")


def test_grid_takes_choice_and_fixed_only() -> None:
    ok = rf(sampling="grid", space={**RF_SPACE, "bootstrap": Fixed(True)})
    assert validate_spec(ok) == []
    bad = rf(sampling="grid", space={**RF_SPACE, "min_samples_split": Randint(10)})
    problems = validate_spec(bad)
    assert [p.path for p in problems] == ["space.min_samples_split"]
    assert "Grid sampling takes only Choice" in problems[0].message
    assert "random sampling" in problems[0].message


@pytest.mark.parametrize(
    ("param", "allowed"),
    [
        (Choice((1, 2)), True),
        (Uniform(0, 1), True),
        (QUniform(0, 10, 1), True),
        (LogUniform(-3, 0), False),
        (QLogUniform(0, 3, 1), False),
        (Normal(0, 1), False),
        (Randint(3), False),
    ],
)
def test_bayesian_takes_choice_uniform_quniform_only(param: object, allowed: bool) -> None:
    spec = rf(sampling="bayesian", space={"x": param, "fixed": Fixed(1)}, limits=Limits(40))
    assert (paths(spec) == []) is allowed


def test_random_takes_every_type() -> None:
    space = {
        "a": Choice((1, None)),
        "b": Uniform(0, 1),
        "c": LogUniform(-3, 0),
        "d": QUniform(0, 10, 1),
        "e": QLogUniform(0, 3, 1),
        "f": Normal(0, 1),
        "g": Randint(3),
    }
    assert validate_spec(rf(space=space)) == []


@pytest.mark.parametrize(
    ("changes", "path", "needle"),
    [
        ({"space": {}}, "space", "Nothing is searched"),
        ({"space": {"a": Fixed(1)}}, "space", "Nothing is searched"),
        ({"space": {**RF_SPACE, "max depth": Choice((1, 2))}}, "space.max depth", "usable name"),
        ({"space": {**RF_SPACE, "class": Choice((1, 2))}}, "space.class", "usable name"),
        ({"space": {**RF_SPACE, "train_data": Choice((1, 2))}}, "space.train_data", "training command"),
        ({"space": {"u": Uniform(2, 1)}}, "space.u.min_value", "lower than"),
        ({"model_family": " "}, "model_family", "model family"),
        ({"sampling": "sobol"}, "sampling", "random, grid or bayesian"),
        ({"primary_metric": "r2"}, "primary_metric", "not a classification metric"),
        ({"primary_metric": "log_loss", "goal": "maximize"}, "goal", "should be minimized"),
        ({"primary_metric": "accuracy", "goal": "minimize"}, "goal", "should be maximized"),
        ({"task": "ranking"}, "task", "classification or regression"),
        ({"cv_folds": 1}, "cv_folds", "2 to 20"),
        ({"cv_folds": 21}, "cv_folds", "2 to 20"),
        ({"seed": -1}, "seed", "0 to"),
        ({"limits": Limits(0)}, "limits.max_total_trials", "1 to 1000"),
        ({"limits": Limits(1001)}, "limits.max_total_trials", "1 to 1000"),
        ({"limits": Limits(10, 0)}, "limits.max_concurrent_trials", "1 to 1000"),
        ({"limits": Limits(10, 11)}, "limits.max_concurrent_trials", "above max_total_trials"),
        ({"limits": Limits(10, 2, timeout_s=0)}, "limits.timeout_s", "seconds"),
        ({"limits": Limits(10, 2, trial_timeout_s=-5)}, "limits.trial_timeout_s", "seconds"),
        ({"policy": BanditPolicy()}, "policy", "exactly one"),
        ({"policy": BanditPolicy(slack_factor=0.1, slack_amount=0.1)}, "policy", "exactly one"),
        ({"policy": BanditPolicy(slack_factor=0)}, "policy.slack_factor", "above 0"),
        ({"policy": BanditPolicy(slack_amount=-0.1)}, "policy.slack_amount", "above 0"),
        (
            {"policy": BanditPolicy(slack_factor=0.1, evaluation_interval=0)},
            "policy.evaluation_interval",
            "1",
        ),
        ({"policy": MedianStoppingPolicy(delay_evaluation=-1)}, "policy.delay_evaluation", "0 or more"),
        ({"policy": TruncationSelectionPolicy(0)}, "policy.truncation_percentage", "1 to 99"),
        ({"policy": TruncationSelectionPolicy(100)}, "policy.truncation_percentage", "1 to 99"),
    ],
)
def test_each_rule_reports_its_field(changes: dict[str, object], path: str, needle: str) -> None:
    problems = validate_spec(rf(**changes))
    assert path in [p.path for p in problems], problems
    message = next(p.message for p in problems if p.path == path)
    assert needle in message


def test_regression_metrics() -> None:
    spec = SweepSpec("ridge", "regression", {"alpha": Uniform(0.1, 10)}, primary_metric="accuracy")
    assert paths(spec) == ["primary_metric"]
    for metric in ("r2", "mae", "rmse"):
        ok = SweepSpec("ridge", "regression", {"alpha": Uniform(0.1, 10)}, primary_metric=metric)
        assert validate_spec(ok) == []


def test_concurrency_is_capped_by_the_cluster() -> None:
    spec = rf(limits=Limits(20, 4))
    assert paths(spec, max_instances=4) == []
    assert paths(spec, max_instances=3) == ["limits.max_concurrent_trials"]
    assert "max instances (3)" in validate_spec(spec, 3)[0].message
    assert paths(rf(limits=Limits(20, None)), max_instances=1) == []  # None: the engine caps it


def test_limits_at_the_edges_are_valid() -> None:
    assert paths(rf(limits=Limits(1, 1, timeout_s=1, trial_timeout_s=1))) == []
    assert paths(rf(limits=Limits(1000, 1000))) == []


def test_check_spec_raises_with_every_problem() -> None:
    spec = rf(cv_folds=1, limits=Limits(0))
    with pytest.raises(SpecError) as info:
        check_spec(spec)
    assert {p.path for p in info.value.problems} == {"cv_folds", "limits.max_total_trials"}
    assert "1 more problem" in str(info.value)
    assert check_spec(rf()) == rf()


def test_grid_size_and_notes() -> None:
    spec = rf(sampling="grid", limits=Limits(50))
    assert grid_size(spec) == 5 * 5 * 2 * 2
    notes = warnings_for(spec)
    assert [n.path for n in notes] == ["limits.max_total_trials"]
    assert "100 combinations but only 50 trials will run" in notes[0].message
    assert warnings_for(rf(sampling="grid", limits=Limits(100))) == []
    over = warnings_for(rf(sampling="grid", limits=Limits(500)))
    assert "only 100 trials will run, not 500" in over[0].message
    assert warnings_for(rf(sampling="grid", space={"a": Choice((1, 2))}, limits=Limits(2))) == []
    assert grid_size(rf(space={"a": Choice((1, 2)), "b": Uniform(0, 1)})) is None
    assert grid_size(rf(space={"a": Choice((1, 2, 3)), "b": Fixed(0)})) == 3


def test_bayesian_warnings() -> None:
    space = {"a": Choice((1, 2)), "b": Uniform(0, 1), "c": Fixed(3)}  # two searched
    few = warnings_for(rf(sampling="bayesian", space=space, limits=Limits(39)))
    assert [n.path for n in few] == ["limits.max_total_trials"]
    assert "40 here, not 39" in few[0].message
    assert warnings_for(rf(sampling="bayesian", space=space, limits=Limits(40))) == []
    with_policy = warnings_for(
        rf(sampling="bayesian", space=space, limits=Limits(40), policy=MedianStoppingPolicy())
    )
    assert [n.path for n in with_policy] == ["policy"]
    assert "unconfirmed for v2" in with_policy[0].message
    assert warnings_for(rf(policy=MedianStoppingPolicy())) == []  # random + policy is fine


def test_short_timeouts_and_narrow_log_ranges_are_flagged() -> None:
    notes = warnings_for(rf(limits=Limits(10, 2, timeout_s=30, trial_timeout_s=59)))
    assert [n.path for n in notes] == ["limits.timeout_s", "limits.trial_timeout_s"]
    assert "60 s" in notes[0].message
    narrow = warnings_for(rf(space={"lr": LogUniform(0.001, 0.1)}))
    assert [n.path for n in narrow] == ["space.lr"]
    assert "ln(a)" in narrow[0].message
    assert warnings_for(rf(space={"lr": LogUniform(-6.9, -2.3)})) == []
