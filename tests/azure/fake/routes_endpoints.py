"""Microsoft.MachineLearningServices online endpoints and their deployments, served for real.

Every endpoint is backed by the project's own scoring server (``tests.azure.fake.scoring``): its
``scoringUri`` answers, its keys are the server's, its deployments serve the model files of the
registered model version, downloaded from Azurite.

Shapes and status codes (where each comes from):

- Resource bodies: the 2024-04-01 spec examples (``stable/2024-04-01/examples/``)
  ``Workspace/OnlineEndpoint/createOrUpdate.json``, ``get.json``, ``list.json``, ``delete.json``,
  ``regenerateKeys.json`` and ``OnlineDeployment/ManagedOnlineDeployment/createOrUpdate.json``
  (its probes, ``provisioningState: Creating`` on 200 and 201); listKeys (``primaryKey``,
  ``secondaryKey``) and getLogs (request ``containerType``/``tail``, answer ``content``) from the
  models of azure-ai-ml's generated client (``_restclient/arm_ml_service``: ``EndpointAuthKeys``,
  ``DeploymentLogsRequest``, ``DeploymentLogs``), no example of those being in the index.
- Long-running answers, from azure-ai-ml's generated client (``arm_ml_service`` operations,
  which encode mfe.json's responses) and the recording ``online_services/e2etests/
  test_online_endpoint.pyTestOnlineEndpointtest_online_endpoint_e2e.json`` (azure-sdk-assets):
  endpoint and deployment PUT answer **201** (200 for an update) with ``Azure-AsyncOperation``
  (the ``mfeOperationsStatus`` URL), ``Location`` (the resource's own URL) and
  ``x-ms-async-operation-timeout``, the body with ``provisioningState: Creating`` (or
  ``Updating``) and, for a new endpoint, ``scoringUri: null``; DELETE answers **202** with
  ``Location`` and ``Retry-After`` (``delete.json``: 202 with ``Location`` only); regenerateKeys
  answers **202** with ``Azure-AsyncOperation`` and ``Location`` (``regenerateKeys.json``; the
  generated client reads ``Location`` and ``Retry-After``); listKeys and getLogs answer 200.
- Errors, from what users met in real traffic:
  - quota (400, code ``BadRequest`` "The request is invalid.", detail
    ``InferencingClientCreateDeploymentFailed`` with ``{"errors":{"VmSize":["Not enough quota
    available for <size> in SubscriptionId <id>. Current usage/limit: u/l. Additional needed: n
    Please see troubleshooting guide, available here: https://aka.ms/oe-tsg#error-outofquota"]}
    ...}``): Azure-Samples/rag-data-openai-python-promptflow#4, MicrosoftLearning/mslearn-azure-ml#30,
    microsoft/azure-realtime-fraud-detection#2 (the "needed" figure there is the cores of
    ceil(1.2 x count) instances: 8 for one 4-core instance);
  - an endpoint name used in the region by someone else ("There is already an endpoint with this
    name, Endpoint name needs to be unique within a region. Try some other name.", a validation
    error of the same InferencingClient form): Azure/azureml-examples#1931 and
    Azure/mlops-project-template#29; the status and the outer code are not in those threads and
    are taken to be the quota error's (400 BadRequest);
  - an image build that fails (knob :func:`failing_image_builds`): the operation ends ``Failed``
    with ``ImageBuildFailure`` (the troubleshooting guide's "ERROR: ImageBuildFailure"), with build
    lines the fake writes in the deployment's log;
  - a deployment whose container fails: the operation ends ``Failed`` with ``ResourceNotReady``
    (Azure's troubleshooting guide, "ERROR: ResourceNotReady"), the deployment's
    ``provisioningState`` ``Failed``, and getLogs has the server's real traceback;
  - deleting a deployment that still takes traffic: refused with 400 (no recorded wording was
    found; the message here is the fake's).

Knobs for tests: :func:`taken_endpoint_names` (names used in the region by someone else; the
endpoints of the fake's other workspaces in the same region count too), :func:`set_quota`
(the subscription's vCPU limit for managed online deployments).
"""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

from core.endpoint.defaults import INSTANCE_TYPES
from core.endpoint.records import DeploymentRecord
from core.errors import UserFacingError
from tests.azure.fake import scoring
from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route
from tests.azure.fake.routes_ml import (
    PROVIDER,
    WS,
    advance,
    children,
    find_workspace,
    require_workspace,
    stamp,
    system_data,
    track,
    ws_id,
)

