"""The fake's engine: routing, state, long-running operations, faults and the request log.

Route modules (``arm``, ``storage``, ``ml``, ``auth``) register handlers with :func:`route`;
a handler takes ``(fake, request, **path_params)`` and returns a :class:`Response`. Paths are
matched case-insensitively, as Azure does; any api-version is accepted and recorded.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Handler = Callable[..., "Response"]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` on ``pattern`` (``{name}`` matches one path segment)."""
    regex = re.compile(
        "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern.rstrip("/")) + "/?$", re.IGNORECASE
    )

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method.upper(), regex, handler))
        return handler

    return register


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, raw bytes, or None

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    @property
    def base(self) -> str:
        """scheme://host of the request, for absolute URLs in answers (LRO headers, nextLink)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able, bytes, or None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = {"x-ms-request-id": str(uuid.uuid4()), **self.headers}
        if self.body is None:
            return b"", headers
        if isinstance(self.body, bytes):
            return self.body, headers
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return json.dumps(self.body).encode(), headers


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Azure Resource Manager's error body (``{"error": {"code", "message"}}``)."""
    return Response(status, {"error": {"code": code, "message": message}}, dict(headers or {}))


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    response: Response
    times: int


@dataclass
class LongRunning:
    """A long-running operation: it reports ``InProgress`` for ``polls`` polls, then finishes by
    calling ``finish`` (which updates the state) and reports ``Succeeded`` (or its error)."""

    id: str
    finish: Callable[[], Response | None]
    polls: int
    result: Response | None = None
    done: bool = False


