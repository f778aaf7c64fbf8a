"""Endpoints on the azure backend, against the fake whose endpoints are real scoring servers:
deploying as a polled operation (found again by a new backend object), keys masked and
regenerated under a live client, live scoring over HTTP, Azure's failures explained (quota, a
name taken in the region, a deployment whose model does not load), and deleting in Azure's order
while the inventory lists what is billable."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from core.azure.backend import AzureBackend
from core.azure.errors import AzureQuotaError
from core.backend import Operation
from core.endpoint.client import EndpointCallError, EndpointClient
from core.endpoint.defaults import quota_cores
from core.errors import ConflictError, NameTakenError, UserFacingError
from core.resources import Kind
from tests.azure.conftest import SUBSCRIPTION
from tests.azure.deployable import (
    MODEL,
    TAGS,
    Deployable,
    endpoint_world,
    seed_model_version,
    train_deployable,
    upload_broken_model,
)
from tests.azure.fake import FakeAzure, FakeTransport
from tests.azure.fake.routes_endpoints import failing_image_builds, set_quota, taken_endpoint_names
from tests.azure.fake.routes_ml import ws_id
from tests.azure.ml_helpers import REF, RG, WS

pytestmark = pytest.mark.azurite
ENDPOINT = "heart-azure-endpoint"


class PacedTransport(FakeTransport):
    """Polls every 50 ms instead of at once, so a page sees an operation's stages go by."""

    def sleep(self, duration: float) -> None:
        time.sleep(min(duration, 0.05))


@pytest.fixture(scope="module")
def deployable(tmp_path_factory: pytest.TempPathFactory) -> Deployable:
    return train_deployable(tmp_path_factory.mktemp("deployable"))


@pytest.fixture(scope="module")
def world(
    azurite: str, deployable: Deployable, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FakeAzure, AzureBackend]]:
    state = tmp_path_factory.mktemp("azure-state")
    with endpoint_world(
        azurite, state, deployable, account="endpointsdata01", transport=PacedTransport
    ) as found:
        fake, _ = found
        fake.lro_polls = 3
        yield found


def _finish(backend: AzureBackend, op: Operation, timeout: float = 120) -> tuple[Operation, list[str]]:
    seen = [op.status]
    deadline = time.monotonic() + timeout
    while not op.done:
        assert time.monotonic() < deadline, f"{op.kind} stuck in {op.status}"
        time.sleep(0.02)
        op = backend.poll_operation(op)
        seen.append(op.status)
    return op, seen


@pytest.fixture(scope="module")
def deployed(world: tuple[FakeAzure, AzureBackend]) -> tuple[FakeAzure, AzureBackend, list[str]]:
    """The module's endpoint, deployed through begin_deploy and polled to its end; a NEW backend
    object on the same state folder, without the SDK's poller (a dashboard restart), finds it
    running from operations.json and Azure's provisioning states, and sees it finish."""
    fake, backend = world
    started = backend.begin_deploy(REF, ENDPOINT, "blue", MODEL, 1)
    assert started.kind == "deploy" and started.target == ENDPOINT and not started.done
    from core.azure import operations

    operations._POLLERS.pop(started.id, None)  # as after a restart: only operations.json is left
    reloaded = AzureBackend(backend.factory, backend.state_dir)
    running = reloaded.running_operations()
    assert [op.id for op in running] == [started.id], "the reload finds the running deploy"
    done, seen = _finish(reloaded, running[0])
    assert done.state == "succeeded", done.error
    assert done.result.created and done.result.resource.kind is Kind.DEPLOYMENT
    return fake, backend, [started.status, *seen]


def test_deploy_is_an_operation_with_azures_statuses(
    deployed: tuple[FakeAzure, AzureBackend, list[str]],
) -> None:
    _, backend, seen = deployed
    assert any(s.startswith("Creating (creating endpoint") for s in seen), seen
    assert any("deployment 'blue'" in s and s.startswith("Creating") for s in seen), seen
    assert seen[-1] == "Succeeded"
    info = backend.get_endpoint(REF, ENDPOINT)
    assert info.traffic == {"blue": 100}, "the first deployment takes all the traffic"
    assert info.health.healthy, info.health.detail
    assert info.auth_mode == "key" and info.scoring_uri.startswith("http://127.0.0.1:")
    blue = info.deployment("blue")
    assert blue is not None and (blue.model_name, blue.model_version) == (MODEL, 1)
    assert (blue.dataset, blue.dataset_version, blue.task) == ("heart", 1, "classification")
    assert blue.metrics == {"roc_auc": 0.9} and blue.instance_type == "Standard_DS3_v2"
    assert backend.running_operations() == []


