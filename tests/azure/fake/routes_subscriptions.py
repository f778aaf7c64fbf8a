"""Subscriptions and resource providers (specs: resources/…/subscriptions/stable/2022-12-01
GetSubscription.json / GetSubscriptions.json; resources/…/stable/2025-04-01 GetProvider.json,
RegisterProvider.json).

``fake.data["subscription_states"]`` (id → "Enabled", "Disabled", "Warned"…) and
``fake.data["providers"]`` ((subscription, lower-case namespace) → registrationState) are what
tests change; a namespace not listed is ``Registered``.
"""

from __future__ import annotations

from typing import Any

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route
from tests.azure.fake.routes_resources import check_subscription


def subscription_body(fake: FakeAzure, sub: str) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}",
        "subscriptionId": sub,
        "tenantId": fake.tenant_id,
        "displayName": fake.subscriptions[sub],
        "state": fake.data.get("subscription_states", {}).get(sub, "Enabled"),
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": {},
    }


@route("GET", "/subscriptions")
def list_subscriptions(fake: FakeAzure, request: Request) -> Response:
    return Response(200, {"value": [subscription_body(fake, sub) for sub in fake.subscriptions]})


@route("GET", "/subscriptions/{sub}")
def get_subscription(fake: FakeAzure, request: Request, sub: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    return Response(200, subscription_body(fake, sub))


def provider_state(fake: FakeAzure, sub: str, namespace: str) -> str:
    return str(fake.data.get("providers", {}).get((sub, namespace.lower()), "Registered"))


def set_provider_state(fake: FakeAzure, sub: str, namespace: str, state: str) -> None:
    with fake.lock:
        fake.data.setdefault("providers", {})[(sub, namespace.lower())] = state


def missing_registration(fake: FakeAzure, sub: str, namespace: str) -> Response | None:
    """Azure's answer to a write on a provider the subscription is not registered for."""
    if provider_state(fake, sub, namespace) == "Registered":
        return None
    return arm_error(
        409,
        "MissingSubscriptionRegistration",
        f"The subscription is not registered to use namespace '{namespace}'. See "
        "https://aka.ms/rps-not-found for how to register subscriptions.",
    )


_RESOURCE_TYPES: dict[str, list[tuple[str, list[str]]]] = {
    "microsoft.storage": [
        ("storageAccounts", ["2025-01-01", "2024-01-01", "2023-05-01"]),
        ("checkNameAvailability", ["2025-01-01", "2024-01-01"]),
        ("operations", ["2025-01-01"]),
    ],
    "microsoft.machinelearningservices": [
        ("workspaces", ["2025-06-01", "2024-10-01"]),
        ("workspaces/computes", ["2025-06-01", "2024-10-01"]),
        ("operations", ["2025-06-01"]),
    ],
}


def provider_body(fake: FakeAzure, sub: str, namespace: str) -> dict[str, Any]:
    canonical = {
        "microsoft.storage": "Microsoft.Storage",
        "microsoft.machinelearningservices": "Microsoft.MachineLearningServices",
    }.get(namespace.lower(), namespace)
    return {
        "id": f"/subscriptions/{sub}/providers/{canonical}",
        "namespace": canonical,
        "registrationState": provider_state(fake, sub, namespace),
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {"resourceType": kind, "locations": ["East US", "West Europe"], "apiVersions": versions}
            for kind, versions in _RESOURCE_TYPES.get(namespace.lower(), [])
        ],
    }


@route("GET", "/subscriptions/{sub}/providers/{namespace}")
def get_provider(fake: FakeAzure, request: Request, sub: str, namespace: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if "." not in namespace:
        return arm_error(404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
    return Response(200, provider_body(fake, sub, namespace))


@route("POST", "/subscriptions/{sub}/providers/{namespace}/register")
def register_provider(fake: FakeAzure, request: Request, sub: str, namespace: str) -> Response:
    """Registration takes minutes on Azure; here it is ``Registering`` until the next GET."""
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if provider_state(fake, sub, namespace) != "Registered":
        set_provider_state(fake, sub, namespace, "Registered")
        body = provider_body(fake, sub, namespace) | {"registrationState": "Registering"}
        return Response(200, body)
    return Response(200, provider_body(fake, sub, namespace))
