"""Microsoft.MachineLearningServices: code versions (the job's ``code=`` snapshot) and jobs.

Shapes follow the 2025-06-01 spec examples (``Job/SweepJob/{createOrUpdate,get,list}.json``,
``Job/cancel.json``, ``Workspace/CodeVersion/createOrGetStartPendingUpload.json``) and the
recorded traffic of azure-ai-ml's ``test_sweep_job_submit`` (a job PUT answers 201 with a
``Location`` to the job; its body carries ``status``, ``services.Studio.endpoint`` and the
service's own ``properties``). Any api-version is accepted (azure-ai-ml 1.35 sends its own).

Code upload, as the SDK does it: list the versions with the snapshot's ``hash`` (Azure dedupes
by content), ``startPendingUpload`` answered with a SAS URI on Azurite (the container of the
workspace's default datastore), the SDK uploads there itself with azure-storage-blob, then
PUTs the version with its ``codeUri``.

A job PUT checks what Azure checks: the compute, the environment version, the code version
and the data assets it names must exist. Sweep jobs then run for real: see ``sweeps.py``.

What azure-ai-ml 1.35 sends (measured against this fake, ``tests/azure/test_fake_jobs.py``):
``jobs.create_or_update(sweep_node)`` with ``code=<folder>`` makes four calls, and checks
neither the compute nor the environment nor the data itself:

1. ``GET .../codes/{uuid}/versions?hash=<sha256>&hashVersion=202208`` (api-version 2023-04-01);
2. ``POST .../codes/{uuid}/versions/1/startPendingUpload`` (2023-04-01), then the SDK uploads
   the folder to the SAS URI with azure-storage-blob (Azurite; not through the transport);
3. ``PUT .../codes/{uuid}/versions/1`` with ``codeUri`` (2023-04-01);
4. ``PUT .../jobs/{name}`` (2024-01-01-preview).

With the same snapshot again, 1 finds the version and the SDK GETs it instead of 2 and 3.
``jobs.get(name)`` is one ``GET .../jobs/{name}`` (2024-01-01-preview); ``jobs.begin_cancel``
is ``POST .../jobs/{name}/cancel`` then GETs of the ``Location`` (the job) until 200.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route
from tests.azure.fake.routes_ml import (
    PROVIDER,
    WS,
    children,
    require_workspace,
    stamp,
    system_data,
    ws_id,
)

CODE_CONTAINER = "codes"


# -- code versions --------------------------------------------------------------------------
def _code_versions(fake: FakeAzure, sub: str, rg: str, ws: str, name: str) -> dict[str, dict[str, Any]]:
    store: dict[str, dict[str, Any]] = children(fake, sub, rg, ws, CODE_CONTAINER).setdefault(name, {})
    return store


def code_not_found(sub: str, rg: str, ws: str, name: str, version: str | None = None) -> Response:
    asset = f"{ws_id(sub, rg, ws)}/codes/{name}" + (f"/versions/{version}" if version else "")
    return arm_error(404, "UserError", f"Could not find asset with ID: {asset}")


@route("GET", WS + "/codes")
def list_code_containers(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = []
    for name, versions in children(fake, sub, rg, ws, CODE_CONTAINER).items():
        if versions:
            found.append(_code_container(sub, rg, ws, name, versions))
    return Response(200, {"value": found})


def _code_container(sub: str, rg: str, ws: str, name: str, versions: dict[str, Any]) -> dict[str, Any]:
    latest = max(versions, key=lambda v: int(v) if v.isdigit() else 0)
    return {
        "id": f"{ws_id(sub, rg, ws)}/codes/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/codes",
        "systemData": system_data("User"),
        "properties": {
            "description": None,
            "tags": {},
            "properties": {},
            "isArchived": False,
            "latestVersion": latest,
            "nextVersion": str(int(latest) + 1) if latest.isdigit() else "1",
        },
    }


@route("GET", WS + "/codes/{name}")
def get_code_container(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    versions = _code_versions(fake, sub, rg, ws, name)
    if not versions:
        return code_not_found(sub, rg, ws, name)
    return Response(200, _code_container(sub, rg, ws, name, versions))


@route("GET", WS + "/codes/{name}/versions")
def list_code_versions(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    """Versions of one code asset; with ``hash`` (and ``hashVersion``), those whose snapshot has
    that content hash, in any code asset of the workspace (how the SDK finds an upload to reuse)."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    wanted = request.query.get("hash")
    if wanted:
        hash_version = request.query.get("hashVersion")
        found = [
            version
            for versions in children(fake, sub, rg, ws, CODE_CONTAINER).values()
            for version in versions.values()
            if str(version["properties"]["properties"].get("hash_sha256")) == wanted
            and (
                hash_version is None
                or str(version["properties"]["properties"].get("hash_version")) == hash_version
            )
        ]
    else:
        found = list(_code_versions(fake, sub, rg, ws, name).values())
    return Response(200, {"value": found})


