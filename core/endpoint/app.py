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

How it scales: one event loop reads, checks and converts requests (cheap), and ``workers``
model processes each load every deployment's model once and predict. A request waits in its
deployment's queue while every model process is busy; a free process takes everything queued
and scores it in one ``predict`` call (dynamic batching, as Triton and TorchServe do), so under
load each process answers many requests per call. A large request is split across the
processes. Either way the predictions are the model's own, row for row: scikit-learn predicts
every row independently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import random
import signal
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.endpoint.model import signature_of
from core.endpoint.payload import ScoringError, ScoringInput, parse_json, parse_request
from core.endpoint.records import KEYS, RECORD, DeploymentRecord, EndpointRecord, KeyChecker

__all__ = ["DEPLOYMENT_HEADER", "ENV_DIR", "ENV_INSTANCE", "create_app"]

log = logging.getLogger("endpoint")

ENV_DIR = "AZML_ENDPOINT_DIR"
ENV_INSTANCE = "AZML_ENDPOINT_INSTANCE"
DEPLOYMENT_HEADER = "azureml-model-deployment"
ENV_MAX_BATCH_ROWS = "AZML_ENDPOINT_MAX_BATCH_ROWS"  # 1 turns batching off (for the benchmark's control)
MAX_BATCH_ROWS = int(os.environ.get(ENV_MAX_BATCH_ROWS) or 4096)  # rows of several requests in one call
SPLIT_ROWS = 2048  # a request with more rows is split across the model processes
DRAIN_FACTOR = 4  # an oversized body is read and dropped up to this many times the limit
WATCH_S = 1.0
WARM_TIMEOUT_S = 120.0
_CODES = {400: "BadRequest", 401: "Unauthorized", 404: "DeploymentNotFound", 413: "PayloadTooLarge"}
_CODES |= {500: "InternalError", 503: "NoTraffic"}

Result = tuple[np.ndarray, np.ndarray | None]  # predictions, probabilities (when asked)
Item = tuple[dict[str, np.ndarray], int, bool]  # columns, rows, probabilities wanted


# -- the model processes ---------------------------------------------------------------------------
_MODELS: dict[str, Any] = {}  # in a model process: deployment name -> fitted pipeline
_COLUMNS: dict[str, list[str]] = {}


def _init_model_process(folder: str, parent: int) -> None:
    """Load every deployment's model once, and leave when the server process is gone."""
    from core.endpoint.model import load_model

    record = EndpointRecord.from_json((Path(folder) / RECORD).read_text(encoding="utf-8"))
    for deployment in record.deployments:
        _MODELS[deployment.name] = load_model(Path(deployment.model_dir))
        _COLUMNS[deployment.name] = [c.name for c in signature_of(Path(deployment.model_dir))]

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_S)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()


def _model_info(name: str) -> tuple[int, list[Any] | None]:
    """This process's pid, and the deployment's classes when it can give probabilities."""
    model = _MODELS[name]
    classes = getattr(model, "classes_", None) if hasattr(model, "predict_proba") else None
    return os.getpid(), None if classes is None else np.asarray(classes).tolist()


