"""The azure backend's inventory (what the subscription holds that the dashboard shows) and its
teardown (what will go is listed before anything goes)."""

from __future__ import annotations

import pytest

from core.azure.backend import AzureBackend
from core.backend import WorkspaceRef
from core.compute import ComputeSpec
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import NotFoundError
from core.resources import Kind
from tests.azure.fake import FakeAzure
from tests.azure.ml_helpers import REF, RG, SA, WS, seed_workspace


def build(backend: AzureBackend, fake: FakeAzure) -> None:
    seed_workspace(backend, fake)
    backend.create_blob_container(SA, "data4ml")
    backend.create_environment(REF, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    backend.create_compute(REF, ComputeSpec("warm-cluster", min_instances=1, max_instances=2))


def test_the_inventory_shows_the_tree_in_kind_order_with_running_nodes(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    build(azure_backend, fake_azure)
    azure_backend.create_resource_group("rg-empty", "westeurope")
    found = azure_backend.inventory()
    keys = [(r.kind, r.name, r.parent) for r in found]
    # Resource groups made in the same second are in name order; the rest follows the tree.
    assert set(keys[:2]) == {(Kind.RESOURCE_GROUP, RG, None), (Kind.RESOURCE_GROUP, "rg-empty", None)}
    assert keys[2:] == [
        (Kind.STORAGE_ACCOUNT, SA, RG),
        (Kind.BLOB_CONTAINER, "data4ml", SA),
        (Kind.WORKSPACE, WS, RG),
        (Kind.ENVIRONMENT, "sklearn-mlflow-env", WS),
        (Kind.COMPUTE, "warm-cluster", WS),
    ], keys
    assert [r.kind for r in found] == sorted((r.kind for r in found), key=list(Kind).index)
    cluster = next(r for r in found if r.kind is Kind.COMPUTE)
    assert cluster.properties["current_nodes"] == 1, "min_instances=1 keeps one node running"
    assert cluster.properties["min_instances"] == 1 and cluster.properties["max_instances"] == 2
    workspace = next(r for r in found if r.kind is Kind.WORKSPACE)
    assert WorkspaceRef.of(workspace) == REF and workspace.properties["storage_account"] == SA
    # The workspace's own datastore container is not shown: it goes with the workspace.
    assert not [r for r in found if r.kind is Kind.BLOB_CONTAINER and r.name.startswith("azureml")]
    assert fake_azure.calls("POST", "/computes/warm-cluster/listNodes")
    assert fake_azure.calls("GET", f"/workspaces/{WS}/onlineEndpoints")


def test_deleting_a_resource_group_lists_what_goes_first(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    build(azure_backend, fake_azure)
    azure_backend.create_resource_group("rg-keep", "westeurope")
    before = {(r.kind, r.name) for r in azure_backend.inventory()}
    started = azure_backend.begin_delete_resource_group(RG)
    assert started.kind == "delete resource group" and started.target == RG
    listed = fake_azure.calls()
    first_delete = next(i for i, r in enumerate(listed) if r.method == "DELETE")
    assert any(r.path.endswith("/computes") for r in listed[:first_delete]), "listed before deleting"
    op = started
    while not op.done:
        op = azure_backend.poll_operation(op)
    assert op.state == "succeeded"
    gone = op.result
    assert {(r.kind, r.name) for r in gone} == before - {(Kind.RESOURCE_GROUP, "rg-keep")}
    assert gone[-1].kind is Kind.RESOURCE_GROUP and gone[-1].name == RG
    assert gone.index(next(r for r in gone if r.kind is Kind.COMPUTE)) < gone.index(
        next(r for r in gone if r.kind is Kind.WORKSPACE)
    )
    assert [(r.kind, r.name) for r in azure_backend.inventory()] == [(Kind.RESOURCE_GROUP, "rg-keep")]
    with pytest.raises(NotFoundError, match=f"no workspace called '{WS}'"):
        azure_backend.workspace_config(REF)
    with pytest.raises(NotFoundError, match=f"no resource group called '{RG}'"):
        azure_backend.delete_resource_group(RG)


def test_deleting_a_workspace_takes_its_clusters_and_environments(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    build(azure_backend, fake_azure)
    gone = azure_backend.delete_workspace(REF)
    assert {(r.kind, r.name) for r in gone} == {
        (Kind.WORKSPACE, WS),
        (Kind.ENVIRONMENT, "sklearn-mlflow-env"),
        (Kind.COMPUTE, "warm-cluster"),
    }
    assert gone[-1].kind is Kind.WORKSPACE
    assert {r.kind for r in azure_backend.inventory()} == {
        Kind.RESOURCE_GROUP,
        Kind.STORAGE_ACCOUNT,
        Kind.BLOB_CONTAINER,
    }
    assert fake_azure.calls("DELETE", f"/workspaces/{WS}")[-1].api_version


def test_an_empty_workspace_reads_as_empty_and_a_missing_one_is_named(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    seed_workspace(azure_backend, fake_azure)
    assert azure_backend.list_endpoints(REF) == [], "no endpoint in Azure: a true empty list"
    assert azure_backend.tracking_uri(REF).startswith(f"azureml://{fake_azure.workspace_mlflow.host}/mlflow/")
    assert azure_backend.list_sweeps(REF) == [], "no sweep job in Azure: a true empty list"
    assert azure_backend.registered_models(REF) == [], "no model in Azure: a true empty list"
    with pytest.raises(NotFoundError, match="no online endpoint called 'heart-endpoint'"):
        azure_backend.endpoint_keys(REF, "heart-endpoint")
    with pytest.raises(NotFoundError, match="no workspace called 'nowhere'"):
        azure_backend.list_sweeps(WorkspaceRef(RG, "nowhere"))


def test_online_endpoints_are_in_the_inventory_and_go_with_their_workspace(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    from tests.azure.conftest import SUBSCRIPTION
    from tests.azure.fake.routes_ml import seed_endpoint

    seed_workspace(azure_backend, fake_azure)
    seed_endpoint(fake_azure, SUBSCRIPTION, RG, WS, "heart-endpoint", {"blue": 100})
    found = {(r.kind, r.name, r.parent): r for r in azure_backend.inventory()}
    endpoint = found[(Kind.ENDPOINT, "heart-endpoint", WS)]
    assert endpoint.properties["traffic"] == {"blue": 100} and endpoint.properties["scoring_uri"]
    assert found[(Kind.DEPLOYMENT, "blue", "heart-endpoint")].properties["instance_type"] == "Standard_DS3_v2"
    [listed] = azure_backend.list_endpoints(REF)
    assert (listed.name, listed.traffic, [d.name for d in listed.deployments]) == (
        "heart-endpoint",
        {"blue": 100},
        ["blue"],
    )
    assert not listed.health.healthy, "no server answers its scoring URI"
    gone = azure_backend.delete_workspace(REF, permanently=True)
    kinds = [r.kind for r in gone]
    assert {Kind.ENDPOINT, Kind.DEPLOYMENT, Kind.WORKSPACE} <= set(kinds)
    assert kinds.index(Kind.DEPLOYMENT) < kinds.index(Kind.ENDPOINT) < kinds.index(Kind.WORKSPACE)
    assert not [r for r in azure_backend.inventory() if r.kind in (Kind.ENDPOINT, Kind.DEPLOYMENT)]
