"""Real models in a real MLflow store, registered and served by real server processes.

Every fixture that starts a server deletes its endpoint at the end, which stops the server;
``no_server_left`` checks that none survives the module.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from core.data.samples import heart_sample
from core.data.schema import Schema, Task, build_schema
from core.endpoint.process import SERVER_MODULE
from core.endpoint.service import LocalEndpoints
from core.local.workspace_store import provision_mlflow_store
from core.train.target import feature_frame
from core.train.tracking import log_model
from core.train.trainer import fit_final

FAST = {"random_forest": {"n_estimators": 15}, "hist_gradient_boosting": {"max_iter": 20}}


@dataclass
class Workspace:
    folder: Path
    tracking_uri: str
    endpoints: LocalEndpoints


@dataclass
class Registered:
    name: str
    version: int
    pipeline: Any
    frame: pd.DataFrame
    schema: Schema


def make_workspace(folder: Path) -> Workspace:
    uri = provision_mlflow_store(folder)
    return Workspace(folder, uri, LocalEndpoints(folder / "endpoints", "ws-test", uri))


def register_fitted(
    ws: Workspace,
    frame: pd.DataFrame,
    schema: Schema,
    family: str,
    name: str,
    params: dict[str, Any] | None = None,
) -> Registered:
    """Fit ``family`` on ``frame``, log it like the sweep's refit does, and register a version."""
    pipeline = fit_final(frame, schema, family, params if params is not None else FAST.get(family, {}))
    mlflow.set_tracking_uri(ws.tracking_uri)
    try:
        with mlflow.start_run() as run:
            info = log_model(pipeline, frame.head(200), name="model")
    finally:
        mlflow.set_tracking_uri(None)
    client = MlflowClient(ws.tracking_uri)
    if not client.search_registered_models(filter_string=f"name = '{name}'"):
        client.create_registered_model(name)
    version = client.create_model_version(
        name,
        source=client.get_logged_model(info.model_id).artifact_location,
        run_id=run.info.run_id,
        model_id=info.model_id,
        tags={"task": schema.task.value, "model_family": family},
    )
    return Registered(name, int(version.version), pipeline, frame, schema)


def servers_running() -> list[str]:
    """Command lines of endpoint server processes on this machine started from ``root``."""
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if SERVER_MODULE in line]


@pytest.fixture(scope="session")
def heart() -> pd.DataFrame:
    return heart_sample(240, seed=11)


@pytest.fixture(scope="session")
def heart_schema(heart: pd.DataFrame) -> Schema:
    return build_schema(heart, "output", Task.CLASSIFICATION)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, heart: pd.DataFrame, heart_schema: Schema
) -> Iterator[dict[str, Any]]:
    """One endpoint with the heart random forest, small limits (so 413 and too-many-rows are
    cheap to reach), and its keys; deleted (server stopped) after the module."""
    ws = make_workspace(tmp_path_factory.mktemp("served"))
    model = register_fitted(ws, heart, heart_schema, "random_forest", "best_random_forest")
    ws.endpoints.create_endpoint("heart-classify-endpoint")
    with ws.endpoints.store.locked():
        record = ws.endpoints.store.load("heart-classify-endpoint")
        assert record is not None
        ws.endpoints.store.save(record.with_(max_rows=1000, max_body_bytes=256 * 1024))
    ws.endpoints.create_deployment(
        "heart-classify-endpoint", "heart-classify-deployment", model.name, model.version, instance_count=2
    )
    info = ws.endpoints.get("heart-classify-endpoint")
    assert info.health.healthy, info.health
    yield {
        "ws": ws,
        "model": model,
        "record": info.record,
        "keys": ws.endpoints.keys("heart-classify-endpoint"),
        "features": feature_frame(heart, heart_schema),
    }
    ws.endpoints.delete("heart-classify-endpoint")


def body_of(frame: pd.DataFrame) -> bytes:
    from core.endpoint.client import split_payload

    return json.dumps(split_payload(frame)).encode()
