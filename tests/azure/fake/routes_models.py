"""Microsoft.MachineLearningServices: model containers and model versions of a workspace.

Shapes follow the stable spec (``mfe.json``: ``ModelContainer``, ``ModelVersion``, the
``ModelContainers_*`` / ``ModelVersions_*`` operations, and the examples ``Workspace/ModelContainer/
*.json``, ``Workspace/ModelVersion/*.json``); any api-version is accepted (azure-ai-ml 1.35 sends
2025-12-01). What azure-ai-ml sends, and this module answers:

- ``ml.models.create_or_update(Model(...))``: ``GET .../models/{name}/versions?$orderBy=createdtime
  desc&$top=1`` (``_get_model_properties``: is the latest an evaluator?), then, without a version,
  ``GET .../models/{name}`` (``_get_next_version_from_container``: ``nextVersion``; 404 -> "1"),
  then ``PUT .../models/{name}/versions/{version}`` (200 on an update, 201 on a create). The
  ``mlflow_model`` folder check (``validate_ml_flow_folder``) is client-side: no request.
- ``ml.models.list()``: ``GET .../models?listViewType=ActiveOnly``; ``ml.models.list(name=)``:
  ``GET .../models/{name}/versions?listViewType=ActiveOnly``; ``ml.models.get(name, version)``:
  ``GET .../models/{name}/versions/{version}``.

State (decision 3 of issue 17's brief; tests may seed records in this exact shape):
``children(fake, sub, rg, ws, "models")[name]`` is the ModelContainer resource and
``children(fake, sub, rg, ws, "modelVersions")[f"{name}/{version}"]`` the ModelVersion resource.

Behaves as Azure does:

- a version's path is immutable: a PUT of an existing version with another ``modelUri`` answers
  Azure's ``(UserError) Asset paths cannot be updated.`` (the text azure-ai-ml matches as
  ``ASSET_PATH_ERROR``); its description, tags, properties, stage and archive flag may change;
- a path ``azureml://jobs/<job>/outputs/...`` must name a job of the workspace (a sweep job, or a
  trial of one, which Azure keeps as a child job): else 400 ``UserError`` with Azure's job text
  ``Could not find job with name: <job>.`` (the closest documented shape: no recording of this
  refusal is public); the version's ``jobName`` is that job;
- an ``mlflow_model`` registered from a job gets ``flavors`` from the job's ``MLmodel`` in the
  artifact store (Azurite, ``azureml/ExperimentRun/dcid.<job>/<path>/MLmodel``), as Azure reads
  them; ``flavors`` is never null (azure-ai-ml iterates it);
- the container keeps ``latestVersion`` (the highest version) and ``nextVersion`` (one more);
- a collection ``GET`` of a missing model is an empty list, a single ``GET`` a 404 ``UserError``.
"""

from __future__ import annotations

import contextlib
import copy
import re
from typing import Any

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route
from tests.azure.fake.routes_ml import (
    ARTIFACT_CONTAINER,
    PROVIDER,
    WS,
    children,
    require_workspace,
    stamp,
    system_data,
    ws_id,
)

ASSET_PATH_MESSAGE = "Asset paths cannot be updated."
PAGE = 100  # versions per page of a list (Azure pages too; a nextLink follows)
_JOB_PATH = re.compile(r"^azureml://jobs/(?P<job>[^/]+)/outputs/(?P<output>[^/]+)/paths/(?P<path>.*)$", re.I)
_MUTABLE = ("description", "tags", "properties", "stage", "isArchived")


def containers(fake: FakeAzure, sub: str, rg: str, ws: str) -> dict[str, dict[str, Any]]:
    """The workspace's model containers by name (decision 3)."""
    return children(fake, sub, rg, ws, "models")


def versions(fake: FakeAzure, sub: str, rg: str, ws: str) -> dict[str, dict[str, Any]]:
    """The workspace's model versions by ``"<name>/<version>"`` (decision 3)."""
    return children(fake, sub, rg, ws, "modelVersions")


def versions_of(fake: FakeAzure, sub: str, rg: str, ws: str, name: str) -> list[dict[str, Any]]:
    return [v for key, v in versions(fake, sub, rg, ws).items() if key.split("/", 1)[0] == name]


def _not_found(sub: str, rg: str, ws: str, name: str, version: str | None = None) -> Response:
    suffix = f"/versions/{version}" if version is not None else ""
    return arm_error(
        404, "UserError", f"Could not find asset with ID: {ws_id(sub, rg, ws)}/models/{name}{suffix}"
    )


def _as_int(version: str) -> int:
    return int(version) if version.isdigit() else 0


