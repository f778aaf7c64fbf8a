"""What a deployment would change, said before it happens; default names from the dataset; the
deployment's updated time."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from core.data.schema import Schema, Task, build_schema
from core.endpoint.defaults import default_names
from core.endpoint.records import EndpointRecord
from core.naming import name_problem
from core.resources import Kind
from tests.core.endpoint.conftest import make_workspace, register_fitted


@pytest.mark.parametrize(
    ("dataset", "task", "endpoint", "deployment"),
    [
        ("heart", "classification", "heart-classify-endpoint", "heart-classify-deployment"),
        (
            "smart_grid_stability",
            "regression",
            "smart-grid-regress-endpoint",
            "smart-grid-regress-deployment",
        ),
        (None, "regression", "model-regress-endpoint", "model-regress-deployment"),
    ],
)
def test_default_names_follow_the_dataset(
    dataset: str | None, task: str, endpoint: str, deployment: str
) -> None:
    assert default_names(dataset, task) == (endpoint, deployment)


@pytest.mark.parametrize(
    "dataset",
    ["2024 Sales (EU)!!", "a", "ÄÖÜ-data", "x" * 80, "very_long_dataset_name_with_many_words", "__", "-9-"],
)
def test_default_names_are_always_valid_azure_names(dataset: str) -> None:
    for task in ("classification", "regression"):
        endpoint, deployment = default_names(dataset, task)
        assert name_problem(Kind.ENDPOINT, endpoint) is None, endpoint
        assert name_problem(Kind.DEPLOYMENT, deployment) is None, deployment


def _tag_dataset(uri: str, name: str, version: int, dataset: str) -> None:
    client = MlflowClient(uri)
    client.set_model_version_tag(name, str(version), "dataset", dataset)
    client.set_model_version_tag(name, str(version), "dataset_version", "1")


def test_a_deployment_that_changes_task_dataset_or_columns_is_described_first(
    tmp_path: Path, heart: pd.DataFrame, heart_schema: Schema
) -> None:
    ws = make_workspace(tmp_path / "ws")
    classifier = register_fitted(ws, heart, heart_schema, "random_forest", "best_random_forest")
    _tag_dataset(ws.tracking_uri, classifier.name, classifier.version, "heart")
    chol = build_schema(heart, "chol", Task.REGRESSION)
    regressor = register_fitted(ws, heart, chol, "ridge", "best_ridge")
    _tag_dataset(ws.tracking_uri, regressor.name, regressor.version, "cholesterol")
    endpoints = ws.endpoints
    ep, dep = "heart-classify-endpoint", "heart-classify-deployment"

    assert endpoints.changes(ep, dep, regressor.name, regressor.version) == [], "nothing served yet"
    endpoints.create_endpoint(ep)
    try:
        endpoints.create_deployment(ep, dep, classifier.name, classifier.version)
        first = endpoints.get(ep).record.deployment(dep)
        assert first is not None and first.updated_at == first.created_at
        assert endpoints.changes(ep, dep, classifier.name, classifier.version) == []
        changes = endpoints.changes(ep, dep, regressor.name, regressor.version)
        text = " ".join(changes)
        assert "classification to regression" in text, changes
        assert "the dataset changes from heart v1 to cholesterol v1" in text, changes
        assert "input columns" in text and "'output'" in text and "'chol'" in text, changes
        # a new deployment on the same endpoint is compared with what the endpoint serves
        other = endpoints.changes(ep, "other-deployment", regressor.name, regressor.version)
        assert any("classification to regression" in c for c in other), other

        outcome = endpoints.create_deployment(ep, dep, regressor.name, regressor.version)
        assert "Updated" in outcome.message and "classification to regression" in outcome.message
        second = endpoints.get(ep).record.deployment(dep)
        assert second is not None and second.created_at == first.created_at
        assert second.updated_at is not None and second.updated_at >= first.created_at
    finally:
        endpoints.delete(ep)


def test_old_records_without_updated_at_still_load(tmp_path: Path) -> None:
    data = {
        "name": "old-endpoint",
        "workspace": "ws",
        "created_at": "2026-01-01T00:00:00+00:00",
        "deployments": [
            {
                "name": "old-deployment",
                "model_name": "m",
                "model_version": 1,
                "model_source": "models:/m-1",
                "model_dir": str(tmp_path),
                "task": "classification",
                "created_at": "2026-01-01T00:00:00+00:00",
            }
        ],
    }
    record = EndpointRecord.from_json(json.dumps(data))
    deployment = record.deployments[0]
    assert deployment.updated_at is None and deployment.last_change == "2026-01-01T00:00:00+00:00"
