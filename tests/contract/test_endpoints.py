"""EndpointsAPI: an endpoint with key auth serves a registered model; keys are masked, traffic
adds up, a deployment with traffic is not deleted, unknown names are named."""

from __future__ import annotations

import pytest

from core.backend import (
    DeployedModel,
    DeploymentInfo,
    EndpointHealth,
    EndpointInfo,
    EndpointKeys,
    Operation,
    Secret,
)
from core.data.store import load_dataset
from core.endpoint.client import EndpointCallError, EndpointClient
from core.errors import ConflictError, InvalidNameError, NotFoundError, UserFacingError
from core.resources import Kind, Resource
from core.train.target import feature_frame
from tests.contract.conftest import DATASET, DEPLOYMENT, ENDPOINT, MODEL, Trained, finish
from tests.workspaces import WS, WS_REF

pytestmark = pytest.mark.contract_slice("endpoints")


def test_the_endpoint_reads_as_neutral_values(trained: Trained) -> None:
    backend = trained.backend
    info = backend.get_endpoint(WS_REF, ENDPOINT)
    assert isinstance(info, EndpointInfo) and isinstance(info.health, EndpointHealth)
    assert info.health.healthy, info.health.detail
    assert info.auth_mode == "key" and info.scoring_uri and info.created_at
    assert info.description == "contract test endpoint"
    assert info.traffic == {DEPLOYMENT: 100}, "the first deployment takes all the traffic"
    deployment = info.deployment(DEPLOYMENT)
    assert isinstance(deployment, DeploymentInfo) and info.deployments == [deployment]
    assert (deployment.model_name, deployment.model_version) == (MODEL, trained.model.version)
    assert deployment.task == "classification" and deployment.instance_count == 1
    assert (deployment.dataset, deployment.dataset_version) == (DATASET, 1)
    assert deployment.model_source and deployment.last_change
    assert info.deployment("nope") is None
    assert [e.name for e in backend.list_endpoints(WS_REF) if e.name == ENDPOINT] == [ENDPOINT]


def test_endpoint_and_deployment_are_get_or_create(trained: Trained) -> None:
    backend, model = trained.backend, trained.model
    again = backend.create_endpoint(WS_REF, ENDPOINT, "contract test endpoint")
    assert not again.created and again.resource.kind is Kind.ENDPOINT and again.resource.parent == WS
    same = backend.create_deployment(WS_REF, ENDPOINT, DEPLOYMENT, model.name, model.version)
    assert not same.created and same.resource.kind is Kind.DEPLOYMENT and same.resource.parent == ENDPOINT
    assert len(backend.get_endpoint(WS_REF, ENDPOINT).deployments) == 1
    assert backend.deployment_changes(WS_REF, ENDPOINT, DEPLOYMENT, model.name, model.version) == []


def test_the_deployed_model_has_its_input_example(trained: Trained) -> None:
    found = trained.backend.deployed_model(WS_REF, ENDPOINT, DEPLOYMENT)
    assert isinstance(found, DeployedModel) and found.location
    assert found.input_example is None or isinstance(found.input_example, dict)
    with pytest.raises(NotFoundError, match="no deployment 'nope'"):
        trained.backend.deployed_model(WS_REF, ENDPOINT, "nope")