def _warm(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def predict_items(name: str, items: list[Item]) -> list[Result | BaseException]:
    """Score several requests in one call; if that fails, each alone, so one bad request
    cannot fail the others. Runs in a model process."""
    model = _MODELS[name]
    try:
        return list(_predict(model, _COLUMNS[name], items))
    except Exception as exc:
        if len(items) == 1:
            return [exc]
    outcomes: list[Result | BaseException] = []
    for item in items:
        try:
            outcomes.extend(_predict(model, _COLUMNS[name], [item]))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


def _predict(model: Any, names: list[str], items: list[Item]) -> list[Result]:
    import pandas as pd

    if len(items) == 1:
        columns = items[0][0]
    else:
        columns = {n: np.concatenate([item[0][n] for item in items]) for n in names}
    frame = pd.DataFrame(columns, columns=names, copy=False)
    predictions = np.asarray(model.predict(frame))
    probabilities = None
    if any(want for _, _, want in items):
        probabilities = np.asarray(model.predict_proba(frame), dtype=np.float64)
    results: list[Result] = []
    start = 0
    for _, rows, want in items:
        stop = start + rows
        proba = probabilities[start:stop] if probabilities is not None and want else None
        results.append((predictions[start:stop], proba))
        start = stop
    return results


class ModelPool:
    """``size`` model processes, and a slot per process so a batch waits for a free one."""

    def __init__(self, folder: Path, size: int) -> None:
        self.folder = folder
        self.size = max(1, size)
        self.executor = self._new_executor()
        self.slots = asyncio.Semaphore(self.size)
        self.pids: set[int] = set()
        self.renewed = 0

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_model_process,
            initargs=(str(self.folder), os.getpid()),
        )

    async def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` in a model process; a crashed pool is replaced and tried once more."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, fn, *args)
        except BrokenProcessPool:
            log.error("a model process died; starting new model processes")
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._new_executor()
            self.renewed += 1
            return await loop.run_in_executor(self.executor, fn, *args)

    async def warm(self, names: list[str]) -> dict[str, list[Any] | None]:
        """Start every model process (each loads the models) and ask each deployment's classes."""
        deadline = time.monotonic() + WARM_TIMEOUT_S
        while len(self.pids) < self.size and time.monotonic() < deadline:
            pids = await asyncio.gather(*(self.call(_warm, 0.05) for _ in range(self.size)))
            self.pids.update(pids)
        classes = {}
        for name in names:
            pid, classes[name] = await self.call(_model_info, name)
            self.pids.add(pid)
        return classes

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class Served:
    """One deployment as the event loop sees it: its signature and its request queue."""

    def __init__(self, record: DeploymentRecord, pool: ModelPool) -> None:
        self.record = record
        self.name = record.name
        self.pool = pool
        self.signature = signature_of(Path(record.model_dir))
        self.classes: list[Any] | None = None  # set once the model processes have loaded
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.rows = 0

    @property
    def has_proba(self) -> bool:
        return self.record.task == "classification" and self.classes is not None

    async def score(self, item: ScoringInput) -> tuple[list[Any], list[list[float]] | None]:
        parts = _split(item, self.pool.size)
        results = await asyncio.gather(*(self._enqueue(part) for part in parts))
        predictions = np.concatenate([r[0] for r in results]).tolist()
        if not item.probabilities:
            return predictions, None
        return predictions, np.concatenate([r[1] for r in results if r[1] is not None]).tolist()

    def _enqueue(self, item: Item) -> asyncio.Future[Result]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._pending.append((item, future))
        if not self._draining:
            self._draining = True
            self._keep(loop.create_task(self._drain()))
        return future

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        """Hand the queue to the model processes: all of it, whenever one is free."""
        try:
            while self._pending:
                await self.pool.slots.acquire()
                if not self._pending:
                    self.pool.slots.release()
                    break
                batch = self._take()
                self._keep(asyncio.get_running_loop().create_task(self._run(batch)))
        finally:
            self._draining = False

    def _take(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        taken, rows = [self._pending[0]], self._pending[0][0][1]
        for entry in self._pending[1:]:
            if rows + entry[0][1] > MAX_BATCH_ROWS:
                break
            taken.append(entry)
            rows += entry[0][1]
        del self._pending[: len(taken)]
        return taken

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            outcomes = await self.pool.call(predict_items, self.name, [item for item, _ in batch])
        except BaseException as exc:  # the pool failed twice: every request of the batch fails
            outcomes = [exc] * len(batch)
        finally:
            self.pool.slots.release()
        self.batches += 1
        self.rows += sum(item[1] for item, _ in batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the client went away
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def close(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()


def _split(item: ScoringInput, parts: int) -> list[Item]:
    """A large request in up to ``parts`` slices (NumPy views), one per model process."""
    count = min(parts, -(-item.rows // SPLIT_ROWS))
    if count <= 1:
        return [(item.columns, item.rows, item.probabilities)]
    bounds = np.linspace(0, item.rows, count + 1).astype(int)
    return [
        ({n: a[lo:hi] for n, a in item.columns.items()}, int(hi - lo), item.probabilities)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]


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
