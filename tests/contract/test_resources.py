"""ResourcesAPI: info, capabilities, get-or-create of the resource tree, clear errors, teardown."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pytest

from core.backend import Backend, BackendInfo, Capabilities, Operation, WorkspaceRef
from core.compute import ComputeSpec
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import ConflictError, InvalidNameError, NotFoundError, UserFacingError
from core.resources import Kind, Outcome, Resource
from tests.contract.conftest import build_storage, build_tree, finish, implements
from tests.workspaces import BC, CC, RG, SA, WS, WS_REF

pytestmark = pytest.mark.contract_slice("resources")


def keys(backend: Backend) -> list[tuple[Kind, str, str | None]]:
    return [(r.kind, r.name, r.parent) for r in backend.inventory()]


def test_info_and_capabilities_are_plain_values(backend: Backend) -> None:
    info = backend.info
    assert isinstance(info, BackendInfo)
    assert info.name and info.description and info.location
    caps = backend.capabilities
    assert isinstance(caps, Capabilities)
    flags = {f.name: getattr(caps, f.name) for f in dataclasses.fields(caps)}
    assert set(flags) >= {"resume_sweeps", "restart_endpoints", "long_running_operations", "billable"}
    assert all(isinstance(v, bool) for v in flags.values()), flags


def test_every_create_is_get_or_create(backend: Backend) -> None:
    env = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    steps: list[tuple[Kind, str, str | None, Callable[[], Outcome]]] = [
        (Kind.RESOURCE_GROUP, RG, None, lambda: backend.create_resource_group(RG, "eastus")),
        (Kind.STORAGE_ACCOUNT, SA, RG, lambda: backend.create_storage_account(RG, SA)),
        (Kind.BLOB_CONTAINER, BC, SA, lambda: backend.create_blob_container(SA, BC)),
        (Kind.WORKSPACE, WS, RG, lambda: backend.create_workspace(RG, WS, SA)),
        (Kind.ENVIRONMENT, env.name, WS, lambda: backend.create_environment(WS_REF, env)),
        (Kind.COMPUTE, CC, WS, lambda: backend.create_compute(WS_REF, ComputeSpec(CC, max_instances=2))),
    ]
    for kind, name, parent, create in steps:
        first = create()
        assert isinstance(first, Outcome) and isinstance(first.resource, Resource)
        assert first.created, first.message
        assert (first.resource.kind, first.resource.name, first.resource.parent) == (kind, name, parent)
        assert first.resource.created_at and first.message
        again = create()
        assert not again.created and again.message, f"second create of {kind} created something"
        assert (again.resource.kind, again.resource.name) == (kind, name)
    found = keys(backend)
    assert len(found) == len(set(found)) == len(steps), found
    assert {(k, n) for k, n, _ in found} == {(k, n) for k, n, *_ in steps}
    config = backend.workspace_config(WS_REF)
    assert config["resource_group"] == RG and config["workspace_name"] == WS and config["subscription_id"]
    assert backend.tracking_uri(WS_REF)


BAD_NAMES = [
    (Kind.RESOURCE_GROUP, "rg-dev.", "ends with '.'"),
    (Kind.STORAGE_ACCOUNT, "Data_Dev", "lowercase letters and digits"),
    (Kind.BLOB_CONTAINER, "data--4ml", "contains '--'"),
    (Kind.WORKSPACE, "-heart", "does not start with a letter or digit"),
    (Kind.COMPUTE, "1cluster", "does not start with a letter"),
    (Kind.ENDPOINT, "heart-", "ends with '-'"),
]


def create_named(backend: Backend, kind: Kind, name: str) -> Outcome:
    """Create a ``kind`` called ``name`` inside the tutorial's tree."""
    if kind is Kind.RESOURCE_GROUP:
        return backend.create_resource_group(name, "eastus")
    if kind is Kind.STORAGE_ACCOUNT:
        return backend.create_storage_account(RG, name)
    if kind is Kind.BLOB_CONTAINER:
        return backend.create_blob_container(SA, name)
    if kind is Kind.WORKSPACE:
        return backend.create_workspace(RG, name, SA)
    if kind is Kind.COMPUTE:
        return backend.create_compute(WS_REF, ComputeSpec(name))
    return backend.create_endpoint(WS_REF, name)


def test_invalid_names_are_refused_with_the_rule(backend: Backend) -> None:
    build_tree(backend)
    before = keys(backend)
    for kind, bad, problem in BAD_NAMES:
        with pytest.raises(InvalidNameError) as caught:
            create_named(backend, kind, bad)
        text = str(caught.value)
        assert f"'{bad}' is not a valid {kind.label} name" in text and problem in text, text
        assert "Rule:" in text, "the message says how to fix it"
    with pytest.raises(InvalidNameError, match="not a valid workspace name"):
        backend.begin_create_workspace(RG, "-heart", SA)
    with pytest.raises(InvalidNameError, match="not a valid compute cluster name"):
        backend.begin_create_compute(WS_REF, ComputeSpec("1cluster"))
    assert keys(backend) == before, "a refused create changes nothing"
    assert backend.list_endpoints(WS_REF) == []


