"""The scheduler of a local sweep: ``python -m core.engine.runner <job.json>``.

It runs in its own process, detached from the dashboard, so Streamlit reruns never touch
it. It asks the sampler for configurations, hands them to the worker pool, applies the
early-termination policy each time a trial reports a fold, and is the one MLflow writer.
It writes its progress to the job record (and a small progress file the live view polls),
honours a cancel request, and at the end refits the best configuration on the whole train
split and logs it as the sweep's model.

Resume: started again on a record that has a parent run, it closes trials the dead runner
left RUNNING, replays every trial into the sampler (so finished configurations are not drawn
again, and the draws the crash cut short are made again first), and carries on with the
budget that is left.

Warm cluster: started with ``--cluster NAME --idle SECONDS``, the runner keeps its workers
after a sweep and waits that long for the cluster's next sweep (:mod:`core.engine.agent`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.engine.agent import Listener, WarmCluster
from core.engine.job import ACTIVE, JobStore, SweepJob, runner_alive
from core.engine.pool import SweepConfig, WorkerPool
from core.resources import now
from core.sweep.spec import LIMIT_MAX, SweepSpec
from core.train.setup import TrialSetup

if TYPE_CHECKING:  # imported when the scheduler starts, after the workers: see pool_for
    from core.engine.tracking import SweepTracker, TrialRecord
    from core.sweep.sampling import Sampler

log = logging.getLogger("sweep-runner")
POLL_S = 0.25
SAVE_EVERY_S = 1.0
MAX_EXTRA_NUMBERS = 10_000  # trial numbers beyond the budget that resumes may use
POOL_TRIALS = LIMIT_MAX + MAX_EXTRA_NUMBERS  # trial numbers a pool can track, for any sweep


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


def concurrency_of(job: SweepJob, spec: SweepSpec) -> int:
    budget = spec.limits.max_total_trials
    return max(1, min(spec.limits.max_concurrent_trials or budget, job.workers))


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


def warm_refit_imports() -> None:
    """Import what the final refit needs while the trials run, not after them."""
    try:
        import mlflow.sklearn  # noqa: F401
        import skops.io  # noqa: F401

        import core.train.trainer  # noqa: F401
    except Exception:  # the refit will raise the real error, with context
        log.debug("warm-up import failed", exc_info=True)


class Scheduler:
    def __init__(self, store: JobStore, job: SweepJob, pool: WorkerPool) -> None:
        self.store = store
        self.job = job
        self.pool = pool
        self.spec = SweepSpec.from_dict(job.spec)
        self.goal = self.spec.resolved_goal
        self.primary = self.spec.primary_metric
        from core.sweep.sampling import make_sampler

        self.sampler: Sampler = make_sampler(self.spec)
        self.tracker: SweepTracker  # opened by run(): MLflow's import should not delay the first trials
        self.experiment_id = ""
        self.live: dict[int, LiveTrial] = {}
        self.finished: list[Finished] = []
        self.histories: dict[str, list[float]] = {}
        self.best: Finished | None = None
        self.early_refit: tuple[int, threading.Thread, list[str]] | None = None  # trial, thread, [uri]
        self.refill: Callable[[], None] | None = None  # set by run() while new trials may start
        self.last_save = 0.0
        self.cancel_checked = 0.0
        self.started = time.time()

    # -- bookkeeping -----------------------------------------------------------------
    def _better(self, a: float, b: float) -> bool:
        return a > b if self.goal == "maximize" else a < b

    def _counts(self) -> dict[str, int]:
        counts = {"completed": 0, "early_terminated": 0, "failed": 0, "canceled": 0}
        for trial in self.finished:
            counts[trial.status] = counts.get(trial.status, 0) + 1
        counts["running"] = sum(1 for t in self.live.values() if t.started is not None)
        counts["queued"] = sum(1 for t in self.live.values() if t.started is None)
        return counts

    def save(self, force: bool = False, **changes: Any) -> None:
        """Write the job record and the progress file (throttled unless ``force``)."""
        if not force and not changes and time.time() - self.last_save < SAVE_EVERY_S:
            return
        self.last_save = time.time()
        current = self.store.load(self.job.id) or self.job
        best = self.best
        self.job = self.store.save(
            current.with_(
                heartbeat_at=time.time(),
                counts=self._counts(),
                best_run_id=best.run_id if best else None,
                best_value=best.value if best else None,
                best_params=best.params if best else None,
                **changes,
            )
        )
        rows = [
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
            for t in self.finished
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
            for t in self.live.values()
        ]
        path = progress_path(self.store, self.job.id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"trials": rows, "started": self.started}, default=str))
        os.replace(tmp, path)

    def cancel_requested(self) -> bool:
        """Whether the dashboard asked to cancel (the record is read at most every POLL_S)."""
        if time.time() - self.cancel_checked < POLL_S:
            return False
        self.cancel_checked = time.time()
        current = self.store.load(self.job.id)
        return bool(current and current.cancel_requested)

    # -- resume ------------------------------------------------------------------------
    def restore(self) -> int:
        """Close what a dead runner left open; replay every trial into the sampler. Returns how
        many trials count against the budget (all but those a crash cut short)."""
        from core.engine.tracking import INTERRUPTED

        assert self.job.run_id is not None
        records: list[TrialRecord] = self.tracker.trials(self.experiment_id, self.job.run_id, self.primary)
        for record in records:
            if record.status == "RUNNING":
                self.tracker.end_trial(
                    record.run_id,
                    record.params,
                    self.primary,
                    [],
                    None,
                    "canceled",
                    time.time(),
                    error=INTERRUPTED,
                )
                status = "canceled"
            else:
                status = record.trial_status or ("completed" if record.status == "FINISHED" else "failed")
            outcome = {"completed": "complete", "early_terminated": "pruned"}.get(status, "failed")
            self.sampler.restore(
                record.params,
                record.value,
                outcome,  # type: ignore[arg-type]
                record.history,
                draw=record.draw,
                number=record.number,
                interrupted=record.interrupted,
            )
            trial = Finished(
                record.number,
                status,
                record.value,
                None,
                time.time(),
                None,
                len(record.history),
                record.run_id,
                record.params,
            )
            self.finished.append(trial)
            if record.history:
                self.histories[str(record.number)] = record.history
            self._consider_best(trial)
        return sum(1 for record in records if not record.interrupted)

    def _consider_best(self, trial: Finished) -> None:
        if trial.status != "completed" or trial.value is None:
            return
        if self.best is None or self._better(trial.value, self.best.value):  # type: ignore[arg-type]
            self.best = trial

    # -- events --------------------------------------------------------------------------
    def on_start(self, worker: int, number: int, started: float) -> None:
        trial = self.live[number]
        trial.worker, trial.started = worker, started
        trial.run_id = self.tracker.start_trial(
            self.experiment_id,
            self.job.run_id or "",
            number,
            trial.params,
            self.sampler.name,
            worker,
            started,
            trial.draw,
        )

    def on_fold(self, pool: WorkerPool, number: int, metrics: dict[str, float]) -> None:
        trial = self.live[number]
        trial.folds.append(metrics)
        values = [f[self.primary] for f in trial.folds]
        self.histories[str(number)] = [sum(values[: i + 1]) / (i + 1) for i in range(len(values))]
        running = [str(n) for n, t in self.live.items() if t.started is not None and not t.cut]
        from core.sweep.policies import trials_to_terminate

        for name in trials_to_terminate(self.spec.policy, self.histories, self.goal, running):
            cut = self.live[int(name)]
            if len(cut.folds) < self.spec.cv_folds:  # a trial on its last fold has finished
                cut.cut = True
                pool.stop(int(name))
        pool.judged(number, len(trial.folds))

    def on_end(self, number: int, result: Any | None, error: str | None, status: str | None = None) -> None:
        trial = self.live.pop(number)
        ended = time.time()
        if result is not None:
            folds = list(result.fold_metrics)
            if not result.early_terminated:
                status = "completed"
            elif trial.cut:
                status = "early_terminated"
            else:
                status = status or "canceled"
                error = error or "Stopped at the per-trial timeout."
            value = float(result.mean[self.primary])
        else:
            folds, value = trial.folds, None
            status = status or "failed"
        outcome = {"completed": "complete", "early_terminated": "pruned"}.get(status, "failed")
        self.sampler.tell(
            number,
            value if outcome != "failed" else None,
            outcome,  # type: ignore[arg-type]
            intermediate=self.histories.get(str(number), []),
        )
        if self.refill is not None:
            self.refill()  # the freed worker starts its next trial now, not after the MLflow writes
        if trial.run_id is None:  # ended before its start event was handled
            trial.run_id = self.tracker.start_trial(
                self.experiment_id,
                self.job.run_id or "",
                number,
                trial.params,
                self.sampler.name,
                trial.worker,
                trial.started or ended,
                trial.draw,
            )
        self.tracker.end_trial(
            trial.run_id, trial.params, self.primary, folds, result, status, ended, error=error
        )
        done = Finished(
            number, status, value, trial.started, ended, trial.worker, len(folds), trial.run_id, trial.params
        )
        self.finished.append(done)
        self._consider_best(done)
        self.save(force=True)

    # -- the loop ---------------------------------------------------------------------------
    def _open_tracker(self) -> None:
        """Import MLflow and open the store; then warm the refit's imports in a thread (only
        once MLflow is fully imported: two threads importing it at once break its init)."""
        import mlflow.entities  # noqa: F401  (what the loop uses)

        from core.engine.tracking import SweepTracker

        self.tracker = SweepTracker(self.job.tracking_uri)
        self.experiment_id = self.tracker.experiment_id(self.job.experiment)
        threading.Thread(target=warm_refit_imports, name="warm-imports", daemon=True).start()

    def _fill(self, concurrency: int, budget: int, launched: int) -> tuple[int, bool]:
        """Hand the pool new trials while it has room; returns (launched, exhausted)."""
        while len(self.live) < concurrency and launched < budget:
            suggestion = self.sampler.ask()
            if suggestion is None:
                return launched, True
            self.live[suggestion.number] = LiveTrial(
                suggestion.number, dict(suggestion.params), suggestion.draw
            )
            self.pool.submit(suggestion.number, dict(suggestion.params))
            launched += 1
        return launched, False

    def run(self) -> None:
        spec, job = self.spec, self.job
        budget = spec.limits.max_total_trials
        concurrency = concurrency_of(self.job, spec)
        launched, exhausted = 0, False
        if job.run_id is None:
            # a new sweep: the workers can start on the first trials while MLflow is imported
            launched, exhausted = self._fill(concurrency, budget, 0)
            self._open_tracker()
            run_id = self.tracker.start_parent(
                job.experiment,
                job.id,
                spec.to_dict(),
                f"{job.dataset}:{job.dataset_version}",
                self.sampler.name,
            )
            self.job = self.store.save(job.with_(run_id=run_id))
        else:
            self._open_tracker()
            # trials the interruption cut short are not counted: the user asked for finished trials
            launched = self.restore()
        pool = self.pool
        deadline = self.started + spec.limits.timeout_s if spec.limits.timeout_s else None
        stop_reason = ""
        self.save(force=True, message="")

        def refill() -> None:
            nonlocal launched, exhausted
            if not stop_reason and not exhausted:
                launched, exhausted = self._fill(concurrency, budget, launched)

        self.refill = refill
        drained = False  # every trial ended on its own: the workers are idle and can serve again
        try:
            while True:
                refill()
                if exhausted or launched >= budget:
                    self._refit_early()
                if not self.live:
                    drained = True
                    break
                event = pool.next_event(POLL_S)
                if event is not None:
                    self._dispatch(pool, event)
                if not stop_reason and self.cancel_requested():
                    stop_reason = "canceled"
                elif not stop_reason and deadline and time.time() > deadline:
                    stop_reason = "timeout"
                if stop_reason:
                    break
                for worker in pool.dead_workers():
                    for number in [n for n, t in self.live.items() if t.worker == worker]:
                        self.on_end(number, None, "The worker process running this trial died.", "failed")
                if len(pool.dead_workers()) == pool.size:
                    stop_reason = "failed"
                    break
                self.save()
        finally:
            self.refill = None
            if not drained:  # canceled, timed out or failed: stop the trials that still run
                pool.terminate()
        for number in list(self.live):
            self.on_end(
                number,
                None,
                {"timeout": "Stopped at the sweep's timeout.", "failed": "Every worker process died."}.get(
                    stop_reason, "The sweep was canceled."
                ),
                "canceled",
            )
        self.finish(stop_reason, exhausted)

    def _dispatch(self, pool: WorkerPool, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "start":
            self.on_start(event[1], event[2], event[3])
        elif kind == "fold" and event[2] in self.live:
            self.on_fold(pool, event[2], event[4])
        elif kind == "done" and event[2] in self.live:
            self.on_end(event[2], event[3], None)
        elif kind == "failed" and event[2] in self.live:
            self.on_end(event[2], None, event[3], "failed")

    def _refit_early(self) -> None:
        """The tail: every trial has started. Refit the best trial so far now, while the last
        trials run, so the refit and model logging (seconds) overlap them instead of following
        them; ``finish`` keeps it if that trial is still the best (usually: the last trials
        seldom beat all the others)."""
        if self.best is None or self.early_refit is not None:
            return
        result: list[str] = []
        best = self.best
        number = best.number

        def work() -> None:
            try:
                result.append(self.refit(best))
            except Exception:  # finish() refits again, and reports a real failure there
                log.exception("early refit of trial %s failed", number)

        log.info("tail reached: refitting trial %s early", number)
        thread = threading.Thread(target=work, name="early-refit", daemon=True)
        self.early_refit = (number, thread, result)
        thread.start()

    def _final_model(self) -> str | None:
        """The refit best model: the early one when its trial is still the best, else a new one."""
        if self.best is None:
            return None
        if self.early_refit is not None:
            number, thread, result = self.early_refit
            thread.join()
            if number == self.best.number and result:
                log.info("the early refit of trial %s is the sweep's model", number)
                return result[0]
            log.info("trial %s beat the early refit's trial %s: refitting again", self.best.number, number)
            if result:  # superseded by a later trial: remove it so the run holds one model
                model_id = result[0].removeprefix("models:/")
                self.tracker.client.delete_logged_model(model_id)
        self.save(force=True, message="Refitting the best configuration on the whole train split…")
        return self.refit()

    def finish(self, stop_reason: str, exhausted: bool) -> None:
        counts = self._counts()
        model_uri = self._final_model()
        state = {"canceled": "canceled", "failed": "failed"}.get(stop_reason, "completed")
        parts = [f"{counts['completed']} completed"]
        parts += [
            f"{counts[k]} {k.replace('_', '-')}"
            for k in ("early_terminated", "failed", "canceled")
            if counts[k]
        ]
        message = {
            "canceled": "Canceled. ",
            "timeout": "Stopped at the sweep's timeout. ",
            "failed": "Stopped: every worker process died. ",
        }.get(stop_reason, "Finished. ")
        if exhausted and stop_reason == "":
            message = (
                "Finished: every configuration of the grid was tried. "
                if self.spec.sampling == "grid"
                else message
            )
        message += ", ".join(parts) + "."
        if self.best is None:
            message += " No trial completed, so there is no best model."
        self.tracker.finish_parent(
            self.job.run_id or "",
            {"canceled": "KILLED", "failed": "FAILED"}.get(stop_reason, "FINISHED"),
            self.primary,
            self.best.run_id if self.best else None,
            self.best.value if self.best else None,
            counts,
        )
        self.save(force=True, state=state, ended_at=now(), model_uri=model_uri, message=message)

    def refit(self, best: Finished | None = None) -> str:
        """Fit a trial's configuration (default: the best) on the whole train split; log it on
        the parent run."""
        import mlflow
        import pandas as pd

        from core.data.schema import Schema
        from core.train.tracking import log_model
        from core.train.trainer import fit_final

        best = best or self.best
        assert best is not None
        frame = pd.read_csv(self.job.train_csv)
        schema = Schema.from_dict(self.job.schema)
        pipeline = fit_final(frame, schema, self.spec.model_family, best.params, self.spec.seed or 0)
        mlflow.set_tracking_uri(self.job.tracking_uri)
        with mlflow.start_run(run_id=self.job.run_id):
            info = log_model(pipeline, frame.head(500), name="model")
            mlflow.set_tags({"refit_from_trial": str(best.number), "refit_from_run": best.run_id or ""})
        return str(info.model_uri)


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
            message=f"The sweep stopped on an unexpected error: {type(exc).__name__}: {exc}",
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
