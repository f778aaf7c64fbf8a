"""The scoring server's ASGI app (Starlette): key check, the scoring contract, the model processes.

Routes:

- ``GET /``: ``Healthy`` as plain text, like Azure's inference server's liveness route;
- ``GET /health``: JSON about the server (endpoint, deployments, model processes); no auth,
  no secrets;
- ``POST /score``: ``Authorization: Bearer <key>`` and a body as in :mod:`core.endpoint.payload`.
  The optional ``azureml-model-deployment`` header picks a deployment, otherwise the traffic
  split does. The answer is a bare JSON list of predictions or, when probabilities are asked
  for, ``{"predictions": [...], "classes": [...], "probabilities": [[...], ...]}``.

Errors are JSON, ``{"error": {"code": ..., "message": ...}}``: 401 for a missing or wrong key,
400 for a body the model cannot score (the problem named), 404 for an unknown deployment, 413
for a body over the size limit, 503 when no deployment takes traffic. Nothing a client sends
can stop the server: every failure becomes one of these answers.

How it scales (a request queue per deployment, model processes that score each queue in one
``predict`` call) is in :mod:`core.endpoint.batching`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.endpoint.batching import WATCH_S, ModelPool, Served
from core.endpoint.payload import ScoringError, parse_json, parse_request
from core.endpoint.records import KEYS, RECORD, EndpointRecord, KeyChecker

__all__ = ["DEPLOYMENT_HEADER", "ENV_DIR", "ENV_INSTANCE", "create_app"]

log = logging.getLogger("endpoint")

ENV_DIR = "AZML_ENDPOINT_DIR"
ENV_INSTANCE = "AZML_ENDPOINT_INSTANCE"
DEPLOYMENT_HEADER = "azureml-model-deployment"
DRAIN_FACTOR = 4  # an oversized body is read and dropped up to this many times the limit
_CODES = {400: "BadRequest", 401: "Unauthorized", 404: "DeploymentNotFound", 413: "PayloadTooLarge"}
_CODES |= {500: "InternalError", 503: "NoTraffic"}


class ScoringApp:
    """The server's state: the endpoint record it was started with, its deployments and keys."""

    def __init__(self, folder: Path, instance_id: str) -> None:
        self.folder = Path(folder)
        self.instance_id = instance_id
        self.record = EndpointRecord.from_json((self.folder / RECORD).read_text(encoding="utf-8"))
        self.keys = KeyChecker(self.folder / KEYS)
        self.pool = ModelPool(self.folder, self.record.workers)
        self.served = {d.name: Served(d, self.pool) for d in self.record.deployments}
        self.started_at = time.time()
        self.requests = 0
        self._record_stamp = _stamp(self.folder / RECORD)

    async def start(self) -> None:
        classes = await self.pool.warm(list(self.served))
        for name, served in self.served.items():
            served.classes = classes[name]

    def _refresh_traffic(self) -> None:
        """Pick up a new traffic split (the deployments themselves change only by a restart)."""
        stamp = _stamp(self.folder / RECORD)
        if stamp == self._record_stamp or stamp is None:
            return
        try:
            fresh = EndpointRecord.from_json((self.folder / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return
        self.record = self.record.with_(traffic=fresh.traffic)
        self._record_stamp = stamp

    def choose(self, header: str | None) -> Served:
        self._refresh_traffic()
        if header:
            served = self.served.get(header.strip())
            if served is None:
                names = ", ".join(repr(n) for n in self.served) or "none"
                raise ScoringError(
                    404, f"This endpoint has no deployment {header.strip()!r}; its deployments: {names}."
                )
            return served
        live = [(n, w) for n, w in self.record.traffic.items() if w > 0 and n in self.served]
        if not live:
            raise ScoringError(
                503,
                "No deployment of this endpoint takes traffic. Set the traffic split, or name a "
                f"deployment in the '{DEPLOYMENT_HEADER}' header.",
            )
        if len(live) == 1:
            return self.served[live[0][0]]
        choices, weights = zip(*live, strict=True)
        return self.served[random.choices(choices, weights=weights)[0]]

    async def score(self, request: Request) -> Response:
        self.requests += 1
        served: Served | None = None
        try:
            if not self.keys.check(request.headers.get("authorization")):
                return _error(
                    401,
                    "A valid key is required: send the header 'Authorization: Bearer <endpoint key>'.",
                    {"WWW-Authenticate": 'Bearer realm="endpoint"'},
                )
            served = self.choose(request.headers.get(DEPLOYMENT_HEADER))
            body = await _read_body(request, self.record.max_body_bytes)
            item = parse_request(
                parse_json(body),
                served.signature,
                max_rows=self.record.max_rows,
                probabilities=request.query_params.get("probabilities"),
            )
            if item.probabilities and not served.has_proba:
                raise ScoringError(
                    400,
                    f"Deployment '{served.name}' is a {served.record.task} model: "
                    "it has no class probabilities.",
                )
            predictions, probabilities = await served.score(item)
        except ScoringError as exc:
            return _error(exc.status, exc.message, _deployment_header(served))
        except (ValueError, TypeError) as exc:  # checked input that the model still refused
            message = f"The model could not score these rows: {type(exc).__name__}: {str(exc)[:300]}"
            return _error(400, message, _deployment_header(served))
        except Exception:
            log.exception("scoring failed")
            return _error(500, "The server could not score this request; see the endpoint's server log.")
        if probabilities is None:
            answer: Any = predictions
        else:
            answer = {"predictions": predictions, "classes": served.classes, "probabilities": probabilities}
        return Response(_dumps(answer), media_type="application/json", headers=_deployment_header(served))

    def health(self) -> dict[str, Any]:
        return {
            "status": "Healthy",
            "endpoint": self.record.name,
            "instance_id": self.instance_id,
            "pid": os.getpid(),
            "model_processes": sorted(self.pool.pids),
            "uptime_s": round(time.time() - self.started_at, 1),
            "requests": self.requests,
            "traffic": self.record.traffic,
            "deployments": {
                name: {
                    "model": f"{s.record.model_name}:{s.record.model_version}",
                    "task": s.record.task,
                    "classes": s.classes,
                    "batches": s.batches,
                    "rows": s.rows,
                }
                for name, s in self.served.items()
            },
            "limits": {"max_rows": self.record.max_rows, "max_body_bytes": self.record.max_body_bytes},
        }

    def still_wanted(self) -> bool:
        """False once the record names another server instance, or is gone."""
        try:
            record = json.loads((self.folder / RECORD).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return False
        except ValueError:
            return True  # being rewritten
        return bool(record.get("instance_id") == self.instance_id)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, or a 413 once it passes ``limit`` bytes. An oversized body is still read (and
    dropped) up to a few times the limit, so the client can finish sending and read the 413."""
    declared = request.headers.get("content-length", "")
    too_big = declared.isdigit() and int(declared) > limit
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            too_big = True
        if too_big:
            chunks.clear()
            if size > DRAIN_FACTOR * limit:
                break
        else:
            chunks.append(chunk)
    if too_big:
        raise ScoringError(
            413,
            f"The request body is over this endpoint's limit of {limit:,} bytes; "
            "send fewer rows per request.",
        )
    return b"".join(chunks)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_ino


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def _deployment_header(served: Served | None) -> dict[str, str]:
    return {DEPLOYMENT_HEADER: served.name} if served is not None else {}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": _CODES.get(status, "Error"), "message": message}}
    return Response(_dumps(body), status_code=status, media_type="application/json", headers=headers)


def create_app() -> Starlette:
    """The server's app; configured by the environment :mod:`core.endpoint.serve` sets."""
    state = ScoringApp(Path(os.environ[ENV_DIR]), os.environ[ENV_INSTANCE])

    async def home(request: Request) -> Response:
        return PlainTextResponse("Healthy")

    async def health(request: Request) -> Response:
        return Response(_dumps(state.health()), media_type="application/json")

    async def score(request: Request) -> Response:
        return await state.score(request)

    async def watch() -> None:
        while True:
            await asyncio.sleep(WATCH_S)
            if not state.still_wanted():
                log.warning("the endpoint record no longer names this server; stopping")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            yield
        finally:
            watcher.cancel()
            for served in state.served.values():
                served.close()
            state.pool.close()

    return Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/score", score, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
