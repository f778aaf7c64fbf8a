"""Reach the fake in process: an azure-core transport whose requests adapter answers from it.

The real SDK pipelines (policies, retries, pollers, deserialisation) run unchanged; only the
socket is replaced. ``sleep`` returns at once, so long-running-operation polling is instant.
"""

from __future__ import annotations

import io
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

from tests.azure.fake.core import FakeAzure


class _FakeAdapter(BaseAdapter):
    def __init__(self, fake: FakeAzure) -> None:
        super().__init__()
        self.fake = fake

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):  # a file-like or generator body (uploads)
            body = b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)
        answer = self.fake.handle(request.method or "GET", request.url or "", dict(request.headers), body)
        content, headers = answer.encoded()
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(headers)
        response._content = content  # noqa: SLF001 - how requests builds a response without a socket
        response.raw = HTTPResponse(
            body=io.BytesIO(content), headers=headers, status=answer.status, preload_content=False
        )
        response.url = request.url or ""
        response.request = request
        response.reason = "Fake"
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


class FakeTransport(RequestsTransport):
    """An azure-core transport that sends every request to ``fake``."""

    def __init__(self, fake: FakeAzure) -> None:
        session = requests.Session()
        adapter = _FakeAdapter(fake)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # the fake's online endpoints are real scoring servers on loopback (invoke reaches them)
        session.mount("http://127.0.0.1:", requests.adapters.HTTPAdapter())
        super().__init__(session=session, session_owner=False)
        self.fake = fake

    def sleep(self, duration: float) -> None:
        """Polling is instant in tests."""

    def close(self) -> None:
        """The session is shared by every client a test builds; keep it open."""
