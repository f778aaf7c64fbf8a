"""Every model family a sweep offers: its refit model (skops with trusted types) is registered,
loads in the server and answers over HTTP exactly as the pipeline does in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.schema import Schema, Task, build_schema
from core.endpoint.client import EndpointClient
from core.endpoint.model import load_model
from core.train.families import families_for
from core.train.target import feature_frame
from tests.core.endpoint.conftest import Registered, Workspace, make_workspace, register_fitted


def deploy_all(ws: Workspace, frame: pd.DataFrame, schema: Schema, endpoint: str) -> dict[str, Registered]:
    ws.endpoints.create_endpoint(endpoint)
    models = {}
    for family in families_for(schema.task):
        deployment = family.key.replace("_", "-")
        models[deployment] = register_fitted(ws, frame, schema, family.key, f"best_{family.key}")
    # one server loads them all: start it once, with every deployment in the record
    for deployment, model in models.items():
        ws.endpoints.create_deployment(endpoint, deployment, model.name, model.version)
    return models


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = make_workspace(tmp_path_factory.mktemp("families"))
    yield workspace
    for info in workspace.endpoints.endpoints():
        workspace.endpoints.delete(info.name)


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame.head(250)


@pytest.mark.parametrize("task", [Task.CLASSIFICATION, Task.REGRESSION])
def test_each_familys_refit_model_loads_and_serves(
    ws: Workspace, task: Task, heart: pd.DataFrame, heart_schema: Schema, diabetes: pd.DataFrame
) -> None:
    if task == Task.CLASSIFICATION:
        frame, schema, endpoint = heart, heart_schema, "heart-families"
    else:
        frame, schema, endpoint = (
            diabetes,
            build_schema(diabetes, "target", Task.REGRESSION),
            "diabetes-families",
        )
    models = deploy_all(ws, frame, schema, endpoint)
    assert len(models) == 4
    info = ws.endpoints.get(endpoint)
    assert info.health.healthy and set(info.health.info["deployments"]) == set(models)
    key = ws.endpoints.keys(endpoint).primary.reveal()
    rows = feature_frame(frame, schema).tail(40)
    for deployment, model in models.items():
        record = info.record.deployment(deployment)
        assert record is not None
        loaded = load_model(Path(record.model_dir))  # the server's loader, on the deployed copy
        client = EndpointClient(info.scoring_uri, key, deployment=deployment)
        expected = model.pipeline.predict(rows)
        if task == Task.CLASSIFICATION:
            result = client.score(rows, probabilities=True)
            assert result.predictions == expected.tolist(), deployment
            assert np.allclose(result.probabilities, model.pipeline.predict_proba(rows)), deployment
            assert np.array_equal(loaded.predict(rows), expected)
        else:
            result = client.score(rows)
            assert np.allclose(result.predictions, expected, rtol=1e-12, atol=1e-9), deployment
            assert np.allclose(loaded.predict(rows), expected)
        assert result.deployment == deployment