def test_a_missing_parent_is_named(backend: Backend) -> None:
    env = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    with pytest.raises(NotFoundError, match=f"no resource group called '{RG}'"):
        backend.create_storage_account(RG, SA)
    with pytest.raises(NotFoundError, match=f"no resource group called '{RG}'"):
        backend.create_workspace(RG, WS)
    with pytest.raises(NotFoundError, match=f"no storage account called '{SA}'"):
        backend.create_blob_container(SA, BC)
    for action in (
        lambda: backend.create_compute(WS_REF, ComputeSpec(CC)),
        lambda: backend.create_environment(WS_REF, env),
        lambda: backend.workspace_config(WS_REF),
        lambda: backend.tracking_uri(WS_REF),
        lambda: backend.delete_workspace(WS_REF),
    ):
        with pytest.raises(NotFoundError, match=f"no workspace called '{WS}'") as caught:
            action()
        assert caught.value.fix, "says how to fix it"
    with pytest.raises(NotFoundError, match=f"no resource group called '{RG}'"):
        backend.delete_resource_group(RG)
    assert backend.inventory() == []


def test_a_workspace_is_named_by_its_resource_group_and_name(backend: Backend) -> None:
    """Workspace names are unique only inside a resource group (on Azure), so the Protocol names a
    workspace by both; the wrong group finds nothing and changes nothing."""
    build_tree(backend)
    backend.create_resource_group("rg-other", "eastus")
    found = [WorkspaceRef.of(r) for r in backend.inventory() if r.kind == Kind.WORKSPACE]
    assert found == [WS_REF] and str(WS_REF) == WS and WS_REF.key == f"{RG}/{WS}"
    assert backend.workspace_config(WS_REF)["resource_group"] == RG
    elsewhere = WorkspaceRef("rg-other", WS)
    before = keys(backend)
    for action in (
        lambda: backend.workspace_config(elsewhere),
        lambda: backend.list_data_assets(elsewhere),
        lambda: backend.list_sweeps(elsewhere),
        lambda: backend.create_compute(elsewhere, ComputeSpec("othercluster")),
        lambda: backend.delete_workspace(elsewhere),
    ):
        with pytest.raises(
            NotFoundError, match=f"no workspace '{WS}' in resource group 'rg-other'"
        ) as caught:
            action()
        assert caught.value.fix, "says how to fix it"
    assert keys(backend) == before, "nothing was created or deleted"


def test_bad_settings_are_explained_and_change_nothing(backend: Backend) -> None:
    with pytest.raises(UserFacingError, match="not an Azure region name"):
        backend.create_resource_group(RG, "moon-north")
    assert backend.inventory() == []
    build_tree(backend)
    before = backend.inventory()
    with pytest.raises(ConflictError, match="location cannot change"):
        backend.create_resource_group(RG, "westeurope")
    with pytest.raises(UserFacingError, match="Maximum instances"):
        backend.create_compute(WS_REF, ComputeSpec("othercluster", max_instances=0))
    with pytest.raises(UserFacingError, match="not a VM size"):
        backend.create_compute(WS_REF, ComputeSpec("othercluster", vm_size="Standard_Nope"))
    assert backend.inventory() == before


