"""The fake's online endpoints, driven by the real azure-ai-ml: what each call sends and what
Azure answers (status codes and LRO headers as in the spec and the recordings), and the real
scoring server behind the endpoint (keys, traffic, logs, invoke over HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.ai.ml import MLClient
from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint
from azure.core.exceptions import HttpResponseError

from core.endpoint.client import EndpointCallError, EndpointClient
from tests.azure.conftest import (
    SUBSCRIPTION,
)
from tests.azure.deployable import MODEL, Deployable, endpoint_world, train_deployable
from tests.azure.fake import FakeAzure
from tests.azure.fake.routes_endpoints import set_quota, taken_endpoint_names
from tests.azure.ml_helpers import RG, WS

pytestmark = pytest.mark.azurite


@pytest.fixture(scope="module")
def deployable(tmp_path_factory: pytest.TempPathFactory) -> Deployable:
    return train_deployable(tmp_path_factory.mktemp("deployable"))


@pytest.fixture(scope="module")
def world(
    azurite: str, deployable: Deployable, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FakeAzure, MLClient]]:
    """One fake for the module: a workspace with the deployable model registered as version 1."""
    state = tmp_path_factory.mktemp("state")
    with endpoint_world(azurite, state, deployable, account="fakeepdata001") as (fake, backend):
        yield fake, backend.factory.ml(RG, WS)


def _rows(deployable: Deployable, n: int = 3) -> Any:
    return deployable.features.head(n)


def test_create_deploy_keys_invoke_and_delete_through_azure_ai_ml(
    world: tuple[FakeAzure, MLClient], deployable: Deployable, tmp_path: Path
) -> None:
    fake, ml = world
    made = ml.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="fake-ep-one", auth_mode="key", description="one")
    ).result()
    assert made.provisioning_state == "Succeeded" and made.scoring_uri.startswith("http://127.0.0.1:")
    put = fake.calls("PUT", r"/onlineEndpoints/fake-ep-one$")[0]
    assert put.body["properties"]["authMode"] == "Key"
    # the recorded answer: 201 with Azure-AsyncOperation and Location (the resource's own URL)
    answer = fake.handle("GET", f"https://management.azure.com{put.path}?api-version=x", {}, b"")
    assert answer.status == 200 and answer.body["properties"]["provisioningState"] == "Succeeded"

    poller = ml.online_deployments.begin_create_or_update(
        ManagedOnlineDeployment(
            name="blue",
            endpoint_name="fake-ep-one",
            model=f"azureml:{MODEL}:1",
            instance_type="Standard_DS3_v2",
            instance_count=1,
        )
    )
    deployment = poller.result()
    assert deployment.provisioning_state == "Succeeded"
    sent = fake.calls("PUT", r"/deployments/blue$")[0].body
    assert sent["properties"]["model"].endswith(f"/models/{MODEL}/versions/1")
    assert sent["sku"]["capacity"] == 1 and sent["properties"]["instanceType"] == "Standard_DS3_v2"
    polls = [r for r in fake.calls("GET", "Fake.Operations") if r.query.get("kind") == "status"]
    assert polls, "the SDK polled Azure-AsyncOperation"

    endpoint = ml.online_endpoints.get("fake-ep-one")
    assert endpoint.traffic == {"blue": 0}, "a new deployment takes no traffic until it is given some"
    endpoint.traffic = {"blue": 100}
    ml.online_endpoints.begin_create_or_update(endpoint).result()
    assert ml.online_endpoints.get("fake-ep-one").traffic == {"blue": 100}

    keys = ml.online_endpoints.get_keys("fake-ep-one")
    client = EndpointClient(endpoint.scoring_uri, keys.primary_key, deployment="blue")
    assert len(client.score(_rows(deployable)).predictions) == 3
    request = tmp_path / "request.json"
    rows = _rows(deployable, 2)
    body = {"input_data": {"columns": list(rows.columns), "index": [0, 1], "data": rows.values.tolist()}}
    request.write_text(json.dumps(body))
    answered = ml.online_endpoints.invoke("fake-ep-one", request_file=str(request), deployment_name="blue")
    assert len(json.loads(answered)) == 2, "invoke reached the real server with the primary key"

    ml.online_endpoints.begin_regenerate_keys("fake-ep-one", key_type="primary").result()
    regen = fake.calls("POST", "regenerateKeys")[-1]
    assert regen.body["keyType"] == "Primary"
    with pytest.raises(EndpointCallError) as caught:
        client.score(_rows(deployable))
    assert caught.value.status == 401, "the old primary key is refused by the real server"
    fresh = ml.online_endpoints.get_keys("fake-ep-one")
    assert fresh.primary_key != keys.primary_key and fresh.secondary_key == keys.secondary_key
    assert (
        len(EndpointClient(endpoint.scoring_uri, fresh.primary_key).score(_rows(deployable)).predictions) == 3
    )

    logs = ml.online_deployments.get_logs("blue", "fake-ep-one", lines=50)
    assert "[fake-azure]" in logs, "the fake's own container lines, marked"

    with pytest.raises(HttpResponseError) as refused:
        ml.online_deployments.begin_delete("blue", "fake-ep-one").result()
    assert refused.value.status_code == 400 and "traffic" in str(refused.value)
    ml.online_endpoints.begin_delete("fake-ep-one").result()
    delete = fake.calls("DELETE", r"/onlineEndpoints/fake-ep-one$")[-1]
    assert delete is not None
    with pytest.raises(OSError):
        import urllib.request

        urllib.request.urlopen(endpoint.scoring_uri, timeout=2)  # noqa: S310 - the server is gone
    assert "fake-ep-one" not in {e.name for e in ml.online_endpoints.list()}


def test_the_lro_answers_are_azures(world: tuple[FakeAzure, MLClient]) -> None:
    """201 + Azure-AsyncOperation + Location on create, 202 + Location + Retry-After on delete."""
    fake, _ = world
    base = (
        f"https://management.azure.com/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/{WS}/onlineEndpoints/fake-ep-raw"
    )
    body = json.dumps({"location": "eastus", "properties": {"authMode": "Key"}}).encode()
    created = fake.handle(
        "PUT", f"{base}?api-version=2022-02-01-preview", {"Content-Type": "application/json"}, body
    )
    assert created.status == 201
    assert "Azure-AsyncOperation" in created.headers and created.headers["Location"].startswith(base)
    assert created.body["properties"]["provisioningState"] == "Creating"
    assert created.body["properties"]["scoringUri"] is None
    deleted = fake.handle("DELETE", f"{base}?api-version=2022-02-01-preview", {}, b"")
    assert deleted.status == 202 and "Location" in deleted.headers and deleted.headers["Retry-After"]
    assert "Azure-AsyncOperation" not in deleted.headers
    while fake.handle("GET", f"{base}?api-version=x", {}, b"").status == 200:
        pass
    keys = fake.handle("POST", f"{base}/listKeys?api-version=x", {}, b"")
    assert keys.status == 404


def test_quota_and_a_taken_name_answer_as_azure_does(world: tuple[FakeAzure, MLClient]) -> None:
    fake, ml = world
    taken_endpoint_names(fake).add("fake-ep-taken")
    with pytest.raises(HttpResponseError) as caught:
        ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="fake-ep-taken"))
    assert caught.value.status_code == 400
    assert "Endpoint name needs to be unique within a region" in str(caught.value)
    ml.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="fake-ep-quota")).result()
    set_quota(fake, 6)
    try:
        with pytest.raises(HttpResponseError) as quota:
            ml.online_deployments.begin_create_or_update(
                ManagedOnlineDeployment(
                    name="blue", endpoint_name="fake-ep-quota", model=f"azureml:{MODEL}:1", instance_count=1
                )
            )
    finally:
        set_quota(fake, None)
    text = str(quota.value)
    assert quota.value.status_code == 400 and "InferencingClientCreateDeploymentFailed" in text
    assert "Not enough quota available for Standard_DS3_v2" in text and "Additional needed: 8" in text
    ml.online_endpoints.begin_delete("fake-ep-quota").result()
