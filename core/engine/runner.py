"""The runner of a local sweep: ``python -m core.engine.runner <job.json>``.

It runs in its own process, detached from the dashboard, so Streamlit reruns never touch
it. It claims the sweep's record, starts the worker pool (:mod:`core.engine.pool`) and runs
the scheduler (:mod:`core.engine.scheduler`) to the sweep's end; the scheduler reports the
progress, refits the best configuration and resumes an interrupted sweep.

Warm cluster: started with ``--cluster NAME --idle SECONDS``, the runner keeps its workers
after a sweep and waits that long for the cluster's next sweep (:mod:`core.engine.agent`).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from core.engine.agent import Listener, WarmCluster
from core.engine.job import ACTIVE, JobStore, SweepJob, runner_alive
from core.engine.messages import unexpected_error
from core.engine.pool import SweepConfig, WorkerPool
from core.engine.scheduler import Scheduler, concurrency_of
from core.resources import now
from core.sweep.rules import LIMIT_MAX
from core.sweep.spec import SweepSpec
from core.train.setup import TrialSetup

log = logging.getLogger("sweep-runner")
MAX_EXTRA_NUMBERS = 10_000  # trial numbers beyond the budget that resumes may use
POOL_TRIALS = LIMIT_MAX + MAX_EXTRA_NUMBERS  # trial numbers a pool can track, for any sweep


def sweep_config(job: SweepJob, spec: SweepSpec) -> SweepConfig:
    return SweepConfig(
        train_csv=job.train_csv,
        setup=TrialSetup(
            schema=job.schema,
            family=spec.model_family,
            primary_metric=spec.primary_metric,
            folds=spec.cv_folds,
            seed=spec.seed or 0,
        ),
        trial_timeout_s=spec.limits.trial_timeout_s,
        wait_for_policy=spec.policy is not None,
    )


def pool_for(job: SweepJob, warm: WorkerPool | None = None) -> WorkerPool:
    """The warm pool when it fits this sweep, else new workers. Start them before anything
    else: their imports (scikit-learn) overlap the scheduler's (MLflow)."""
    spec = SweepSpec.from_dict(job.spec)
    workers = concurrency_of(job, spec)
    if warm is not None and warm.can_serve(workers, POOL_TRIALS):
        log.info("sweep %s runs on the warm cluster's %s workers", job.id, workers)
        pool = warm
    else:
        if warm is not None:
            warm.close()
        pool = WorkerPool(workers, max_trials=POOL_TRIALS)
    pool.begin(sweep_config(job, spec))
    return pool


def run_job(job_path: Path, warm: WorkerPool | None = None) -> WorkerPool | None:
    """Run one sweep to its end; returns its worker pool, or None when the pool cannot serve
    another sweep (or the sweep was not run)."""
    store = JobStore(job_path.parent)
    job = store.load(job_path.stem)
    if job is None:
        log.error("no sweep record at %s", job_path)
        return warm
    if job.state in ACTIVE and job.pid not in (None, os.getpid()) and runner_alive(job.pid, store.folder):
        log.error("sweep %s already has a runner (pid %s)", job.id, job.pid)
        return warm
    job = store.save(
        job.with_(
            pid=os.getpid(),
            state="running",
            started_at=job.started_at or now(),
            heartbeat_at=time.time(),
            cancel_requested=False,
        )
    )
    pool = pool_for(job, warm)
    scheduler = Scheduler(store, job, pool)
    try:
        scheduler.run()
    except BaseException as exc:
        pool.terminate()
        log.exception("sweep %s failed", job.id)
        scheduler.save(
            force=True,
            state="failed",
            ended_at=now(),
            message=unexpected_error(exc),
        )
        raise
    return pool if pool.clean else None


def serve(job_path: Path, cluster: WarmCluster, idle_s: float) -> None:
    """Run a sweep, then stay warm: run the cluster's next sweeps while they come within
    ``idle_s`` of each other, then scale to zero."""
    listener = Listener(cluster)  # notes who started us before a long first sweep
    pool = run_job(job_path)
    try:
        while pool is not None:
            log.info("cluster %s is warm for %.0f s", cluster.name, idle_s)
            next_job = listener.wait_for_job(idle_s)
            if next_job is None:
                break
            _log_to(next_job.with_suffix(".log"))
            pool = run_job(next_job, pool)
    finally:
        if pool is not None:
            pool.close()
    log.info("cluster %s scaled to zero", cluster.name)


def _log_to(path: Path) -> None:
    """Send this process's output (and logging) to the sweep's own log file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def main(argv: list[str]) -> None:
    import argparse

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m core.engine.runner")
    parser.add_argument("job", type=Path, help="the sweep's record (<sweeps folder>/<id>.json)")
    parser.add_argument("--cluster", default="", help="stay warm for this compute cluster's next sweeps")
    parser.add_argument("--idle", type=float, default=0.0, help="seconds to stay warm after a sweep")
    args = parser.parse_args(argv[1:])
    if args.cluster and args.idle > 0:
        serve(args.job, WarmCluster(args.job.parent, args.cluster), args.idle)
        return
    pool = run_job(args.job)
    if pool is not None:
        pool.close()


if __name__ == "__main__":
    main(sys.argv)