def test_keys_are_masked_work_and_can_be_regenerated(trained: Trained) -> None:
    backend = trained.backend
    keys = backend.endpoint_keys(WS_REF, ENDPOINT)
    assert isinstance(keys, EndpointKeys) and keys.primary.reveal() != keys.secondary.reveal()
    assert isinstance(keys.primary, Secret) and isinstance(keys.secondary, Secret), "never a bare str"
    assert keys.primary.reveal() not in f"{keys.primary} {keys.secondary!r} {keys}", "masked when printed"
    for key in (keys.primary.reveal(), keys.secondary.reveal()):
        assert len(key) >= 16
        assert key not in str(keys) and key not in repr(keys) and key not in f"{keys}"
    uri = backend.get_endpoint(WS_REF, ENDPOINT).scoring_uri
    data = load_dataset(backend, WS_REF, DATASET, 1)
    rows = feature_frame(data.test, data.schema).head(3)
    assert len(EndpointClient(uri, keys.secondary.reveal()).score(rows).predictions) == 3
    fresh = backend.regenerate_endpoint_key(WS_REF, ENDPOINT, "secondary")
    assert (
        fresh.primary.reveal() == keys.primary.reveal()
        and fresh.secondary.reveal() != keys.secondary.reveal()
    )
    assert backend.endpoint_keys(WS_REF, ENDPOINT) == fresh
    assert keys.secondary.reveal() not in repr(fresh) and fresh.secondary.reveal() not in repr(fresh)
    with pytest.raises(EndpointCallError) as caught:
        EndpointClient(uri, keys.secondary.reveal()).score(rows)
    assert caught.value.status == 401
    assert len(EndpointClient(uri, fresh.secondary.reveal()).score(rows).predictions) == 3
    with pytest.raises(UserFacingError, match="no 'tertiary' key"):
        backend.regenerate_endpoint_key(WS_REF, ENDPOINT, "tertiary")


def test_traffic_must_add_up_to_100_over_known_deployments(trained: Trained) -> None:
    backend = trained.backend
    with pytest.raises(UserFacingError, match="adds up to 50%") as caught:
        backend.set_endpoint_traffic(WS_REF, ENDPOINT, {DEPLOYMENT: 50})
    assert caught.value.fix
    with pytest.raises(NotFoundError, match="no deployment 'green'"):
        backend.set_endpoint_traffic(WS_REF, ENDPOINT, {"green": 100})
    same = backend.set_endpoint_traffic(WS_REF, ENDPOINT, {DEPLOYMENT: 100})
    assert isinstance(same, EndpointInfo) and same.traffic == {DEPLOYMENT: 100}


def test_a_deployment_with_traffic_is_not_deleted(trained: Trained) -> None:
    backend, model = trained.backend, trained.model
    green = backend.create_deployment(WS_REF, ENDPOINT, "green", model.name, model.version)
    assert green.created and green.resource.name == "green"
    both = backend.get_endpoint(WS_REF, ENDPOINT)
    assert {d.name for d in both.deployments} == {DEPLOYMENT, "green"}
    assert both.traffic == {DEPLOYMENT: 100}, "a later deployment takes no traffic until it is given some"
    with pytest.raises(ConflictError, match="takes 100% of the traffic") as caught:
        backend.delete_deployment(WS_REF, ENDPOINT, DEPLOYMENT)
    assert caught.value.fix
    with pytest.raises(NotFoundError, match="no deployment 'nope'"):
        backend.delete_deployment(WS_REF, ENDPOINT, "nope")
    left = backend.delete_deployment(WS_REF, ENDPOINT, "green")
    assert isinstance(left, EndpointInfo) and [d.name for d in left.deployments] == [DEPLOYMENT]
    assert left.traffic == {DEPLOYMENT: 100} and left.health.healthy, left.health.detail


def test_endpoint_mistakes_are_explained(trained: Trained) -> None:
    backend, model = trained.backend, trained.model
    with pytest.raises(InvalidNameError, match="not a valid deployment name"):
        backend.create_deployment(WS_REF, ENDPOINT, "1-blue", model.name, model.version)
    with pytest.raises(NotFoundError, match="no version 99 of model"):
        backend.create_deployment(WS_REF, ENDPOINT, "green", model.name, 99)
    for action in (
        lambda: backend.get_endpoint(WS_REF, "no-such-endpoint"),
        lambda: backend.endpoint_keys(WS_REF, "no-such-endpoint"),
        lambda: backend.regenerate_endpoint_key(WS_REF, "no-such-endpoint"),
        lambda: backend.set_endpoint_traffic(WS_REF, "no-such-endpoint", {DEPLOYMENT: 100}),
        lambda: backend.start_endpoint(WS_REF, "no-such-endpoint"),
        lambda: backend.delete_endpoint(WS_REF, "no-such-endpoint"),
        lambda: backend.create_deployment(WS_REF, "no-such-endpoint", DEPLOYMENT, model.name, model.version),
    ):
        with pytest.raises(NotFoundError, match="no online endpoint called 'no-such-endpoint'") as caught:
            action()
        assert caught.value.fix
    assert [d.name for d in backend.get_endpoint(WS_REF, ENDPOINT).deployments] == [DEPLOYMENT]
    listed = {(r.kind, r.name, r.parent) for r in backend.inventory()}
    assert {(Kind.ENDPOINT, ENDPOINT, WS), (Kind.DEPLOYMENT, DEPLOYMENT, ENDPOINT)} <= listed, "billable"


