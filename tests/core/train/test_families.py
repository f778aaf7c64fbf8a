"""Model families: estimators, typed hyperparameters and default search spaces."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.schema import Schema, Task
from core.errors import UserFacingError
from core.train.families import FAMILIES, Family, families_for, get_family
from core.train.params import ParamError
from core.train.trainer import build_pipeline

from .conftest import fast_params

ROOT = Path(__file__).resolve().parents[3]
ALL = sorted(FAMILIES.values(), key=lambda f: (f.task.value, f.key))


def test_families_per_task_are_the_ones_the_issue_names() -> None:
    assert [f.key for f in families_for(Task.CLASSIFICATION)] == [
        "random_forest",
        "logistic_regression",
        "hist_gradient_boosting",
        "svc",
    ]
    assert [f.key for f in families_for(Task.REGRESSION)] == [
        "random_forest",
        "ridge",
        "kernel_ridge",
        "hist_gradient_boosting",
    ]
    for family in ALL:
        assert family.label and family.description.endswith(".")
        assert family.estimator.startswith("sklearn.")


def test_random_forest_default_space_is_exactly_the_tutorials() -> None:
    assert get_family(Task.CLASSIFICATION, "random_forest").default_space() == {
        "n_estimators": {"type": "choice", "values": [10, 50, 100, 125, 150]},
        "max_depth": {"type": "choice", "values": [4, 6, 8, 10, None]},
        "criterion": {"type": "choice", "values": ["gini", "entropy"]},
        "max_features": {"type": "choice", "values": ["sqrt", "log2"]},
    }


def test_default_space_is_a_fresh_copy() -> None:
    family = get_family(Task.CLASSIFICATION, "random_forest")
    space = family.default_space()
    space["n_estimators"]["values"].append(999)
    del space["criterion"]
    assert family.default_space()["n_estimators"]["values"] == [10, 50, 100, 125, 150]
    assert "criterion" in family.default_space()


def _samples(dim: dict[str, object]) -> list[object]:
    """Values a sampler can draw from one dimension (bounds and a middle point)."""
    kind = dim["type"]
    if kind == "choice":
        return list(dim["values"])  # type: ignore[call-overload]
    if kind == "fixed":
        return [dim["value"]]
    low, high = float(dim["min_value"]), float(dim["max_value"])  # type: ignore[arg-type]
    assert low < high
    if kind == "loguniform":  # Azure: exp(U(min, max))
        return [math.exp(low), math.exp((low + high) / 2), math.exp(high)]
    return [low, (low + high) / 2, high]


@pytest.mark.parametrize("family", ALL, ids=lambda f: f"{f.task.value}-{f.key}")
def test_default_space_values_are_all_accepted(family: Family) -> None:
    space = family.default_space()
    assert space, "every family offers something to search"
    for name, dim in space.items():
        assert name in family.params
        assert dim["type"] in {"choice", "uniform", "loguniform", "quniform", "randint", "fixed"}
        for value in _samples(dim):
            family.params[name].coerce(value)  # raises if the space offers a refused value


def test_loguniform_bounds_are_natural_logs() -> None:
    c = get_family(Task.CLASSIFICATION, "logistic_regression").default_space()["C"]
    assert c == {"type": "loguniform", "min_value": -6.9, "max_value": 6.9}
    assert math.exp(c["min_value"]) == pytest.approx(1e-3, rel=0.01)
    assert math.exp(c["max_value"]) == pytest.approx(1e3, rel=0.01)


def _schema_for(family: Family, heart_schema: Schema, diabetes_schema: Schema) -> Schema:
    return heart_schema if family.task == Task.CLASSIFICATION else diabetes_schema


@pytest.mark.parametrize("family", ALL, ids=lambda f: f"{f.task.value}-{f.key}")
def test_every_family_builds_and_fits(
    family: Family,
    heart: pd.DataFrame,
    heart_schema: Schema,
    diabetes: pd.DataFrame,
    diabetes_schema: Schema,
) -> None:
    schema = _schema_for(family, heart_schema, diabetes_schema)
    frame = heart if family.task == Task.CLASSIFICATION else diabetes
    pipeline = build_pipeline(schema, family, fast_params(family.key), seed=3)
    assert [name for name, _ in pipeline.steps] == ["preprocess", "model"]
    X = frame[list(schema.features)]
    pipeline.fit(X, frame[schema.target])
    predicted = pipeline.predict(X.head(7))
    assert len(predicted) == 7
    if family.task == Task.CLASSIFICATION:
        proba = pipeline.predict_proba(X.head(7))
        assert proba.shape == (7, 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert set(predicted) <= {0, 1}
        # the trainer reads labels off predict_proba; the served model calls predict
        most_probable = pipeline.classes_[np.argmax(pipeline.predict_proba(X), axis=1)]
        np.testing.assert_array_equal(pipeline.predict(X), most_probable)
    else:
        assert predicted.dtype.kind == "f"


def test_estimators_get_the_coerced_values_and_the_seed() -> None:
    rf = get_family(Task.CLASSIFICATION, "random_forest")
    model = rf.build_estimator({"n_estimators": 50.0, "max_depth": "None", "criterion": "entropy"}, seed=11)
    params = model.get_params()
    assert params["n_estimators"] == 50 and isinstance(params["n_estimators"], int)
    assert params["max_depth"] is None and params["criterion"] == "entropy"
    assert params["random_state"] == 11 and params["max_features"] == "sqrt"
    # Azure hands every value over as text
    text = rf.build_estimator({"n_estimators": "125", "max_depth": "8", "max_features": "log2"}, seed=0)
    assert text.get_params()["n_estimators"] == 125 and text.get_params()["max_depth"] == 8
    svc = get_family(Task.CLASSIFICATION, "svc").build_estimator({"C": "0.5", "kernel": "linear"}, seed=4)
    assert svc.get_params()["estimator__C"] == 0.5 and svc.get_params()["estimator__random_state"] == 4
    logistic = get_family(Task.CLASSIFICATION, "logistic_regression").build_estimator(
        {"class_weight": "None", "fit_intercept": "false"}, seed=0
    )
    assert logistic.get_params()["class_weight"] is None and logistic.get_params()["fit_intercept"] is False


@pytest.mark.parametrize(
    ("task", "key", "params", "expected"),
    [
        (Task.CLASSIFICATION, "random_forest", {"n_estimators": 2.5}, "'n_estimators'.*whole number"),
        (Task.CLASSIFICATION, "random_forest", {"n_estimators": 0}, "from 1 to 5000.*but it is 0"),
        (Task.CLASSIFICATION, "random_forest", {"criterion": "None"}, "'gini', 'entropy', 'log_loss'"),
        (Task.CLASSIFICATION, "random_forest", {"max_depth": "deep"}, "or None \\(no limit\\)"),
        (Task.CLASSIFICATION, "random_forest", {"bootstrap": "maybe"}, "True or False"),
        (Task.CLASSIFICATION, "logistic_regression", {"C": 0}, "'C'.*above 0"),
        (Task.CLASSIFICATION, "logistic_regression", {"C": float("nan")}, "'C'.*a number"),
        (Task.REGRESSION, "ridge", {"alpha": True}, "'alpha'.*a number"),
        (Task.REGRESSION, "hist_gradient_boosting", {"learning_rate": -0.1}, "learning_rate"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    task: Task, key: str, params: dict[str, object], expected: str
) -> None:
    with pytest.raises(ParamError, match=expected) as caught:
        get_family(task, key).build_estimator(params, seed=0)
    assert "search space" in caught.value.fix
    assert isinstance(caught.value, UserFacingError)


def test_unknown_hyperparameters_are_named_with_the_known_ones() -> None:
    with pytest.raises(ParamError) as caught:
        get_family(Task.REGRESSION, "ridge").build_estimator({"alpah": 1.0, "zeta": 2}, seed=0)
    assert "'alpah', 'zeta'" in caught.value.problem
    assert caught.value.fix == "Use only these hyperparameters: alpha, fit_intercept."


def test_unknown_family_and_wrong_task(heart_schema: Schema) -> None:
    with pytest.raises(UserFacingError, match="no classification model family 'xgboost'") as caught:
        get_family(Task.CLASSIFICATION, "xgboost")
    assert "random_forest, logistic_regression" in caught.value.fix
    with pytest.raises(UserFacingError, match="cannot be trained on the classification target"):
        build_pipeline(heart_schema, get_family(Task.REGRESSION, "ridge"), {}, seed=0)
    with pytest.raises(UserFacingError, match="no classification model family 'ridge'"):
        build_pipeline(heart_schema, "ridge", {}, seed=0)


def test_resolved_params_fill_in_the_defaults() -> None:
    hgb = get_family(Task.REGRESSION, "hist_gradient_boosting")
    resolved = hgb.resolved_params({"max_iter": 30.0})
    assert resolved["max_iter"] == 30 and resolved["learning_rate"] == 0.1
    assert set(resolved) == set(hgb.params)


def test_importing_the_training_layer_loads_neither_sklearn_nor_mlflow() -> None:
    code = (
        "import sys, core.train.trainer, core.train.families, core.train.cli, core.train.tracking\n"
        "loaded = [m for m in ('sklearn', 'mlflow') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_kernel_ridge_says_how_its_cost_grows_with_the_rows() -> None:
    """Issue 19, item 3: an n × n kernel matrix: time grows with the cube, memory with the square."""
    text = get_family(Task.REGRESSION, "kernel_ridge").description
    assert "fitting time grows with the cube of the rows" in text
    assert "memory with their square" in text
    assert "cost grows with the square" not in text
