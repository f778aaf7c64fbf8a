"""Model families per task, each with its typed hyperparameters and a default search space.

A search space is plain JSON-like data, one tagged dict per hyperparameter, in the terms of
``azure.ai.ml.sweep`` (and so independent of ``core.sweep``'s types):

- ``{"type": "choice", "values": [...]}`` (None is a real choice: JSON null)
- ``{"type": "uniform", "min_value": a, "max_value": b}``
- ``{"type": "loguniform", "min_value": a, "max_value": b}``: Azure's semantics, the value is
  ``exp(U(a, b))``, so ``C`` in 1e-3 to 1e3 is ``min_value=-6.9, max_value=6.9``
- ``{"type": "quniform", "min_value": a, "max_value": b, "q": q}``
- ``{"type": "randint", "upper": n}`` (integers 0 to n - 1)
- ``{"type": "fixed", "value": v}``

scikit-learn is imported only when an estimator is built: ``sklearn.ensemble`` alone takes
about 3 s to import, and the Sweep page lists families on every rerun.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from core.data.schema import Task
from core.errors import UserFacingError
from core.train.params import ParamSpec, coerce_params, flag, number, text, whole

__all__ = [
    "FAMILIES",
    "Family",
    "choice",
    "families_for",
    "fixed",
    "get_family",
    "loguniform",
    "quniform",
    "randint",
    "uniform",
]

Space = dict[str, dict[str, Any]]
Factory = Callable[[dict[str, Any], int], Any]


def choice(*values: Any) -> dict[str, Any]:
    return {"type": "choice", "values": list(values)}


def uniform(min_value: float, max_value: float) -> dict[str, Any]:
    return {"type": "uniform", "min_value": min_value, "max_value": max_value}


def loguniform(min_value: float, max_value: float) -> dict[str, Any]:
    """exp(U(min_value, max_value)), as Azure's LogUniform: the bounds are natural logs."""
    return {"type": "loguniform", "min_value": min_value, "max_value": max_value}


def quniform(min_value: float, max_value: float, q: float) -> dict[str, Any]:
    return {"type": "quniform", "min_value": min_value, "max_value": max_value, "q": q}


def randint(upper: int) -> dict[str, Any]:
    return {"type": "randint", "upper": upper}


def fixed(value: Any) -> dict[str, Any]:
    return {"type": "fixed", "value": value}


@dataclass(frozen=True)
class Family:
    """A model family: what it is called, what it accepts and how its estimator is built."""

    key: str  # "random_forest": what sweeps, MLflow params and the CLI's --family use
    label: str  # "Random forest"
    task: Task
    estimator: str  # the scikit-learn class, for the UI and the generated code
    description: str  # one or two sentences for the UI
    params: Mapping[str, ParamSpec]
    space: Mapping[str, Mapping[str, Any]]
    factory: Factory = field(repr=False, compare=False)

    def default_space(self) -> Space:
        """A fresh copy of the default search space (safe to edit)."""
        return {name: copy.deepcopy(dict(dim)) for name, dim in self.space.items()}

    def coerce_params(self, params: Mapping[str, object]) -> dict[str, Any]:
        """The given hyperparameters with their types fixed; ParamError for bad or unknown ones."""
        return coerce_params(self.params, params, f"{self.label} ({self.task.value})")

    def resolved_params(self, params: Mapping[str, object]) -> dict[str, Any]:
        """Every hyperparameter the estimator gets: the defaults, overridden by ``params``."""
        resolved = {name: spec.default for name, spec in self.params.items()}
        resolved.update(self.coerce_params(params))
        return resolved

    def build_estimator(self, params: Mapping[str, object], seed: int) -> Any:
        """An unfitted scikit-learn estimator; ``seed`` fixes its randomness, where it has any."""
        return self.factory(self.resolved_params(params), int(seed))


def _family(
    key: str,
    label: str,
    task: Task,
    estimator: str,
    description: str,
    params: list[ParamSpec],
    space: Space,
    factory: Factory,
) -> Family:
    specs = {spec.name: spec for spec in params}
    unknown = set(space) - set(specs)
    if unknown:  # a programming error, caught by the tests
        raise ValueError(f"default space of {key} names unknown hyperparameters {sorted(unknown)}")
    frozen_space = MappingProxyType({name: MappingProxyType(dim) for name, dim in space.items()})
    return Family(key, label, task, estimator, description, MappingProxyType(specs), frozen_space, factory)


# -- shared hyperparameters -----------------------------------------------------------------------