def test_a_bare_endpoint_is_created_refused_a_start_and_deleted(trained: Trained) -> None:
    backend = trained.backend
    made = backend.create_endpoint(WS_REF, "bare-endpoint")
    assert made.created and made.resource.name == "bare-endpoint"
    bare = backend.get_endpoint(WS_REF, "bare-endpoint")
    assert bare.deployments == [] and bare.traffic == {} and not bare.health.healthy
    expected = "no deployment to serve" if backend.capabilities.restart_endpoints else ""
    with pytest.raises(UserFacingError, match=expected):
        backend.start_endpoint(WS_REF, "bare-endpoint")
    deleted = backend.delete_endpoint(WS_REF, "bare-endpoint")
    assert all(isinstance(r, Resource) for r in deleted)
    assert [(r.kind, r.name) for r in deleted] == [(Kind.ENDPOINT, "bare-endpoint")]
    assert "bare-endpoint" not in {e.name for e in backend.list_endpoints(WS_REF)}
    with pytest.raises(NotFoundError):
        backend.get_endpoint(WS_REF, "bare-endpoint")
    assert backend.get_endpoint(WS_REF, ENDPOINT).health.healthy, "the other endpoint is untouched"


def test_deploying_and_deleting_are_operations_polled_to_their_end(trained: Trained) -> None:
    """Creating a deployment takes minutes on Azure, so the page starts it and polls."""
    backend, model = trained.backend, trained.model
    with pytest.raises(InvalidNameError):
        backend.begin_deploy(WS_REF, "ops-endpoint", "1-blue", model.name, model.version)
    with pytest.raises(UserFacingError, match="99"):
        backend.begin_deploy(WS_REF, "ops-endpoint", "blue", model.name, 99)
    assert "ops-endpoint" not in {e.name for e in backend.list_endpoints(WS_REF)}, "bad input made nothing"
    started = backend.begin_deploy(WS_REF, "ops-endpoint", "blue", model.name, model.version)
    assert isinstance(started, Operation) and started.target == "ops-endpoint"
    done = finish(backend, started)
    assert done.state == "succeeded", done.error
    assert done.result.created and done.result.resource.name == "blue"
    info = backend.get_endpoint(WS_REF, "ops-endpoint")
    assert info.traffic == {"blue": 100} and info.health.healthy, info.health.detail
    again = finish(backend, backend.begin_deploy(WS_REF, "ops-endpoint", "blue", model.name, model.version))
    assert again.state == "succeeded" and not again.result.created, "get-or-create"
    green = finish(backend, backend.begin_deploy(WS_REF, "ops-endpoint", "green", model.name, model.version))
    assert green.result.created and backend.get_endpoint(WS_REF, "ops-endpoint").traffic["blue"] == 100
    left = finish(backend, backend.begin_delete_deployment(WS_REF, "ops-endpoint", "green"))
    assert isinstance(left.result, EndpointInfo) and [d.name for d in left.result.deployments] == ["blue"]
    gone = finish(backend, backend.begin_delete_endpoint(WS_REF, "ops-endpoint"))
    assert [(r.kind, r.name) for r in gone.result] == [
        (Kind.DEPLOYMENT, "blue"),
        (Kind.ENDPOINT, "ops-endpoint"),
    ]
    assert "ops-endpoint" not in {e.name for e in backend.list_endpoints(WS_REF)}
    assert backend.get_endpoint(WS_REF, ENDPOINT).health.healthy, "the other endpoint is untouched"
