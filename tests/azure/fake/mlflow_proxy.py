"""A workspace's MLflow endpoint: HTTPS on 127.0.0.1 in front of a real ``mlflow server``.

Azure ML serves each workspace's MLflow at
``https://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/{s}/resourceGroups/{rg}/providers/
Microsoft.MachineLearningServices/workspaces/{ws}/api/2.0/mlflow/...`` (the ``azureml://`` tracking
URI with ``https`` and ``/api/2.0/mlflow`` appended: what the azureml-mlflow plugin builds, a
subclass of MLflow's own RestStore). This proxy answers that URL shape by forwarding to the real
server's ``/api/2.0/mlflow/...``, and it keeps what Azure's service does differently:

- no ``Authorization: Bearer ...`` header: 401; a token starting with ``forbidden`` (a signed-in
  user without a role on the workspace): 403;
- routes Azure's MLflow does not implement answer 404 with an MLflow error body: model aliases
  (``registered-models/alias``) and bulk metric histories (``metrics/get-history-bulk``,
  ``metrics/get-history-bulk-interval``).

Its certificate comes from the same test CA as the loopback cloud (``shared_test_ca``), so one
``REQUESTS_CA_BUNDLE`` trusts both. ``calls`` records each forwarded request (method, MLflow
route, query) so tests can count what a page load costs.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.mlflow_server import MlflowServer

_PREFIX = re.compile(
    r"^/mlflow/v1\.0/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/[^/]+/(?:ajax-)?api/2\.0/mlflow/(?P<route>.*)$",
    re.IGNORECASE,
)
# What Azure's MLflow lacks (answered 404 as Azure does).
MISSING_ROUTES = ("registered-models/alias", "metrics/get-history-bulk", "metrics/get-history-bulk-interval")


@dataclass
class WorkspaceMlflow:
    """The running proxy: ``host`` is ``127.0.0.1:PORT`` (what a workspace's tracking URI names)."""

    host: str
    server: MlflowServer
    ca_bundle: Path | None = None
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (method, route, query)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tracking_uri(self, workspace_arm_id: str) -> str:
        """The ``azureml://`` URI Azure reports for a workspace of this ARM id."""
        return f"azureml://{self.host}/mlflow/v1.0{workspace_arm_id}"

    def count(self, route_part: str = "") -> int:
        with self.lock:
            return sum(1 for _, route, _ in self.calls if route_part in route)

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode()


def _handler_for(proxy: WorkspaceMlflow) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            parts = urlsplit(self.path)
            found = _PREFIX.match(parts.path)
            if found is None:
                self._answer(404, _error("ENDPOINT_NOT_FOUND", f"No such route: {parts.path}"))
                return
            auth = self.headers.get("Authorization") or ""
            if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer ").strip():
                self._answer(401, _error("UNAUTHENTICATED", "The request has no valid bearer token."))
                return
            if auth.removeprefix("Bearer ").strip().startswith("forbidden"):
                self._answer(403, _error("PERMISSION_DENIED", "The caller has no role on this workspace."))
                return
            route = found.group("route").rstrip("/")
            with proxy.lock:
                proxy.calls.append((self.command, route, parts.query))
            if route.lower() in MISSING_ROUTES:
                self._answer(
                    404,
                    _error("ENDPOINT_NOT_FOUND", f"The route mlflow/{route} is not supported by Azure ML."),
                )
                return
            target = f"{proxy.server.url}/api/2.0/mlflow/{route}" + (f"?{parts.query}" if parts.query else "")
            forwarded = urllib.request.Request(target, data=body, method=self.command)  # noqa: S310 - loopback
            if body is not None:
                forwarded.add_header("Content-Type", self.headers.get("Content-Type") or "application/json")
            try:
                with urllib.request.urlopen(forwarded, timeout=60) as answer:  # noqa: S310 - loopback
                    self._answer(
                        answer.status, answer.read(), answer.headers.get("Content-Type") or "application/json"
                    )
            except urllib.error.HTTPError as exc:
                self._answer(exc.code, exc.read(), exc.headers.get("Content-Type") or "application/json")

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
            pass

    return Handler


@contextmanager
def serve_workspace_mlflow(server: MlflowServer, folder: Path) -> Iterator[WorkspaceMlflow]:
    """Serve the proxy over HTTPS (the shared test CA) on a free loopback port until the block ends."""
    from tests.azure.fake.server import shared_test_ca

    ca = shared_test_ca()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    folder.mkdir(parents=True, exist_ok=True)
    bundle = folder / "workspace-mlflow-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    proxy = WorkspaceMlflow("", server, bundle)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(proxy))
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    proxy.host = f"127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="workspace-mlflow", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        httpd.shutdown()
        httpd.server_close()
