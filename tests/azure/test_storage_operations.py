"""A storage account's create on the azure backend is a long-running operation: checked at once,
then polled with the state Azure reports, kept in ``state_dir`` so a reload or a restart picks it
up; and every kind of operation reports Azure's own state from ``begin_*`` on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from core.azure import operations
from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.compute import ComputeSpec
from core.errors import ConflictError, InvalidNameError, NotFoundError
from core.resources import Kind, Outcome
from tests.azure.fake import FakeAzure
from tests.azure.fake.core import arm_error
from tests.azure.ml_helpers import REF, WS, seed_workspace
from tests.azure.test_operations import held, poll_to_end, slow_fake  # noqa: F401 - fixtures by name

RG, ACCOUNT = "rg-sa-ops", "saopsdata001"
PUT_ACCOUNT = rf"/storageAccounts/{ACCOUNT}$"


def test_an_account_create_reports_azure_s_states_until_it_succeeds(
    held: ClientFactory,  # noqa: F811
    slow_fake: FakeAzure,  # noqa: F811
    tmp_path: Path,
) -> None:
    backend = AzureBackend(held, tmp_path / "state")
    backend.create_resource_group(RG, "westeurope")
    started = backend.begin_create_storage_account(RG, ACCOUNT)
    assert started.kind == "create storage account" and started.target == ACCOUNT
    assert started.state == "running" and not started.done
    assert started.status == "Creating", "the account's provisioningState, from the first answer on"
    assert [op.id for op in backend.running_operations()] == [started.id]
    assert len(slow_fake.calls("PUT", PUT_ACCOUNT)) == 1

    done, seen = poll_to_end(backend, started)
    assert set(seen[:-1]) == {"Creating"} and seen[-1] == "Succeeded", seen
    assert done.state == "succeeded" and done.ended_at is not None and done.elapsed_s(time.time()) >= 0
    assert isinstance(done.result, Outcome) and done.result.created
    res = done.result.resource
    assert (res.kind, res.name, res.parent) == (Kind.STORAGE_ACCOUNT, ACCOUNT, RG)
    assert res.properties["location"] == "westeurope" and res.properties["provisioning_state"] == "Succeeded"
    assert done.result.message.startswith(f"Created storage account '{ACCOUNT}' in westeurope")
    assert backend.poll_operation(started) is done and backend.running_operations() == []

    again = backend.begin_create_storage_account(RG, ACCOUNT)
    assert again.done and isinstance(again.result, Outcome) and not again.result.created
    assert len(slow_fake.calls("PUT", PUT_ACCOUNT)) == 1, "get-or-create: nothing created twice"


def test_before_the_account_shows_the_status_is_that_of_azure_s_operation(
    held: ClientFactory,  # noqa: F811
    slow_fake: FakeAzure,  # noqa: F811
    tmp_path: Path,
) -> None:
    backend = AzureBackend(held, tmp_path / "state")
    backend.create_resource_group(RG, "eastus")
    not_yet = arm_error(404, "ResourceNotFound", f"The Resource '{ACCOUNT}' was not found.")
    slow_fake.fail("GET", PUT_ACCOUNT, not_yet, times=2)  # begin's own check, then its first look
    started = backend.begin_create_storage_account(RG, ACCOUNT)
    assert not started.done and started.status == "InProgress", started
    done, seen = poll_to_end(backend, started)
    assert done.state == "succeeded" and seen[-1] == "Succeeded", seen


def test_a_reload_and_a_restart_pick_a_running_account_create_up(
    held: ClientFactory,  # noqa: F811
    slow_fake: FakeAzure,  # noqa: F811
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    backend = AzureBackend(held, state)
    backend.create_resource_group(RG, "eastus")
    slow_fake.lro_polls = 6  # begin's own look, the reload's and the restart's each take one
    started = backend.begin_create_storage_account(RG, ACCOUNT)

    record = json.loads((state / "operations.json").read_text())
    assert [r["id"] for r in record] == [started.id] and record[0]["kind"] == "create storage account"
    assert record[0]["context"] == {"resource_group": RG, "account": ACCOUNT, "location": "eastus"}
    assert "key" not in json.dumps(record).lower(), "no secret is written down"

    reloaded = AzureBackend(held, state)  # a browser reload: a new backend object, same process
    [again] = reloaded.running_operations()
    assert again.id == started.id and again.status == "Creating" and not again.done
    clicked = reloaded.begin_create_storage_account(RG, ACCOUNT)  # a second click meanwhile
    assert clicked.id == started.id, "the same operation, not a second create"
    assert len(slow_fake.calls("PUT", PUT_ACCOUNT)) == 1

    operations._POLLERS.clear()  # a restarted dashboard: no SDK poller survives the process
    restarted = AzureBackend(held, state)
    [found] = restarted.running_operations()
    assert found.id == started.id and found.status == "Creating"
    done, seen = poll_to_end(restarted, found)  # from the account's provisioningState alone
    assert done.state == "succeeded" and seen[-1] == "Succeeded", seen
    assert isinstance(done.result, Outcome) and done.result.created
    assert restarted.running_operations() == [] and backend.running_operations() == []
    assert json.loads((state / "operations.json").read_text()) == []


def test_bad_input_raises_at_once_and_sends_no_create(
    held: ClientFactory,  # noqa: F811
    slow_fake: FakeAzure,  # noqa: F811
    tmp_path: Path,
) -> None:
    backend = AzureBackend(held, tmp_path / "state")
    with pytest.raises(NotFoundError, match=f"no resource group called '{RG}'"):
        backend.begin_create_storage_account(RG, ACCOUNT)
    backend.create_resource_group(RG, "eastus")
    with pytest.raises(InvalidNameError, match="not a valid storage account name"):
        backend.begin_create_storage_account(RG, "Not_Valid")
    slow_fake.data.setdefault("taken_storage_names", set()).add(ACCOUNT)  # someone else's account
    with pytest.raises(ConflictError, match="taken by someone else") as caught:
        backend.begin_create_storage_account(RG, ACCOUNT)
    assert "Pick another name" in caught.value.fix
    with pytest.raises(Exception, match="connection string is a local-backend feature"):
        backend.begin_create_storage_account(RG, "saopsother001", "DefaultEndpointsProtocol=https;")
    assert slow_fake.calls("PUT", r"/storageAccounts/") == [], "nothing was asked to be created"
    assert backend.running_operations() == []
    assert (
        not (tmp_path / "state" / "operations.json").exists()
        or json.loads((tmp_path / "state" / "operations.json").read_text()) == []
    )


def test_every_kind_reports_azure_s_state_from_begin_on(
    held: ClientFactory,  # noqa: F811
    slow_fake: FakeAzure,  # noqa: F811
    tmp_path: Path,
) -> None:
    """No made-up first status: each begin_* has asked Azure once before it returns."""
    backend = AzureBackend(held, tmp_path / "state")
    slow_fake.lro_polls = 0
    seed_workspace(backend, slow_fake)
    slow_fake.lro_polls = 3
    cluster = backend.begin_create_compute(REF, ComputeSpec("cpu-cluster", max_instances=2))
    assert cluster.status == "Creating", "the cluster's provisioningState"
    assert poll_to_end(backend, cluster)[0].state == "succeeded"
    gone = backend.begin_delete_workspace(REF)
    assert gone.kind == "delete workspace" and gone.target == WS
    assert gone.status == "Deleting", "the workspace's provisioningState"
    assert poll_to_end(backend, gone)[0].state == "succeeded"
    group = backend.begin_delete_resource_group(REF.resource_group)
    assert group.status == "Deleting", "the resource group's provisioningState"
    assert [op.id for op in backend.running_operations()] == [group.id]
