"""Runs in bulk: one paginated ``search_runs`` over an experiment, kept as columns.

A :class:`RunTable` holds what the Trials page needs of every run (ids, names, status,
times, parent, params and tags as text, the latest value of every metric) without MLflow's
entity objects, so it pickles small and caches well. :func:`last_update` is the cheap
stamp the page caches a load by: it changes when a run starts, ends, logs a metric or gets
a tag, and costs one small query instead of a reload.

Over REST (an ``mlflow server``, Azure ML's MLflow) each page is a round trip the server spends
most of its time on, so after the first page the rest of the experiment is fetched in
:data:`PARALLEL_PARTS` slices of start time at once (MLflow's search has no offsets, only page
tokens, and filters on ``attributes.start_time``); local stores read one page after another.

While a sweep runs, :func:`refresh_runs` brings a loaded table up to date by reading only the
runs that were still open at the last load and those started since; runs that had finished
keep their row (a finished trial does not change, except for notes, which the page lays over).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from core.mlflow_layout import TAG_PARENT
from core.trials.store import client, describe_failure, sqlite_path, store_kind

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

PAGE_SIZE = 1000  # runs per search_runs page over REST: one progress step each
LOCAL_PAGE_SIZE = 2500  # on a local store a page costs a sorted query: fewer, larger (measured)
DONE = frozenset({"FINISHED", "FAILED", "KILLED"})  # MLflow's terminal run statuses
PARALLEL_PARTS = 4  # start-time slices fetched at once from a server (measured: 4 beat 2 and 8)
# Tags that can be large and that the page never reads.
_DROPPED_TAG_PREFIXES = ("mlflow.log-model.history", "mlflow.source.", "mlflow.loggedArtifacts")

Progress = Callable[[int, int | None], None]
"""Called after each page with (runs loaded so far, runs expected or None)."""


@dataclass(frozen=True)
class RunTable:
    """Runs as columns; row ``i`` of every field is the same run."""

    uri: str
    experiment_id: str
    runs: pd.DataFrame  # run_id, name, mlflow_status, start_ms, end_ms, parent, artifact_uri
    params: list[dict[str, str]]
    tags: list[dict[str, str]]
    metrics: pd.DataFrame  # latest value of every metric key, float64, NaN when not logged

    def __len__(self) -> int:
        return len(self.runs)

    def take(self, rows: Sequence[int] | np.ndarray) -> RunTable:
        index = np.asarray(rows, dtype=np.int64)
        return RunTable(
            self.uri,
            self.experiment_id,
            self.runs.iloc[index].reset_index(drop=True),
            [self.params[i] for i in index],
            [self.tags[i] for i in index],
            self.metrics.iloc[index].reset_index(drop=True),
        )

    def row_of(self, run_id: str) -> int | None:
        hits = np.flatnonzero(self.runs["run_id"].to_numpy() == run_id)
        return int(hits[0]) if hits.size else None


def _kept_tags(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if not k.startswith(_DROPPED_TAG_PREFIXES)}


def table_from_runs(uri: str, experiment_id: str, runs: Sequence[Run]) -> RunTable:
    """Columns from MLflow run entities (one pass, no per-run calls)."""
    n = len(runs)
    columns: dict[str, np.ndarray] = {}
    ids, names, statuses, parents, artifacts = [], [], [], [], []
    starts = np.full(n, np.nan)
    ends = np.full(n, np.nan)
    params: list[dict[str, str]] = []
    tags: list[dict[str, str]] = []
    for i, run in enumerate(runs):
        info, data = run.info, run.data
        ids.append(str(info.run_id))
        names.append(str(info.run_name or ""))
        statuses.append(str(info.status))
        artifacts.append(str(info.artifact_uri or ""))
        if info.start_time:
            starts[i] = info.start_time
        if info.end_time:
            ends[i] = info.end_time
        run_tags = _kept_tags(dict(data.tags))
        parents.append(run_tags.get(TAG_PARENT, ""))
        tags.append(run_tags)
        params.append(dict(data.params))
        for key, value in data.metrics.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = np.full(n, np.nan)
            column[i] = value
    frame = pd.DataFrame(
        {
            "run_id": ids,
            "name": names,
            "mlflow_status": statuses,
            "start_ms": starts,
            "end_ms": ends,
            "parent": parents,
            "artifact_uri": artifacts,
        }
    )
    metrics = (
        pd.DataFrame(columns, index=pd.RangeIndex(n)) if columns else pd.DataFrame(index=pd.RangeIndex(n))
    )
    return RunTable(uri, experiment_id, frame, params, tags, metrics)


def load_runs(
    uri: str,
    experiment_id: str,
    filter_string: str = "",
    progress: Progress | None = None,
    expected: int | None = None,
    page_size: int | None = None,
) -> RunTable:
    """Every active run of the experiment matching ``filter_string``: one paginated search
    (over REST, its pages after the first in parallel)."""
    mlflow_client = client(uri)
    report = progress or (lambda done, expected: None)
    remote = store_kind(uri) == "remote"
    size = page_size or (PAGE_SIZE if remote else LOCAL_PAGE_SIZE)
    try:
        search = _search_in_parallel if remote else _search_pages
        runs = search(mlflow_client, experiment_id, filter_string, size, report, expected)
    except Exception as exc:  # MlflowException, OSError, requests errors
        raise describe_failure(uri, exc) from None
    return table_from_runs(uri, experiment_id, runs)


def _search_pages(
    mlflow_client: MlflowClient,
    experiment_id: str,
    filter_string: str,
    page_size: int,
    report: Progress,
    expected: int | None,
    done: int = 0,
) -> list[Run]:
    """Page after page; ``report`` counts from ``done`` (runs loaded elsewhere)."""
    runs: list[Run] = []
    token: str | None = None
    while True:
        page = mlflow_client.search_runs(
            [experiment_id], filter_string=filter_string, max_results=page_size, page_token=token
        )
        runs.extend(page)
        report(done + len(runs), expected)
        token = page.token
        if not token:
            return runs


def _both(filter_string: str, condition: str) -> str:
    return f"{filter_string} AND {condition}" if filter_string else condition


def start_slices(oldest: int, newest: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` half-open start-time ranges [low, high) covering [oldest, newest), newest first."""
    edges = sorted({oldest + (newest - oldest) * i // parts for i in range(parts + 1)})
    return [(low, high) for low, high in zip(edges, edges[1:], strict=False)][::-1]


def _search_in_parallel(
    mlflow_client: MlflowClient,
    experiment_id: str,
    filter_string: str,
    page_size: int,
    report: Progress,
    expected: int | None,
) -> list[Run]:
    """The newest page first; if there is more, the runs that started at the first page's last
    start time (one query: the page may have cut them), then older ones in start-time slices,
    all at once. Newest first, as one search would list them."""
    first = mlflow_client.search_runs(
        [experiment_id], filter_string, max_results=page_size, order_by=["attributes.start_time DESC"]
    )
    runs = list(first)
    report(len(runs), expected)
    if not first.token:
        return runs
    edge = runs[-1].info.start_time
    oldest_page = mlflow_client.search_runs(
        [experiment_id], filter_string, max_results=1, order_by=["attributes.start_time ASC"]
    )
    oldest = oldest_page[0].info.start_time if oldest_page else None
    if edge is None or oldest is None:  # runs without a start time: no slices to cut
        rest = _search_pages(
            mlflow_client, experiment_id, filter_string, page_size, report, expected, done=len(runs)
        )
        seen = {r.info.run_id for r in runs}
        return runs + [r for r in rest if r.info.run_id not in seen]
    filters = [_both(filter_string, f"attributes.start_time = {edge}")] + [
        _both(filter_string, f"attributes.start_time >= {low} AND attributes.start_time < {high}")
        for low, high in start_slices(int(oldest), int(edge), PARALLEL_PARTS)
    ]
    found: dict[int, list[Run]] = {}
    with ThreadPoolExecutor(max_workers=len(filters), thread_name_prefix="mlflow-pages") as pool:
        silent: Progress = lambda done, expected: None  # noqa: E731 (threads may not draw)
        jobs = {
            pool.submit(_search_pages, mlflow_client, experiment_id, f, page_size, silent, None): i
            for i, f in enumerate(filters)
        }
        seen = {r.info.run_id for r in runs}
        for job in as_completed(jobs):
            found[jobs[job]] = [r for r in job.result() if r.info.run_id not in seen]
            report(len(runs) + sum(len(p) for p in found.values()), expected)
    return runs + [r for i in range(len(filters)) for r in found[i]]


def join_tables(newer: RunTable, older: RunTable) -> RunTable:
    """Two tables of one experiment as one, ``newer``'s rows first (metrics: union of columns)."""
    metrics = pd.concat([newer.metrics, older.metrics], ignore_index=True)
    return RunTable(
        newer.uri,
        newer.experiment_id,
        pd.concat([newer.runs, older.runs], ignore_index=True),
        newer.params + older.params,
        newer.tags + older.tags,
        metrics.reset_index(drop=True),
    )


def refresh_runs(
    previous: RunTable,
    filter_string: str = "",
    progress: Progress | None = None,
    page_size: int | None = None,
) -> RunTable:
    """``previous`` (a load with ``filter_string``) brought up to date: one search for the runs
    that were still open then and any started since; the rows of runs that had finished are
    kept as loaded. An empty or undated table is loaded afresh."""
    runs = previous.runs
    starts = runs["start_ms"].to_numpy(dtype=np.float64)
    still_open = ~runs["mlflow_status"].isin(DONE).to_numpy() & np.isfinite(starts)
    if not len(runs) or not np.isfinite(starts).all():
        return load_runs(previous.uri, previous.experiment_id, filter_string, progress, page_size=page_size)
    since = int(starts[still_open].min()) if still_open.any() else int(starts.max())
    fresh = load_runs(
        previous.uri,
        previous.experiment_id,
        _both(filter_string, f"attributes.start_time >= {since}"),
        progress,
        page_size=page_size,
    )
    known = set(fresh.runs["run_id"])
    kept = [i for i in range(len(previous)) if starts[i] < since and runs["run_id"].iloc[i] not in known]
    return join_tables(fresh, previous.take(kept))


def get_run_table(uri: str, run_id: str) -> RunTable:
    """One run (a sweep's parent) as a one-row table."""
    try:
        run = client(uri).get_run(run_id)
    except Exception as exc:
        raise describe_failure(uri, exc) from None
    return table_from_runs(uri, str(run.info.experiment_id), [run])


def _sqlite_stamp(path: Path, experiment_id: str) -> tuple[Any, ...]:
    exp = int(experiment_id) if experiment_id.isdigit() else experiment_id
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        runs = conn.execute(
            "SELECT COUNT(*), MAX(start_time), MAX(end_time), "
            "SUM(CASE WHEN status IN ('RUNNING', 'SCHEDULED') THEN 1 ELSE 0 END) "
            "FROM runs WHERE experiment_id = ? AND lifecycle_stage = 'active'",
            (exp,),
        ).fetchone()
        metrics = conn.execute(
            "SELECT COUNT(*), MAX(m.timestamp) FROM latest_metrics m "
            "JOIN runs r ON r.run_uuid = m.run_uuid WHERE r.experiment_id = ?",
            (exp,),
        ).fetchone()
        tags = conn.execute(
            "SELECT COUNT(*), SUM(LENGTH(t.value)) FROM tags t "
            "JOIN runs r ON r.run_uuid = t.run_uuid WHERE r.experiment_id = ?",
            (exp,),
        ).fetchone()
    return (*runs, *metrics, *tags)


def _folder_stamp(root: Path, experiment_id: str) -> tuple[Any, ...]:
    count, latest = 0, 0.0
    folder = root / experiment_id
    if not folder.is_dir():
        return (0, 0.0)
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_dir() or entry.name in ("tags", "datasets", "traces", "models"):
                continue
            count += 1
            for part in ("meta.yaml", "metrics", "tags", "params"):
                with contextlib.suppress(OSError):
                    latest = max(latest, os.stat(os.path.join(entry.path, part)).st_mtime)
    return (count, latest)


def last_update(uri: str, experiment_id: str) -> str:
    """A stamp that changes whenever the experiment's runs change (cache key for a load)."""
    kind = store_kind(uri)
    try:
        if kind == "sqlite":
            return repr(_sqlite_stamp(sqlite_path(uri), experiment_id))
        if kind == "file":
            return repr(_folder_stamp(Path(unquote(urlparse(uri).path)), experiment_id))
        mlflow_client = client(uri)
        parts: list[Any] = []
        for order in ("attributes.start_time DESC", "attributes.end_time DESC"):
            page = mlflow_client.search_runs([experiment_id], max_results=1, order_by=[order])
            parts.extend((r.info.run_id, r.info.status, r.info.end_time) for r in page)
        return repr(parts)
    except Exception as exc:  # sqlite3.Error, OSError, MlflowException, requests errors
        raise describe_failure(uri, exc) from None


def expected_runs(uri: str, experiment_id: str) -> int | None:
    """How many runs a load will return (SQLite only; for the progress bar)."""
    if store_kind(uri) != "sqlite":
        return None
    try:
        return int(_sqlite_stamp(sqlite_path(uri), experiment_id)[0])
    except (sqlite3.Error, OSError, ValueError):
        return None
