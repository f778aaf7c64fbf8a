"""Microsoft.Resources/deployments: the ARM template deployment that azure-ai-ml's
``workspaces.begin_create`` submits (its ``workspace_base.json``), as far as this dashboard's
workspaces need it: the workspace, its key vault and Application Insights, and a new storage
account when none is given.

The calls (AZURE_OFFLINE_TESTING.md, section 5): ``PUT .../providers/Microsoft.Resources/
deployments/{name}`` → 201 with ``Azure-AsyncOperation``; the status; ``GET`` the deployment;
``GET /subscriptions/{s}/resourcegroups/{rg}/deployments/{name}/operations`` (no ``/providers/``).
A deployment that cannot create its workspace ends ``Failed`` with Azure's error, as on Azure.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route
from tests.azure.fake.routes_ml import (
    advance,
    find_workspace,
    new_workspace,
    soft_deleted,
    stamp,
    storage_id,
    track,
    ws_id,
)
from tests.azure.fake.routes_resources import check_subscription, find_group, group_not_found

DEPLOYMENT = "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments/{name}"


def deployment_id(sub: str, rg: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Resources/deployments/{name}"


def _deployments(fake: FakeAzure) -> dict[str, dict[str, Any]]:
    store: dict[str, dict[str, Any]] = fake.data.setdefault("deployments", {})
    return store


def _param(params: dict[str, Any], name: str, default: Any = None) -> Any:
    value = params.get(name)
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return default


def _failure(code: str, message: str) -> dict[str, Any]:
    return {
        "code": "DeploymentFailed",
        "message": "At least one resource deployment operation failed. Please list deployment operations "
        "for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
        "details": [{"code": code, "message": message}],
    }


@route("PUT", DEPLOYMENT)
def create_deployment(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if find_group(fake, sub, rg) is None:
        return group_not_found(rg)
    body = request.body if isinstance(request.body, dict) else {}
    props = body.get("properties") or {}
    template = props.get("template") or {}
    raw = props.get("parameters") or {}
    if not template.get("resources"):
        return arm_error(400, "InvalidTemplate", "The template has no resources.")
    params = {key: _param(raw, key) for key in raw}
    if not params.get("workspaceName"):
        return arm_error(
            400, "InvalidTemplate", "The fake Azure deploys azure-ai-ml's workspace template only."
        )
    did = deployment_id(sub, rg, name)
    record: dict[str, Any] = {
        "id": did,
        "name": name,
        "type": "Microsoft.Resources/deployments",
        "properties": {
            "templateHash": str(abs(hash(str(template))) % 10**19),
            "parameters": raw,
            "mode": "Incremental",
            "provisioningState": "Running",
            "timestamp": stamp(),
            "duration": "PT0S",
            "correlationId": str(uuid.uuid4()),
            "outputResources": [],
        },
        "_operations": [],
    }
    _deployments(fake)[did.lower()] = record

    def finish() -> Response | None:
        error = _deploy_workspace(fake, request, sub, rg, params, record)
        record["properties"]["timestamp"] = stamp()
        record["properties"]["duration"] = "PT1M2.5S"
        if error is not None:
            record["properties"]["provisioningState"] = "Failed"
            record["properties"]["error"] = error
            return Response(400, {"error": error})
        record["properties"]["provisioningState"] = "Succeeded"
        return None

    return track(fake, did, fake.begin(request, finish, status=201, body=_public(record), location=False))


def _deploy_workspace(
    fake: FakeAzure, request: Request, sub: str, rg: str, params: dict[str, Any], record: dict[str, Any]
) -> dict[str, Any] | None:
    workspace = params["workspaceName"]
    key = ws_id(sub, rg, workspace).lower()
    ops: list[dict[str, Any]] = record["_operations"]
    if key in soft_deleted(fake):
        message = (
            f"Soft-deleted workspace exists. Please purge or recover it. Workspace name '{workspace}' "
            f"in resource group '{rg}' is held by a soft-deleted workspace. https://aka.ms/wsoftdelete"
        )
        ops.append(_operation(ws_id(sub, rg, workspace), "Failed", "Conflict", message))
        return _failure("Conflict", message)
    account = params.get("storageAccountName") or ""
    account_rg = params.get("storageAccountResourceGroupName") or rg
    account_id = storage_id(sub, account_rg, account)
    location = params.get("location") or (find_group(fake, sub, rg) or {}).get("location")
    if params.get("storageAccountOption") == "existing":
        if account_id.lower() not in fake.resources:
            message = (
                f"The Resource 'Microsoft.Storage/storageAccounts/{account}' under resource group "
                f"'{account_rg}' was not found."
            )
            ops.append(_operation(ws_id(sub, rg, workspace), "Failed", "ResourceNotFound", message))
            return _failure("ResourceNotFound", message)
    elif params.get("storageAccountOption") == "new":
        fake.resources[account_id.lower()] = {
            "id": account_id,
            "name": account,
            "type": "Microsoft.Storage/storageAccounts",
            "location": location,
            "kind": "StorageV2",
            "sku": {"name": "Standard_LRS", "tier": "Standard"},
            "tags": {},
            "properties": {
                "provisioningState": "Succeeded",
                "creationTime": stamp(),
                "primaryEndpoints": {"blob": fake.blob_endpoint},
                "minimumTlsVersion": "TLS1_2",
                "allowBlobPublicAccess": False,
            },
        }
        ops.append(_operation(account_id, "Succeeded"))
    for option, kind, name_param in (
        ("keyVaultOption", "Microsoft.KeyVault/vaults", "keyVaultName"),
        ("applicationInsightsOption", "Microsoft.Insights/components", "applicationInsightsName"),
        ("applicationInsightsOption", "Microsoft.OperationalInsights/workspaces", "logAnalyticsName"),
    ):
        if params.get(option) != "new" or not params.get(name_param):
            continue
        rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{kind}/{params[name_param]}"
        fake.resources[rid.lower()] = {
            "id": rid,
            "name": params[name_param],
            "type": kind,
            "location": location,
            "properties": {"provisioningState": "Succeeded"},
        }
        ops.append(_operation(rid, "Succeeded"))
    if find_workspace(fake, sub, rg, workspace) is None:
        new_workspace(fake, request, sub, rg, params | {"location": location})
    ops.append(_operation(ws_id(sub, rg, workspace), "Succeeded"))
    record["properties"]["outputResources"] = [{"id": op["properties"]["targetResource"]["id"]} for op in ops]
    return None


def _operation(resource_id: str, state: str, code: str = "", message: str = "") -> dict[str, Any]:
    parts = resource_id.split("/")
    op_id = uuid.uuid4().hex.upper()[:16]
    props: dict[str, Any] = {
        "provisioningOperation": "Create",
        "provisioningState": state,
        "timestamp": stamp(),
        "duration": "PT12.3S",
        "trackingId": str(uuid.uuid4()),
        "serviceRequestId": str(uuid.uuid4()),
        "statusCode": "OK" if state == "Succeeded" else "Conflict",
        "targetResource": {
            "id": resource_id,
            "resourceType": f"{parts[6]}/{parts[7]}",
            "resourceName": parts[-1],
        },
    }
    if state == "Failed":
        props["statusMessage"] = {
            "status": "Failed",
            "error": {"code": code, "message": message, "details": []},
        }
    return {"id": f"{resource_id}/operations/{op_id}", "operationId": op_id, "properties": props}


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


@route("GET", DEPLOYMENT)
def get_deployment(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    advance(fake, deployment_id(sub, rg, name))
    found = _deployments(fake).get(deployment_id(sub, rg, name).lower())
    if found is None or find_group(fake, sub, rg) is None:
        return arm_error(404, "DeploymentNotFound", f"Deployment '{name}' could not be found.")
    return Response(200, _public(found))


@route("GET", "/subscriptions/{sub}/resourcegroups/{rg}/deployments/{name}/operations")
def list_deployment_operations(fake: FakeAzure, request: Request, sub: str, rg: str, name: str) -> Response:
    found = _deployments(fake).get(deployment_id(sub, rg, name).lower())
    if found is None:
        return arm_error(404, "DeploymentNotFound", f"Deployment '{name}' could not be found.")
    return Response(200, {"value": list(found["_operations"])})


@route("GET", "/subscriptions/{sub}/resourcegroups/{rg}/providers/Microsoft.Resources/deployments")
def list_deployments(fake: FakeAzure, request: Request, sub: str, rg: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    if find_group(fake, sub, rg) is None:
        return group_not_found(rg)
    prefix = deployment_id(sub, rg, "").lower()
    found = [_public(d) for key, d in _deployments(fake).items() if key.startswith(prefix)]
    return Response(200, {"value": found})
