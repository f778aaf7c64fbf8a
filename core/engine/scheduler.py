"""The scheduler of a local sweep: the loop the runner process (:mod:`core.engine.runner`) runs.

It asks the sampler for configurations, hands them to the worker pool, applies the
early-termination policy each time a trial reports a fold, and is the one MLflow writer. It
reports its progress (:mod:`core.engine.progress`), honours a cancel request, and at the end
has the best configuration refit on the whole train split (:mod:`core.engine.refit`) and
logged as the sweep's model; what it tells the user is in :mod:`core.engine.messages`.

Resume: started again on a record that has a parent run, it closes trials the dead runner
left RUNNING, replays every trial into the sampler (so finished configurations are not drawn
again, and the draws the crash cut short are made again first), and carries on with the
budget that is left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.engine.job import JobStore, SweepJob
from core.engine.messages import (
    INTERRUPTED,
    REFITTING,
    TRIAL_TIMEOUT,
    WORKER_DIED,
    finished_message,
    stopped_trial_error,
)
from core.engine.pool import WorkerPool
from core.engine.progress import Finished, LiveTrial, ProgressReport, trial_counts
from core.engine.refit import Refits, refit, warm_refit_imports
from core.resources import now
from core.sweep.spec import SweepSpec

if TYPE_CHECKING:  # imported when the scheduler starts, after the workers: see runner.pool_for
    from core.engine.tracking import SweepTracker, TrialRecord
    from core.sweep.sampling import Sampler

POLL_S = 0.25


def concurrency_of(job: SweepJob, spec: SweepSpec) -> int:
    budget = spec.limits.max_total_trials
    return max(1, min(spec.limits.max_concurrent_trials or budget, job.workers))


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
        self.refits = Refits()
        self.refill: Callable[[], None] | None = None  # set by run() while new trials may start
        self.cancel_checked = 0.0
        self.started = time.time()
        self.report = ProgressReport(store, job.id, self.started)

    # -- bookkeeping -----------------------------------------------------------------
    def _better(self, a: float, b: float) -> bool:
        return a > b if self.goal == "maximize" else a < b

    def _counts(self) -> dict[str, int]:
        return trial_counts(self.finished, self.live.values())

    def save(self, force: bool = False, **changes: Any) -> None:
        """Write the job record and the progress file (throttled unless ``force``)."""
        self.job = self.report.save(self.job, self.finished, self.live, self.best, force=force, **changes)

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
                error = error or TRIAL_TIMEOUT
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
        if self.best is done:  # its predictions go with the sweep at the refit (no re-run)
            self.refits.keep_predictions(number, result)
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
                        self.on_end(number, None, WORKER_DIED, "failed")
                if len(pool.dead_workers()) == pool.size:
                    stop_reason = "failed"
                    break
                self.save()
        finally:
            self.refill = None
            if not drained:  # canceled, timed out or failed: stop the trials that still run
                pool.terminate()
        for number in list(self.live):
            self.on_end(number, None, stopped_trial_error(stop_reason), "canceled")
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
        trials run (see :mod:`core.engine.refit`)."""
        self.refits.start_early(self.job, self.spec, self.best)

    def _final_model(self) -> str | None:
        """The refit best model: the early one when its trial is still the best, else a new one."""
        if self.best is None:
            return None
        early = self.refits.take_early(self.best, self.tracker.client)
        if early is not None:
            return early
        self.save(force=True, message=REFITTING)
        return refit(self.job, self.spec, self.best, self.refits.predictions_of(self.best))

    def finish(self, stop_reason: str, exhausted: bool) -> None:
        counts = self._counts()
        model_uri = self._final_model()
        state = {"canceled": "canceled", "failed": "failed"}.get(stop_reason, "completed")
        message = finished_message(stop_reason, exhausted, self.spec.sampling, counts, self.best is not None)
        self.tracker.finish_parent(
            self.job.run_id or "",
            {"canceled": "KILLED", "failed": "FAILED"}.get(stop_reason, "FINISHED"),
            self.primary,
            self.best.run_id if self.best else None,
            self.best.value if self.best else None,
            counts,
        )
        self.save(force=True, state=state, ended_at=now(), model_uri=model_uri, message=message)