class FakeAzure:
    """One fake Azure: subscriptions, tenants, resources, operations; safe under concurrent requests.

    ``resources`` maps a lower-case ARM id to the resource's JSON, as GET returns it. ``data``
    holds what is not an ARM resource (blob containers' metadata, keys, versions…), by route module.
    """

    def __init__(
        self,
        *,
        tenant_id: str = "72f988bf-0000-4000-8000-000000000001",
        subscriptions: dict[str, str] | None = None,
        blob_endpoint: str = "",
        blob_key: str = "",
        lro_polls: int = 1,
    ) -> None:
        self.lock = threading.RLock()
        self.tenant_id = tenant_id
        self.subscriptions = dict(
            subscriptions or {"00000000-1111-4222-8333-444444444444": "Fake subscription"}
        )
        self.blob_endpoint = blob_endpoint  # every storage account's primaryEndpoints.blob (Azurite)
        self.blob_key = blob_key
        self.lro_polls = lro_polls
        self.resources: dict[str, dict[str, Any]] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.delays: list[tuple[str, re.Pattern[str], float]] = []  # slow_down(): Azure's latency
        self.operations: dict[str, LongRunning] = {}
        self.clients: dict[str, str] = {}  # service principal client id -> secret (auth routes)
        # The workspaces' MLflow endpoint (tests.azure.fake.mlflow_proxy.WorkspaceMlflow) or None:
        # then a workspace's mlFlowTrackingUri names <region>.api.azureml.ms, which nothing answers.
        self.workspace_mlflow: Any = None
        _load_routes()

    # -- what tests use -------------------------------------------------------------------
    def fail(
        self,
        method: str,
        path_pattern: str,
        response: Response,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and the regex ``path_pattern``
        (searched in the path, case-insensitively) with ``response`` instead."""
        with self.lock:
            pattern = re.compile(path_pattern, re.IGNORECASE)
            self.faults.append(Fault(method.upper(), pattern, response, times))

    def slow_down(self, method: str, path_pattern: str, seconds: float) -> None:
        """Answer the next request matching ``method`` and ``path_pattern`` after ``seconds``, as
        Azure answers some calls after many seconds (an environment's image check, say)."""
        with self.lock:
            self.delays.append((method.upper(), re.compile(path_pattern, re.IGNORECASE), seconds))

    def calls(self, method: str | None = None, path_pattern: str = "") -> list[Request]:
        """The recorded requests, optionally only those of ``method`` whose path matches."""
        regex = re.compile(path_pattern, re.IGNORECASE)
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper()) and regex.search(r.path)
            ]

    # -- long-running operations ------------------------------------------------------------
    def begin(
        self,
        request: Request,
        finish: Callable[[], Response | None],
        *,
        status: int = 202,
        body: Any = None,
        location: bool = True,
        async_operation: bool = True,
    ) -> Response:
        """Start a long-running operation the way Azure does: ``status`` (201 or 202) with
        ``Azure-AsyncOperation`` and/or ``Location`` and ``Retry-After: 1``."""
        op = LongRunning(str(uuid.uuid4()), finish, self.lro_polls)
        with self.lock:
            self.operations[op.id] = op
        sub = next(iter(self.subscriptions))
        url = f"{request.base}/subscriptions/{sub}/providers/Fake.Operations/operations/{op.id}"
        headers = {"Retry-After": "1"}
        if async_operation:
            headers["Azure-AsyncOperation"] = f"{url}?api-version=2020-01-01&kind=status"
        if location:
            headers["Location"] = f"{url}?api-version=2020-01-01&kind=result"
        if self.lro_polls == 0:
            self._finish(op)
        return Response(status, body, headers)

    def _finish(self, op: LongRunning) -> None:
        if not op.done:
            op.result = op.finish()
            op.done = True

    def poll(self, op_id: str, kind: str) -> Response:
        with self.lock:
            op = self.operations.get(op_id)
            if op is None:
                return arm_error(404, "OperationNotFound", f"Operation {op_id} was not found.")
            if op.polls > 0:
                op.polls -= 1
                if kind == "status":
                    running = {"id": op_id, "name": op_id, "status": "InProgress"}
                    return Response(200, running, {"Retry-After": "1"})
                return Response(202, None, {"Retry-After": "1"})
            self._finish(op)
            result = op.result
        failed = result is not None and result.status >= 400
        if kind == "status":
            body: dict[str, Any] = {"id": op_id, "name": op_id, "status": "Failed" if failed else "Succeeded"}
            if failed and isinstance(result.body, dict):  # type: ignore[union-attr]
                body["error"] = result.body.get("error", result.body)  # type: ignore[union-attr]
            return Response(200, body)
        if failed:
            return result  # type: ignore[return-value]
        return result or Response(204)

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(url)
        request = Request(
            method=method.upper(),
            url=url,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in headers.items()},
            body=_parse_body(body, headers),
        )
        with self.lock:
            self.requests.append(request)
            delay = next(
                (d for d in self.delays if d[0] == request.method and d[1].search(request.path)), None
            )
            if delay is not None:
                self.delays.remove(delay)
        if delay is not None:
            time.sleep(delay[2])  # outside the lock: other requests go on meanwhile
        with self.lock:
            for fault in self.faults:
                if fault.method == request.method and fault.path.search(request.path) and fault.times > 0:
                    fault.times -= 1
                    return fault.response
        for verb, regex, handler in _ROUTES:
            found = regex.match(request.path)
            if found and verb == request.method:
                with self.lock:
                    return handler(self, request, **found.groupdict())
        return arm_error(
            404 if request.method == "GET" else 400,
            "NoRegisteredProviderFound" if "/providers/" in request.path else "InvalidResourceType",
            f"The fake Azure has no route for {request.method} {request.path}.",
        )


@route("GET", "/subscriptions/{sub}/providers/Fake.Operations/operations/{op_id}")
def _poll_operation(fake: FakeAzure, request: Request, sub: str, op_id: str) -> Response:
    return fake.poll(op_id, request.query.get("kind", "status"))


def _parse_body(body: bytes, headers: dict[str, str]) -> Any:
    if not body:
        return None
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            return json.loads(body)
        except ValueError:
            return body
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode(), keep_blank_values=True))
    return body


_LOADED = False


def _load_routes() -> None:
    """Import the route modules once (each registers its handlers)."""
    global _LOADED
    if _LOADED:
        return
    import importlib
    import pkgutil

    import tests.azure.fake as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("routes_"):
            importlib.import_module(f"tests.azure.fake.{module.name}")
    _LOADED = True
