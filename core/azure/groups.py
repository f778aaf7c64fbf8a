"""Resource groups and storage accounts on Azure, get-or-create, with the local backend's
semantics and messages (``core.local.resources``).

A storage account is created StorageV2, Standard_LRS, HTTPS only, TLS 1.2 at least, with no
public blob access. Its name is global on Azure, so the name is checked with
``checkNameAvailability`` before anything is created: a name held by someone else is a
``ConflictError`` that says to pick another one. Creating one takes Azure tens of seconds, so
``begin_create_storage_account`` returns an ``Operation`` the page polls and
``create_storage_account`` waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from core.azure.base import AzureBase
from core.azure.errors import AzureNotFoundError
from core.azure.operations import CREATE_STORAGE, OperationsBase
from core.backend import Operation
from core.errors import ConflictError, InvalidNameError, NotFoundError, UserFacingError
from core.locations import validate_location
from core.naming import validate_name
from core.resources import Kind, Outcome, Resource, now

T = TypeVar("T")

CREATED_BY_TAG = "created-by"
CREATED_BY = "azureml-walkthrough"
CREATED_AT_TAG = "created-at"

STORAGE_ACCOUNT_SETTINGS: dict[str, Any] = {
    "sku": {"name": "Standard_LRS"},
    "kind": "StorageV2",
    "properties": {
        "supportsHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "accessTier": "Hot",
    },
}


def text(value: Any) -> str:
    """An SDK enum or string as Azure spells it ("Succeeded", not "ProvisioningState.SUCCEEDED")."""
    return str(getattr(value, "value", value) or "")


def iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value or "")


def resource_group_of(arm_id: str) -> str:
    """The resource group named in an ARM id (``/subscriptions/…/resourceGroups/NAME/…``)."""
    parts = arm_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[i + 1]
    return ""


def get_or_none(base: AzureBase, doing: str, action: Callable[[], T], *codes: str) -> T | None:
    """``action()``, or None when Azure answers 404 with one of ``codes`` (what is looked for
    does not exist); any other failure is explained."""
    try:
        return base.call(doing, action)
    except AzureNotFoundError as error:
        if error.code in codes:
            return None
        raise


def find_resource_group(base: AzureBase, name: str) -> Any:
    """The resource group (the SDK's model), or None when it does not exist."""
    client = base.factory.resources()
    return get_or_none(
        base,
        f"reading resource group '{name}'",
        lambda: client.resource_groups.get(name),
        "ResourceGroupNotFound",
    )


def require_resource_group(base: AzureBase, name: str) -> Any:
    group = find_resource_group(base, name) if name else None
    if group is None:
        raise NotFoundError(
            f"There is no resource group called '{name}' in subscription {base.subscription_id}.",
            "Create it on the Resources page.",
        )
    return group


def find_storage_account(base: AzureBase, name: str) -> Any:
    """The storage account of this subscription called ``name`` (the SDK's model), or None.
    Accounts are found by listing the subscription: a page names an account without its group."""
    storage = base.factory.storage()
    accounts = base.call(
        "listing the subscription's storage accounts", lambda: list(storage.storage_accounts.list())
    )
    return next((a for a in accounts if str(a.name) == name), None)


def require_storage_account(base: AzureBase, name: str) -> Any:
    account = find_storage_account(base, name) if name else None
    if account is None:
        raise NotFoundError(
            f"There is no storage account called '{name}' in subscription {base.subscription_id}.",
            "Create it on the Resources page (it needs a resource group).",
        )
    return account


class GroupsMixin(OperationsBase):
    """``create_resource_group`` and ``create_storage_account`` / ``begin_create_storage_account``
    (part of ``ResourcesAPI``); the account's create is a long-running operation
    (``core.azure.operations``)."""

    @staticmethod
    def group_resource(group: Any) -> Resource:
        tags = dict(group.tags or {})
        props = getattr(group, "properties", None)
        return Resource(
            kind=Kind.RESOURCE_GROUP,
            name=str(group.name),
            parent=None,
            created_at=tags.get(CREATED_AT_TAG, ""),
            properties={
                "location": str(group.location),
                "provisioning_state": text(getattr(props, "provisioning_state", "")),
                "id": str(group.id),
                "tags": tags,
            },
        )

    @staticmethod
    def account_resource(account: Any) -> Resource:
        endpoints = account.primary_endpoints
        sku = account.sku
        return Resource(
            kind=Kind.STORAGE_ACCOUNT,
            name=str(account.name),
            parent=resource_group_of(str(account.id)),
            created_at=iso(account.creation_time),
            properties={
                "location": str(account.location),
                "provisioning_state": text(account.provisioning_state),
                "endpoint": str(getattr(endpoints, "blob", "") or ""),
                "sku": text(getattr(sku, "name", "")),
                "kind": text(account.kind),
                "https_only": bool(account.enable_https_traffic_only),
                "minimum_tls_version": text(account.minimum_tls_version),
                "allow_blob_public_access": bool(account.allow_blob_public_access),
                "id": str(account.id),
            },
        )

    # -- resource group --------------------------------------------------------------------------
    def create_resource_group(self, name: str, location: str) -> Outcome:
        name = validate_name(Kind.RESOURCE_GROUP, name)
        location = validate_location(location)
        existing = find_resource_group(self, name)
        if existing is not None:
            where = str(existing.location)
            if where.lower().replace(" ", "") != location:
                raise ConflictError(
                    f"Resource group '{name}' exists already in {where}; a resource group's location "
                    "cannot change.",
                    f"Use location {where}, or choose another name.",
                )
            return Outcome(
                self.group_resource(existing), False, f"Resource group '{name}' exists already in {where}."
            )
        client = self.factory.resources()
        tags = {CREATED_BY_TAG: CREATED_BY, CREATED_AT_TAG: now()}
        group = self.call(
            f"creating resource group '{name}' in {location}",
            lambda: client.resource_groups.create_or_update(name, {"location": location, "tags": tags}),
        )
        return Outcome(self.group_resource(group), True, f"Created resource group '{name}' in {location}.")

    # -- storage account --------------------------------------------------------------------------
    def create_storage_account(
        self, resource_group: str, name: str, connection_string: str | None = None
    ) -> Outcome:
        """Get or create a storage account (waits for Azure: tens of seconds for a new one)."""
        done = self._wait(self.begin_create_storage_account(resource_group, name, connection_string))
        outcome: Outcome = done.result
        return outcome

    def begin_create_storage_account(
        self, resource_group: str, name: str, connection_string: str | None = None
    ) -> Operation:
        """Check everything that can be checked at once (the name, its availability across Azure,
        the resource group), then start ``storage_accounts.begin_create`` and hand back its
        operation; an account that exists already in the group is a finished one."""
        name = validate_name(Kind.STORAGE_ACCOUNT, name)
        if (connection_string or "").strip():
            raise UserFacingError(
                "A connection string is a local-backend feature: on Azure the dashboard creates the "
                "storage account in your subscription and reads its key from Azure.",
                "Leave the connection string empty, or switch to the local backend to use existing "
                "storage such as Azurite.",
            )
        group = require_resource_group(self, resource_group)
        rg = str(group.name)
        storage = self.factory.storage()
        existing = get_or_none(
            self,
            f"reading storage account '{name}'",
            lambda: storage.storage_accounts.get_properties(rg, name),
            "ResourceNotFound",
            "StorageAccountNotFound",
        )
        if existing is not None:
            if text(existing.provisioning_state) in ("", "Succeeded"):
                outcome = Outcome(
                    self.account_resource(existing), False, f"Storage account '{name}' exists already."
                )
                return self._done_at_once(CREATE_STORAGE, name, outcome)
            running = self._tracked_for(CREATE_STORAGE, name, resource_group=rg, account=name)
            if running is not None:  # a second click while Azure creates it: the same operation
                return self._poll_tracked(running)
            # created by someone else (another dashboard, the portal) and still provisioning
            return self._track(CREATE_STORAGE, name, self._storage_context(rg, name, str(group.location)))
        self._check_name_free(name)
        location = str(group.location)
        parameters = {**STORAGE_ACCOUNT_SETTINGS, "location": location, "tags": {CREATED_BY_TAG: CREATED_BY}}

        def create() -> Any:
            from azure.mgmt.storage.models import StorageAccountCreateParameters

            return storage.storage_accounts.begin_create(rg, name, StorageAccountCreateParameters(parameters))

        poller = self.call(f"creating storage account '{name}' in resource group '{rg}'", create)
        return self._track(CREATE_STORAGE, name, self._storage_context(rg, name, location), poller)

    @staticmethod
    def _storage_context(resource_group: str, name: str, location: str) -> dict[str, Any]:
        return {"resource_group": resource_group, "account": name, "location": location}

    def _check_name_free(self, name: str) -> None:
        storage = self.factory.storage()
        answer = self.call(
            f"checking whether the storage account name '{name}' is free",
            lambda: storage.storage_accounts.check_name_availability(
                {"name": name, "type": "Microsoft.Storage/storageAccounts"}
            ),
        )
        if answer.name_available:
            return
        reason = text(answer.reason)
        said = str(answer.message or "").strip()
        if reason == "AccountNameInvalid":
            raise InvalidNameError(
                f"'{name}' is not a valid storage account name: {said}",
                "Use 3–24 lowercase letters and digits.",
            )
        mine = find_storage_account(self, name)
        if mine is not None:
            raise ConflictError(
                f"Storage account name '{name}' is taken by resource group "
                f"'{resource_group_of(str(mine.id))}'. Storage account names are unique across all of Azure.",
                "Choose another name.",
            )
        raise ConflictError(
            f"The storage account name '{name}' is taken by someone else: storage account names are "
            f"unique across all of Azure. ({said or reason})",
            "Pick another name, for example with a short random suffix (3–24 lowercase letters and digits).",
        )
