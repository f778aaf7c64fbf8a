"""Start, watch, cancel, resume and close local sweeps from the dashboard process.

Launching writes the job record and starts the runner as a detached process (its own
session), so it keeps running while Streamlit reruns, and the page only polls the record.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.backend.types import SweepProgress, TrialRow
from core.engine.agent import WarmCluster, hand_over
from core.engine.job import RUNNER_MODULE, SWEEPS_ENV, JobStore, SweepJob, effective_state
from core.engine.progress import read_progress
from core.errors import ConflictError, NotFoundError
from core.resources import now
from core.sweep.rules import check_spec
from core.sweep.spec import SweepSpec

PROJECT_ROOT = Path(__file__).resolve().parents[2]


SweepStatus = SweepProgress  # the neutral type; its ``job`` is this engine's SweepJob


def new_sweep_id(family: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"sweep-{family.replace('_', '-')}-{stamp}-{secrets.token_hex(2)}"


def launch_sweep(
    store: JobStore,
    *,
    workspace: str,
    experiment: str,
    dataset: str,
    dataset_version: int,
    spec: SweepSpec,
    workers: int,
    tracking_uri: str,
    train_csv: Path,
    schema: dict[str, Any],
    cluster: str = "",
    warm_s: float = 0.0,
) -> SweepJob:
    """Validate the spec against the cluster, record the job and start its runner (or hand it
    to the cluster's warm runner)."""
    check_spec(spec, max_instances=workers)
    job = SweepJob(
        id=new_sweep_id(spec.model_family),
        workspace=workspace,
        experiment=experiment,
        dataset=dataset,
        dataset_version=dataset_version,
        spec=spec.to_dict(),
        workers=workers,
        created_at=now(),
        tracking_uri=tracking_uri,
        train_csv=str(train_csv),
        schema=schema,
        heartbeat_at=time.time(),
        cluster=cluster,
        warm_s=warm_s,
    )
    store.save(job)
    start_runner(store, job)
    return job


def start_runner(store: JobStore, job: SweepJob) -> None:
    """Hand the job to its cluster's warm runner, or start a runner detached. The runner
    records its own pid: writing the record here as well could overwrite what a fast runner
    has written already."""
    warm = job.cluster and job.warm_s > 0
    record = store.path(job.id).resolve()  # runner_alive finds the folder in the command line
    if warm and hand_over(WarmCluster(store.folder, job.cluster), record):
        return
    command = [sys.executable, "-m", RUNNER_MODULE, str(record)]
    if warm:
        command += ["--cluster", job.cluster, "--idle", str(job.warm_s)]
    log = (store.folder / f"{job.id}.log").open("ab")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
        SWEEPS_ENV: str(store.folder.resolve()),  # deleting the workspace finds all its processes
    }
    proc = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # survives the Streamlit session and its reruns
    )
    log.close()
    _REAPED.append(proc)  # keep a handle so the exit status is collected (no zombie)


_REAPED: list[subprocess.Popen[bytes]] = []


def _require(store: JobStore, job_id: str) -> SweepJob:
    job = store.load(job_id)
    if job is None:
        raise NotFoundError(f"There is no sweep '{job_id}' in this workspace.", "Pick one from the list.")
    return job


def cancel_sweep(store: JobStore, job_id: str) -> SweepJob:
    """Ask the runner to stop: running trials are stopped, finished ones are kept."""
    job = _require(store, job_id)
    if effective_state(job) not in ("starting", "running"):
        raise ConflictError(f"Sweep '{job_id}' is not running.", "Only a running sweep can be canceled.")
    return store.request_cancel(job_id) or job


def resume_sweep(store: JobStore, job_id: str) -> SweepJob:
    """Start a new runner on an interrupted sweep; it carries on with the budget left."""
    job = _require(store, job_id)
    if effective_state(job) != "interrupted":
        raise ConflictError(
            f"Sweep '{job_id}' was not interrupted, so there is nothing to resume.",
            "Resume is for a sweep whose runner stopped (for example, the machine restarted).",
        )
    store.clear_cancel(job_id)
    job = store.save(
        job.with_(
            state="starting",
            pid=None,
            cancel_requested=False,
            resumes=job.resumes + 1,
            heartbeat_at=time.time(),
            message="Resuming…",
        )
    )
    start_runner(store, job)
    return job


def close_sweep(store: JobStore, job_id: str) -> SweepJob:
    """Mark an interrupted sweep as closed, and its parent and unfinished trials as killed."""
    from core.engine.tracking import SweepTracker
    from core.mlflow_layout import TAG_PARENT

    job = _require(store, job_id)
    if effective_state(job) != "interrupted":
        raise ConflictError(
            f"Sweep '{job_id}' was not interrupted.", "Only an interrupted sweep can be closed."
        )
    if job.run_id:
        tracker = SweepTracker(job.tracking_uri)
        experiment_id = tracker.experiment_id(job.experiment)
        runs = tracker.client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{TAG_PARENT}` = '{job.run_id}' and attributes.status = 'RUNNING'",
        )
        for run in runs:
            tracker.client.set_terminated(run.info.run_id, status="KILLED")
        tracker.client.set_terminated(job.run_id, status="KILLED")
    return store.save(
        job.with_(
            state="closed", ended_at=now(), message="Closed after an interruption; finished trials are kept."
        )
    )


def sweep_status(store: JobStore, job_id: str) -> SweepStatus:
    """What the live view shows: the record, the trials so far, elapsed time and an ETA.

    Elapsed counts from the sweep's first start (the record's ``started_at``), so a Resume does
    not restart it; the ETA uses the pace of the runner now at work (the progress file's start),
    so the hours a sweep lay interrupted do not slow its estimate."""
    job = _require(store, job_id)
    progress = read_progress(store, job_id)
    trials: list[TrialRow] = progress["trials"]
    runner_start = float(progress.get("started") or time.time())
    first_start = datetime.fromisoformat(job.started_at).timestamp() if job.started_at else runner_start
    state = effective_state(job)
    end = datetime.fromisoformat(job.ended_at).timestamp() if job.ended_at else time.time()
    elapsed = max(0.0, end - min(first_start, runner_start))
    eta = _eta(job, trials, runner_start, end) if state == "running" else None
    return SweepStatus(job, state, trials, elapsed, eta)


def _eta(job: SweepJob, trials: list[TrialRow], runner_start: float, now_s: float) -> float | None:
    """Seconds left, from the current runner's pace: trials it finished per second of its wall time."""
    finished = [t for t in trials if t["status"] not in ("running", "queued")]
    recent = sum(1 for t in finished if float(t.get("ended") or 0) >= runner_start)
    run_elapsed = now_s - runner_start
    if recent == 0 or run_elapsed <= 0:
        return None
    total = int(job.spec["limits"]["max_total_trials"])
    eta = max(0, total - len(finished)) * run_elapsed / recent
    timeout = job.spec["limits"].get("timeout_s")
    return min(eta, max(0.0, timeout - run_elapsed)) if timeout else eta
