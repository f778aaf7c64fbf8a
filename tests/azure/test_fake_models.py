"""The fake's model containers and versions, driven by the real azure-ai-ml SDK: what
``ml.models.create_or_update``/``list``/``get``/``archive`` send and what Azure answers
(``tests/azure/fake/routes_models.py``). No product model code runs here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.ai.ml import MLClient
from azure.ai.ml.constants import AssetTypes, ListViewType
from azure.ai.ml.entities import Model
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from core.azure.backend import AzureBackend
from tests.azure.conftest import SUBSCRIPTION
from tests.azure.fake import FakeAzure
from tests.azure.fake.routes_models import containers, versions
from tests.azure.ml_helpers import RG, WS, seed_workspace

pytestmark = pytest.mark.azurite

JOB = "heart_sweep_0042_3"  # a trial job, as Azure names a sweep's children
MLMODEL = b"""artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
    loader_module: mlflow.sklearn
    predict_fn: predict
    python_version: 3.11.9
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.2
mlflow_version: 3.1.0
"""


def job_path(job: str = JOB) -> str:
    return f"azureml://jobs/{job}/outputs/artifacts/paths/model/"


@pytest.fixture
def ml(azure_backend: AzureBackend, fake_azure: FakeAzure) -> Iterator[MLClient]:
    """The workspace's MLClient (the product's factory, in process), with one finished job whose
    MLflow model is in the artifact store, as a trial leaves it."""
    from tests.azure.fake.routes_jobs import jobs_of
    from tests.azure.fake.routes_storage import _azurite

    seed_workspace(azure_backend, fake_azure)
    with fake_azure.lock:
        jobs_of(fake_azure, SUBSCRIPTION, RG, WS)[JOB] = {"name": JOB, "properties": {"status": "Completed"}}
    blob = f"ExperimentRun/dcid.{JOB}/model/MLmodel"
    _azurite(fake_azure).get_blob_client("azureml", blob).upload_blob(MLMODEL, overwrite=True)
    yield azure_backend._ml(RG, WS)


def _model(**changes: Any) -> Model:
    fields: dict[str, Any] = {
        "name": "heart-model",
        "path": job_path(),
        "type": AssetTypes.MLFLOW_MODEL,
        "description": "Best trial.",
        "tags": {"sweep_id": "heart_sweep_0042", "metric.roc_auc": "0.91"},
    }
    return Model(**(fields | changes))


def test_registering_from_a_job_sends_what_the_sdk_sends_and_numbers_versions(
    ml: MLClient, fake_azure: FakeAzure
) -> None:
    first = ml.models.create_or_update(_model())
    assert (first.name, first.version) == ("heart-model", "1")
    assert first.path == job_path() and first.type == "mlflow_model" and first.job_name == JOB
    assert first.tags == {"sweep_id": "heart_sweep_0042", "metric.roc_auc": "0.91"}
    assert first.creation_context is not None and first.creation_context.created_at is not None
    assert set(first.flavors) == {"python_function", "sklearn"}, "read from the job's MLmodel"
    assert first.flavors["python_function"]["loader_module"] == "mlflow.sklearn"

    calls = [
        (c.method, c.path.split("/workspaces/ws-ml-tests")[1], c.query)
        for c in fake_azure.calls()
        if "/models" in c.path
    ]
    (m1, p1, q1), (m2, p2, _), (m3, p3, q3) = calls
    assert (m1, p1) == ("GET", "/models/heart-model/versions") and q1["$top"] == "1"
    assert q1["$orderBy"].lower() == "createdtime desc", "the latest version (is it an evaluator?)"
    assert (m2, p2) == ("GET", "/models/heart-model"), "nextVersion from the container (404: 1)"
    assert (m3, p3) == ("PUT", "/models/heart-model/versions/1") and q3["api-version"]

    second = ml.models.create_or_update(_model(description="Trial 2."))
    assert second.version == "2"
    container = containers(fake_azure, SUBSCRIPTION, RG, WS)["heart-model"]["properties"]
    assert (container["latestVersion"], container["nextVersion"]) == ("2", "3")
    assert set(versions(fake_azure, SUBSCRIPTION, RG, WS)) == {"heart-model/1", "heart-model/2"}


def test_list_and_get_read_back_what_was_registered(ml: MLClient) -> None:
    ml.models.create_or_update(_model())
    ml.models.create_or_update(_model(tags={"champion": "true"}))
    ml.models.create_or_update(_model(name="other-model"))
    assert sorted(m.name for m in ml.models.list()) == ["heart-model", "other-model"]
    listed = list(ml.models.list(name="heart-model"))
    assert [m.version for m in listed] == ["2", "1"], "newest first, as Azure lists"
    assert ml.models.get("heart-model", "2").tags == {"champion": "true"}
    assert ml.models.get("heart-model", label="latest").version == "2"
    with pytest.raises(ResourceNotFoundError, match="Could not find asset"):
        ml.models.get("heart-model", "9")
    assert list(ml.models.list(name="no-such-model")) == []


def test_an_existing_version_takes_new_tags_but_never_a_new_path(ml: MLClient, fake_azure: FakeAzure) -> None:
    ml.models.create_or_update(_model())
    updated = ml.models.create_or_update(
        _model(version="1", tags={"champion": "true"}, description="Now champion.")
    )
    assert (
        updated.version == "1"
        and updated.tags == {"champion": "true"}
        and updated.description == "Now champion."
    )
    assert ml.models.get("heart-model", "1").tags == {"champion": "true"}
    # azure-ai-ml compares str(error) with "(UserError) Asset paths cannot be updated." to raise its
    # AssetPathException; azure-core's text adds "Code:/Message:" lines, so Azure's error comes through
    with pytest.raises(HttpResponseError, match=r"\(UserError\) Asset paths cannot be updated\.") as caught:
        ml.models.create_or_update(_model(version="1", path=job_path("another_job")))
    assert caught.value.status_code == 400
    assert ml.models.get("heart-model", "1").path == job_path(), "the version kept its path"
    assert containers(fake_azure, SUBSCRIPTION, RG, WS)["heart-model"]["properties"]["nextVersion"] == "2"


def test_a_path_naming_a_job_the_workspace_lacks_is_refused(ml: MLClient, fake_azure: FakeAzure) -> None:
    with pytest.raises(HttpResponseError, match="Could not find job with name: no_such_job") as caught:
        ml.models.create_or_update(_model(path=job_path("no_such_job")))
    assert caught.value.status_code == 400
    assert list(ml.models.list()) == [] and containers(fake_azure, SUBSCRIPTION, RG, WS) == {}


def test_archived_versions_leave_the_default_list(ml: MLClient) -> None:
    ml.models.create_or_update(_model())
    ml.models.create_or_update(_model())
    ml.models.archive("heart-model", "1")
    assert [m.version for m in ml.models.list(name="heart-model")] == ["2"]
    every = ml.models.list(name="heart-model", list_view_type=ListViewType.ALL)
    assert sorted(m.version for m in every) == ["1", "2"]
    archived = ml.models.list(name="heart-model", list_view_type=ListViewType.ARCHIVED_ONLY)
    assert [m.version for m in archived] == ["1"]


def test_a_missing_workspace_is_azures_404(azure_backend: AzureBackend, fake_azure: FakeAzure) -> None:
    seed_workspace(azure_backend, fake_azure)
    ml = azure_backend._ml(RG, "no-such-ws")
    with pytest.raises(ResourceNotFoundError):
        list(ml.models.list())


def test_deleting_a_version_keeps_the_container_in_step(ml: MLClient, fake_azure: FakeAzure) -> None:
    """No azure-ai-ml call deletes a workspace model version; the REST operation, sent as Azure
    gets it, updates the container's latest and next version."""
    ml.models.create_or_update(_model())
    ml.models.create_or_update(_model())
    url = (
        f"https://management.azure.com/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/{WS}/models/heart-model/versions/2?api-version=2025-12-01"
    )
    assert fake_azure.handle("DELETE", url, {}, b"").status == 200
    assert fake_azure.handle("DELETE", url, {}, b"").status == 204, "gone already"
    container = containers(fake_azure, SUBSCRIPTION, RG, WS)["heart-model"]["properties"]
    assert (container["latestVersion"], container["nextVersion"]) == ("1", "2")
    assert [m.version for m in ml.models.list(name="heart-model")] == ["1"]
