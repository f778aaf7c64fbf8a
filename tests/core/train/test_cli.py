"""``python -m core.train``, the Azure command-job script, run for real against SQLite MLflow."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from core.data.schema import Schema, Task
from core.errors import UserFacingError
from core.local.workspace_store import provision_mlflow_store
from core.train.cli import load_inputs, main, parse_args
from core.train.trainer import cross_validate_trial

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def asset(tmp_path: Path, heart: pd.DataFrame, heart_schema: Schema) -> Path:
    """A data-asset folder as the Data step stores it: train.csv and schema.json."""
    folder = tmp_path / "asset"
    folder.mkdir()
    heart.head(150).to_csv(folder / "train.csv", index=False)
    (folder / "schema.json").write_text(json.dumps(heart_schema.to_dict()))
    return folder


def test_the_command_logs_fold_steps_summary_and_a_loadable_model(
    asset: Path, tmp_path: Path, heart: pd.DataFrame, heart_schema: Schema
) -> None:
    uri = provision_mlflow_store(tmp_path / "workspace")
    command = [  # spelled as core.sweep.azure.trial_command writes it
        sys.executable, "-m", "core.train", "--train_data", str(asset / "train.csv"),
        "--model_family", "random_forest", "--task", "classification", "--primary_metric", "accuracy",
        "--cv_folds", "3", "--seed", "4",
        "--n_estimators", "10", "--max_depth", "None", "--criterion", "entropy", "--max_features", "log2",
    ]  # fmt: skip
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])

    client = MlflowClient(uri)
    run = client.get_run(summary["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params == {
        "n_estimators": "10",
        "max_depth": "None",
        "criterion": "entropy",
        "max_features": "log2",
    }
    assert run.data.tags["early_terminated"] == "false" and run.data.tags["primary_metric"] == "accuracy"
    assert run.data.tags["schema_source"] == "file" and run.data.tags["target"] == "output"
    history = client.get_metric_history(run.info.run_id, "accuracy")
    assert [m.step for m in history] == [0, 1, 2]

    # the same configuration in process: the command is the same trainer
    same = cross_validate_trial(
        heart.head(150),
        heart_schema,
        "random_forest",
        {"n_estimators": 10, "max_depth": None, "criterion": "entropy", "max_features": "log2"},
        primary_metric="accuracy",
        folds=3,
        seed=4,
    )
    folds = [m["accuracy"] for m in same.fold_metrics]
    running = [sum(folds[: i + 1]) / (i + 1) for i in range(len(folds))]
    assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(running)
    raw = sorted(client.get_metric_history(run.info.run_id, "accuracy_fold"), key=lambda m: m.step)
    assert [m.value for m in raw] == pytest.approx(folds)
    assert run.data.metrics["accuracy_mean"] == pytest.approx(same.mean["accuracy"])
    assert run.data.metrics["roc_auc_std"] == pytest.approx(same.std["roc_auc"])
    assert summary["accuracy_mean"] == pytest.approx(same.mean["accuracy"])

    mlflow.set_tracking_uri(uri)
    try:
        model = mlflow.pyfunc.load_model(summary["model_uri"])
        predicted = model.predict(heart.tail(20))
    finally:
        mlflow.set_tracking_uri(None)
    assert set(np.asarray(predicted).tolist()) <= {0, 1} and len(predicted) == 20


def test_options_and_hyperparameters_in_either_spelling() -> None:
    args = parse_args(
        ["--data", "d", "--family", "svc", "--primary-metric", "f1", "--folds", "3"]
        + ["--C", "0.5", "--kernel=linear", "--class-weight", "None"]
    )
    assert args.hyperparameters == {"C": "0.5", "kernel": "linear", "class_weight": "None"}
    assert (args.family, args.primary_metric, args.folds, args.seed) == ("svc", "f1", 3, 0)
    assert args.log_model and args.task is None and args.data == Path("d")
    azure = parse_args(
        ["--train_data", "d", "--model_family", "svc", "--task", "regression", "--primary_metric", "f1"]
        + ["--cv_folds", "4", "--seed", "2", "--C", "1e-05"]
    )
    assert (azure.family, azure.task, azure.folds, azure.seed) == ("svc", Task.REGRESSION, 4, 2)
    assert azure.hyperparameters == {"C": "1e-05"}
    with pytest.raises(UserFacingError, match="given twice"):
        parse_args(["--data", "d", "--family", "svc", "--C", "1", "--C=2"])
    with pytest.raises(UserFacingError, match="--C has no value"):
        parse_args(["--data", "d", "--family", "svc", "--C"])
    with pytest.raises(UserFacingError, match="Unexpected argument 'stray'"):
        parse_args(["--data", "d", "--family", "svc", "stray"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--family", "random_forest", "--n_estimators", "2.5"], "'n_estimators'.*whole number"),
        (["--family", "random_forest", "--max_dept", "4"], "no hyperparameter 'max_dept'"),
        (["--family", "ridge"], "no classification model family 'ridge'"),
        (["--family", "svc", "--primary-metric", "rmse"], "'rmse' is not a classification metric"),
        (["--family", "svc", "--folds", "1"], "folds of at least 2"),
        (
            ["--family", "svc", "--task", "regression"],
            "--task is regression, but .*'output' is classification",
        ),
        (["--family", "svc", "--folds", "200"], "150 rows, too few for 200 folds"),
        (["--family", "svc", "--folds", "70"], "at least 70 rows of every class"),
    ],
)
def test_bad_arguments_exit_2_with_the_fix(
    asset: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", str(asset), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert re.search(message, err), err


def test_inputs_from_a_folder_or_a_csv_and_schema(asset: Path, heart_schema: Schema, tmp_path: Path) -> None:
    frame, schema, source = load_inputs(asset, None)
    assert schema == heart_schema and len(frame) == 150 and source == "file"
    frame, schema, source = load_inputs(asset / "train.csv", None)  # schema.json beside it
    assert schema == heart_schema and source == "file"
    with pytest.raises(UserFacingError, match="schema file .* does not exist"):
        load_inputs(asset / "train.csv", tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(UserFacingError, match="not valid JSON"):
        load_inputs(asset / "train.csv", tmp_path / "bad.json")
    with pytest.raises(UserFacingError, match="training data file .* does not exist"):
        load_inputs(tmp_path / "missing.csv", None)


def test_without_a_schema_one_is_inferred_and_said_so(
    tmp_path: Path, heart: pd.DataFrame, heart_schema: Schema
) -> None:
    lone = tmp_path / "lone"
    lone.mkdir()
    heart.to_csv(lone / "data.csv", index=False)
    frame, schema, source = load_inputs(lone / "data.csv", None)
    assert source == "inferred" and schema == heart_schema  # the default target is "output"
    _, regression, _ = load_inputs(lone / "data.csv", None, task=Task.REGRESSION, target="chol")
    assert regression.target == "chol" and regression.task == Task.REGRESSION


def test_in_process_run_with_an_inferred_schema_notes_it(
    tmp_path: Path, heart: pd.DataFrame, mlflow_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    heart.to_csv(tmp_path / "lone.csv", index=False)
    code = main(
        [
            "--data",
            str(tmp_path / "lone.csv"),
            "--family",
            "logistic_regression",
            "--folds",
            "2",
            "--no-model",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "column types were inferred and the target is 'output'" in err
    summary = json.loads(out)
    assert "model_uri" not in summary and 0.5 < summary["accuracy_mean"] <= 1.0
    run = MlflowClient(mlflow_store).get_run(summary["run_id"])
    assert run.data.tags["schema_source"] == "inferred" and run.data.params == {}
