"""Long-running operations on the azure backend: polled as Azure reports them, kept in
``state_dir`` so that a reload or a restarted dashboard picks them up, failures explained."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.azure import operations
from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.backend import Operation, WorkspaceRef
from core.compute import ComputeSpec
from core.resources import Kind, Outcome
from tests.azure.conftest import SUBSCRIPTION, TENANT, FakeCredential, blob_endpoint_of, fake_cloud
from tests.azure.fake import FakeAzure, FakeTransport
from tests.azure.fake.server import LoopbackCloud
from tests.azure.ml_helpers import REF, WS, loopback_backend, seed_workspace, unique
from tests.conftest import AZURITE_KEY


class HeldTransport(FakeTransport):
    """The SDK pollers' waits last until the test ends, so only what the dashboard does (reading
    the resource) moves an operation on: each read is one poll of Azure's clock."""

    def __init__(self, fake: FakeAzure, release: threading.Event) -> None:
        super().__init__(fake)
        self.release = release

    def sleep(self, duration: float) -> None:
        self.release.wait(30)


@pytest.fixture
def slow_fake(azurite: str) -> Iterator[FakeAzure]:
    from tests.azure.fake.routes_storage import azurite_cleanup

    fake = FakeAzure(
        tenant_id=TENANT,
        subscriptions={SUBSCRIPTION: "Fake subscription"},
        blob_endpoint=blob_endpoint_of(azurite),
        blob_key=AZURITE_KEY,
        lro_polls=3,
    )
    yield fake
    azurite_cleanup(fake)


@pytest.fixture
def held(slow_fake: FakeAzure) -> Iterator[ClientFactory]:
    release = threading.Event()
    yield ClientFactory(
        FakeCredential(),
        SUBSCRIPTION,
        fake_cloud(),
        transport=HeldTransport(slow_fake, release),
        polling_interval=0,
    )
    release.set()


def poll_to_end(backend: AzureBackend, op: Operation, limit: int = 50) -> tuple[Operation, list[str]]:
    seen = [op.status]
    for _ in range(limit):
        if op.done:
            return op, seen
        op = backend.poll_operation(op)
        seen.append(op.status)
    raise AssertionError(f"{op.kind} {op.target} still {op.status} after {limit} polls")


def test_a_cluster_create_reports_azure_s_states_until_it_succeeds(
    held: ClientFactory, slow_fake: FakeAzure, tmp_path: Path
) -> None:
    backend = AzureBackend(held, tmp_path / "state")
    slow_fake.lro_polls = 0
    seed_workspace(backend, slow_fake)
    slow_fake.lro_polls = 3
    started = backend.begin_create_compute(REF, ComputeSpec("cpu-cluster", max_instances=2))
    assert started.kind == "create compute cluster" and started.target == "cpu-cluster"
    assert started.state == "running" and not started.done
    assert [op.id for op in backend.running_operations()] == [started.id]
    done, seen = poll_to_end(backend, started)
    assert "Creating" in seen and seen[-1] == "Succeeded", seen
    assert done.state == "succeeded" and done.ended_at is not None and done.elapsed_s(time.time()) >= 0
    assert isinstance(done.result, Outcome) and done.result.created
    assert done.result.resource.kind is Kind.COMPUTE
    assert backend.poll_operation(done) is done, "a finished operation is the same object"
    assert backend.poll_operation(started) is done
    assert backend.running_operations() == []


def test_a_reload_and_a_restart_pick_a_running_delete_up(
    held: ClientFactory, slow_fake: FakeAzure, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    backend = AzureBackend(held, state)
    slow_fake.lro_polls = 0
    seed_workspace(backend, slow_fake)
    backend.create_compute(REF, ComputeSpec("cpu-cluster", max_instances=2))
    slow_fake.lro_polls = 6  # begin's own first look, the reload's and the restart's each take one
    started = backend.begin_delete_workspace(REF)
    assert started.kind == "delete workspace" and started.target == WS

    record = json.loads((state / "operations.json").read_text())
    assert [r["id"] for r in record] == [started.id] and record[0]["kind"] == "delete workspace"
    assert record[0]["context"]["resource_group"] == REF.resource_group
    assert "key" not in json.dumps(record).lower(), "no secret is written down"

    reloaded = AzureBackend(held, state)  # a browser reload: a new backend object, same process
    [again] = reloaded.running_operations()
    assert again.id == started.id and again.status == "Deleting" and not again.done

    operations._POLLERS.clear()  # a restarted dashboard: no SDK poller survives the process
    restarted = AzureBackend(held, state)
    [found] = restarted.running_operations()
    assert found.id == started.id
    done, seen = poll_to_end(restarted, found)
    assert done.state == "succeeded" and seen[-1] == "Deleted"
    assert {(r.kind, r.name) for r in done.result} == {(Kind.WORKSPACE, WS), (Kind.COMPUTE, "cpu-cluster")}
    assert done.result[-1].kind is Kind.WORKSPACE, "listed children first"
    assert restarted.running_operations() == [] and backend.running_operations() == []
    assert json.loads((state / "operations.json").read_text()) == []


def test_a_failed_workspace_deployment_is_a_failed_operation_with_a_fix(
    trust_loopback: LoopbackCloud, tmp_path: Path
) -> None:
    backend = loopback_backend(trust_loopback, tmp_path)
    rg, account, ws = unique("rg-fail-"), unique("faildata"), unique("ws-fail-")
    backend.create_resource_group(rg, "eastus")
    backend.create_storage_account(rg, account)
    backend.create_workspace(rg, ws, account)
    backend.delete_workspace(WorkspaceRef(rg, ws))  # soft-deleted: the name stays taken
    started = backend.begin_create_workspace(rg, ws, account)
    # begin already asked Azure once: the deployment may have failed by then
    assert started.state in ("running", "failed") and started.status
    deadline = time.monotonic() + 60
    op = started
    while not op.done:
        assert time.monotonic() < deadline, op
        time.sleep(0.2)
        op = backend.poll_operation(op)
    assert op.state == "failed" and op.status == "Failed" and op.result is None
    assert "soft-deleted workspace" in op.error and "permanently" in op.error
    assert "Traceback" not in op.error and "HttpResponseError" not in op.error
    assert backend.running_operations() == []
    assert backend.poll_operation(op) is op
    backend.delete_resource_group(rg)
