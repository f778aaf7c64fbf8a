"""A sweep's progress as the runner reports it: its trials, the job record and the progress file.

The scheduler keeps each trial as a :class:`LiveTrial` while it is queued or running and as a
:class:`Finished` once it ended. :class:`ProgressReport` writes them out: the counts and the
best trial go to the job record (with a heartbeat), every trial to a small progress file
(``<id>.progress.json`` beside the record) that the live view polls (:func:`read_progress`).
Writes are throttled to one per ``SAVE_EVERY_S`` unless forced.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.engine.job import JobStore, SweepJob

SAVE_EVERY_S = 1.0


@dataclass
class LiveTrial:
    number: int
    params: dict[str, Any]
    draw: int = 0
    run_id: str | None = None
    worker: int | None = None
    started: float | None = None
    folds: list[dict[str, float]] = field(default_factory=list)
    cut: bool = False  # the policy asked it to stop


@dataclass
class Finished:
    number: int
    status: str  # completed / early_terminated / failed / canceled
    value: float | None
    started: float | None
    ended: float
    worker: int | None
    folds: int
    run_id: str | None
    params: dict[str, Any]


def progress_path(store: JobStore, job_id: str) -> Path:
    return store.folder / f"{job_id}.progress.json"


def read_progress(store: JobStore, job_id: str) -> dict[str, Any]:
    """The progress file's trials and start time (none yet: no trials, no start)."""
    try:
        progress: dict[str, Any] = json.loads(progress_path(store, job_id).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        progress = {"trials": [], "started": None}
    return progress


def trial_counts(finished: Iterable[Finished], live: Iterable[LiveTrial]) -> dict[str, int]:
    counts = {"completed": 0, "early_terminated": 0, "failed": 0, "canceled": 0}
    for trial in finished:
        counts[trial.status] = counts.get(trial.status, 0) + 1
    waiting = list(live)
    counts["running"] = sum(1 for t in waiting if t.started is not None)
    counts["queued"] = sum(1 for t in waiting if t.started is None)
    return counts


def trial_rows(finished: Iterable[Finished], live: Iterable[LiveTrial]) -> list[dict[str, Any]]:
    """The progress file's rows: the finished trials, then those queued or running."""
    return [
        {
            "number": t.number,
            "status": t.status,
            "value": t.value,
            "started": t.started,
            "ended": t.ended,
            "worker": t.worker,
            "folds": t.folds,
            "params": t.params,
        }
        for t in finished
    ] + [
        {
            "number": t.number,
            "status": "running" if t.started else "queued",
            "value": None,
            "started": t.started,
            "ended": None,
            "worker": t.worker,
            "folds": len(t.folds),
            "params": t.params,
        }
        for t in live
    ]


class ProgressReport:
    """Writes one sweep's progress: the job record and the progress file."""

    def __init__(self, store: JobStore, job_id: str, started: float) -> None:
        self.store = store
        self.job_id = job_id
        self.started = started
        self.last_save = 0.0

    def save(
        self,
        job: SweepJob,
        finished: list[Finished],
        live: dict[int, LiveTrial],
        best: Finished | None,
        *,
        force: bool = False,
        **changes: Any,
    ) -> SweepJob:
        """Save the record (as stored now, else ``job``) with the counts, the best trial and
        ``changes``, and write the progress file; throttled unless ``force`` or ``changes``.
        Returns the record as saved (``job`` when throttled)."""
        if not force and not changes and time.time() - self.last_save < SAVE_EVERY_S:
            return job
        self.last_save = time.time()
        current = self.store.load(self.job_id) or job
        saved = self.store.save(
            current.with_(
                heartbeat_at=time.time(),
                counts=trial_counts(finished, live.values()),
                best_run_id=best.run_id if best else None,
                best_value=best.value if best else None,
                best_params=best.params if best else None,
                **changes,
            )
        )
        rows = trial_rows(finished, live.values())
        path = progress_path(self.store, self.job_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"trials": rows, "started": self.started}, default=str))
        os.replace(tmp, path)
        return saved