_N_ESTIMATORS = whole("n_estimators", 100, "Number of trees.", low=1, high=5000)
_MAX_DEPTH = whole("max_depth", None, "Deepest level a tree may grow to.", low=1, high=1000, none="no limit")
_MIN_SAMPLES_SPLIT = whole("min_samples_split", 2, "Fewest rows a node needs to be split.", low=2)
_MIN_SAMPLES_LEAF = whole("min_samples_leaf", 1, "Fewest rows in a leaf.", low=1)
_BOOTSTRAP = flag("bootstrap", True, "Train each tree on a bootstrap sample of the rows.")
_MAX_FEATURES = ("sqrt", "log2")
_BALANCED = "Weight classes inversely to their frequency."
_EQUAL = "every row counts the same"
_CLASS_WEIGHT = text("class_weight", None, _BALANCED, ("balanced",), none=_EQUAL)
_C = number("C", 1.0, "Inverse regularisation strength (smaller: simpler model).", above=0.0)
_RF_SPACE: Space = {
    "n_estimators": choice(10, 50, 100, 125, 150),
    "max_depth": choice(4, 6, 8, 10, None),
}
_HGB = [
    number("learning_rate", 0.1, "Shrinkage of each tree's contribution.", above=0.0, high=10.0),
    whole("max_iter", 100, "Number of boosting rounds (trees).", low=1, high=10000),
    whole("max_leaf_nodes", 31, "Most leaves per tree.", low=2, none="no limit"),
    whole("max_depth", None, "Deepest level a tree may grow to.", low=1, none="no limit"),
    whole("min_samples_leaf", 20, "Fewest rows in a leaf.", low=1),
    number("l2_regularization", 0.0, "L2 penalty on leaf values.", low=0.0),
]
_HGB_SPACE: Space = {
    "learning_rate": loguniform(-4.6, -1.2),  # about 0.01 to 0.3
    "max_iter": choice(50, 100, 200),
    "max_leaf_nodes": choice(15, 31, 63),
    "min_samples_leaf": choice(5, 10, 20, 40),
    "l2_regularization": uniform(0.0, 1.0),
}
_HGB_TEXT = (
    "Trees added one at a time, each correcting the last (histogram-based, like LightGBM): "
    "often the most accurate on tabular data."
)


# -- estimator factories: scikit-learn is imported here, when a model is built ---------------------


def _rf_classifier(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**p, random_state=seed, n_jobs=1)


def _logistic(p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**p, random_state=seed)


def _hgb_classifier(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**p, random_state=seed)


def _svc(p: dict[str, Any], seed: int) -> Any:
    """SVC inside CalibratedClassifierCV: scikit-learn 1.9 deprecates ``SVC(probability=True)``
    for exactly this (Platt scaling, here on 3 internal folds), and roc_auc / log_loss need
    probabilities. Its predictions are the most probable class."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    return CalibratedClassifierCV(SVC(**p, random_state=seed), method="sigmoid", cv=3, ensemble=False)


def _rf_regressor(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(**p, random_state=seed, n_jobs=1)


def _ridge(p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import Ridge

    return Ridge(**p, random_state=seed)


def _kernel_ridge(p: dict[str, Any], seed: int) -> Any:
    """KernelRidge has no intercept, so the target is standardised around it (and the
    predictions mapped back); otherwise an RBF model shrinks towards 0, not the mean."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=KernelRidge(**p), transformer=StandardScaler())