def refresh_container(fake: FakeAzure, sub: str, rg: str, ws: str, name: str) -> dict[str, Any] | None:
    """Create or update the container of ``name`` from its versions (latest and next version)."""
    found = versions_of(fake, sub, rg, ws, name)
    store = containers(fake, sub, rg, ws)
    if not found:
        store.pop(name, None)
        return None
    latest = max((str(v["name"]) for v in found), key=_as_int)
    container = store.get(name) or _new_container(sub, rg, ws, name)
    container["properties"]["latestVersion"] = latest
    container["properties"]["nextVersion"] = str(_as_int(latest) + 1)
    container["systemData"]["lastModifiedAt"] = stamp()
    store[name] = container
    return container


def _new_container(sub: str, rg: str, ws: str, name: str) -> dict[str, Any]:
    """A model container as Azure answers it before any version exists."""
    return {
        "id": f"{ws_id(sub, rg, ws)}/models/{name}",
        "name": name,
        "type": f"{PROVIDER}/workspaces/models",
        "systemData": system_data("User"),
        "properties": {
            "description": None,
            "tags": {},
            "properties": {},
            "isArchived": False,
            "latestVersion": None,
            "nextVersion": "1",
            "provisioningState": "Succeeded",
        },
    }


def _job_exists(fake: FakeAzure, sub: str, rg: str, ws: str, job: str) -> bool:
    """A job of the workspace: a submitted job, or a trial (child job) of one of its sweeps."""
    from tests.azure.fake.routes_jobs import jobs_of
    from tests.azure.fake.sweeps import _sweeps

    if job in jobs_of(fake, sub, rg, ws):
        return True
    return any(
        (s.sub, s.rg.lower(), s.ws.lower()) == (sub, rg.lower(), ws.lower())
        and any(t.name == job for t in s.trials)
        for s in _sweeps(fake).values()
    )


def _flavors(fake: FakeAzure, job: str, path: str) -> dict[str, Any]:
    """The ``MLmodel`` flavors of a job's model folder in the artifact store, as Azure reads them
    (``{flavor: {"data": {...}}}``); {} when it cannot be read."""
    if not fake.blob_endpoint:
        return {}
    import yaml

    from tests.azure.fake.routes_storage import _azurite

    blob = f"ExperimentRun/dcid.{job}/{path.strip('/')}/MLmodel"
    with contextlib.suppress(Exception):
        text = _azurite(fake).get_blob_client(ARTIFACT_CONTAINER, blob).download_blob().readall()
        loaded = yaml.safe_load(text) or {}
        return {
            flavor: {"data": {k: str(v) for k, v in (data or {}).items() if not isinstance(v, dict | list)}}
            for flavor, data in dict(loaded.get("flavors") or {}).items()
        }
    return {}