UPGRADE_SHARE = 1.2  # Azure holds quota for ceil(1.2 x count) instances (the "Additional needed")
_MODEL_ID = re.compile(r"/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$", re.IGNORECASE)
_TSG = "https://aka.ms/oe-tsg"


# -- knobs ------------------------------------------------------------------------------------
def taken_endpoint_names(fake: FakeAzure) -> set[str]:
    """Endpoint names someone else uses in the fake's regions (add to it in a test)."""
    names: set[str] = fake.data.setdefault("taken_endpoint_names", set())
    return names


def set_quota(fake: FakeAzure, vcpus: int | None) -> None:
    """The subscription's vCPU quota for managed online deployments (None: no limit)."""
    fake.data["endpoint_quota_vcpus"] = vcpus


def failing_image_builds(fake: FakeAzure) -> set[str]:
    """Deployment names whose image build fails (Azure's ``ImageBuildFailure``; add in a test)."""
    names: set[str] = fake.data.setdefault("failing_image_builds", set())
    return names


# -- helpers ----------------------------------------------------------------------------------
def _endpoints(fake: FakeAzure, sub: str, rg: str, ws: str) -> dict[str, dict[str, Any]]:
    return children(fake, sub, rg, ws, "onlineEndpoints")


def _deployments(fake: FakeAzure, sub: str, rg: str, ws: str) -> dict[str, dict[str, Any]]:
    return children(fake, sub, rg, ws, "onlineDeployments")


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _endpoint_missing(endpoint: str) -> Response:
    return arm_error(404, "UserError", f"Could not find endpoint: {endpoint}.")


def _inferencing_error(detail_code: str, field: str, message: str) -> Response:
    """Azure's 400 for what its inferencing service refuses (see the module's notes)."""
    detail = (
        f'InferencingClient HttpRequest error, error detail: {{"errors":{{"{field}":["{message}"]}},'
        '"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1",'
        '"title":"One or more validation errors occurred.","status":400,'
        f'"traceId":"00-{uuid.uuid4().hex}-01"}}'
    )
    body = {
        "error": {
            "code": "BadRequest",
            "message": "The request is invalid.",
            "details": [{"code": detail_code, "message": detail, "details": [], "additionalInfo": []}],
        }
    }
    return Response(400, body)


def _name_taken(fake: FakeAzure, sub: str, rg: str, ws: str, name: str) -> bool:
    if name.lower() in {n.lower() for n in taken_endpoint_names(fake)}:
        return True
    location = (find_workspace(fake, sub, rg, ws) or {}).get("location")
    own = f"ml:{ws_id(sub, rg, ws).lower()}:onlineendpoints"
    for key, records in list(fake.data.items()):
        if not (isinstance(key, str) and key.lower().endswith(":onlineendpoints")) or key.lower() == own:
            continue
        if any(n.lower() == name.lower() and r.get("location") == location for n, r in records.items()):
            return True
    return False


def _async_headers(answer: Response, resource_url: str) -> Response:
    """Azure's headers of a long-running PUT: Azure-AsyncOperation, Location = the resource."""
    answer.headers["Location"] = resource_url
    answer.headers["x-ms-async-operation-timeout"] = "PT30M"
    return answer


def _resource_url(request: Request) -> str:
    return f"{request.base}{request.path}?api-version={request.api_version or '2024-04-01'}"


