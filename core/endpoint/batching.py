"""The model processes and dynamic batching behind the scoring app (:mod:`core.endpoint.app`).

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
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from core.endpoint.model import signature_of
from core.endpoint.payload import ScoringInput
from core.endpoint.records import RECORD, DeploymentRecord, EndpointRecord

__all__ = ["ENV_MAX_BATCH_ROWS", "WATCH_S", "ModelPool", "Served", "predict_items"]

log = logging.getLogger("endpoint")

ENV_MAX_BATCH_ROWS = "AZML_ENDPOINT_MAX_BATCH_ROWS"  # 1 turns batching off (for the benchmark's control)
MAX_BATCH_ROWS = int(os.environ.get(ENV_MAX_BATCH_ROWS) or 4096)  # rows of several requests in one call
SPLIT_ROWS = 2048  # a request with more rows is split across the model processes
WATCH_S = 1.0
WARM_TIMEOUT_S = 120.0

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
