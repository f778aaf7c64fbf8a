"""Microsoft.MachineLearningServices: workspaces (get, list, soft delete and purge), datastores,
environments, compute clusters and data assets (online endpoints: ``routes_endpoints.py``).

Shapes follow the 2025-06-01 spec examples (``Workspace/get.json``, ``Compute/createOrUpdate/
BasicAmlCompute.json``, ``Workspace/EnvironmentVersion/createOrUpdate.json``…); long-running
answers follow the recorded traffic (201 + ``Azure-AsyncOperation`` for a compute create, 202 +
``Location`` for deletes). Workspaces are created by the ARM deployment that
``MLClient.workspaces.begin_create`` submits: see ``routes_deployments.py``.

Cross-references are checked as Azure checks them: anything inside a missing workspace is a 404,
a soft-deleted workspace name is taken until it is purged.
"""

from __future__ import annotations

import contextlib
import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route
from tests.azure.fake.routes_resources import check_subscription, find_group, group_not_found
from tests.azure.fake.routes_storage import _azurite, azurite_create

PROVIDER = "Microsoft.MachineLearningServices"
WS = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"


def stamp() -> str:
    return datetime.now(UTC).isoformat()


def system_data(by_type: str = "User", created: str | None = None) -> dict[str, Any]:
    """Azure's systemData, whole (azure-ai-ml formats every field of it)."""
    when = created or stamp()
    who = "fake.user@contoso.com" if by_type == "User" else "Microsoft.MachineLearningServices"
    return {
        "createdBy": who,
        "createdByType": by_type,
        "createdAt": when,
        "lastModifiedBy": who,
        "lastModifiedByType": by_type,
        "lastModifiedAt": stamp(),
    }