# -- online endpoints -------------------------------------------------------------------------
@route("GET", WS + "/onlineEndpoints")
def list_endpoints(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = list(_endpoints(fake, sub, rg, ws).values())
    for record in found:
        advance(fake, record["id"])
    return Response(200, {"value": [_public(r) for r in _endpoints(fake, sub, rg, ws).values()]})


@route("GET", WS + "/onlineEndpoints/{endpoint}")
def get_endpoint(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    record = _endpoints(fake, sub, rg, ws).get(endpoint)
    if record is None:
        return _endpoint_missing(endpoint)
    advance(fake, record["id"])
    record = _endpoints(fake, sub, rg, ws).get(endpoint)
    return _endpoint_missing(endpoint) if record is None else Response(200, _public(record))


@route("PUT", WS + "/onlineEndpoints/{endpoint}")
def put_endpoint(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str) -> Response:
    """Create an endpoint (201, Creating -> Succeeded) or update it (200: description, tags,
    traffic; the traffic must name its deployments and add up to 100, or be empty)."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    body = request.body if isinstance(request.body, dict) else {}
    props = dict(body.get("properties") or {})
    endpoints = _endpoints(fake, sub, rg, ws)
    existing = endpoints.get(endpoint)
    wid = ws_id(sub, rg, ws)
    traffic = {str(k): int(v) for k, v in (props.get("traffic") or {}).items()}
    if existing is None:
        if _name_taken(fake, sub, rg, ws, endpoint):
            message = (
                "There is already an endpoint with this name, Endpoint name needs to be unique "
                "within a region. Try some other name."
            )
            return _inferencing_error("InferencingClientCreateEndpointFailed", "", message)
        if traffic:
            return arm_error(400, "BadArgument", "A new endpoint has no deployments to send traffic to.")
        location = body.get("location") or (find_workspace(fake, sub, rg, ws) or {}).get("location", "eastus")
        created = stamp()
        record = {
            "id": f"{wid}/onlineEndpoints/{endpoint}",
            "name": endpoint,
            "type": f"{PROVIDER}/workspaces/onlineEndpoints",
            "location": location,
            "kind": "Managed",
            "tags": dict(body.get("tags") or {}),
            "identity": {
                "type": "SystemAssigned",
                "principalId": str(uuid.uuid4()),
                "tenantId": fake.tenant_id,
            },
            "systemData": system_data("User", created),
            "properties": {
                "authMode": props.get("authMode") or "Key",
                "description": props.get("description") or "",
                "properties": {
                    **dict(props.get("properties") or {}),
                    "azureml.onlineendpointid": f"{wid}/onlineendpoints/{endpoint}".lower(),
                },
                "scoringUri": None,
                "swaggerUri": None,
                "provisioningState": "Creating",
                "traffic": {},
                "mirrorTraffic": {},
                "publicNetworkAccess": props.get("publicNetworkAccess") or "Enabled",
            },
        }
        endpoints[endpoint] = record
        scoring.new_endpoint(fake, wid, endpoint, ws, created)

        def finish() -> None:
            record["properties"]["provisioningState"] = "Succeeded"
            uri = scoring.scoring_uri(fake, wid, endpoint)
            record["properties"]["scoringUri"] = uri
            record["properties"]["swaggerUri"] = uri.removesuffix("/score") + "/swagger.json"

        answer = fake.begin(request, finish, status=201, body=_public(record), location=False)
        return track(fake, record["id"], _async_headers(answer, _resource_url(request)))
    # -- an update
    state = existing["properties"]["provisioningState"]
    if state not in ("Succeeded", "Failed"):
        return arm_error(
            409, "Conflict", f"Endpoint {endpoint} is {state}; wait for the running operation to finish."
        )
    known = {d["name"] for d in _deployments(fake, sub, rg, ws).values() if d.get("_endpoint") == endpoint}
    unknown = sorted(set(traffic) - known)
    if unknown:
        return arm_error(
            400, "BadArgument", f"Traffic is set for deployment(s) {', '.join(unknown)} which do not exist."
        )
    if traffic and sum(traffic.values()) != 100 or any(not 0 <= p <= 100 for p in traffic.values()):
        return arm_error(400, "BadArgument", "Traffic values must be from 0 to 100 and add up to 100.")
    existing["properties"]["provisioningState"] = "Updating"
    if "description" in props:
        existing["properties"]["description"] = props.get("description") or ""
    if body.get("tags") is not None:
        existing["tags"] = dict(body["tags"])
    clean = {d: p for d, p in traffic.items() if p > 0}

    def finish_update() -> None:
        existing["properties"]["traffic"] = clean
        existing["properties"]["provisioningState"] = "Succeeded"
        existing["systemData"]["lastModifiedAt"] = stamp()
        scoring.set_traffic(fake, wid, endpoint, clean)

    answer = fake.begin(request, finish_update, status=200, body=_public(existing), location=False)
    return track(fake, existing["id"], _async_headers(answer, _resource_url(request)))


@route("DELETE", WS + "/onlineEndpoints/{endpoint}")
def delete_endpoint(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str) -> Response:
    """202 + Location; the endpoint goes with its deployments, and its server stops."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    endpoints = _endpoints(fake, sub, rg, ws)
    record = endpoints.get(endpoint)
    if record is None:
        return Response(204)
    record["properties"]["provisioningState"] = "Deleting"
    wid = ws_id(sub, rg, ws)

    def finish() -> None:
        deployments = _deployments(fake, sub, rg, ws)
        for key in [k for k, d in deployments.items() if d.get("_endpoint") == endpoint]:
            del deployments[key]
        endpoints.pop(endpoint, None)
        scoring.delete_endpoint(fake, wid, endpoint)

    answer = fake.begin(request, finish, status=202, async_operation=False)
    return track(fake, record["id"], answer)


@route("POST", WS + "/onlineEndpoints/{endpoint}/listKeys")
def list_keys(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if endpoint not in _endpoints(fake, sub, rg, ws):
        return _endpoint_missing(endpoint)
    found = scoring.keys(fake, ws_id(sub, rg, ws), endpoint)
    return Response(200, {"primaryKey": found.primary.reveal(), "secondaryKey": found.secondary.reveal()})


@route("POST", WS + "/onlineEndpoints/{endpoint}/regenerateKeys")
def regenerate_keys(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str) -> Response:
    """202 + Location; the key changes when the operation finishes."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if endpoint not in _endpoints(fake, sub, rg, ws):
        return _endpoint_missing(endpoint)
    body = request.body if isinstance(request.body, dict) else {}
    key_type = str(body.get("keyType") or "").lower()
    if key_type not in ("primary", "secondary"):
        return arm_error(400, "BadArgument", "keyType must be Primary or Secondary.")
    value = body.get("keyValue")
    wid = ws_id(sub, rg, ws)

    def finish() -> None:
        scoring.regenerate(fake, wid, endpoint, key_type, str(value) if value else None)

    return fake.begin(request, finish, status=202)  # both headers, as regenerateKeys.json shows


# -- deployments ------------------------------------------------------------------------------
@route("GET", WS + "/onlineEndpoints/{endpoint}/deployments")
def list_deployments(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if endpoint not in _endpoints(fake, sub, rg, ws):
        return _endpoint_missing(endpoint)
    for record in list(_deployments(fake, sub, rg, ws).values()):
        if record.get("_endpoint") == endpoint:
            advance(fake, record["id"])
    found = [d for d in _deployments(fake, sub, rg, ws).values() if d.get("_endpoint") == endpoint]
    return Response(200, {"value": [_public(d) for d in found]})


@route("GET", WS + "/onlineEndpoints/{endpoint}/deployments/{deployment}")
def get_deployment(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str, deployment: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if endpoint not in _endpoints(fake, sub, rg, ws):
        return _endpoint_missing(endpoint)
    key = f"{endpoint}/{deployment}"
    record = _deployments(fake, sub, rg, ws).get(key)
    if record is not None:
        advance(fake, record["id"])
        record = _deployments(fake, sub, rg, ws).get(key)
    if record is None:
        return arm_error(404, "UserError", f"Could not find deployment: {deployment} of endpoint {endpoint}.")
    return Response(200, _public(record))


def _cores_in_use(fake: FakeAzure, sub: str) -> int:
    used = 0
    for key, records in list(fake.data.items()):
        if isinstance(key, str) and key.endswith(":onlinedeployments") and f"/subscriptions/{sub}/" in key:
            for d in records.values():
                if d["properties"].get("provisioningState") in ("Succeeded", "Creating", "Updating"):
                    size = d["properties"].get("instanceType") or "Standard_DS3_v2"
                    count = int((d.get("sku") or {}).get("capacity") or 1)
                    used += INSTANCE_TYPES.get(size, 4) * math.ceil(count * UPGRADE_SHARE)
    return used


def _model_version(fake: FakeAzure, sub: str, rg: str, ws: str, model: str) -> dict[str, Any] | None:
    found = _MODEL_ID.search(model or "")
    if found is None and (model or "").startswith("azureml:"):
        name, _, version = model.removeprefix("azureml:").partition(":")
        key = f"{name}/{version}"
    elif found is not None:
        key = f"{found['name']}/{found['version']}"
    else:
        return None
    return children(fake, sub, rg, ws, "modelVersions").get(key)


@route("PUT", WS + "/onlineEndpoints/{endpoint}/deployments/{deployment}")
def put_deployment(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str, deployment: str
) -> Response:
    """201 (200 for an update) + Azure-AsyncOperation; Creating until the server serves it."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    endpoint_record = _endpoints(fake, sub, rg, ws).get(endpoint)
    if endpoint_record is None:
        return _endpoint_missing(endpoint)
    body = request.body if isinstance(request.body, dict) else {}
    props = dict(body.get("properties") or {})
    sku = dict(body.get("sku") or {})
    count = int(sku.get("capacity") or 1)
    size = str(props.get("instanceType") or "Standard_DS3_v2")
    version = _model_version(fake, sub, rg, ws, str(props.get("model") or ""))
    if version is None:
        return arm_error(404, "UserError", f"Could not find asset with ID: {props.get('model')}")
    deployments = _deployments(fake, sub, rg, ws)
    key = f"{endpoint}/{deployment}"
    existing = deployments.get(key)
    limit = fake.data.get("endpoint_quota_vcpus")
    if limit is not None:
        used = _cores_in_use(fake, sub) - (
            INSTANCE_TYPES.get(existing["properties"].get("instanceType"), 4)
            * math.ceil(int((existing.get("sku") or {}).get("capacity") or 1) * UPGRADE_SHARE)
            if existing
            else 0
        )
        needed = INSTANCE_TYPES.get(size, 4) * math.ceil(count * UPGRADE_SHARE)
        if used + needed > int(limit):
            message = (
                f"Not enough quota available for {size} in SubscriptionId {sub}. Current usage/limit: "
                f"{used}/{limit}. Additional needed: {needed} Please see troubleshooting guide, "
                f"available here: {_TSG}#error-outofquota"
            )
            return _inferencing_error("InferencingClientCreateDeploymentFailed", "VmSize", message)
    wid = ws_id(sub, rg, ws)
    created = existing["systemData"]["createdAt"] if existing else stamp()
    record: dict[str, Any] = {
        "_endpoint": endpoint,
        "id": f"{wid}/onlineEndpoints/{endpoint}/deployments/{deployment}",
        "name": deployment,
        "type": f"{PROVIDER}/workspaces/onlineEndpoints/deployments",
        "location": endpoint_record["location"],
        "kind": "Managed",
        "tags": dict(body.get("tags") or {}),
        "sku": {"name": sku.get("name") or "Default", "tier": "Standard", "capacity": count},
        "systemData": system_data("User", created),
        "properties": {
            "endpointComputeType": "Managed",
            "model": version["id"],
            "instanceType": size,
            "description": props.get("description"),
            "provisioningState": "Updating" if existing else "Creating",
            "scaleSettings": props.get("scaleSettings") or {"scaleType": "Default"},
            "requestSettings": props.get("requestSettings")
            or {"requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1, "maxQueueWait": "PT0.5S"},
            "appInsightsEnabled": bool(props.get("appInsightsEnabled")),
            "livenessProbe": props.get("livenessProbe")
            or {
                "failureThreshold": 30,
                "successThreshold": 1,
                "timeout": "PT2S",
                "period": "PT10S",
                "initialDelay": "PT10S",
            },
            "readinessProbe": props.get("readinessProbe")
            or {
                "failureThreshold": 30,
                "successThreshold": 1,
                "timeout": "PT2S",
                "period": "PT10S",
                "initialDelay": "PT10S",
            },
            "egressPublicNetworkAccess": props.get("egressPublicNetworkAccess") or "Enabled",
            "properties": dict(props.get("properties") or {}),
            "environmentVariables": dict(props.get("environmentVariables") or {}),
        },
    }
    deployments[key] = record
    tags = dict(version["properties"].get("tags") or {})
    datastores = children(fake, sub, rg, ws, "datastores")

    def finish() -> Response | None:
        if deployment in failing_image_builds(fake):
            record["properties"]["provisioningState"] = "Failed"
            scoring.image_build_failed(fake, wid, endpoint, deployment, size)
            return arm_error(
                400,
                "ImageBuildFailure",
                "The image build for the deployment failed: the conda environment could not be "
                "resolved. Check the build log in the workspace's default storage. Please see "
                f"troubleshooting guide, available here: {_TSG}#error-imagebuildfailure",
            )
        try:
            where = scoring.model_location(fake, str(version["properties"].get("modelUri") or ""), datastores)
            scoring.deploy(
                fake,
                wid,
                endpoint,
                DeploymentRecord(
                    name=deployment,
                    model_name=version["id"].split("/models/")[1].split("/")[0],
                    model_version=int(version["name"]),
                    model_source=str(version["properties"].get("modelUri") or ""),
                    model_dir="",
                    task=tags.get("task") or "classification",
                    created_at=created,
                    instance_count=count,
                    instance_type=size,
                    updated_at=stamp(),
                ),
                where,
            )
        except (UserFacingError, ValueError) as exc:
            record["properties"]["provisioningState"] = "Failed"
            text = exc.problem if isinstance(exc, UserFacingError) else str(exc)
            return arm_error(
                400,
                "ResourceNotReady",
                f"User container has crashed or terminated: {text} Please see troubleshooting "
                f"guide, available here: {_TSG}#error-resourcenotready",
            )
        record["properties"]["provisioningState"] = "Succeeded"
        record["systemData"]["lastModifiedAt"] = stamp()
        return Response(200, _public(record))

    status = 200 if existing else 201
    answer = fake.begin(request, finish, status=status, body=_public(record), location=False)
    return track(fake, record["id"], _async_headers(answer, _resource_url(request)))


@route("DELETE", WS + "/onlineEndpoints/{endpoint}/deployments/{deployment}")
def delete_deployment(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str, deployment: str
) -> Response:
    """202 + Location; refused while the deployment takes traffic."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    endpoint_record = _endpoints(fake, sub, rg, ws).get(endpoint)
    if endpoint_record is None:
        return _endpoint_missing(endpoint)
    deployments = _deployments(fake, sub, rg, ws)
    key = f"{endpoint}/{deployment}"
    record = deployments.get(key)
    if record is None:
        return Response(204)
    share = int((endpoint_record["properties"].get("traffic") or {}).get(deployment, 0))
    if share > 0:
        return arm_error(
            400,
            "BadArgument",
            f"Deployment {deployment} receives {share}% of the traffic of endpoint {endpoint}; "
            "set its traffic to 0 before deleting it.",
        )
    record["properties"]["provisioningState"] = "Deleting"
    wid = ws_id(sub, rg, ws)

    def finish() -> None:
        deployments.pop(key, None)
        scoring.remove_deployment(fake, wid, endpoint, deployment)

    answer = fake.begin(request, finish, status=202, async_operation=False)
    return track(fake, record["id"], answer)


@route("POST", WS + "/onlineEndpoints/{endpoint}/deployments/{deployment}/getLogs")
def get_logs(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, endpoint: str, deployment: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if f"{endpoint}/{deployment}" not in _deployments(fake, sub, rg, ws):
        return arm_error(404, "UserError", f"Could not find deployment: {deployment} of endpoint {endpoint}.")
    body = request.body if isinstance(request.body, dict) else {}
    tail = int(body.get("tail") or 5000)
    text = scoring.log_tail(fake, ws_id(sub, rg, ws), endpoint, deployment, tail)
    return Response(200, {"content": text})


# -- seeding ----------------------------------------------------------------------------------
def seed_endpoint(
    fake: FakeAzure, sub: str, rg: str, ws: str, name: str, deployments: dict[str, int]
) -> None:
    """An online endpoint with its deployments (traffic in percent), as Azure lists them, with no
    server behind it: for inventory and teardown tests that never score (its scoring URI is a
    loopback port nothing listens on, so a health probe looks up no outside host)."""
    wid = ws_id(sub, rg, ws)
    location = (find_workspace(fake, sub, rg, ws) or {}).get("location", "eastus")
    _endpoints(fake, sub, rg, ws)[name] = {
        "id": f"{wid}/onlineEndpoints/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/onlineEndpoints",
        "location": location,
        "kind": "Managed",
        "tags": {},
        "identity": {"type": "SystemAssigned", "principalId": str(uuid.uuid4()), "tenantId": fake.tenant_id},
        "systemData": system_data("User"),
        "properties": {
            "authMode": "Key",
            "description": "",
            "scoringUri": "http://127.0.0.1:9/score",
            "swaggerUri": "http://127.0.0.1:9/swagger.json",
            "provisioningState": "Succeeded",
            "traffic": dict(deployments),
            "mirrorTraffic": {},
            "publicNetworkAccess": "Enabled",
            "properties": {"azureml.onlineendpointid": f"{wid}/onlineendpoints/{name}"},
        },
    }
    for deployment in deployments:
        _deployments(fake, sub, rg, ws)[f"{name}/{deployment}"] = {
            "_endpoint": name,
            "id": f"{wid}/onlineEndpoints/{name}/deployments/{deployment}",
            "name": deployment,
            "type": f"{PROVIDER}/workspaces/onlineEndpoints/deployments",
            "location": location,
            "kind": "Managed",
            "tags": {},
            "sku": {"name": "Default", "tier": "Standard", "capacity": 1},
            "systemData": system_data("User"),
            "properties": {
                "endpointComputeType": "Managed",
                "model": f"{wid}/models/heart-model/versions/1",
                "instanceType": "Standard_DS3_v2",
                "provisioningState": "Succeeded",
                "scaleSettings": {"scaleType": "Default"},
                "appInsightsEnabled": False,
                "egressPublicNetworkAccess": "Enabled",
                "properties": {},
                "environmentVariables": {},
            },
        }
