"""Connecting the dashboard to a subscription: pick one, read an Azure ML ``config.json``, and test
the connection step by step (sign-in, the subscription, its resource providers) so a failure
says which step failed and how to fix it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.azure.clients import ClientFactory
from core.azure.errors import explain
from core.errors import UserFacingError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from core.azure.cloud import AzureCloud

# The resource providers the walkthrough creates resources of.
REQUIRED_PROVIDERS = ("Microsoft.MachineLearningServices", "Microsoft.Storage")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class SubscriptionChoice:
    id: str
    name: str
    tenant_id: str
    state: str  # Enabled, Disabled, Warned, PastDue, Deleted

    @property
    def label(self) -> str:
        state = "" if self.state == "Enabled" else f" [{self.state}]"
        return f"{self.name} ({self.id}){state}"


def list_subscriptions(
    credential: TokenCredential, cloud: AzureCloud, transport: Any = None
) -> list[SubscriptionChoice]:
    """The subscriptions the credential can see, enabled ones first, then by name."""
    factory = ClientFactory(credential, "", cloud, transport=transport)

    def fetch() -> list[SubscriptionChoice]:
        return [
            SubscriptionChoice(
                id=str(s.subscription_id),
                name=str(s.display_name or s.subscription_id),
                tenant_id=str(s.tenant_id or ""),
                state=_text(s.state),
            )
            for s in factory.subscriptions().subscriptions.list()
        ]

    found = _call("listing your subscriptions", fetch)
    return sorted(found, key=lambda s: (s.state != "Enabled", s.name.lower(), s.id))


@dataclass(frozen=True)
class WorkspaceConfig:
    subscription_id: str
    resource_group: str
    workspace_name: str


_SCOPE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)/?$",
    re.IGNORECASE,
)


def subscription_from_config(data: bytes) -> WorkspaceConfig:
    """Read the ``config.json`` that Azure ML studio downloads (workspace menu → Download
    config file): ``subscription_id``, ``resource_group``, ``workspace_name`` (or an older
    file's ``Scope``)."""
    fix = (
        "Download it again from Azure ML studio (the workspace menu at the top right → Download "
        "config file) and upload that file as it is."
    )
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UserFacingError("This file is not a JSON config file.", fix) from None
    if not isinstance(parsed, dict):
        raise UserFacingError("This config file does not hold a JSON object.", fix)
    values = {str(k).lower(): v for k, v in parsed.items()}
    scope = _SCOPE.match(str(values.get("scope", "")).strip())
    sub = str(values.get("subscription_id") or (scope and scope["sub"]) or "").strip()
    rg = str(values.get("resource_group") or (scope and scope["rg"]) or "").strip()
    ws = str(values.get("workspace_name") or (scope and scope["ws"]) or "").strip()
    missing = [
        name
        for name, value in (("subscription_id", sub), ("resource_group", rg), ("workspace_name", ws))
        if not value
    ]
    if missing:
        raise UserFacingError(f"The config file has no {', '.join(missing)}.", fix)
    if not _GUID.match(sub):
        raise UserFacingError(f"The config file's subscription_id '{sub}' is not a subscription ID.", fix)
    return WorkspaceConfig(sub, rg, ws)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    fix: str = ""


@dataclass(frozen=True)
class ConnectionReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> Check | None:
        return next((c for c in self.checks if not c.ok), None)


def _text(value: Any) -> str:
    """An SDK enum or string as Azure spells it ("Enabled", not "SubscriptionState.ENABLED")."""
    return str(getattr(value, "value", value) or "")


def _call(doing: str, action: Any) -> Any:
    try:
        return action()
    except Exception as exc:  # noqa: BLE001 - explain() re-raises what it does not know
        raise explain(exc, doing=doing) from None


def _failed(name: str, error: UserFacingError) -> Check:
    return Check(name, False, error.problem, error.fix)


def test_connection(factory: ClientFactory) -> ConnectionReport:
    """Check, in order, that a token can be had, that the subscription is visible and enabled,
    and that the providers the walkthrough needs are registered. Stops at the first step that
    fails (the next ones could not succeed); nothing is created or changed."""
    checks: list[Check] = []
    cloud = factory.cloud

    try:
        _call("getting a token from Microsoft Entra", lambda: factory.credential.get_token(cloud.scope))
    except UserFacingError as error:
        return ConnectionReport((_failed("Sign-in", error),))
    checks.append(Check("Sign-in", True, f"Signed in to {cloud.name} ({cloud.authority})."))

    sub_id = factory.subscription_id.strip()
    if not _GUID.match(sub_id):
        checks.append(
            Check(
                "Subscription",
                False,
                f"'{sub_id}' is not a subscription ID." if sub_id else "No subscription is chosen.",
                "Pick a subscription from the list, or paste its ID (a GUID) from the portal's "
                "Subscriptions page.",
            )
        )
        return ConnectionReport(tuple(checks))
    try:
        sub = _call(
            f"reading subscription {sub_id}", lambda: factory.subscriptions().subscriptions.get(sub_id)
        )
    except UserFacingError as error:
        checks.append(_failed("Subscription", error))
        return ConnectionReport(tuple(checks))
    state = _text(sub.state)
    if state not in ("Enabled", "Warned", "PastDue"):
        checks.append(
            Check(
                "Subscription",
                False,
                f"Subscription '{sub.display_name}' ({sub_id}) is {state or 'in an unknown state'}: "
                "nothing can be created in it.",
                "Pick an enabled subscription, or re-enable this one in the portal (Subscriptions).",
            )
        )
        return ConnectionReport(tuple(checks))
    warning = "" if state == "Enabled" else f" It is {state}: check its billing in the portal."
    checks.append(
        Check("Subscription", True, f"Subscription '{sub.display_name}' ({sub_id}) is visible.{warning}")
    )

    resources = factory.resources()
    for namespace in REQUIRED_PROVIDERS:
        name = f"Provider {namespace}"
        try:
            provider = _call(
                f"reading the registration of {namespace}", lambda ns=namespace: resources.providers.get(ns)
            )
        except UserFacingError as error:
            checks.append(_failed(name, error))
            continue
        registration = _text(provider.registration_state)
        if registration == "Registered":
            checks.append(Check(name, True, f"{namespace} is registered."))
        else:
            checks.append(
                Check(
                    name,
                    False,
                    f"The subscription is not registered for {namespace} ({registration or 'unknown'}).",
                    f"Register it once: in the portal, Subscriptions → your subscription → Resource "
                    f"providers → {namespace} → Register (or `az provider register --namespace "
                    f"{namespace}`); it takes a few minutes.",
                )
            )
    return ConnectionReport(tuple(checks))


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