def _hgb_regressor(p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(**p, random_state=seed)


# -- the catalogue -----------------------------------------------------------------------------------

_CATALOGUE = [
    _family(
        "random_forest",
        "Random forest",
        Task.CLASSIFICATION,
        "sklearn.ensemble.RandomForestClassifier",
        "Many decision trees on bootstrap samples, voting together: robust, little tuning, "
        "the classic tutorial's choice.",
        [
            _N_ESTIMATORS,
            _MAX_DEPTH,
            text("criterion", "gini", "How a split's quality is measured.", ("gini", "entropy", "log_loss")),
            text("max_features", "sqrt", "Features tried at each split.", _MAX_FEATURES, none="all features"),
            _MIN_SAMPLES_SPLIT,
            _MIN_SAMPLES_LEAF,
            _BOOTSTRAP,
            text("class_weight", None, _BALANCED, ("balanced", "balanced_subsample"), none=_EQUAL),
        ],
        {**_RF_SPACE, "criterion": choice("gini", "entropy"), "max_features": choice("sqrt", "log2")},
        _rf_classifier,
    ),
    _family(
        "logistic_regression",
        "Logistic regression",
        Task.CLASSIFICATION,
        "sklearn.linear_model.LogisticRegression",
        "A linear model of the log-odds: fast, with interpretable coefficients.",
        [
            _C,
            _CLASS_WEIGHT,
            flag("fit_intercept", True, "Learn an intercept."),
            whole("max_iter", 1000, "Most solver iterations.", low=1, high=100000),
        ],
        {"C": loguniform(-6.9, 6.9), "class_weight": choice(None, "balanced")},  # C: 1e-3 to 1e3
        _logistic,
    ),
    _family(
        "hist_gradient_boosting",
        "Gradient boosting",
        Task.CLASSIFICATION,
        "sklearn.ensemble.HistGradientBoostingClassifier",
        _HGB_TEXT,
        [*_HGB, _CLASS_WEIGHT],
        dict(_HGB_SPACE),
        _hgb_classifier,
    ),
    _family(
        "svc",
        "Support vector machine",
        Task.CLASSIFICATION,
        "sklearn.svm.SVC",
        "A maximum-margin boundary, curved by a kernel, with Platt-scaled probabilities "
        "(CalibratedClassifierCV). Best on small to medium data.",
        [
            _C,
            text("kernel", "rbf", "Kernel function.", ("rbf", "linear", "poly", "sigmoid")),
            text("gamma", "scale", "Kernel coefficient rule.", ("scale", "auto")),
            whole("degree", 3, "Degree of the poly kernel.", low=1, high=10),
            _CLASS_WEIGHT,
        ],
        {"C": loguniform(-4.6, 4.6), "kernel": choice("rbf", "linear"), "gamma": choice("scale", "auto")},
        _svc,
    ),
    _family(
        "random_forest",
        "Random forest",
        Task.REGRESSION,
        "sklearn.ensemble.RandomForestRegressor",
        "Many regression trees on bootstrap samples, averaged: robust, little tuning.",
        [
            _N_ESTIMATORS,
            _MAX_DEPTH,
            text(
                "criterion",
                "squared_error",
                "How a split's quality is measured (absolute_error is several times slower).",
                ("squared_error", "absolute_error"),
            ),
            text("max_features", None, "Features tried at each split.", _MAX_FEATURES, none="all features"),
            _MIN_SAMPLES_SPLIT,
            _MIN_SAMPLES_LEAF,
            _BOOTSTRAP,
        ],
        {
            **_RF_SPACE,
            "criterion": fixed("squared_error"),  # absolute_error: ~5x slower per tree
            "max_features": choice(None, "sqrt", "log2"),
            "min_samples_leaf": choice(1, 2, 4, 8),
        },
        _rf_regressor,
    ),
    _family(
        "ridge",
        "Ridge regression",
        Task.REGRESSION,
        "sklearn.linear_model.Ridge",
        "Linear least squares with an L2 penalty; alpha is the penalty strength.",
        [
            number("alpha", 1.0, "Penalty strength.", low=0.0),
            flag("fit_intercept", True, "Learn an intercept."),
        ],
        {"alpha": loguniform(-6.9, 6.9)},
        _ridge,
    ),
    _family(
        "kernel_ridge",
        "Kernel ridge regression",
        Task.REGRESSION,
        "sklearn.kernel_ridge.KernelRidge",
        "Ridge regression in a kernel's feature space (curved fits), on the standardised target. "
        "It solves with an n × n kernel matrix, so fitting time grows with the cube of the rows and "
        "memory with their square: best under ~10,000 rows.",
        [
            number("alpha", 1.0, "Penalty strength.", above=0.0),
            text(
                "kernel", "rbf", "Kernel function.", ("rbf", "laplacian", "linear", "polynomial", "sigmoid")
            ),
            number("gamma", None, "Kernel coefficient.", above=0.0, none="1 / number of features"),
            whole("degree", 3, "Degree of the polynomial kernel.", low=1, high=10),
        ],
        {
            "alpha": loguniform(-6.9, 2.3),
            "kernel": choice("rbf", "laplacian", "linear"),
            "gamma": loguniform(-6.9, 0.0),
        },
        _kernel_ridge,
    ),
    _family(
        "hist_gradient_boosting",
        "Gradient boosting",
        Task.REGRESSION,
        "sklearn.ensemble.HistGradientBoostingRegressor",
        _HGB_TEXT,
        list(_HGB),
        dict(_HGB_SPACE),
        _hgb_regressor,
    ),
]

FAMILIES: Mapping[tuple[Task, str], Family] = MappingProxyType(
    {(family.task, family.key): family for family in _CATALOGUE}
)


def families_for(task: Task) -> list[Family]:
    """The families of one task, in the order the UI offers them."""
    return [family for family in FAMILIES.values() if family.task == Task(task)]


def get_family(task: Task, key: str) -> Family:
    """The family ``key`` for ``task``; a UserFacingError listing the valid keys otherwise."""
    family = FAMILIES.get((Task(task), key))
    if family is None:
        valid = ", ".join(f.key for f in families_for(task))
        raise UserFacingError(
            f"There is no {Task(task).value} model family {key!r}.",
            f"Pick one of: {valid}.",
        )
    return family
