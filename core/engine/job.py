"""A local sweep job: its record on disk, and whether its runner process is alive.

The record is the control channel between the dashboard and the runner process. The runner
writes its progress and a heartbeat; the dashboard only asks to cancel, with a marker file. Writes
are atomic (a temp file renamed over the old one), so a reader never sees half a record.
MLflow holds the trials themselves; the record holds what MLflow cannot: the process id,
the requested cancel and the lifecycle state.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from core.backend.types import ACTIVE_STATES, SweepInfo, SweepState

State = SweepState
ACTIVE: frozenset[str] = ACTIVE_STATES
RUNNER_MODULE = "core.engine.runner"
START_GRACE_S = 120.0
# Every process started for a workspace's sweeps (runners, warm ones included, and what they
# start: forkserver, workers, resource tracker) inherits this variable, naming its sweeps folder.
SWEEPS_ENV = "AZML_SWEEPS_FOLDER"


@dataclass(frozen=True, kw_only=True)
class SweepJob(SweepInfo):
    """The local sweep record: the neutral fields, plus what only the local engine needs."""

    train_csv: str  # the stored train split the workers read
    pid: int | None = None
    cancel_requested: bool = False
    heartbeat_at: float | None = None
    warm_s: float = 0.0  # how long the cluster's runner stays warm after the sweep (idle seconds)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SweepJob:
        return cls(**json.loads(text))

    def with_(self, **changes: Any) -> SweepJob:
        return replace(self, **changes)


class JobStore:
    """Sweep records of one workspace: ``<folder>/<id>.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def save(self, job: SweepJob) -> SweepJob:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w") as handle:
            handle.write(job.to_json())
        os.replace(tmp, self.path(job.id))
        return job

    def load(self, job_id: str) -> SweepJob | None:
        try:
            job = SweepJob.from_json(self.path(job_id).read_text())
        except FileNotFoundError:
            return None
        if not job.cancel_requested and self.cancel_marker(job_id).exists():
            job = job.with_(cancel_requested=True)
        return job

    def cancel_marker(self, job_id: str) -> Path:
        """The file that asks the runner to cancel. A file of its own, not a field the dashboard
        rewrites in the record: the runner rewrites the record after every trial, and a request
        written between its read and its write would be lost."""
        return self.folder / f"{job_id}.cancel"

    def clear_cancel(self, job_id: str) -> None:
        self.cancel_marker(job_id).unlink(missing_ok=True)

    def all(self) -> list[SweepJob]:
        """Every record, oldest first."""
        if not self.folder.exists():
            return []
        records = [
            p for p in self.folder.glob("*.json") if not p.name.startswith(".") and p.name.count(".") == 1
        ]  # not the progress files (<id>.progress.json) nor temp files
        jobs = [SweepJob.from_json(p.read_text()) for p in records]
        return sorted(jobs, key=lambda j: j.created_at)

    def request_cancel(self, job_id: str) -> SweepJob | None:
        job = self.load(job_id)
        if job is None:
            return None
        self.cancel_marker(job_id).touch()
        return job.with_(cancel_requested=True)


def runner_alive(pid: int | None, folder: Path | None = None) -> bool:
    """True when ``pid`` is a live sweep runner (not a recycled pid of some other program);
    with ``folder``, a runner of that sweeps folder (a warm runner lives long, and its pid must
    not be mistaken for another workspace's)."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        status = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if status.split(") ", 1)[-1].startswith("Z"):  # a zombie waiting to be reaped is gone
        return False
    if folder is not None and str(folder.resolve()).encode() not in cmdline:
        return False
    return RUNNER_MODULE.encode() in cmdline


def effective_state(job: SweepJob) -> State:
    """The state a user should see: an active record whose runner is gone was interrupted."""
    if job.state == "starting" and job.pid is None:
        # normal for a few seconds while the runner imports; after that it never started
        waited = time.time() - (job.heartbeat_at or 0)
        return "starting" if waited < START_GRACE_S else "interrupted"
    if job.state in ACTIVE and not runner_alive(job.pid):
        return "interrupted"
    return job.state


def sweep_processes(folder: Path) -> list[int]:
    """Pids of every live process started for the sweeps of ``folder`` (see ``SWEEPS_ENV``)."""
    tag = f"{SWEEPS_ENV}={folder.resolve()}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or another user's
            continue
        if tag in environ.split(b"\0") and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def stop_sweep_processes(folder: Path) -> list[int]:
    """Kill every process of the sweeps of ``folder``, wherever it sits in the process tree (an
    orphaned worker included); returns the pids signalled."""
    pids = sweep_processes(folder)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
    return pids
