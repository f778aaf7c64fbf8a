"""Real MLflow stores on SQLite (or a folder) in a temp directory, written the way each tool
writes them: this app's sweep engine (through its own SweepTracker), plain runs of some
other script, and Optuna's MLflowCallback layout. Shared by the core, figure and page tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from core.data.schema import Task
from core.engine.tracking import SweepTracker
from core.sweep.space import Choice, LogUniform, Uniform
from core.sweep.spec import Limits, SweepSpec
from core.train.trainer import TrialResult

T0 = 1_700_000_000.0  # seconds: trials start from here, one every 10 s


def sqlite_uri(folder: Path, name: str = "mlflow.db") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / name).resolve()}"


def trial_result(
    fold_metrics: Sequence[Mapping[str, float]], primary: str, params: Mapping[str, Any], folds: int
) -> TrialResult:
    """A TrialResult as the trainer returns it, from given fold metrics (no model fitted)."""
    names = list(fold_metrics[0])
    return TrialResult(
        family="hist_gradient_boosting",
        task=Task.CLASSIFICATION,
        params=dict(params),
        seed=0,
        primary_metric=primary,
        folds=folds,
        fold_metrics=[dict(m) for m in fold_metrics],
        mean={n: float(np.mean([m[n] for m in fold_metrics])) for n in names},
        std={n: float(np.std([m[n] for m in fold_metrics])) for n in names},
        early_terminated=len(fold_metrics) < folds,
        fold_seconds=[0.1] * len(fold_metrics),
        seconds=0.1 * len(fold_metrics),
        y_true=np.array([]),
        y_pred=np.array([]),
        y_proba=None,
        classes=(0, 1),
        row_index=np.array([], dtype=int),
        fold_of_row=np.array([], dtype=int),
    )


APP_SPEC = SweepSpec(
    model_family="hist_gradient_boosting",
    task="classification",
    space={
        "learning_rate": LogUniform.from_range(0.001, 1.0),
        "max_iter": Choice((50, 100)),
        "class_weight": Choice((None, "balanced")),
        "l2_regularization": Uniform(0.0, 1.0),
    },
    sampling="random",
    seed=1,
    limits=Limits(max_total_trials=8, max_concurrent_trials=2),
    primary_metric="accuracy",
    goal="maximize",
    cv_folds=3,
)

# (params, per-fold accuracy, status): trial 5 is cut after one fold, trial 6 fails.
APP_TRIALS: list[tuple[dict[str, Any], list[float], str]] = [
    (
        {"learning_rate": 0.01, "max_iter": 50, "class_weight": None, "l2_regularization": 0.1},
        [0.80, 0.82, 0.81],
        "completed",
    ),
    (
        {"learning_rate": 0.1, "max_iter": 100, "class_weight": "balanced", "l2_regularization": 0.5},
        [0.85, 0.86, 0.84],
        "completed",
    ),
    (
        {"learning_rate": 0.5, "max_iter": 50, "class_weight": None, "l2_regularization": 0.9},
        [0.78, 0.79, 0.80],
        "completed",
    ),
    (
        {"learning_rate": 0.002, "max_iter": 100, "class_weight": "balanced", "l2_regularization": 0.3},
        [0.70, 0.72, 0.71],
        "completed",
    ),
    (
        {"learning_rate": 0.05, "max_iter": 50, "class_weight": None, "l2_regularization": 0.7},
        [0.83, 0.83, 0.84],
        "completed",
    ),
    (
        {"learning_rate": 0.003, "max_iter": 100, "class_weight": None, "l2_regularization": 0.2},
        [0.95],
        "early_terminated",
    ),
    (
        {"learning_rate": 0.2, "max_iter": 50, "class_weight": "balanced", "l2_regularization": 0.4},
        [],
        "failed",
    ),
]


def write_app_sweep(
    uri: str, experiment: str = "heart-sweeps", sweep_id: str = "sweep-test-1"
) -> tuple[str, str]:
    """A finished sweep in this app's layout, written by the engine's SweepTracker.
    Returns (experiment id, parent run id)."""
    tracker = SweepTracker(uri)
    spec = APP_SPEC.to_dict()
    parent = tracker.start_parent(experiment, sweep_id, spec, dataset="heart:1", sampler="random")
    experiment_id = tracker.experiment_id(experiment)
    best: tuple[str, float] | None = None
    for number, (params, folds, status) in enumerate(APP_TRIALS):
        started = T0 + 10 * number
        run_id = tracker.start_trial(experiment_id, parent, number, params, "random", number % 2, started)
        fold_metrics = [{"accuracy": a, "f1": a - 0.05, "log_loss": 1 - a} for a in folds]
        result = trial_result(fold_metrics, "accuracy", params, 3) if folds else None
        tracker.end_trial(
            run_id,
            params=params,
            primary_metric="accuracy",
            fold_metrics=fold_metrics,
            result=result,
            trial_status=status,
            ended=started + 5,
            error="max_iter broke" if status == "failed" else None,
        )
        if (
            status == "completed"
            and result is not None
            and (best is None or result.mean["accuracy"] > best[1])
        ):
            best = (run_id, result.mean["accuracy"])
    assert best is not None
    tracker.finish_parent(parent, "FINISHED", "accuracy", best[0], best[1], {"completed": 5})
    return experiment_id, parent


def write_plain_runs(uri: str, experiment: str = "someone-elses") -> str:
    """Runs a plain script logged: no parent, params as text (one says None, one is missing),
    a loss metric logged per epoch, one run without any metric, one failed."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment(experiment)
    runs = [
        ({"lr": "0.1", "depth": "3", "optimizer": "adam", "dropout": "True"}, [0.9, 0.5, 0.4], "FINISHED"),
        (
            {"lr": "0.01", "depth": "None", "optimizer": "sgd", "dropout": "False"},
            [0.8, 0.6, 0.35],
            "FINISHED",
        ),
        ({"lr": "0.001", "depth": "5", "optimizer": "adam"}, [0.95, 0.9], "FINISHED"),
        ({"lr": "0.05", "depth": "3", "optimizer": "sgd", "dropout": "True"}, [], "FINISHED"),
        ({"lr": "0.3", "depth": "None", "optimizer": "adam", "dropout": "False"}, [1.2], "FAILED"),
    ]
    for i, (params, losses, status) in enumerate(runs):
        start = int((T0 + 100 * i) * 1000)
        run = client.create_run(experiment_id, start_time=start, run_name=f"bold-owl-{40 + i}")
        metrics = [Metric("loss", v, start + s * 1000, s) for s, v in enumerate(losses)]
        if losses:
            metrics.append(Metric("accuracy", 1 - losses[-1], start + 9000, 0))
        client.log_batch(run.info.run_id, metrics=metrics, params=[Param(k, v) for k, v in params.items()])
        client.set_terminated(run.info.run_id, status, end_time=start + 30_000)
    return experiment_id


