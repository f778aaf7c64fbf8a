"""A deployable model for the endpoint tests, without a sweep: a small random forest fitted once
on the heart sample and saved as the trainer saves it (an MLflow scikit-learn model, skops format,
signature and input example), uploaded to Azurite where Azure keeps a job's model
(``azureml`` / ``ExperimentRun/dcid.<job>/model/``), and registered in the fake as a model
version in decision 3's shape (the routes of ``routes_models.py`` then serve it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tests.azure.fake import FakeAzure, FakeTransport
from tests.azure.fake.routes_ml import PROVIDER, children, stamp, system_data, ws_id

if TYPE_CHECKING:
    from core.azure.backend import AzureBackend

ARTIFACT_CONTAINER = "azureml"
MODEL, JOB = "heart-endpoint-model", "endpoint_tests_job_1"
TAGS = {"task": "classification", "dataset": "heart", "dataset_version": "1", "metric.roc_auc": "0.9"}


@dataclass(frozen=True)
class Deployable:
    """The model folder, and the held-out rows it can score (features) with their truth."""

    folder: Path
    features: pd.DataFrame
    truth: list[Any]


def train_deployable(folder: Path) -> Deployable:
    """Fit and save the model (a few seconds; share it per session)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from core.data.samples import heart_sample
    from core.data.schema import Task, build_schema
    from core.data.split import split_frame
    from core.train.pipeline import fit_final
    from core.train.target import feature_frame
    from core.train.tracking import skops_trusted_types

    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=0.2, seed=42, stratify=True)
    pipeline = fit_final(split.train, schema, "random_forest", {"n_estimators": 10, "max_depth": 3})
    features = feature_frame(split.train, schema)
    signature = infer_signature(features, pipeline.predict(features))
    target = folder / "model"
    mlflow.sklearn.save_model(
        pipeline,
        str(target),
        signature=signature,
        input_example=features.head(5),
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
        skops_trusted_types=skops_trusted_types(pipeline),
        pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
    )
    test = feature_frame(split.test, schema)
    return Deployable(target, test, list(split.test["output"]))


def upload_model(fake: FakeAzure, model: Path, job: str) -> str:
    """Upload the model folder as job ``job``'s model output; returns its ``modelUri``."""
    from tests.azure.fake.routes_storage import _azurite

    container = _azurite(fake).get_container_client(ARTIFACT_CONTAINER)
    if not container.exists():
        container.create_container()
    for path in sorted(p for p in model.rglob("*") if p.is_file()):
        blob = f"ExperimentRun/dcid.{job}/model/{path.relative_to(model).as_posix()}"
        container.upload_blob(blob, path.read_bytes(), overwrite=True)
    return f"azureml://jobs/{job}/outputs/artifacts/paths/model/"


def upload_broken_model(fake: FakeAzure, model: Path, job: str) -> str:
    """The model with its pickled estimator replaced by garbage: it downloads, but no server can
    load it (a model load failure with a real traceback in the server's log)."""
    from tests.azure.fake.routes_storage import _azurite

    uri = upload_model(fake, model, job)
    container = _azurite(fake).get_container_client(ARTIFACT_CONTAINER)
    for blob in container.list_blobs(name_starts_with=f"ExperimentRun/dcid.{job}/model/"):
        if blob.name.endswith((".skops", ".pkl")):
            container.upload_blob(blob.name, b"not a model", overwrite=True)
    return uri


def seed_model_version(
    fake: FakeAzure,
    sub: str,
    rg: str,
    ws: str,
    name: str,
    version: int,
    model_uri: str,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A registered model version as Azure has it (decision 3), and its container."""
    from tests.azure.fake.routes_models import refresh_container

    job = model_uri.removeprefix("azureml://jobs/").split("/", 1)[0] if "//jobs/" in model_uri else None
    record = {
        "id": f"{ws_id(sub, rg, ws)}/models/{name}/versions/{version}",
        "name": str(version),
        "type": f"{PROVIDER}/workspaces/models/versions",
        "systemData": system_data("User", stamp()),
        "properties": {
            "modelUri": model_uri,
            "modelType": "mlflow_model",
            "description": "endpoint tests",
            "tags": dict(tags or {}),
            "properties": {},
            "jobName": job,
            "isArchived": False,
            "isAnonymous": False,
            "flavors": {"python_function": {"data": {"loader_module": "mlflow.sklearn"}}},
            "provisioningState": "Succeeded",
        },
    }
    with fake.lock:
        children(fake, sub, rg, ws, "modelVersions")[f"{name}/{version}"] = record
        refresh_container(fake, sub, rg, ws, name)
    return record


@contextlib.contextmanager
def endpoint_world(
    azurite: str,
    state_dir: Path,
    deployable: Deployable,
    *,
    account: str,
    transport: type[FakeTransport] = FakeTransport,
) -> Iterator[tuple[FakeAzure, AzureBackend]]:
    """A fresh fake with a workspace (tests.azure.ml_helpers' RG and WS) where ``deployable`` is
    model ``MODEL`` version 1 (tagged with the heart dataset and a metric), and the product's
    backend on it; its scoring servers and Azurite containers go afterwards."""
    from core.azure.backend import AzureBackend
    from core.azure.clients import ClientFactory
    from tests.azure.conftest import (
        AZURITE_KEY,
        SUBSCRIPTION,
        TENANT,
        FakeCredential,
        blob_endpoint_of,
        fake_cloud,
    )
    from tests.azure.fake.routes_storage import azurite_cleanup
    from tests.azure.fake.scoring import stop_all
    from tests.azure.ml_helpers import RG, WS, seed_workspace

    fake = FakeAzure(
        tenant_id=TENANT,
        subscriptions={SUBSCRIPTION: "Fake subscription"},
        blob_endpoint=blob_endpoint_of(azurite),
        blob_key=AZURITE_KEY,
    )
    factory = ClientFactory(
        FakeCredential(), SUBSCRIPTION, fake_cloud(), transport=transport(fake), polling_interval=0
    )
    backend = AzureBackend(factory, state_dir)
    try:
        seed_workspace(backend, fake, account=account)
        uri = upload_model(fake, deployable.folder, JOB)
        seed_model_version(fake, SUBSCRIPTION, RG, WS, MODEL, 1, uri, TAGS)
        yield fake, backend
    finally:
        stop_all(fake)
        azurite_cleanup(fake)