def test_delete_workspace_removes_everything_beneath_it_and_nothing_else(
    backend: Backend, backend_name: str
) -> None:
    build_tree(backend)
    backend.create_environment(WS_REF, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    endpoints = implements(backend_name, "endpoints")
    if endpoints:
        backend.create_endpoint(WS_REF, "bare-endpoint")
        assert (Kind.ENDPOINT, "bare-endpoint", WS) in keys(backend), "an endpoint is billable: listed"
    # Permanently: Azure soft-deletes a workspace by default, and its name stays taken until purged.
    deleted = backend.delete_workspace(WS_REF, permanently=True)
    assert all(isinstance(r, Resource) for r in deleted)
    assert {r.kind for r in deleted} >= {Kind.WORKSPACE, Kind.COMPUTE, Kind.ENVIRONMENT} | (
        {Kind.ENDPOINT} if endpoints else set()
    )
    assert deleted[-1].kind is Kind.WORKSPACE, "children are deleted before their parent"
    assert {(k, n) for k, n, _ in keys(backend)} == {
        (Kind.RESOURCE_GROUP, RG),
        (Kind.STORAGE_ACCOUNT, SA),
        (Kind.BLOB_CONTAINER, BC),
    }
    with pytest.raises(NotFoundError, match=f"no workspace called '{WS}'"):
        backend.list_endpoints(WS_REF)
    assert backend.create_workspace(RG, WS, SA).created, "the name is free again"
    assert backend.list_endpoints(WS_REF) == [], "no endpoint of the deleted workspace comes back"


def test_delete_resource_group_removes_everything(backend: Backend) -> None:
    build_tree(backend)
    backend.create_resource_group("rg-other", "westeurope")
    deleted = backend.delete_resource_group(RG)
    assert {r.kind for r in deleted} == {
        Kind.RESOURCE_GROUP,
        Kind.STORAGE_ACCOUNT,
        Kind.BLOB_CONTAINER,
        Kind.WORKSPACE,
        Kind.COMPUTE,
    }
    assert deleted[-1].kind is Kind.RESOURCE_GROUP
    assert keys(backend) == [(Kind.RESOURCE_GROUP, "rg-other", None)]
    with pytest.raises(NotFoundError):
        backend.storage_connection_string(SA)
    with pytest.raises(NotFoundError):
        backend.list_data_assets(WS_REF)
    backend.delete_resource_group("rg-other")
    assert backend.inventory() == []


def test_long_work_is_an_operation_that_is_polled_to_its_end(backend: Backend) -> None:
    build_storage(backend)
    started = backend.begin_create_workspace(RG, WS, SA)
    assert isinstance(started, Operation) and started.id and started.target == WS
    assert started.state in ("running", "succeeded", "failed")
    if not backend.capabilities.long_running_operations:
        assert started.done, "a backend without long-running operations finishes them at once"
    running = [op.id for op in backend.running_operations()]  # what a reload finds still running
    assert set(running) <= {started.id}
    assert started.id in running or backend.poll_operation(started).done, "an unfinished one is listed"
    made = finish(backend, started)
    assert made.state == "succeeded", made.error
    assert made.ended_at is not None and made.elapsed_s(time.time()) >= 0
    assert isinstance(made.result, Outcome) and made.result.created
    assert made.result.resource.kind is Kind.WORKSPACE
    again = finish(backend, backend.begin_create_workspace(RG, WS, SA))
    assert isinstance(again.result, Outcome) and not again.result.created
    cluster = finish(backend, backend.begin_create_compute(WS_REF, ComputeSpec(CC, max_instances=2)))
    assert isinstance(cluster.result, Outcome) and cluster.result.created
    gone = finish(backend, backend.begin_delete_workspace(WS_REF))
    assert gone.state == "succeeded" and {(r.kind, r.name) for r in gone.result} == {
        (Kind.WORKSPACE, WS),
        (Kind.COMPUTE, CC),
    }
    with pytest.raises(NotFoundError, match=f"no workspace called '{WS}'"):
        backend.begin_delete_workspace(WS_REF)
    group = finish(backend, backend.begin_delete_resource_group(RG))
    assert group.state == "succeeded" and all(isinstance(r, Resource) for r in group.result)
    assert backend.inventory() == []
    assert backend.running_operations() == []


def test_a_storage_account_create_is_a_polled_get_or_create(backend: Backend) -> None:
    with pytest.raises(NotFoundError, match=f"no resource group called '{RG}'"):
        backend.begin_create_storage_account(RG, SA)
    backend.create_resource_group(RG, "eastus")
    with pytest.raises(InvalidNameError, match="not a valid storage account name"):
        backend.begin_create_storage_account(RG, "Data_Lake")
    assert keys(backend) == [(Kind.RESOURCE_GROUP, RG, None)], "a refused create changes nothing"

    started = backend.begin_create_storage_account(RG, SA)
    assert isinstance(started, Operation) and started.id
    assert started.kind == "create storage account" and started.target == SA
    assert started.status, "the state the backend reports, from the start"
    if not backend.capabilities.long_running_operations:
        assert started.done, "a backend without long-running operations finishes them at once"
    assert {op.id for op in backend.running_operations()} <= {started.id}
    made = finish(backend, started)
    assert made.state == "succeeded", made.error
    assert made.status and made.ended_at is not None
    assert isinstance(made.result, Outcome) and made.result.created, made.result
    assert (made.result.resource.kind, made.result.resource.name, made.result.resource.parent) == (
        Kind.STORAGE_ACCOUNT,
        SA,
        RG,
    )
    assert SA in made.result.message
    assert backend.poll_operation(made) is made or backend.poll_operation(made).result == made.result

    again = backend.begin_create_storage_account(RG, SA)
    assert again.done, "an account that exists already is a finished operation"
    assert again.state == "succeeded" and isinstance(again.result, Outcome)
    assert not again.result.created and again.result.resource.name == SA and again.result.message
    assert backend.running_operations() == []
    assert keys(backend) == [(Kind.RESOURCE_GROUP, RG, None), (Kind.STORAGE_ACCOUNT, SA, RG)]
