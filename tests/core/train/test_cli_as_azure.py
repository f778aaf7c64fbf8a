"""The trial command as Azure runs it: taken from the generated SweepJob, filled in, run for real.

Azure ML runs a sweep trial by replacing ``${{inputs.<name>}}`` with the input's value (a
literal) or its mounted path (a ``uri_file``), and ``${{search_space.<name>}}`` with the
sampled value's text, then running the command line in a shell in the job's code folder, with
``MLFLOW_TRACKING_URI``, ``MLFLOW_EXPERIMENT_ID`` and ``MLFLOW_RUN_ID`` set to the trial's run
(which Azure creates, as a child of the sweep's run). Here the code folder is the slim code
snapshot the product uploads, and MLflow is a real ``mlflow server`` over HTTP.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from core.azure.snapshot import CodeSnapshot, build_code_snapshot
from core.data.samples import heart_sample
from core.data.schema import build_schema
from core.mlflow_layout import OOF_ARTIFACT, TAG_PARAMS_JSON, TAG_PARENT, TAG_STATUS
from core.sweep.azure import build_sweep_node, decode_params
from core.sweep.space import Choice, Fixed, LogUniform, Param
from core.sweep.spec import SweepSpec
from core.trials.oof import out_of_fold_from_predictions
from tests.mlflow_server import MlflowServer

SPACE: dict[str, Param] = {
    "C": LogUniform(-4.6, 4.6),  # a float
    "class_weight": Choice((None, "balanced")),  # None, sent as the text "None"
    "fit_intercept": Choice((True, False)),  # a bool, sent as text
    "max_iter": Fixed(500),  # an input, not searched
}
# what the sampler drew for the choices (the float C is drawn below)
PICKS = {"class_weight": "None", "fit_intercept": "False"}
PLACEHOLDER = re.compile(r"\$\{\{(inputs|search_space)\.([A-Za-z_][A-Za-z0-9_]*)\}\}")
ROWS, FOLDS = 120, 3


def _spec(family: str = "logistic_regression") -> SweepSpec:
    return SweepSpec(family, "classification", dict(SPACE), seed=11, cv_folds=FOLDS)


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> CodeSnapshot:
    return build_code_snapshot(tmp_path_factory.mktemp("job") / "code")


@pytest.fixture
def mounted(tmp_path: Path) -> dict[str, Path]:
    """The job's uri_file inputs as Azure mounts them: local files."""
    folder = tmp_path / "mnt" / "azureml" / "inputs"
    folder.mkdir(parents=True)
    frame = heart_sample(ROWS, seed=9)
    frame.to_csv(folder / "train.csv", index=False)
    schema = build_schema(pd.read_csv(folder / "train.csv"), "output")
    (folder / "schema.json").write_text(json.dumps(schema.to_dict()))
    return {"train_data": folder / "train.csv", "schema": folder / "schema.json"}


def _rest_job(spec: SweepSpec, code: CodeSnapshot) -> dict[str, Any]:
    """The SweepJob the product submits, as the REST body Azure receives."""
    node = build_sweep_node(
        spec,
        environment="sklearn-mlflow-env@latest",
        compute="cpu-cluster",
        data="heart:1",
        schema="azureml://datastores/workspaceblobstore/paths/azureml/data/heart/1/schema.json",
        code=str(code.path),
    )
    body: dict[str, Any] = node._to_job()._to_rest_object().as_dict()["properties"]
    return body