def storage_id(sub: str, rg: str, account: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{account}"


def ws_id(sub: str, rg: str, ws: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{PROVIDER}/workspaces/{ws}"


def find_workspace(fake: FakeAzure, sub: str, rg: str, ws: str) -> dict[str, Any] | None:
    return fake.resources.get(ws_id(sub, rg, ws).lower())


def soft_deleted(fake: FakeAzure) -> dict[str, dict[str, Any]]:
    """Soft-deleted workspaces by lower-case id; they go with their resource group."""
    store: dict[str, dict[str, Any]] = fake.data.setdefault("ml_soft_deleted", {})
    for key in list(store):
        sub, rg = key.split("/")[2], key.split("/")[4]
        if find_group(fake, sub, rg) is None:
            del store[key]
    return store


def pending(fake: FakeAzure) -> dict[str, str]:
    """Long-running operations still running on a resource (lower-case key -> operation id)."""
    store: dict[str, str] = fake.data.setdefault("ml_pending", {})
    return store


def track(fake: FakeAzure, key: str, answer: Response) -> Response:
    """Remember the operation ``answer`` started on the resource ``key``."""
    url = answer.headers.get("Azure-AsyncOperation") or answer.headers.get("Location") or ""
    if url:
        pending(fake)[key.lower()] = url.split("?")[0].rsplit("/", 1)[-1]
    return answer


def advance(fake: FakeAzure, key: str) -> None:
    """Time passes while a client looks: reading a resource moves its running operation on as
    a poll would (so a dashboard that lost its poller, after a restart, still sees it finish)."""
    op_id = pending(fake).get(key.lower())
    if op_id is None:
        return
    fake.poll(op_id, "status")
    op = fake.operations.get(op_id)
    if op is None or op.done:
        pending(fake).pop(key.lower(), None)


def workspace_not_found(rg: str, ws: str) -> Response:
    return arm_error(
        404,
        "ResourceNotFound",
        f"The Resource '{PROVIDER}/workspaces/{ws}' under resource group '{rg}' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def children(fake: FakeAzure, sub: str, rg: str, ws: str, collection: str) -> dict[str, dict[str, Any]]:
    """The workspace's child records of one collection (``computes``, ``datastores``, …)."""
    key = f"ml:{ws_id(sub, rg, ws).lower()}:{collection}"
    store: dict[str, dict[str, Any]] = fake.data.setdefault(key, {})
    return store


def drop_children(fake: FakeAzure, sub: str, rg: str, ws: str) -> None:
    from tests.azure.fake.scoring import drop_workspace

    drop_workspace(fake, ws_id(sub, rg, ws))  # the scoring servers of its online endpoints stop
    prefix = f"ml:{ws_id(sub, rg, ws).lower()}:"
    for key in [k for k in fake.data if isinstance(k, str) and k.startswith(prefix)]:
        del fake.data[key]


def require_workspace(fake: FakeAzure, sub: str, rg: str, ws: str) -> Response | None:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if find_group(fake, sub, rg) is None:
        return group_not_found(rg)
    if find_workspace(fake, sub, rg, ws) is None:
        return workspace_not_found(rg, ws)
    return None


# -- workspaces ---------------------------------------------------------------------------
@route("GET", WS)
def get_workspace(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    advance(fake, ws_id(sub, rg, ws))
    found = find_workspace(fake, sub, rg, ws)
    if found is None:
        if find_group(fake, sub, rg) is None:
            return group_not_found(rg)
        return workspace_not_found(rg, ws)
    return Response(200, found)


@route(
    "GET", "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces"
)
def list_workspaces(fake: FakeAzure, request: Request, sub: str, rg: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if find_group(fake, sub, rg) is None:
        return group_not_found(rg)
    prefix = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{PROVIDER}/workspaces/".lower()
    found = [body for key, body in fake.resources.items() if key.startswith(prefix) and key.count("/") == 8]
    return Response(200, {"value": found})


@route("GET", "/subscriptions/{sub}/providers/Microsoft.MachineLearningServices/workspaces")
def list_subscription_workspaces(fake: FakeAzure, request: Request, sub: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    found = [
        body
        for key, body in fake.resources.items()
        if key.startswith(f"/subscriptions/{sub}/".lower())
        and f"/providers/{PROVIDER.lower()}/workspaces/" in key
        and key.count("/") == 8
    ]
    return Response(200, {"value": found})


@route("DELETE", WS)
def delete_workspace(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    key = ws_id(sub, rg, ws).lower()
    purge = request.query.get("forceToPurge", "false").lower() == "true"
    body = fake.resources.get(key)
    if body is None:
        if purge and key in soft_deleted(fake):

            def purge_only() -> None:
                soft_deleted(fake).pop(key, None)

            return track(fake, key, fake.begin(request, purge_only, status=202, async_operation=False))
        return Response(204)  # Azure answers 204 for a workspace that is not there
    body["properties"]["provisioningState"] = "Deleting"

    def finish() -> None:
        gone = fake.resources.pop(key, None)
        drop_children(fake, sub, rg, ws)
        if gone is not None and not purge:
            gone["properties"]["provisioningState"] = "SoftDeleted"
            soft_deleted(fake)[key] = gone
        else:
            soft_deleted(fake).pop(key, None)

    return track(fake, key, fake.begin(request, finish, status=202, async_operation=False))


def new_workspace(
    fake: FakeAzure, request: Request, sub: str, rg: str, params: dict[str, Any]
) -> dict[str, Any]:
    """The workspace an ARM deployment of azure-ai-ml's ``workspace_base.json`` creates, with its
    default datastore ``workspaceblobstore`` (a container ``azureml-blobstore-<guid>``) and the run
    artifact store ``workspaceartifactstore`` (container ``azureml``). The MLflow tracking URI names
    ``fake.workspace_mlflow`` when the fake has one."""
    name = params["workspaceName"]
    location = params.get("location") or find_group(fake, sub, rg)["location"]  # type: ignore[index]
    account_rg = params.get("storageAccountResourceGroupName") or rg
    account = params.get("storageAccountName", "")
    account_id = storage_id(sub, account_rg, account)
    kv = params.get("keyVaultName", "")
    insights = params.get("applicationInsightsName", "")
    workspace_id = str(uuid.uuid4())
    mlflow = fake.workspace_mlflow
    host = mlflow.host if mlflow is not None else f"{location}.api.azureml.ms"
    wid = ws_id(sub, rg, name)
    drop_children(fake, sub, rg, name)  # nothing of an older workspace of that name comes back
    body = {
        "id": wid,
        "name": name,
        "type": f"{PROVIDER}/workspaces",
        "location": location,
        "kind": "Default",
        "tags": dict(params.get("tagValues") or {}),
        "sku": {"name": "Basic", "tier": "Basic"},
        "identity": {"type": "SystemAssigned", "principalId": str(uuid.uuid4()), "tenantId": fake.tenant_id},
        "systemData": system_data("User"),
        "properties": {
            "friendlyName": params.get("friendlyName") or name,
            "description": params.get("description") or "",
            "storageAccount": account_id,
            "keyVault": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{kv}",
            "applicationInsights": (
                f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Insights/components/{insights}"
            ),
            "containerRegistry": None,
            "discoveryUrl": f"https://{host}/discovery",
            "mlFlowTrackingUri": f"azureml://{host}/mlflow/v1.0{wid}",
            "workspaceId": workspace_id,
            "provisioningState": "Succeeded",
            "hbiWorkspace": False,
            "publicNetworkAccess": "Enabled",
            "v1LegacyMode": False,
            "systemDatastoresAuthMode": "accesskey",
            "creationTime": stamp(),
        },
    }
    fake.resources[wid.lower()] = body
    container = f"azureml-blobstore-{workspace_id}"
    stores = children(fake, sub, rg, name, "datastores")
    stores["workspaceblobstore"] = _blob_datastore(
        wid, "workspaceblobstore", account, container, sub, account_rg
    )
    stores["workspaceblobstore"]["properties"]["isDefault"] = True
    stores[ARTIFACT_STORE] = _blob_datastore(
        wid, ARTIFACT_STORE, account, ARTIFACT_CONTAINER, sub, account_rg
    )
    _azurite_shared_container(fake, ARTIFACT_CONTAINER)
    # Resource Manager lists it among the account's containers, as Azure does; Azurite has it too.
    container_key = f"{account_id}/blobServices/default/containers/{container}".lower()
    azurite_create(fake, container, container_key)
    fake.resources[container_key] = {
        "id": f"{account_id}/blobServices/default/containers/{container}",
        "name": container,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": f'"0x8D{uuid.uuid4().hex[:12].upper()}"',
        "properties": {
            "publicAccess": "None",
            "metadata": {},
            "leaseStatus": "Unlocked",
            "leaseState": "Available",
            "lastModifiedTime": stamp(),
            "hasImmutabilityPolicy": False,
            "hasLegalHold": False,
            "deleted": False,
            "remainingRetentionDays": 0,
        },
    }
    return body


# -- datastores -----------------------------------------------------------------------------
ARTIFACT_STORE = "workspaceartifactstore"  # where Azure keeps run artifacts (ExperimentRun/dcid.<run id>/...)
ARTIFACT_CONTAINER = "azureml"


def _blob_datastore(
    wid: str, name: str, account: str, container: str, sub: str, account_rg: str
) -> dict[str, Any]:
    """A system datastore on the workspace's storage account, as Azure creates it."""
    return {
        "id": f"{wid}/datastores/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/datastores",
        "systemData": system_data("Application"),
        "properties": {
            "datastoreType": "AzureBlob",
            "accountName": account,
            "containerName": container,
            "endpoint": "core.windows.net",
            "protocol": "https",
            "credentials": {"credentialsType": "AccountKey"},
            "isDefault": False,
            "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
            "subscriptionId": sub,
            "resourceGroup": account_rg,
            "description": "",
            "tags": {},
            "properties": {},
        },
    }


def _azurite_shared_container(fake: FakeAzure, container: str) -> None:
    """Create ``container`` in Azurite if missing, keeping what is in it: every fake storage account
    is Azurite's one account, so the ``azureml`` containers of all workspaces are this one (run
    artifacts live under their run's own id, so they do not collide). Not deleted by the cleanup."""
    if not fake.blob_endpoint:
        return
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        _azurite(fake).get_container_client(container).create_container()


@route("GET", WS + "/datastores")
def list_datastores(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = list(children(fake, sub, rg, ws, "datastores").values())
    if request.query.get("isDefault", "").lower() == "true":
        found = [d for d in found if d["properties"].get("isDefault")]
    return Response(200, {"value": found})


@route("GET", WS + "/datastores/{name}")
def get_datastore(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = children(fake, sub, rg, ws, "datastores").get(name)
    if found is None:
        return arm_error(404, "UserError", f"Could not find datastore: {name}.")
    return Response(200, found)


@route("POST", WS + "/datastores/{name}/listSecrets")
def datastore_secrets(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if name not in children(fake, sub, rg, ws, "datastores"):
        return arm_error(404, "UserError", f"Could not find datastore: {name}.")
    return Response(200, {"secretsType": "AccountKey", "key": fake.blob_key})


# -- versioned assets: environments and data ------------------------------------------------
def _versions(fake: FakeAzure, sub: str, rg: str, ws: str, kind: str, name: str) -> dict[str, dict[str, Any]]:
    store: dict[str, dict[str, Any]] = children(fake, sub, rg, ws, kind).setdefault(name, {})
    return store


def _container_body(
    sub: str, rg: str, ws: str, kind: str, name: str, versions: dict[str, Any]
) -> dict[str, Any]:
    latest = max(versions, key=lambda v: int(v) if v.isdigit() else 0) if versions else None
    first = min((v["systemData"]["createdAt"] for v in versions.values()), default=stamp())
    return {
        "id": f"{ws_id(sub, rg, ws)}/{kind}/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/{kind}",
        "systemData": system_data("User", first),
        "properties": {
            "description": None,
            "tags": {},
            "properties": {},
            "isArchived": False,
            "latestVersion": latest,
            "nextVersion": str(int(latest) + 1) if latest and latest.isdigit() else "1",
            "provisioningState": "Succeeded",
        },
    }


def _put_version(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, kind: str, name: str, version: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    body = request.body if isinstance(request.body, dict) else {}
    props = dict(body.get("properties") or {})
    versions = _versions(fake, sub, rg, ws, kind, name)
    existing = versions.get(version)
    if existing is not None:
        # Versions are immutable: only description and tags may change.
        changed = {
            k
            for k in ("image", "condaFile", "dataUri", "dataType")
            if k in props and props[k] != existing["properties"].get(k)
        }
        if changed:
            return arm_error(
                409,
                "UserError",
                f"Conflict: {kind} '{name}' version {version} exists already with different "
                f"{', '.join(sorted(changed))}; versions are immutable.",
            )
        existing["properties"]["tags"] = props.get("tags") or existing["properties"].get("tags") or {}
        existing["properties"]["description"] = props.get(
            "description", existing["properties"].get("description")
        )
        return Response(200, existing)
    if kind == "data":
        if not props.get("dataUri") or not props.get("dataType"):
            return arm_error(400, "UserError", "dataUri and dataType are required.")
        props["dataType"] = props["dataType"]
    else:
        if not props.get("image") and not (props.get("build") or {}).get("contextUri"):
            return arm_error(400, "UserError", "An environment needs an image or a build context.")
        props.setdefault("osType", "Linux")
        props.setdefault("environmentType", "UserCreated")
    props.setdefault("isAnonymous", False)
    props.setdefault("isArchived", False)
    props.setdefault("tags", {})
    props.setdefault("properties", {})
    props["provisioningState"] = "Succeeded"
    record = {
        "id": f"{ws_id(sub, rg, ws)}/{kind}/{name}/versions/{version}",
        "name": version,
        "type": f"{PROVIDER}/workspaces/{kind}/versions",
        "systemData": system_data("User"),
        "properties": props,
    }
    versions[version] = record
    return Response(201, record)


def _get_version(fake: FakeAzure, sub: str, rg: str, ws: str, kind: str, name: str, version: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = _versions(fake, sub, rg, ws, kind, name).get(version)
    if found is None:
        return arm_error(
            404,
            "UserError",
            f"Could not find asset with ID: {ws_id(sub, rg, ws)}/{kind}/{name}/versions/{version}",
        )
    return Response(200, found)


def _list_versions(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, kind: str, name: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = list(children(fake, sub, rg, ws, kind).get(name, {}).values())
    found.sort(key=lambda v: v["systemData"]["createdAt"], reverse=True)  # newest first, as Azure lists
    return Response(200, {"value": found})


def _get_container(fake: FakeAzure, sub: str, rg: str, ws: str, kind: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    versions = children(fake, sub, rg, ws, kind).get(name)
    if not versions:
        return arm_error(
            404, "UserError", f"Could not find asset with ID: {ws_id(sub, rg, ws)}/{kind}/{name}"
        )
    return Response(200, _container_body(sub, rg, ws, kind, name, versions))


def _list_containers(fake: FakeAzure, sub: str, rg: str, ws: str, kind: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = [
        _container_body(sub, rg, ws, kind, name, versions)
        for name, versions in children(fake, sub, rg, ws, kind).items()
        if versions
    ]
    return Response(200, {"value": found})


for _kind in ("environments", "data"):

    def _bind(kind: str) -> None:
        @route("PUT", WS + f"/{kind}/{{name}}/versions/{{version}}")
        def put_version(
            fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
        ) -> Response:
            return _put_version(fake, request, sub, rg, ws, kind, name, version)

        @route("GET", WS + f"/{kind}/{{name}}/versions/{{version}}")
        def get_version(
            fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
        ) -> Response:
            return _get_version(fake, sub, rg, ws, kind, name, version)

        @route("GET", WS + f"/{kind}/{{name}}/versions")
        def list_versions(
            fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str
        ) -> Response:
            return _list_versions(fake, request, sub, rg, ws, kind, name)

        @route("GET", WS + f"/{kind}/{{name}}")
        def get_container(
            fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str
        ) -> Response:
            return _get_container(fake, sub, rg, ws, kind, name)

        @route("GET", WS + f"/{kind}")
        def list_containers(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
            return _list_containers(fake, sub, rg, ws, kind)

    _bind(_kind)


# -- compute clusters -----------------------------------------------------------------------
def _iso_seconds(value: str | None) -> str:
    return value or "PT2M"


@route("PUT", WS + "/computes/{name}")
def create_compute(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    body = request.body if isinstance(request.body, dict) else {}
    outer = body.get("properties") or {}
    if outer.get("computeType") != "AmlCompute":
        return arm_error(400, "BadRequest", "The fake Azure creates AmlCompute clusters only.")
    inner = dict(outer.get("properties") or {})
    scale = dict(inner.get("scaleSettings") or {})
    if "maxNodeCount" not in scale:
        return arm_error(400, "BadRequest", "scaleSettings.maxNodeCount is required.")
    computes = children(fake, sub, rg, ws, "computes")
    existing = computes.get(name)
    workspace = find_workspace(fake, sub, rg, ws)
    assert workspace is not None
    location = body.get("location") or workspace["location"]
    if existing is not None:
        old = existing["properties"]["properties"]
        if inner.get("vmSize") and inner["vmSize"].lower() != old["vmSize"].lower():
            return arm_error(
                400,
                "BadRequest",
                f"Compute '{name}' exists already with VM size {old['vmSize']}; the VM size of an "
                "AmlCompute cannot be updated.",
            )
    limit = fake.data.get("ml_core_quota")  # dedicated cores a test allows this subscription
    if limit is not None and existing is None:
        cores = 4 * int(scale["maxNodeCount"])
        if cores > int(limit):
            return arm_error(
                400,
                "QuotaExceeded",
                f"Operation could not be completed as it results in exceeding approved "
                f"standardDSv2Family Cores quota. Location: {location}, Current Limit: {limit}, "
                f"Current Usage: 0, Additional Required: {cores}.",
            )
    record = existing or {
        "id": f"{ws_id(sub, rg, ws)}/computes/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/computes",
        "location": location,
        "tags": body.get("tags") or {},
        "systemData": system_data("User"),
        "properties": {
            "computeType": "AmlCompute",
            "computeLocation": location,
            "description": outer.get("description"),
            "createdOn": stamp(),
            "modifiedOn": stamp(),
            "isAttachedCompute": False,
            "disableLocalAuth": True,
            "properties": {
                "vmSize": str(
                    inner.get("vmSize") or "STANDARD_DS3_V2"
                ).upper(),  # Azure answers it in capitals
                "vmPriority": inner.get("vmPriority", "Dedicated"),
                "osType": "Linux",
                "scaleSettings": {},
                "remoteLoginPortPublicAccess": "Disabled",
                "enableNodePublicIp": True,
                "allocationState": "Steady",
                "allocationStateTransitionTime": stamp(),
                "currentNodeCount": 0,
                "targetNodeCount": 0,
                "nodeStateCounts": {
                    "idleNodeCount": 0,
                    "runningNodeCount": 0,
                    "preparingNodeCount": 0,
                    "unusableNodeCount": 0,
                    "leavingNodeCount": 0,
                    "preemptedNodeCount": 0,
                },
                "errors": None,
            },
        },
    }
    props = record["properties"]["properties"]
    props["scaleSettings"] = {
        "maxNodeCount": int(scale["maxNodeCount"]),
        "minNodeCount": int(scale.get("minNodeCount") or 0),
        "nodeIdleTimeBeforeScaleDown": _iso_seconds(scale.get("nodeIdleTimeBeforeScaleDown")),
    }
    # Azure keeps min_nodes running: the count of nodes now follows the minimum once allocated.
    record["properties"]["modifiedOn"] = stamp()
    record["properties"]["provisioningState"] = "Updating" if existing else "Creating"
    computes[name] = record

    def finish() -> None:
        record["properties"]["provisioningState"] = "Succeeded"
        props["currentNodeCount"] = props["targetNodeCount"] = props["scaleSettings"]["minNodeCount"]
        props["nodeStateCounts"]["idleNodeCount"] = props["currentNodeCount"]

    answer = fake.begin(
        request, finish, status=200 if existing else 201, body=copy.deepcopy(record), location=False
    )
    return track(fake, record["id"], answer)


@route("GET", WS + "/computes/{name}")
def get_compute(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    advance(fake, f"{ws_id(sub, rg, ws)}/computes/{name}")
    found = children(fake, sub, rg, ws, "computes").get(name)
    if found is None:
        return arm_error(
            404,
            "ResourceNotFound",
            f"The Resource '{PROVIDER}/workspaces/{ws}/computes/{name}' was not found.",
        )
    return Response(200, found)


@route("GET", WS + "/computes")
def list_computes(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    return Response(200, {"value": list(children(fake, sub, rg, ws, "computes").values())})


@route("POST", WS + "/computes/{name}/listNodes")
def list_nodes(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = children(fake, sub, rg, ws, "computes").get(name)
    if found is None:
        return arm_error(
            404,
            "ResourceNotFound",
            f"The Resource '{PROVIDER}/workspaces/{ws}/computes/{name}' was not found.",
        )
    count = int(found["properties"]["properties"].get("currentNodeCount") or 0)
    nodes = [
        {
            "nodeId": f"tvmps_{uuid.uuid5(uuid.NAMESPACE_URL, found['id'] + str(i)).hex[:24]}_d",
            "privateIpAddress": f"10.0.0.{4 + i}",
            "publicIpAddress": None,
            "port": 50000 + i,
            "nodeState": "idle",
            "runId": None,
        }
        for i in range(count)
    ]
    return Response(200, {"nodes": nodes, "nextLink": None})


@route("DELETE", WS + "/computes/{name}")
def delete_compute(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    computes = children(fake, sub, rg, ws, "computes")
    if name not in computes:
        return Response(204)
    computes[name]["properties"]["provisioningState"] = "Deleting"

    def finish() -> None:
        computes.pop(name, None)

    return track(fake, computes[name]["id"], fake.begin(request, finish, status=202))


# -- online endpoints: routes_endpoints.py ---------------------------------------------------
def seed_endpoint(
    fake: FakeAzure, sub: str, rg: str, ws: str, name: str, deployments: dict[str, int]
) -> None:
    """Kept here for the tests that import it from this module (it lives in routes_endpoints)."""
    from tests.azure.fake.routes_endpoints import seed_endpoint as seed

    seed(fake, sub, rg, ws, name, deployments)