# -- versions -----------------------------------------------------------------------------
@route("PUT", WS + "/models/{name}/versions/{version}")
def put_version(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    body = request.body if isinstance(request.body, dict) else {}
    props = copy.deepcopy(body.get("properties") or {})
    key = f"{name}/{version}"
    existing = versions(fake, sub, rg, ws).get(key)
    if existing is not None:
        old = existing["properties"]
        if props.get("modelUri") and props["modelUri"].rstrip("/") != str(old.get("modelUri") or "").rstrip(
            "/"
        ):
            return arm_error(400, "UserError", ASSET_PATH_MESSAGE)
        for field in _MUTABLE:
            if field in props and props[field] is not None:
                old[field] = props[field]
        existing["systemData"]["lastModifiedAt"] = stamp()
        refresh_container(fake, sub, rg, ws, name)
        return Response(200, copy.deepcopy(existing))
    uri = str(props.get("modelUri") or "")
    if not uri:
        return arm_error(400, "UserError", "A model version needs a modelUri (the path of its files).")
    job_name = None
    found = _JOB_PATH.match(uri)
    if found is not None:
        job_name = found.group("job")
        if not _job_exists(fake, sub, rg, ws, job_name):
            return arm_error(400, "UserError", f"Could not find job with name: {job_name}.")
    model_type = props.get("modelType") or "custom_model"
    flavors = props.get("flavors") or {}
    if not flavors and model_type == "mlflow_model" and found is not None:
        flavors = _flavors(fake, found.group("job"), found.group("path"))
    record = {
        "id": f"{ws_id(sub, rg, ws)}/models/{name}/versions/{version}",
        "name": str(version),
        "type": f"{PROVIDER}/workspaces/models/versions",
        "systemData": system_data("User"),
        "properties": {
            "description": props.get("description"),
            "tags": dict(props.get("tags") or {}),
            "properties": dict(props.get("properties") or {}),
            "isArchived": bool(props.get("isArchived") or False),
            "isAnonymous": bool(props.get("isAnonymous") or False),
            "modelUri": uri,
            "modelType": model_type,
            "jobName": job_name,
            "flavors": flavors,
            "stage": props.get("stage"),
            "provisioningState": "Succeeded",
        },
    }
    versions(fake, sub, rg, ws)[key] = record
    refresh_container(fake, sub, rg, ws, name)
    return Response(201, copy.deepcopy(record))


@route("GET", WS + "/models/{name}/versions/{version}")
def get_version(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = versions(fake, sub, rg, ws).get(f"{name}/{version}")
    if found is None:
        return _not_found(sub, rg, ws, name, version)
    return Response(200, copy.deepcopy(found))


@route("DELETE", WS + "/models/{name}/versions/{version}")
def delete_version(
    fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str, version: str
) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if versions(fake, sub, rg, ws).pop(f"{name}/{version}", None) is None:
        return Response(204)
    refresh_container(fake, sub, rg, ws, name)
    return Response(200)


def _view(request: Request) -> str:
    return request.query.get("listViewType", "ActiveOnly").lower()


def _shown(record: dict[str, Any], view: str) -> bool:
    archived = bool(record["properties"].get("isArchived"))
    return view == "all" or (archived if view == "archivedonly" else not archived)


def _tag_filter(text: str) -> dict[str, str | None]:
    """Azure's ``tags`` query: ``key=value`` or ``key`` items, comma-separated."""
    wanted: dict[str, str | None] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        wanted[key] = value if sep else None
    return wanted


def _page(request: Request, found: list[dict[str, Any]], size: int = PAGE) -> Response:
    """One page of ``found`` from ``$skip``; a ``nextLink`` when more follow."""
    skip = int(request.query.get("$skip") or 0)
    top = request.query.get("$top")
    limit = min(size, int(top)) if top else size
    page = found[skip : skip + limit]
    body: dict[str, Any] = {"value": [copy.deepcopy(v) for v in page]}
    if not top and skip + limit < len(found):
        query = {k: v for k, v in request.query.items() if k != "$skip"} | {"$skip": str(skip + limit)}
        from urllib.parse import urlencode

        body["nextLink"] = f"{request.base}{request.path}?{urlencode(query)}"
    return Response(200, body)


@route("GET", WS + "/models/{name}/versions")
def list_versions(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    """``$orderBy`` (``createdtime desc|asc``; Azure's default is newest first), ``$top``,
    ``$skip``, ``listViewType``, ``version``, ``tags`` and ``description``, as the spec names them."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    view = _view(request)
    found = [v for v in versions_of(fake, sub, rg, ws, name) if _shown(v, view)]
    if request.query.get("version"):
        found = [v for v in found if v["name"] == request.query["version"]]
    if request.query.get("description"):
        found = [
            v for v in found if request.query["description"] in str(v["properties"].get("description") or "")
        ]
    for key, value in _tag_filter(request.query.get("tags", "")).items():
        tags = lambda v: v["properties"].get("tags") or {}  # noqa: E731
        found = [v for v in found if key in tags(v) and (value is None or tags(v)[key] == value)]
    order = request.query.get("$orderBy", "createdtime desc").strip().lower()
    found.sort(
        key=lambda v: (v["systemData"]["createdAt"], _as_int(v["name"])), reverse=not order.endswith("asc")
    )
    return _page(request, found)


# -- containers ---------------------------------------------------------------------------
@route("GET", WS + "/models/{name}")
def get_container(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    found = containers(fake, sub, rg, ws).get(name)
    if found is None:
        return _not_found(sub, rg, ws, name)
    return Response(200, copy.deepcopy(found))


@route("PUT", WS + "/models/{name}")
def put_container(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    """A container's description, tags and archive flag (its versions keep theirs)."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    body = request.body if isinstance(request.body, dict) else {}
    props = body.get("properties") or {}
    store = containers(fake, sub, rg, ws)
    created = name not in store
    container = store.get(name) or _new_container(sub, rg, ws, name)
    for field in ("description", "tags", "properties", "isArchived"):
        if field in props and props[field] is not None:
            container["properties"][field] = props[field]
    store[name] = container
    return Response(201 if created else 200, copy.deepcopy(container))


@route("DELETE", WS + "/models/{name}")
def delete_container(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    if containers(fake, sub, rg, ws).pop(name, None) is None:
        return Response(204)
    store = versions(fake, sub, rg, ws)
    for key in [k for k in store if k.split("/", 1)[0] == name]:
        del store[key]
    return Response(200)


@route("GET", WS + "/models")
def list_containers(fake: FakeAzure, request: Request, sub: str, rg: str, ws: str) -> Response:
    """``listViewType``, ``$skip`` and ``count`` (the page size)."""
    if (missing := require_workspace(fake, sub, rg, ws)) is not None:
        return missing
    view = _view(request)
    found = sorted(
        (c for c in containers(fake, sub, rg, ws).values() if _shown(c, view)), key=lambda c: str(c["name"])
    )
    count = request.query.get("count")
    return _page(request, found, int(count) if count and count.isdigit() else PAGE)