@route("GET", WS + "/codes/{name}/versions/{version}")
def get_code_version(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = _code_versions(fake, sub, rg, ws, name).get(version)
    if found is None:
        return code_not_found(sub, rg, ws, name, version)
    return Response(200, found)


@route("POST", WS + "/codes/{name}/versions/{version}/startPendingUpload")
def start_pending_upload(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
) -> Response:
    """A SAS URI (read, write, list; 1 h) on the default datastore's container in Azurite."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    store = children(fake, sub, rg, ws, "datastores")["workspaceblobstore"]["properties"]
    container = store["containerName"]
    account = urlsplit(fake.blob_endpoint).path.strip("/") or store["accountName"]
    sas = generate_container_sas(
        account,
        container,
        account_key=fake.blob_key,
        permission=ContainerSasPermissions(read=True, write=True, list=True, add=True, create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    blob_uri = f"{fake.blob_endpoint}{container}"
    body = request.body if isinstance(request.body, dict) else {}
    return Response(
        200,
        {
            "blobReferenceForConsumption": {
                "blobUri": blob_uri,
                "storageAccountArmId": store.get("accountName"),
                "credential": {"credentialType": "SAS", "sasUri": f"{blob_uri}?{sas}"},
            },
            "pendingUploadId": body.get("pendingUploadId") or str(uuid.uuid4()),
            "pendingUploadType": body.get("pendingUploadType") or "TemporaryBlobReference",
        },
    )


@route("PUT", WS + "/codes/{name}/versions/{version}")
def put_code_version(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    body = request.body if isinstance(request.body, dict) else {}
    props = dict(body.get("properties") or {})
    if not props.get("codeUri"):
        return arm_error(400, "UserError", "codeUri is required.")
    versions = _code_versions(fake, sub, rg, ws, name)
    existing = versions.get(version)
    if existing is not None:
        if existing["properties"]["codeUri"] != props["codeUri"]:
            return arm_error(
                409,
                "UserError",
                "The asset path of an existing code version cannot be changed.",
            )
        return Response(200, existing)
    props.setdefault("description", None)
    props.setdefault("tags", {})
    props.setdefault("properties", {})
    props.setdefault("isArchived", False)
    props.setdefault("isAnonymous", False)
    props["provisioningState"] = "Succeeded"
    record = {
        "id": f"{ws_id(sub, rg, ws)}/codes/{name}/versions/{version}",
        "name": version,
        "type": f"{PROVIDER}/workspaces/codes/versions",
        "systemData": system_data("User"),
        "properties": props,
    }
    versions[version] = record
    return Response(201, record)


def find_code(fake: FakeAzure, code_id: str) -> dict[str, Any] | None:
    """The code version an ARM id (``.../codes/{name}/versions/{version}``) names."""
    found = re.search(
        r"/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/[^/]+/workspaces/([^/]+)"
        r"/codes/([^/]+)/versions/([^/]+)$",
        code_id.removeprefix("azureml:"),
        re.IGNORECASE,
    )
    if found is None:
        return None
    sub, rg, ws, name, version = found.groups()
    return children(fake, sub, rg, ws, CODE_CONTAINER).get(name, {}).get(version)


# -- jobs ---------------------------------------------------------------------------------
def jobs_of(fake: FakeAzure, sub: str, rg: str, ws: str) -> dict[str, dict[str, Any]]:
    """The workspace's jobs by name, as GET returns them."""
    return children(fake, sub, rg, ws, "jobs")


def job_not_found(name: str) -> Response:
    return arm_error(404, "UserError", f"Could not find job with name: {name}.")


def studio_url(sub: str, rg: str, ws: str, name: str) -> str:
    return f"https://ml.azure.com/runs/{name}?wsid=/subscriptions/{sub}/resourcegroups/{rg}/workspaces/{ws}"


@route("PUT", WS + "/jobs/{name}")
def put_job(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    from tests.azure.fake import sweeps

    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    body = request.body if isinstance(request.body, dict) else {}
    props = copy.deepcopy(body.get("properties") or {})
    existing = jobs_of(fake, sub, rg, ws).get(name)
    if existing is not None:
        # Azure allows updating a job's tags, description and display name only.
        for key in ("tags", "description", "displayName"):
            if key in props:
                existing["properties"][key] = props[key]
        return Response(200, existing)
    if props.get("jobType") != "Sweep":
        return arm_error(400, "UserError", "The fake Azure runs sweep jobs only.")
    problem = sweeps.check_references(fake, sub, rg, ws, props)
    if problem is not None:
        return problem
    record: dict[str, Any] = {
        "id": f"{ws_id(sub, rg, ws)}/jobs/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/jobs",
        "systemData": {"createdAt": stamp(), "createdBy": "fake.user@contoso.com", "createdByType": "User"},
        "properties": sweeps.accepted_properties(fake, sub, rg, ws, name, props),
    }
    record["properties"]["services"] = {
        "Studio": {
            "jobServiceType": "Studio",
            "port": None,
            "endpoint": studio_url(sub, rg, ws, name),
            "status": None,
            "errorMessage": None,
            "properties": None,
            "nodes": None,
        }
    }
    jobs_of(fake, sub, rg, ws)[name] = record
    sweeps.submit(fake, sub, rg, ws, record)
    location = f"{request.base}{request.path}?api-version={request.api_version or ''}"
    return Response(201, copy.deepcopy(record), {"Location": location})


@route("GET", WS + "/jobs/{name}")
def get_job(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    from tests.azure.fake import sweeps

    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = jobs_of(fake, sub, rg, ws).get(name)
    if found is None:
        return job_not_found(name)
    sweeps.advance(fake, name)
    return Response(200, copy.deepcopy(found))


@route("GET", WS + "/jobs")
def list_jobs(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    """The workspace's jobs, newest first; ``jobType`` and ``tag`` filter as Azure does."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = list(jobs_of(fake, sub, rg, ws).values())
    job_type = request.query.get("jobType")
    if job_type:
        found = [j for j in found if j["properties"].get("jobType", "").lower() == job_type.lower()]
    tag = request.query.get("tag")
    if tag:
        found = [j for j in found if tag in (j["properties"].get("tags") or {})]
    if request.query.get("listViewType", "").lower() == "archivedonly":
        found = [j for j in found if j["properties"].get("isArchived")]
    elif request.query.get("listViewType", "activeonly").lower() == "activeonly":
        found = [j for j in found if not j["properties"].get("isArchived")]
    found.sort(key=lambda j: j["systemData"]["createdAt"], reverse=True)
    return Response(200, {"value": copy.deepcopy(found)})


@route("POST", WS + "/jobs/{name}/cancel")
def cancel_job(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    """202 with ``Location`` (the job), as ``Job/cancel.json``; a finished job is left alone."""
    from tests.azure.fake import sweeps

    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if name not in jobs_of(fake, sub, rg, ws):
        return job_not_found(name)
    sweeps.cancel(fake, name)
    location = f"{request.base}{request.path.rsplit('/cancel', 1)[0]}?api-version={request.api_version or ''}"
    return Response(202, None, {"Location": location, "Retry-After": "1"})
