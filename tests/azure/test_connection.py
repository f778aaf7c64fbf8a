"""Connecting to a subscription: the subscription picker, config.json, and the step-by-step
connection test, each failure with the sentence the Connection page shows."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest

from core.azure.clients import ClientFactory
from core.azure.cloud import custom_cloud
from core.azure.connection import (
    REQUIRED_PROVIDERS,
    WorkspaceConfig,
    list_subscriptions,
    subscription_from_config,
    test_connection,
)
from core.azure.credentials import ServicePrincipal, service_principal_credential
from core.azure.errors import AzureNetworkError, AzureThrottledError
from core.backend import Secret
from core.errors import UserFacingError
from tests.azure.conftest import SUBSCRIPTION, TENANT, FakeCredential, fake_cloud, loopback_product_cloud
from tests.azure.fake import FakeAzure, FakeTransport, arm_error
from tests.azure.fake.routes_subscriptions import set_provider_state
from tests.azure.fake.server import LoopbackCloud

OTHER = "99999999-1111-4222-8333-444444444444"


def test_list_subscriptions_enabled_first(fake_azure: FakeAzure) -> None:
    fake_azure.subscriptions[OTHER] = "Another one"
    fake_azure.data["subscription_states"] = {SUBSCRIPTION: "Disabled"}

    found = list_subscriptions(FakeCredential(), fake_cloud(), transport=FakeTransport(fake_azure))

    assert [(s.id, s.name, s.state, s.tenant_id) for s in found] == [
        (OTHER, "Another one", "Enabled", TENANT),
        (SUBSCRIPTION, "Fake subscription", "Disabled", TENANT),
    ]
    assert found[1].label == f"Fake subscription ({SUBSCRIPTION}) [Disabled]"
    call = fake_azure.calls("GET", "^/subscriptions$")[0]
    assert call.api_version == "2022-12-01"
    assert call.headers["authorization"] == "Bearer fake-arm-token"


def test_list_subscriptions_throttled_says_how_long_to_wait(fake_azure: FakeAzure) -> None:
    fake_azure.fail(
        "GET",
        "^/subscriptions$",
        arm_error(429, "TooManyRequests", "Too many requests, retry later.", {"Retry-After": "7"}),
        times=50,  # more than the SDK's own retries
    )

    with pytest.raises(AzureThrottledError) as caught:
        list_subscriptions(FakeCredential(), fake_cloud(), transport=FakeTransport(fake_azure))

    assert caught.value.retry_after == 7
    assert str(caught.value) == (
        "Listing your subscriptions failed: Azure is throttling this subscription (too many "
        "requests). Azure answered 429 TooManyRequests: Too many requests, retry later. "
        "Wait 7 seconds and try again."
    )


def test_config_json_of_azure_ml_studio() -> None:
    data = json.dumps(
        {"subscription_id": SUBSCRIPTION, "resource_group": "rg-ml", "workspace_name": "ws1"}
    ).encode()
    assert subscription_from_config(data) == WorkspaceConfig(SUBSCRIPTION, "rg-ml", "ws1")
    scope = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-old/providers/"
        "Microsoft.MachineLearningServices/workspaces/ws-old"
    )
    assert subscription_from_config(json.dumps({"Scope": scope}).encode()) == WorkspaceConfig(
        SUBSCRIPTION, "rg-old", "ws-old"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\xff not json", "This file is not a JSON config file."),
        (b"[1, 2]", "This config file does not hold a JSON object."),
        (b'{"subscription_id": "x"}', "The config file has no resource_group, workspace_name."),
        (
            b'{"subscription_id": "abc", "resource_group": "r", "workspace_name": "w"}',
            "The config file's subscription_id 'abc' is not a subscription ID.",
        ),
    ],
)
def test_config_json_malformed(data: bytes, message: str) -> None:
    with pytest.raises(UserFacingError) as caught:
        subscription_from_config(data)
    assert caught.value.problem == message
    assert "Download config file" in caught.value.fix


def test_connection_all_good(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    report = test_connection(fake_factory)

    assert report.ok, report.failed
    assert [c.name for c in report.checks] == [
        "Sign-in",
        "Subscription",
        *(f"Provider {ns}" for ns in REQUIRED_PROVIDERS),
    ]
    assert fake_azure.calls("GET", f"^/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Storage$")


def test_connection_provider_not_registered(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    set_provider_state(fake_azure, SUBSCRIPTION, "Microsoft.MachineLearningServices", "NotRegistered")

    report = test_connection(fake_factory)

    assert not report.ok
    failed = report.failed
    assert failed is not None and failed.name == "Provider Microsoft.MachineLearningServices"
    assert failed.message == (
        "The subscription is not registered for Microsoft.MachineLearningServices (NotRegistered)."
    )
    assert "az provider register --namespace Microsoft.MachineLearningServices" in failed.fix


def test_connection_no_role_on_the_subscription(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    fake_azure.fail(
        "GET",
        f"^/subscriptions/{SUBSCRIPTION}$",
        arm_error(
            403,
            "AuthorizationFailed",
            "The client 'app' with object id 'x' does not have authorization to perform action "
            f"'Microsoft.Resources/subscriptions/read' over scope '/subscriptions/{SUBSCRIPTION}'.",
        ),
    )

    report = test_connection(fake_factory)

    failed = report.failed
    assert failed is not None and failed.name == "Subscription"
    assert failed.message.startswith(
        f"Reading subscription {SUBSCRIPTION} failed: your identity has no permission for this. "
        "Azure answered 403 AuthorizationFailed: The client 'app'"
    )
    assert failed.fix.startswith("Ask an owner of the subscription")
    assert len(report.checks) == 2  # stops there


def test_connection_subscription_not_found(fake_azure: FakeAzure) -> None:
    factory = ClientFactory(FakeCredential(), OTHER, fake_cloud(), transport=FakeTransport(fake_azure))

    failed = test_connection(factory).failed

    assert failed is not None and failed.name == "Subscription"
    assert failed.message == (
        f"Reading subscription {OTHER} failed: the subscription does not exist. Azure answered 404 "
        f"SubscriptionNotFound: The subscription '{OTHER}' could not be found."
    )
    assert failed.fix.startswith("Check the subscription ID")


def test_connection_disabled_subscription(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    fake_azure.data["subscription_states"] = {SUBSCRIPTION: "Disabled"}
    failed = test_connection(fake_factory).failed
    assert failed is not None
    assert failed.message == (
        f"Subscription 'Fake subscription' ({SUBSCRIPTION}) is Disabled: nothing can be created in it."
    )


def _missing_registration() -> object:
    return arm_error(
        409,
        "MissingSubscriptionRegistration",
        "The subscription is not registered to use namespace 'Microsoft.Storage'. See "
        "https://aka.ms/rps-not-found for how to register subscriptions.",
    )


def test_sdk_registers_a_missing_provider_itself(
    fake_factory: ClientFactory, fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """azure-mgmt-core answers MissingSubscriptionRegistration by registering the provider and
    retrying, when the identity may register it. It waits 10 s before each look at the
    registration; the fake registers at once, so the test records the wait instead of sitting it."""
    import azure.mgmt.core.policies._base as registration_policy

    waits: list[float] = []
    monkeypatch.setattr(registration_policy, "time", SimpleNamespace(sleep=waits.append))
    fake_azure.fail("GET", "/providers/Microsoft.Storage$", _missing_registration())  # type: ignore[arg-type]

    assert test_connection(fake_factory).ok
    assert waits == [10], "the SDK waited once, then found the provider registered"
    assert fake_azure.calls("POST", f"^/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Storage/register$")


def test_missing_registration_when_the_identity_cannot_register(
    fake_factory: ClientFactory, fake_azure: FakeAzure
) -> None:
    fake_azure.fail("GET", "/providers/Microsoft.Storage$", _missing_registration())  # type: ignore[arg-type]
    fake_azure.fail(
        "POST",
        "/providers/Microsoft.Storage/register$",
        arm_error(403, "AuthorizationFailed", "The client does not have authorization to register."),
    )

    failed = test_connection(fake_factory).failed

    assert failed is not None and failed.name == "Provider Microsoft.Storage"
    assert failed.message == (
        "Reading the registration of Microsoft.Storage failed: the subscription is not registered "
        "for Microsoft.Storage. Azure answered 409 MissingSubscriptionRegistration: The "
        "subscription is not registered to use namespace 'Microsoft.Storage'. See "
        "https://aka.ms/rps-not-found for how to register subscriptions."
    )
    assert failed.fix.startswith(
        "Register it once: in the portal, Subscriptions → your subscription → Resource providers → "
        "Microsoft.Storage → Register"
    )


def test_connection_with_a_wrong_secret_over_https(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    client_id = str(uuid.uuid4())
    trust_loopback.fake.clients[client_id] = "right-secret"
    wrong = service_principal_credential(ServicePrincipal(TENANT, client_id, Secret("wrong")), cloud)

    report = test_connection(ClientFactory(wrong, SUBSCRIPTION, cloud))

    assert [c.name for c in report.checks] == ["Sign-in"]
    assert report.checks[0].message == (
        "Getting a token from Microsoft Entra failed: Microsoft Entra refused the sign-in because "
        "the client secret is wrong (AADSTS7000215)."
    )


def test_connection_with_a_service_principal_over_https(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    client_id = str(uuid.uuid4())
    trust_loopback.fake.clients[client_id] = "right-secret"
    credential = service_principal_credential(
        ServicePrincipal(TENANT, client_id, Secret("right-secret")), cloud
    )

    report = test_connection(ClientFactory(credential, SUBSCRIPTION, cloud))

    assert report.ok, report.failed
    assert report.checks[0].message == f"Signed in to FakeCloud ({trust_loopback.url}/)."
    subs = list_subscriptions(credential, cloud)
    assert [s.id for s in subs] == [SUBSCRIPTION]
    arm_call = trust_loopback.fake.calls("GET", f"^/subscriptions/{SUBSCRIPTION}$")[-1]
    assert arm_call.headers["authorization"].startswith("Bearer fake-access-")


def test_connection_without_network(closed_port_url: str) -> None:
    cloud = custom_cloud("Offline", closed_port_url, closed_port_url)
    factory = ClientFactory(FakeCredential(), SUBSCRIPTION, cloud, extra={"retry_total": 0})

    report = test_connection(factory)

    failed = report.failed
    assert failed is not None and failed.name == "Subscription"
    assert failed.message.startswith(
        f"Reading subscription {SUBSCRIPTION} failed: Azure could not be reached"
    )
    assert "Check the network connection" in failed.fix
    with pytest.raises(AzureNetworkError):
        list_subscriptions(FakeCredential(), cloud)