def write_optuna_runs(uri: str, experiment: str = "optuna-study") -> str:
    """Runs in optuna-integration's MLflowCallback layout: run name = trial number, tags
    number / state / direction / <param>_distribution, the objective as metric "value"."""
    client = MlflowClient(uri)
    experiment_id = client.create_experiment(experiment)
    trials = [
        (0, {"x": 0.5, "lr": 1e-3, "kind": "a"}, 2.0, "COMPLETE"),
        (1, {"x": 0.1, "lr": 1e-1, "kind": "b"}, 0.5, "COMPLETE"),
        (2, {"x": 0.9, "lr": 1e-4, "kind": "a"}, 0.2, "PRUNED"),
        (3, {"x": 0.3, "lr": 1e-2, "kind": "b"}, None, "FAIL"),
    ]
    for number, params, value, state in reversed(trials):  # written out of order on purpose
        run = client.create_run(experiment_id, run_name=str(number), start_time=int((T0 + number) * 1000))
        tags = [
            RunTag("number", str(number)),
            RunTag("state", state),
            RunTag("direction", "MINIMIZE"),
            RunTag("x_distribution", "FloatDistribution(high=1.0, log=False, low=0.0, step=None)"),
            RunTag("lr_distribution", "FloatDistribution(high=1.0, log=True, low=1e-05, step=None)"),
            RunTag("kind_distribution", "CategoricalDistribution(choices=('a', 'b'))"),
        ]
        metrics = [] if value is None else [Metric("value", value, int(T0 * 1000), 0)]
        client.log_batch(
            run.info.run_id, metrics=metrics, params=[Param(k, str(v)) for k, v in params.items()], tags=tags
        )
        client.set_terminated(run.info.run_id, "FINISHED")
    return experiment_id


def params_json(run_tags: Mapping[str, str]) -> dict[str, Any]:
    return json.loads(run_tags["params_json"])