def test_keys_are_masked_and_never_logged_and_scoring_is_live(
    deployed: tuple[FakeAzure, AzureBackend, list[str]],
    deployable: Deployable,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, backend, _ = deployed
    caplog.set_level(logging.DEBUG)
    keys = backend.endpoint_keys(REF, ENDPOINT)
    secret = keys.primary.reveal()
    assert secret not in f"{keys} {keys!r} {keys.primary}"
    uri = backend.get_endpoint(REF, ENDPOINT).scoring_uri
    client = EndpointClient(uri, secret, deployment="blue")
    scored = client.score(deployable.features)
    assert len(scored.predictions) == len(deployable.truth)
    right = sum(str(p) == str(t) for p, t in zip(scored.predictions, deployable.truth, strict=True))
    assert right / len(deployable.truth) > 0.6, "a real model answered"
    fresh = backend.regenerate_endpoint_key(REF, ENDPOINT, "primary")
    with pytest.raises(EndpointCallError) as caught:
        client.score(deployable.features.head(2))
    assert caught.value.status == 401, "the page's old key is refused"
    assert secret not in str(caught.value)
    assert (
        len(
            EndpointClient(uri, fresh.primary.reveal(), deployment="blue")
            .score(deployable.features.head(2))
            .predictions
        )
        == 2
    )
    assert fresh.secondary == keys.secondary, "the other key keeps working"
    for key in (secret, fresh.primary.reveal(), fresh.secondary.reveal()):
        assert key not in caplog.text


def test_the_deployed_model_and_what_a_new_version_would_change(
    deployed: tuple[FakeAzure, AzureBackend, list[str]], deployable: Deployable
) -> None:
    fake, backend, _ = deployed
    found = backend.deployed_model(REF, ENDPOINT, "blue")
    assert found.location.startswith("azureml://jobs/")
    assert found.input_example is not None and "dataframe_split" in found.input_example
    assert backend.deployment_changes(REF, ENDPOINT, "blue", MODEL, 1) == []
    uri = fake.data[f"ml:{ws_id(SUBSCRIPTION, RG, WS).lower()}:modelVersions"][f"{MODEL}/1"]["properties"][
        "modelUri"
    ]
    seed_model_version(
        fake,
        SUBSCRIPTION,
        RG,
        WS,
        MODEL,
        2,
        uri,
        {"task": "regression", "dataset": "other", "dataset_version": "3"},
    )
    changes = backend.deployment_changes(REF, ENDPOINT, "blue", MODEL, 2)
    assert changes == [
        "the task changes from classification to regression",
        "the dataset changes from heart v1 to other v3",
    ]
    seed_model_version(fake, SUBSCRIPTION, RG, WS, MODEL, 3, uri, TAGS)
    updated, seen = _finish(backend, backend.begin_deploy(REF, ENDPOINT, "blue", MODEL, 3))
    assert updated.state == "succeeded" and not updated.result.created, updated.error
    assert "Updated deployment 'blue' of heart-endpoint-model v3" in updated.result.message
    assert any(s.startswith("Updating") for s in seen), seen
    info = backend.get_endpoint(REF, ENDPOINT)
    assert info.deployment("blue").model_version == 3 and info.traffic == {"blue": 100}


def test_a_deployment_with_traffic_is_not_deleted_and_logs_are_read(
    deployed: tuple[FakeAzure, AzureBackend, list[str]],
) -> None:
    _, backend, _ = deployed
    assert backend.create_deployment(REF, ENDPOINT, "green", MODEL, 1).created
    with pytest.raises(ConflictError, match="takes 100% of the traffic"):
        backend.begin_delete_deployment(REF, ENDPOINT, "blue")
    logs = backend.deployment_logs(REF, ENDPOINT, "green", lines=40)
    assert "[fake-azure]" in logs and len(logs.splitlines()) <= 40
    left = backend.delete_deployment(REF, ENDPOINT, "green")
    assert [d.name for d in left.deployments] == ["blue"] and left.health.healthy
    with pytest.raises(UserFacingError, match="nothing to start by hand"):
        backend.start_endpoint(REF, ENDPOINT)


def test_quota_exceeded_names_the_family_and_the_cores(world: tuple[FakeAzure, AzureBackend]) -> None:
    fake, backend = world
    set_quota(fake, 4)
    try:
        op, _ = _finish(backend, backend.begin_deploy(REF, "heart-quota-endpoint", "blue", MODEL, 1, 2))
        with pytest.raises(AzureQuotaError):
            backend.create_deployment(REF, "heart-quota-endpoint", "blue", MODEL, 1, 2)
    finally:
        set_quota(fake, None)
    assert op.state == "failed"
    assert "Standard DSv2 Family" in op.error and f"{quota_cores('Standard_DS3_v2', 2)} vCPUs" in op.error
    assert "Additional needed: 12" in op.error and "12 vCPUs" in op.error, "Azure's count and ours agree"
    backend.delete_endpoint(REF, "heart-quota-endpoint")


def test_the_quota_a_deployment_needs_counts_as_azure_does() -> None:
    """Azure's OutOfQuota answers say "Additional needed: 8" for one 4-core instance (the
    threads quoted in tests/azure/fake/routes_endpoints.py): whole spare instances, not 20 % of
    the cores."""
    assert quota_cores("Standard_DS3_v2", 1) == 8 and quota_cores("Standard_F4s_v2", 1) == 8
    assert quota_cores("Standard_DS3_v2", 10) == 48, "10 instances need quota for 12"
    assert quota_cores("Standard_DS2_v2", 3) == 2 * 4


def test_a_name_taken_in_the_region_suggests_a_free_one(world: tuple[FakeAzure, AzureBackend]) -> None:
    fake, backend = world
    taken_endpoint_names(fake).add("heart-taken-endpoint")
    with pytest.raises(NameTakenError) as caught:
        backend.begin_deploy(REF, "heart-taken-endpoint", "blue", MODEL, 1)
    free = caught.value.suggestion
    assert free and free != "heart-taken-endpoint" and free.startswith("heart-taken-endpoint"[:20])
    assert free in caught.value.fix and len(free) <= 32
    assert free not in {e.name for e in backend.list_endpoints(REF)}
    assert "heart-taken-endpoint" not in {e.name for e in backend.list_endpoints(REF)}, "nothing was made"


def test_a_failed_deployment_says_why_with_its_log_tail(
    world: tuple[FakeAzure, AzureBackend], deployable: Deployable
) -> None:
    fake, backend = world
    uri = upload_broken_model(fake, deployable.folder, "broken_job_1")
    seed_model_version(fake, SUBSCRIPTION, RG, WS, "broken-model", 1, uri, {"task": "classification"})
    op, seen = _finish(backend, backend.begin_deploy(REF, "heart-broken-endpoint", "blue", "broken-model", 1))
    assert op.state == "failed" and seen[-1] == "Failed"
    assert "ResourceNotReady" in op.error and "Last lines of its log:" in op.error
    assert "BadZipFile" in op.error, "the cause, from the real server's log"
    logs = backend.deployment_logs(REF, "heart-broken-endpoint", "blue")
    assert "Traceback" in logs and "[fake-azure]" in logs
    assert backend.get_endpoint(REF, "heart-broken-endpoint").deployment("blue") is not None
    backend.delete_endpoint(REF, "heart-broken-endpoint")


def test_a_failed_image_build_says_so_with_the_build_lines(world: tuple[FakeAzure, AzureBackend]) -> None:
    fake, backend = world
    failing_image_builds(fake).add("imagefail")
    op, _ = _finish(backend, backend.begin_deploy(REF, "heart-image-endpoint", "imagefail", MODEL, 1))
    assert op.state == "failed" and "ImageBuildFailure" in op.error
    assert "Image build failed" in op.error, "the build log's last lines"
    with pytest.raises(UserFacingError, match="ImageBuildFailure"):
        backend.create_deployment(REF, "heart-image-endpoint", "imagefail", MODEL, 1)
    backend.delete_endpoint(REF, "heart-image-endpoint")


def test_delete_goes_traffic_deployment_endpoint_and_inventory_follows(
    deployed: tuple[FakeAzure, AzureBackend, list[str]],
) -> None:
    fake, backend, _ = deployed
    listed = {(r.kind, r.name, r.parent) for r in backend.inventory()}
    assert {(Kind.ENDPOINT, ENDPOINT, WS), (Kind.DEPLOYMENT, "blue", ENDPOINT)} <= listed, "billable"
    uri = backend.get_endpoint(REF, ENDPOINT).scoring_uri
    before = len(fake.requests)
    op, seen = _finish(backend, backend.begin_delete_endpoint(REF, ENDPOINT))
    assert op.state == "succeeded" and [(r.kind, r.name) for r in op.result] == [
        (Kind.DEPLOYMENT, "blue"),
        (Kind.ENDPOINT, ENDPOINT),
    ]
    writes = [
        (r.method, r.path.rsplit("/", 2)[-2:])
        for r in fake.requests[before:]
        if r.method in ("PUT", "DELETE") and "/onlineEndpoints/" in r.path
    ]
    assert [m for m, _ in writes] == ["PUT", "DELETE", "DELETE"], writes
    put = next(r for r in fake.requests[before:] if r.method == "PUT" and "/onlineEndpoints/" in r.path)
    assert not put.body["properties"].get("traffic"), "traffic to 0 first"
    assert writes[1][1] == ["deployments", "blue"] and writes[2][1] == ["onlineEndpoints", ENDPOINT]
    listed = {(r.kind, r.name, r.parent) for r in backend.inventory()}
    assert (Kind.ENDPOINT, ENDPOINT, WS) not in listed and (Kind.DEPLOYMENT, "blue", ENDPOINT) not in listed
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen(uri, timeout=2)  # noqa: S310 - its server stopped with it
