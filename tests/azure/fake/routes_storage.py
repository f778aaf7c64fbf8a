"""Microsoft.Storage (spec: storage/resource-manager/Microsoft.Storage/stable/2025-01-01, examples
StorageAccountCheckNameAvailability.json, StorageAccountCreate.json, StorageAccountGetProperties.json,
StorageAccountList*.json, StorageAccountListKeys.json, StorageAccountDelete.json,
BlobContainersPut/Get/List/Delete.json).

Storage account names are global: a name held by any account of the fake (any subscription) or
listed in ``fake.data["taken_storage_names"]`` (someone else's account) is taken. Every account's
``primaryEndpoints.blob`` is ``fake.blob_endpoint`` (Azurite) and its keys are ``fake.blob_key``,
so containers created through Resource Manager are also created in Azurite, where the data plane
finds them. All fake accounts share Azurite's one account: a container name is one container.
Containers live in ``fake.resources`` under their account, so deleting the resource group (or
the account) removes them; the Azurite side follows on the next storage request
(:func:`sweep_azurite`) or when the ``fake_azure`` fixture ends.

An account's create is a long-running operation (202 + ``Location``): the account reads
``provisioningState: Creating`` until the operation finishes, which a poll of the operation or a
read of the account moves on (``routes_ml.advance``: Azure carries on without the SDK's poller).
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from typing import Any

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route
from tests.azure.fake.routes_resources import check_subscription, find_group, group_not_found, rg_id
from tests.azure.fake.routes_subscriptions import missing_registration

PROVIDER = "Microsoft.Storage"
ACCOUNTS = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Storage/storageAccounts"
ACCOUNT = ACCOUNTS + "/{name}"
CONTAINERS = ACCOUNT + "/blobServices/default/containers"
CONTAINER = CONTAINERS + "/{container}"

_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def account_id(sub: str, rg: str, name: str) -> str:
    return f"{rg_id(sub, rg)}/providers/Microsoft.Storage/storageAccounts/{name}"


def taken_names(fake: FakeAzure) -> set[str]:
    return set(fake.data.setdefault("taken_storage_names", set()))


def _accounts(fake: FakeAzure) -> list[dict[str, Any]]:
    return [
        r
        for key, r in fake.resources.items()
        if r.get("type") == "Microsoft.Storage/storageAccounts" and key.endswith(r["name"].lower())
    ]


def _holder(fake: FakeAzure, name: str) -> dict[str, Any] | None:
    return next((a for a in _accounts(fake) if a["name"] == name), None)


def _invalid_name(name: str) -> str:
    return (
        f"{name} is not a valid storage account name. Storage account name must be between 3 and "
        "24 characters in length and use numbers and lower-case letters only."
    )


@route("POST", "/subscriptions/{sub}/providers/Microsoft.Storage/checkNameAvailability")
def check_name_availability(fake: FakeAzure, request: Request, sub: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    body = request.body or {}
    name = str(body.get("name", ""))
    if body.get("type") != "Microsoft.Storage/storageAccounts":
        return arm_error(400, "InvalidResourceType", f"The resource type '{body.get('type')}' is not valid.")
    if not _ACCOUNT_NAME.match(name):
        return Response(
            200, {"nameAvailable": False, "reason": "AccountNameInvalid", "message": _invalid_name(name)}
        )
    if name in taken_names(fake) or _holder(fake, name) is not None:
        return Response(
            200,
            {
                "nameAvailable": False,
                "reason": "AlreadyExists",
                "message": f"The storage account named {name} is already taken.",
            },
        )
    return Response(200, {"nameAvailable": True})


def _account_body(fake: FakeAzure, sub: str, rg: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    props = spec.get("properties") or {}
    location = spec["location"]
    blob = fake.blob_endpoint or f"https://{name}.blob.core.windows.net/"
    created = _now()
    return {
        "id": account_id(sub, rg, name),
        "name": name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": location,
        "tags": spec.get("tags") or {},
        "sku": {"name": (spec.get("sku") or {}).get("name", "Standard_LRS"), "tier": "Standard"},
        "kind": spec.get("kind", "StorageV2"),
        "properties": {
            "provisioningState": "Creating",
            "creationTime": created,
            "primaryEndpoints": {
                "blob": blob,
                "dfs": f"https://{name}.dfs.core.windows.net/",
                "file": f"https://{name}.file.core.windows.net/",
                "queue": f"https://{name}.queue.core.windows.net/",
                "table": f"https://{name}.table.core.windows.net/",
                "web": f"https://{name}.z6.web.core.windows.net/",
            },
            "primaryLocation": location,
            "statusOfPrimary": "available",
            "accessTier": props.get("accessTier", "Hot"),
            "supportsHttpsTrafficOnly": props.get("supportsHttpsTrafficOnly", True),
            "minimumTlsVersion": props.get("minimumTlsVersion", "TLS1_0"),
            "allowBlobPublicAccess": props.get("allowBlobPublicAccess", False),
            "allowSharedKeyAccess": props.get("allowSharedKeyAccess", True),
            "encryption": {
                "keySource": "Microsoft.Storage",
                "services": {
                    "blob": {"enabled": True, "keyType": "Account", "lastEnabledTime": created},
                    "file": {"enabled": True, "keyType": "Account", "lastEnabledTime": created},
                },
            },
            "keyCreationTime": {"key1": created, "key2": created},
        },
    }


@route("PUT", ACCOUNT)
def create_account(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if (unregistered := missing_registration(fake, sub, PROVIDER)) is not None:
        return unregistered
    group = find_group(fake, sub, rg)
    if group is None:
        return group_not_found(rg)
    if not _ACCOUNT_NAME.match(name):
        return arm_error(400, "AccountNameInvalid", _invalid_name(name))
    spec = request.body or {}
    for field in ("location", "sku", "kind"):
        if not spec.get(field):
            return arm_error(400, "InvalidRequestContent", f"The request content is missing '{field}'.")
    key = account_id(sub, rg, name).lower()
    holder = _holder(fake, name)
    if (holder is not None and holder["id"].lower() != key) or (holder is None and name in taken_names(fake)):
        return arm_error(
            409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken."
        )
    if holder is not None:  # a PUT on one's own account: update in place, answer at once
        holder["tags"] = spec.get("tags") or holder.get("tags") or {}
        return Response(200, holder)
    body = _account_body(fake, sub, rg, name, spec)
    fake.resources[key] = body

    def finish() -> Response:
        body["properties"]["provisioningState"] = "Succeeded"
        return Response(200, body)

    from tests.azure.fake.routes_ml import track

    return track(fake, key, fake.begin(request, finish, status=202, async_operation=False))


def _account(fake: FakeAzure, sub: str, rg: str, name: str) -> dict[str, Any] | None:
    return fake.resources.get(account_id(sub, rg, name).lower())


def account_not_found(rg: str, name: str) -> Response:
    return arm_error(
        404,
        "ResourceNotFound",
        f"The Resource 'Microsoft.Storage/storageAccounts/{name}' under resource group '{rg}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def _lookup(fake: FakeAzure, sub: str, rg: str, name: str) -> dict[str, Any] | Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if find_group(fake, sub, rg) is None:
        return group_not_found(rg)
    account = _account(fake, sub, rg, name)
    return account if account is not None else account_not_found(rg, name)


@route("GET", ACCOUNT)
def get_account(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    from tests.azure.fake.routes_ml import advance

    sweep_azurite(fake)
    advance(fake, account_id(sub, rg, name))  # Azure goes on creating it without a poller too
    found = _lookup(fake, sub, rg, name)
    return found if isinstance(found, Response) else Response(200, found)


@route("GET", ACCOUNTS)
def list_accounts_in_group(fake: FakeAzure, request: Request, sub: str, rg: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if find_group(fake, sub, rg) is None:
        return group_not_found(rg)
    prefix = rg_id(sub, rg).lower() + "/"
    return Response(200, {"value": [a for a in _accounts(fake) if a["id"].lower().startswith(prefix)]})


@route("GET", "/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts")
def list_accounts(fake: FakeAzure, request: Request, sub: str) -> Response:
    sweep_azurite(fake)
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    prefix = f"/subscriptions/{sub}/".lower()
    return Response(200, {"value": [a for a in _accounts(fake) if a["id"].lower().startswith(prefix)]})


@route("POST", ACCOUNT + "/listKeys")
def list_keys(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    found = _lookup(fake, sub, rg, name)
    if isinstance(found, Response):
        return found
    created = found["properties"]["creationTime"]
    return Response(
        200,
        {
            "keys": [
                {"keyName": "key1", "value": fake.blob_key, "permissions": "FULL", "creationTime": created},
                {"keyName": "key2", "value": fake.blob_key, "permissions": "FULL", "creationTime": created},
            ]
        },
    )


@route("DELETE", ACCOUNT)
def delete_account(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    key = account_id(sub, rg, name).lower()
    if key not in fake.resources:
        return Response(204)
    for k in [k for k in fake.resources if k == key or k.startswith(key + "/")]:
        del fake.resources[k]
    sweep_azurite(fake)
    return Response(200)


# -- blob containers through Resource Manager ------------------------------------------------
def container_id(sub: str, rg: str, name: str, container: str) -> str:
    return f"{account_id(sub, rg, name)}/blobServices/default/containers/{container}"


def _container_body(sub: str, rg: str, name: str, container: str, spec: dict[str, Any]) -> dict[str, Any]:
    props = spec.get("properties") or {}
    return {
        "id": container_id(sub, rg, name, container),
        "name": container,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": f'"0x8D{abs(hash((sub, rg, name, container))) % 10**12:012X}"',
        "properties": {
            "publicAccess": props.get("publicAccess", "None"),
            "metadata": props.get("metadata") or {},
            "leaseStatus": "Unlocked",
            "leaseState": "Available",
            "lastModifiedTime": _now(),
            "hasImmutabilityPolicy": False,
            "hasLegalHold": False,
            "deleted": False,
            "remainingRetentionDays": 0,
        },
    }


def _container_not_found(container: str) -> Response:
    return arm_error(404, "ContainerNotFound", f"The specified container '{container}' does not exist.")


@route("PUT", CONTAINER)
def create_container(
    fake: FakeAzure, request: Request, sub: str, rg: str, name: str, container: str
) -> Response:
    found = _lookup(fake, sub, rg, name)
    if isinstance(found, Response):
        return found
    if not _CONTAINER_NAME.match(container):
        return arm_error(
            400,
            "ContainerOperationFailure",
            "The specifed resource name contains invalid characters.",
        )
    key = container_id(sub, rg, name, container).lower()
    if key in fake.resources:
        return Response(200, fake.resources[key])
    body = _container_body(sub, rg, name, container, request.body or {})
    azurite_create(fake, container, key)
    fake.resources[key] = body
    return Response(201, body)


@route("GET", CONTAINER)
def get_container(
    fake: FakeAzure, request: Request, sub: str, rg: str, name: str, container: str
) -> Response:
    found = _lookup(fake, sub, rg, name)
    if isinstance(found, Response):
        return found
    body = fake.resources.get(container_id(sub, rg, name, container).lower())
    return Response(200, body) if body else _container_not_found(container)


@route("GET", CONTAINERS)
def list_containers(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    found = _lookup(fake, sub, rg, name)
    if isinstance(found, Response):
        return found
    prefix = (account_id(sub, rg, name) + "/blobServices/default/containers/").lower()
    return Response(200, {"value": [r for k, r in fake.resources.items() if k.startswith(prefix)]})


@route("DELETE", CONTAINER)
def delete_container(
    fake: FakeAzure, request: Request, sub: str, rg: str, name: str, container: str
) -> Response:
    found = _lookup(fake, sub, rg, name)
    if isinstance(found, Response):
        return found
    key = container_id(sub, rg, name, container).lower()
    if fake.resources.pop(key, None) is None:
        return Response(204)
    sweep_azurite(fake)
    return Response(200)


# -- the Azurite side ----------------------------------------------------------------------------
def _azurite(fake: FakeAzure) -> Any:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(account_url=fake.blob_endpoint, credential=fake.blob_key)


def azurite_create(fake: FakeAzure, container: str, arm_key: str) -> None:
    """Create ``container`` in Azurite, empty (a container left by an earlier fake is emptied)."""
    if not fake.blob_endpoint:
        return
    from azure.core.exceptions import ResourceExistsError

    client = _azurite(fake).get_container_client(container)
    try:
        client.create_container()
    except ResourceExistsError:
        names = [b.name for b in client.list_blobs()]
        if names:
            client.delete_blobs(*names)
    fake.data.setdefault("azurite_containers", {})[container] = arm_key


def sweep_azurite(fake: FakeAzure) -> None:
    """Delete from Azurite the containers whose ARM container is gone (deleted, or its account or
    resource group deleted)."""
    known: dict[str, str] = fake.data.get("azurite_containers", {})
    gone = [c for c, key in known.items() if key not in fake.resources]
    if not gone or not fake.blob_endpoint:
        return
    from azure.core.exceptions import ResourceNotFoundError

    service = _azurite(fake)
    for container in gone:
        with contextlib.suppress(ResourceNotFoundError):
            service.get_container_client(container).delete_container()
        del known[container]


def azurite_cleanup(fake: FakeAzure) -> None:
    """Delete every container this fake created in Azurite (the ``fake_azure`` fixture's teardown)."""
    if not fake.blob_endpoint:
        return
    from azure.core.exceptions import ResourceNotFoundError

    service = _azurite(fake)
    for container in list(fake.data.get("azurite_containers", {})):
        with contextlib.suppress(ResourceNotFoundError):
            service.get_container_client(container).delete_container()
    fake.data["azurite_containers"] = {}
