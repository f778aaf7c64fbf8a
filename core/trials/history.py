"""Metric histories (intermediate values per step) for many trials at once.

MLflow's client reads one run's history per call, which is what makes charts over
thousands of runs crawl. Here:

- SQLite stores are read with one read-only query per chunk of runs (MLflow's own
  ``metrics`` table, the same rows ``get_metric_history`` returns);
- folder stores (``mlruns``) are read straight from their metric files, one pass;
- other database stores use MLflow's ``get_metric_history_bulk`` (one query per key);
- remote servers only serve one run per call, so histories are fetched lazily, for the
  trials the page needs (the chosen ones), at most :data:`LAZY_LIMIT` of them, several calls
  at once. Azure ML's
  MLflow (``azureml://``) is one of them: it answers 404 on ``get-history-bulk`` and
  ``get-history-bulk-interval``, so it is never asked; :func:`one_run_at_a_time_note` says so
  on the page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from core.trials.store import client, describe_failure, sqlite_path, store_kind

LAZY_LIMIT = 50
LAZY_WORKERS = 8  # one-run history calls in flight at once on a remote server
_CHUNK = 900  # SQLite host parameters per query stay under the old 999 limit
COLUMNS = ["run_id", "key", "step", "value", "timestamp"]


def is_bulk(uri: str) -> bool:
    """True when every trial's history can be loaded at once (local stores, SQL databases)."""
    if store_kind(uri) in ("sqlite", "file"):
        return True
    if uri.lower().startswith("azureml://"):
        return False  # Azure's MLflow has no bulk history routes (404)
    try:
        return hasattr(client(uri)._tracking_client.store, "get_metric_history_bulk")
    except Exception:
        return False


def one_run_at_a_time_note(uri: str) -> str | None:
    """What the page says where histories are loaded one run at a time (None on bulk stores)."""
    if is_bulk(uri):
        return None
    if uri.lower().startswith("azureml://"):
        return (
            "Azure's MLflow has no bulk metric history: histories are loaded one run at a time, "
            f"for the selected trials and the best one (at most {LAZY_LIMIT})."
        )
    return (
        "This server returns metric histories one run at a time: histories are loaded for the "
        f"selected trials and the best one (at most {LAZY_LIMIT})."
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype=t)
            for c, t in zip(COLUMNS, ["str", "str", "int64", "float64", "int64"], strict=True)
        }
    )


def _from_sqlite(path: Path, run_ids: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
    frames = []
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        key_marks = ",".join("?" * len(keys))
        for start in range(0, len(run_ids), _CHUNK):
            chunk = list(run_ids[start : start + _CHUNK])
            run_marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT run_uuid, key, step, value, timestamp, is_nan FROM metrics "  # noqa: S608
                f"WHERE key IN ({key_marks}) AND run_uuid IN ({run_marks})",
                [*keys, *chunk],
            ).fetchall()
            if rows:
                frame = pd.DataFrame(rows, columns=[*COLUMNS, "is_nan"])
                frame.loc[frame["is_nan"].astype(bool), "value"] = np.nan
                frames.append(frame.drop(columns="is_nan"))
    return pd.concat(frames, ignore_index=True) if frames else _empty()


def _from_folder(root: Path, experiment_id: str, run_ids: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
    rows: list[tuple[str, str, int, float, int]] = []
    for run_id in run_ids:
        for key in keys:
            path = root / experiment_id / run_id / "metrics" / key
            try:
                text = path.read_text()
            except OSError:
                continue
            for line in text.splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    step = int(parts[2]) if len(parts) > 2 else 0
                    rows.append((run_id, key, step, float(parts[1]), int(parts[0])))
    return pd.DataFrame(rows, columns=COLUMNS) if rows else _empty()


def _from_store(uri: str, run_ids: Sequence[str], keys: Sequence[str], bulk: bool) -> pd.DataFrame:
    mlflow_client = client(uri)
    rows: list[tuple[str, str, int, float, int]] = []
    if bulk:
        store = mlflow_client._tracking_client.store
        for key in keys:
            for start in range(0, len(run_ids), _CHUNK):
                for item in store.get_metric_history_bulk(list(run_ids[start : start + _CHUNK]), key, 10**9):
                    m = item.metric
                    rows.append((item.run_id, m.key, int(m.step), float(m.value), int(m.timestamp)))
    else:  # one run per call: the calls at once, a few at a time
        asked = [(run_id, key) for run_id in run_ids[:LAZY_LIMIT] for key in keys]
        with ThreadPoolExecutor(max_workers=LAZY_WORKERS, thread_name_prefix="mlflow-history") as pool:
            answers = pool.map(lambda pair: mlflow_client.get_metric_history(*pair), asked)
            for (run_id, _), history in zip(asked, answers, strict=True):
                rows.extend((run_id, m.key, int(m.step), float(m.value), int(m.timestamp)) for m in history)
    return pd.DataFrame(rows, columns=COLUMNS) if rows else _empty()


def load_histories(uri: str, experiment_id: str, run_ids: Sequence[str], keys: Sequence[str]) -> pd.DataFrame:
    """Rows (run_id, key, step, value, timestamp) of ``keys`` for ``run_ids``; when a step was
    logged twice the later value wins. On a remote server only the first LAZY_LIMIT runs."""
    if not run_ids or not keys:
        return _empty()
    kind = store_kind(uri)
    try:
        if kind == "sqlite":
            frame = _from_sqlite(sqlite_path(uri), run_ids, keys)
        elif kind == "file":
            frame = _from_folder(Path(unquote(urlparse(uri).path)), experiment_id, run_ids, keys)
        else:
            frame = _from_store(uri, run_ids, keys, is_bulk(uri))
    except Exception as exc:
        raise describe_failure(uri, exc) from None
    frame = frame.sort_values(["run_id", "key", "step", "timestamp"], kind="stable")
    return frame.drop_duplicates(["run_id", "key", "step"], keep="last").reset_index(drop=True)


@dataclass(frozen=True)
class HistoryMatrix:
    """One metric's history as a (trials x steps) matrix; NaN where a trial logged no value."""

    key: str
    steps: np.ndarray  # sorted distinct steps
    values: np.ndarray  # shape (len(run_ids), len(steps))
    loaded: np.ndarray  # bool per trial: its history was loaded (lazy stores load a few)

    @property
    def reached(self) -> np.ndarray:
        """Per trial, the number of steps with a value."""
        return np.asarray(np.sum(np.isfinite(self.values), axis=1))


def history_matrix(
    histories: pd.DataFrame,
    run_ids: Sequence[str] | np.ndarray,
    key: str,
    requested: Sequence[str] | None = None,
) -> HistoryMatrix:
    """``key``'s values by trial and step; ``requested`` lists the runs whose history was asked
    for (None: all of them, as on bulk stores)."""
    rows = histories[histories["key"] == key]
    ids = np.asarray(run_ids, dtype=object)
    steps = np.unique(rows["step"].to_numpy(dtype=np.int64))
    values = np.full((len(ids), len(steps)), np.nan)
    position = pd.Index(ids).get_indexer(rows["run_id"].to_numpy())
    known = position >= 0
    step_at = np.searchsorted(steps, rows["step"].to_numpy(dtype=np.int64))
    values[position[known], step_at[known]] = rows["value"].to_numpy(dtype=np.float64)[known]
    if requested is None:
        loaded = np.ones(len(ids), dtype=bool)
    else:
        loaded = np.isin(ids, np.asarray(list(requested), dtype=object))
    return HistoryMatrix(key, steps, values, loaded)
