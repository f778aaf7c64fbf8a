"""Reach the fake from another process: serve it over HTTPS on 127.0.0.1 as "another cloud".

A real ``streamlit run`` process (the browser test) cannot use an in-process transport, so it
talks to this server through the product's own cloud settings: Resource Manager URL, sign-in
authority, instance discovery off. The certificate comes from a throwaway test CA (trustme);
clients trust it through ``REQUESTS_CA_BUNDLE``.
"""

from __future__ import annotations

import functools
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.azure.fake.core import FakeAzure


@dataclass(frozen=True)
class LoopbackCloud:
    """A running HTTPS fake: its base URL and the CA bundle that trusts it."""

    fake: FakeAzure
    url: str  # https://127.0.0.1:PORT
    ca_bundle: Path

    @property
    def authority(self) -> str:
        return self.url + "/"

    def environment(self) -> dict[str, str]:
        """The product's own settings that point it at this cloud (no test mode)."""
        return {
            "AZML_AZURE_CLOUD": "FakeCloud",
            "AZML_ARM_URL": self.url + "/",
            "AZURE_AUTHORITY_HOST": self.authority,
            "AZML_DISABLE_INSTANCE_DISCOVERY": "1",
            "AZML_STUDIO_URL": self.url + "/studio/",
            "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
        }


def _handler_for(fake: FakeAzure) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
            answer = fake.handle(self.command, f"https://{host}{self.path}", dict(self.headers), body)
            content, headers = answer.encoded()
            self.send_response(answer.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
            pass

    return Handler


@functools.cache
def shared_test_ca() -> Any:
    """The session's one test CA (a ``trustme.CA``): the loopback cloud and the workspace MLflow
    proxy both get their certificates from it, so one CA bundle trusts both."""
    import trustme

    return trustme.CA()


@contextmanager
def serve_loopback_cloud(fake: FakeAzure, folder: Path) -> Iterator[LoopbackCloud]:
    """Serve ``fake`` over HTTPS on a free loopback port until the block ends."""
    ca = shared_test_ca()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    folder.mkdir(parents=True, exist_ok=True)
    bundle = folder / "fake-azure-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="fake-azure", daemon=True)
    thread.start()
    try:
        yield LoopbackCloud(fake, f"https://127.0.0.1:{server.server_address[1]}", bundle)
    finally:
        server.shutdown()
        server.server_close()
