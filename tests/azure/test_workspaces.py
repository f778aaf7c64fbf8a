"""Workspaces, environments and compute clusters on the azure backend, through the real
azure-ai-ml and management SDKs against the fake Azure.

Workspace creation runs on the loopback cloud (azure-ai-ml's ARM-deployment executor takes no
transport); environments and clusters run in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.azure.backend import AzureBackend
from core.azure.errors import AzureQuotaError
from core.backend import WorkspaceRef
from core.compute import ComputeSpec
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import ConflictError, InvalidNameError, NotFoundError
from core.resources import Kind
from tests.azure.fake import FakeAzure
from tests.azure.fake.server import LoopbackCloud
from tests.azure.ml_helpers import REF, WS, loopback_backend, seed_workspace, unique

ML = "/providers/Microsoft.MachineLearningServices/workspaces/"


# -- workspaces (loopback cloud) ----------------------------------------------------------------
def test_a_workspace_is_created_by_azure_ml_s_template_deployment_then_found(
    trust_loopback: LoopbackCloud, tmp_path: Path
) -> None:
    fake = trust_loopback.fake
    backend = loopback_backend(trust_loopback, tmp_path)
    rg, account, ws = unique("rg-ws-"), unique("wsdata"), unique("ws-")
    backend.create_resource_group(rg, "westeurope")
    backend.create_storage_account(rg, account)
    made = backend.create_workspace(rg, ws, account)
    assert made.created and made.resource.kind is Kind.WORKSPACE and made.resource.parent == rg
    props = made.resource.properties
    assert props["location"] == "westeurope" and props["storage_account"] == account
    # the fake's workspace MLflow stands where Azure's <region>.api.azureml.ms host would
    assert props["tracking_uri"].startswith(
        f"azureml://{fake.workspace_mlflow.host}/mlflow/v1.0/subscriptions/"
    )
    assert props["studio_url"].startswith(trust_loopback.url + "/studio/home?wsid=/subscriptions/")
    assert made.resource.created_at, "the dashboard tags when it created the workspace"

    puts = fake.calls("PUT", f"/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{ws}-")
    assert len(puts) == 1 and puts[0].api_version == "2020-06-01"
    params = {k: v["value"] for k, v in puts[0].body["properties"]["parameters"].items()}
    assert params["workspaceName"] == ws and params["location"] == "westeurope"
    assert params["storageAccountOption"] == "existing" and params["storageAccountName"] == account
    assert puts[0].body["properties"]["mode"].lower() == "incremental"

    again = backend.create_workspace(rg, ws, account)
    assert not again.created and "exists already" in again.message
    assert len(fake.calls("PUT", f"/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/")) == 1
    assert backend.workspace_config(WorkspaceRef(rg, ws)) == {
        "subscription_id": backend.subscription_id,
        "resource_group": rg,
        "workspace_name": ws,
    }

    # Its default datastore is a container of the given account, in Azurite too.
    ml = backend.factory.ml(rg, ws)
    store = ml.datastores.get_default()
    assert store.name == "workspaceblobstore" and store.account_name == account
    assert store.container_name.startswith("azureml-blobstore-")
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(account_url=fake.blob_endpoint, credential=fake.blob_key)
    assert service.get_container_client(store.container_name).exists()
    backend.delete_resource_group(rg)


def test_workspace_creation_through_an_injected_transport_is_not_reachable(
    azure_backend: AzureBackend,
) -> None:
    """The in-process route cannot test workspace creation: azure-ai-ml's ARM-deployment executor
    builds its own clients (no ``transport=``) and sleeps on its own. The loopback cloud reaches
    it: test_a_workspace_is_created_by_azure_ml_s_template_deployment_then_found above."""
    pytest.skip(
        "workspaces.begin_create runs azure-ai-ml's ARM-deployment executor, which ignores the "
        "injected transport; workspace creation is tested through the loopback cloud instead"
    )


def test_a_bad_workspace_name_or_a_missing_group_is_refused_before_azure_is_asked(
    trust_loopback: LoopbackCloud, tmp_path: Path
) -> None:
    fake = trust_loopback.fake
    backend = loopback_backend(trust_loopback, tmp_path)
    before = len(fake.calls())
    with pytest.raises(InvalidNameError, match="'-heart' is not a valid workspace name"):
        backend.create_workspace("rg-any", "-heart")
    assert len(fake.calls()) == before, "a bad name sends nothing"
    rg = unique("rg-missing-")
    with pytest.raises(NotFoundError, match=f"no resource group called '{rg}'") as caught:
        backend.begin_create_workspace(rg, "good-name")
    assert caught.value.fix
    assert not fake.calls("PUT", f"/resourcegroups/{rg}/")


def test_a_soft_deleted_workspace_keeps_its_name_until_it_is_purged(
    trust_loopback: LoopbackCloud, tmp_path: Path
) -> None:
    fake = trust_loopback.fake
    backend = loopback_backend(trust_loopback, tmp_path)
    rg, account, ws = unique("rg-soft-"), unique("softdata"), unique("ws-soft-")
    backend.create_resource_group(rg, "eastus")
    backend.create_storage_account(rg, account)
    backend.create_workspace(rg, ws, account)
    ref = WorkspaceRef(rg, ws)

    gone = backend.delete_workspace(ref)  # soft delete, Azure's default
    assert [r.kind for r in gone] == [Kind.WORKSPACE]
    delete = fake.calls("DELETE", f"{rg}{ML}{ws}")[-1]
    assert delete.query.get("forceToPurge", "false").lower() == "false"
    with pytest.raises(NotFoundError, match=f"no workspace called '{ws}'"):
        backend.workspace_config(ref)
    with pytest.raises(ConflictError, match="soft-deleted workspace") as blocked:
        backend.create_workspace(rg, ws, account)
    assert "purge" in blocked.value.fix.lower() or "permanently" in blocked.value.fix.lower()

    backend.create_workspace(rg, unique("ws-other-"), account)
    other = next(r for r in backend.inventory() if r.kind is Kind.WORKSPACE and r.parent == rg)
    purged = backend.delete_workspace(WorkspaceRef.of(other), permanently=True)
    assert [r.name for r in purged] == [other.name]
    assert fake.calls("DELETE", f"{rg}{ML}{other.name}")[-1].query["forceToPurge"] == "true"
    assert backend.create_workspace(rg, other.name, account).created, "a purged name is free again"
    backend.delete_resource_group(rg)


# -- environments (in process) ------------------------------------------------------------------
def test_an_environment_version_is_made_once_per_spec(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    seed_workspace(azure_backend, fake_azure)
    spec = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    first = azure_backend.create_environment(REF, spec)
    assert first.created and first.resource.kind is Kind.ENVIRONMENT and first.resource.parent == WS
    assert first.resource.properties["latest_version"] == 1 and first.resource.created_at
    put = fake_azure.calls("PUT", f"{ML}{WS}/environments/{spec.name}/versions/1")
    assert len(put) == 1
    body = put[0].body["properties"]
    assert body["image"] == DEFAULT_BASE_IMAGE and "scikit-learn" in body["condaFile"]
    assert body["tags"]["fingerprint"] == spec.fingerprint

    again = azure_backend.create_environment(REF, spec)
    assert not again.created and "version 1 has this exact spec" in again.message
    assert len(fake_azure.calls("PUT", "/environments/")) == 1, "the same spec makes no new version"

    changed = build_environment_spec(
        DEFAULT_CONDA_YAML.replace("optuna>=4", "optuna>=4.1"), DEFAULT_BASE_IMAGE
    )
    second = azure_backend.create_environment(REF, changed)
    assert second.created and second.resource.properties["latest_version"] == 2
    assert [v["version"] for v in second.resource.properties["versions"]] == [1, 2]


# -- compute clusters (in process) --------------------------------------------------------------
def test_a_cluster_is_get_or_create_and_its_size_cannot_change(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    seed_workspace(azure_backend, fake_azure)
    made = azure_backend.create_compute(REF, ComputeSpec("cpu-cluster", max_instances=3, idle_seconds=300))
    assert made.created and made.resource.parent == WS
    assert made.resource.properties | {"location": ""} == {
        "vm_size": "STANDARD_DS3_V2",  # as Azure answers it
        "min_instances": 0,
        "max_instances": 3,
        "idle_seconds": 300,
        "provisioning_state": "Succeeded",
        "location": "",
    }
    put = fake_azure.calls("PUT", f"{ML}{WS}/computes/cpu-cluster")[0]
    inner = put.body["properties"]
    assert inner["computeType"] == "AmlCompute"
    assert inner["properties"]["vmSize"] == "STANDARD_DS3_v2"
    assert inner["properties"]["scaleSettings"] == {
        "maxNodeCount": 3,
        "minNodeCount": 0,
        "nodeIdleTimeBeforeScaleDown": "PT5M",
    }
    assert put.api_version and put.api_version >= "2023"

    again = azure_backend.create_compute(REF, ComputeSpec("cpu-cluster", max_instances=3, idle_seconds=300))
    assert not again.created and "exists already" in again.message
    assert len(fake_azure.calls("PUT", "/computes/")) == 1

    scaled = azure_backend.create_compute(REF, ComputeSpec("cpu-cluster", max_instances=5, idle_seconds=300))
    assert not scaled.created and "Updated the scale settings" in scaled.message
    assert scaled.resource.properties["max_instances"] == 5

    with pytest.raises(ConflictError, match="cannot change a cluster's VM size") as caught:
        azure_backend.create_compute(REF, ComputeSpec("cpu-cluster", vm_size="STANDARD_D4s_v3"))
    assert "another cluster name" in caught.value.fix


def test_a_cluster_in_a_missing_workspace_is_not_found(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    seed_workspace(azure_backend, fake_azure)
    with pytest.raises(NotFoundError, match="no workspace called 'nowhere'") as caught:
        azure_backend.create_compute(WorkspaceRef("rg-ml-tests", "nowhere"), ComputeSpec("cpu-cluster"))
    assert caught.value.fix
    with pytest.raises(NotFoundError, match=f"no workspace '{WS}' in resource group 'rg-elsewhere'"):
        azure_backend.create_compute(WorkspaceRef("rg-elsewhere", WS), ComputeSpec("cpu-cluster"))
    assert not fake_azure.calls("PUT", "/computes/")
    # The fake itself refuses a cluster in a workspace that is not there, as Azure does.
    ml = azure_backend.factory.ml("rg-ml-tests", "nowhere")
    from azure.ai.ml.entities import AmlCompute
    from azure.core.exceptions import HttpResponseError

    with pytest.raises(HttpResponseError) as refused:
        ml.compute.begin_create_or_update(AmlCompute(name="direct", size="STANDARD_DS3_v2", max_instances=1))
    assert refused.value.status_code == 404


def test_a_quota_error_says_what_to_do(azure_backend: AzureBackend, fake_azure: FakeAzure) -> None:
    seed_workspace(azure_backend, fake_azure)
    fake_azure.data["ml_core_quota"] = 4  # dedicated cores: one DS3_v2 node
    with pytest.raises(AzureQuotaError, match="quota") as caught:
        azure_backend.create_compute(REF, ComputeSpec("big-cluster", max_instances=4))
    text = str(caught.value)
    assert "compute cluster 'big-cluster'" in text and "QuotaExceeded" in text
    assert "Usage + quotas" in caught.value.fix
    assert "Traceback" not in text
    assert azure_backend.running_operations() == [], "a refused create leaves nothing running"
    assert not [r for r in azure_backend.inventory() if r.kind is Kind.COMPUTE]


def test_azure_ml_s_own_wait_on_a_workspace_deployment_works_against_the_fake(
    trust_loopback: LoopbackCloud, tmp_path: Path
) -> None:
    """The SDK's own ``begin_create(...).result()`` follows the deployment's operations (a path
    with no ``/providers/`` segment) and gets the workspace: the fake answers as Azure does."""
    import re

    from azure.ai.ml.entities import Workspace

    fake = trust_loopback.fake
    backend = loopback_backend(trust_loopback, tmp_path)
    rg, account, ws = unique("rg-sdk-"), unique("sdkdata"), unique("ws-sdk-")
    backend.create_resource_group(rg, "eastus")
    account_id = backend.create_storage_account(rg, account).resource.properties["id"]
    ml = backend.factory.ml(rg)
    made = ml.workspaces.begin_create(
        Workspace(name=ws, location="eastus", storage_account=account_id)
    ).result()
    assert made.name == ws and made.mlflow_tracking_uri and made.storage_account == account_id
    operations = [
        r
        for r in fake.calls("GET", f"/resourcegroups/{rg}/deployments/")
        if re.search(r"/operations$", r.path)
    ]
    assert operations and all("/providers/" not in r.path for r in operations)
    listed = [r for r in backend.inventory() if r.kind is Kind.WORKSPACE and r.parent == rg]
    assert [r.name for r in listed] == [ws]
    backend.delete_resource_group(rg)