def _sample(search_space: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """One draw of the REST search space, as the text Azure puts in the command line."""
    drawn: dict[str, str] = {}
    for name, (kind, arguments) in search_space.items():
        if kind == "choice":
            (values,) = arguments
            value = PICKS[name] if name in PICKS else rng.choice(values)
            assert value in values, f"{value!r} is not among {name}'s choices {values}"
            drawn[name] = str(value)
        elif kind == "loguniform":  # Azure's convention: the bounds are exponents
            low, high = arguments
            drawn[name] = str(math.exp(rng.uniform(low, high)))
        else:
            raise AssertionError(f"this test draws no {kind} parameter")
    return drawn


def _fill(command: str, inputs: dict[str, Any], mounted: dict[str, Path], drawn: dict[str, str]) -> str:
    """The command line with every placeholder replaced, as Azure does before running it."""

    def value(match: re.Match[str]) -> str:
        scope, name = match.groups()
        if scope == "search_space":
            return drawn[name]
        given = inputs[name]
        if given["jobInputType"] == "literal":
            return str(given["value"])
        assert given["jobInputType"] == "uri_file", given
        return str(mounted[name])

    filled = PLACEHOLDER.sub(value, command)
    assert "${{" not in filled, filled
    return filled


def _trial_run(server: MlflowServer) -> tuple[MlflowClient, str, str, str]:
    """The runs Azure creates before the trial starts: the sweep's and the trial's (its child)."""
    client = MlflowClient(server.url)
    experiment_id = client.create_experiment(f"azure-trial-{uuid.uuid4().hex[:8]}")
    sweep = client.create_run(experiment_id, run_name="sweep_job")
    trial = client.create_run(experiment_id, tags={TAG_PARENT: sweep.info.run_id}, run_name="sweep_job_0")
    return client, experiment_id, sweep.info.run_id, trial.info.run_id


def _run_as_azure(
    command: str, code: CodeSnapshot, server: MlflowServer, experiment_id: str, run_id: str
) -> subprocess.CompletedProcess[str]:
    venv_bin = str(Path(sys.executable).parent)  # the environment's ``python``
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHONPATH"))}
    env.update(
        PATH=os.pathsep.join([venv_bin, env.get("PATH", "")]),
        MLFLOW_TRACKING_URI=server.url,
        MLFLOW_EXPERIMENT_ID=experiment_id,
        MLFLOW_RUN_ID=run_id,
    )
    return subprocess.run(
        ["bash", "-c", command], cwd=code.path, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_generated_trial_command_runs_as_azure_runs_it(
    code: CodeSnapshot, mounted: dict[str, Path], mlflow_server: MlflowServer
) -> None:
    spec = _spec()
    job = _rest_job(spec, code)
    drawn = _sample(job["searchSpace"], random.Random(3))
    command = _fill(job["trial"]["command"], job["inputs"], mounted, drawn)
    assert command.startswith("python -m core.train --train_data ")
    client, experiment_id, sweep_id, trial_id = _trial_run(mlflow_server)

    done = _run_as_azure(command, code, mlflow_server, experiment_id, trial_id)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["run_id"] == trial_id, "the trainer writes to the run Azure created"

    run = client.get_run(trial_id)
    assert run.info.status == "FINISHED" and run.info.experiment_id == experiment_id
    assert run.data.tags[TAG_PARENT] == sweep_id, "still the sweep's child"
    history = client.get_metric_history(trial_id, spec.primary_metric)
    assert sorted(m.step for m in history) == list(range(FOLDS)), "one step per fold for the policy"
    for name in ("accuracy", "f1", "roc_auc", "log_loss"):
        assert math.isfinite(run.data.metrics[f"{name}_mean"]) and f"{name}_std" in run.data.metrics
    assert run.data.metrics["accuracy"] == pytest.approx(run.data.metrics["accuracy_mean"])

    expected = decode_params({**drawn, "max_iter": job["inputs"]["max_iter"]["value"]}, spec.space)
    assert expected["class_weight"] is None and expected["fit_intercept"] is False
    assert isinstance(expected["C"], float) and expected["max_iter"] == 500
    assert json.loads(run.data.tags[TAG_PARAMS_JSON]) == expected, "exact types: None is null"
    assert run.data.params == {name: str(value) for name, value in expected.items()}
    assert run.data.params["class_weight"] == "None"

    (model,) = client.search_logged_models(
        experiment_ids=[experiment_id], filter_string=f"source_run_id = '{trial_id}'"
    )
    assert model.name == "model"
    sample = pd.read_csv(mounted["train_data"]).head(10)
    mlflow.set_tracking_uri(mlflow_server.url)
    try:
        predicted = mlflow.pyfunc.load_model(f"runs:/{trial_id}/model").predict(sample)
    finally:
        mlflow.set_tracking_uri(None)
    assert set(np.asarray(predicted).tolist()) <= {0, 1} and len(predicted) == 10

    assert OOF_ARTIFACT in [a.path for a in client.list_artifacts(trial_id)]
    raw = Path(client.download_artifacts(trial_id, OOF_ARTIFACT)).read_bytes()
    oof = out_of_fold_from_predictions(raw, task="classification", mean={}, std={}, folds=FOLDS)
    assert len(oof.y_true) == ROWS and oof.confusion is not None and int(oof.confusion.sum()) == ROWS
    assert np.trace(oof.confusion) / ROWS == pytest.approx(run.data.metrics["accuracy_mean"], abs=0.02)


@pytest.mark.parametrize(
    ("family", "override", "message"),
    [
        ("logistic_regression", {"C": "-0.5"}, r"'C' .* must be a number above 0, but it is '-0.5'"),
        ("gradient_unicorns", {}, r"no classification model family 'gradient_unicorns'"),
    ],
)
def test_a_bad_value_exits_2_and_leaves_the_run_unfinished(  # noqa: PLR0913 - fixtures and cases
    code: CodeSnapshot,
    mounted: dict[str, Path],
    mlflow_server: MlflowServer,
    family: str,
    override: dict[str, str],
    message: str,
) -> None:
    job = _rest_job(_spec(family), code)
    drawn = _sample(job["searchSpace"], random.Random(4)) | override
    command = _fill(job["trial"]["command"], job["inputs"], mounted, drawn)
    client, experiment_id, _, trial_id = _trial_run(mlflow_server)

    done = _run_as_azure(command, code, mlflow_server, experiment_id, trial_id)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert re.search(message, done.stderr), done.stderr
    assert done.stdout == ""

    run = client.get_run(trial_id)
    assert run.info.status == "RUNNING", "left as Azure created it: Azure marks the job failed"
    assert run.data.metrics == {} and run.data.params == {}
    assert TAG_STATUS not in run.data.tags and TAG_PARAMS_JSON not in run.data.tags
    assert client.list_artifacts(trial_id) == []
    assert (
        client.search_logged_models(
            experiment_ids=[experiment_id], filter_string=f"source_run_id = '{trial_id}'"
        )
        == []
    )
