"""The local compute cluster: a pool of long-lived worker processes that run trials.

Each worker imports scikit-learn once and keeps the train split it last read, then runs trial
after trial: starting a Python process per trial would cost seconds of imports each time. A
pool outlives its sweep when the cluster stays warm (see :mod:`core.engine.agent`): every task
carries its sweep's :class:`SweepConfig`, and :meth:`WorkerPool.begin` resets the per-trial
flags for the next sweep.
Workers report every fold as it finishes, so the scheduler can apply the early-termination
policy; before its next fold a worker checks whether its trial was stopped (with a policy set,
it first waits for the scheduler to judge the fold, so a cut never arrives a fold too late). Workers never
touch MLflow: the scheduler is the one writer, so SQLite never contends.

Workers die with their runner, even mid-trial: a worker's parent is the forkserver, which lives
as long as any worker holds its pipe open, so each worker watches the runner's pid itself
(:func:`die_with`). Once the workers are gone, the forkserver and multiprocessing's resource
tracker see their pipes close and exit too.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import select
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.train.setup import TrialSetup

# Events a worker puts on the result queue (tuples, cheap to pickle):
#   ("ready", worker)                       the worker has imported what trials need
#   ("start", worker, trial, time)          a trial begins on this worker
#   ("fold", worker, trial, fold, metrics)  one fold finished; metrics of that fold
#   ("done", worker, trial, TrialResult)    the trial finished (or was stopped between folds)
#   ("failed", worker, trial, message)      the trial raised; the worker carries on


@dataclass(frozen=True)
class SweepConfig:
    """What every trial of one sweep shares: the train split (a path, read once per sweep by
    each worker), how a trial trains and is cross-validated, and the per-trial limits."""

    train_csv: str
    setup: TrialSetup
    trial_timeout_s: float | None
    wait_for_policy: bool = False  # a policy is set: each fold waits for its verdict


VERDICT_WAIT_S = 30.0  # a fold never waits longer than this for the scheduler's verdict
# What a trial imports (the trainer imports scikit-learn lazily), loaded once by the server
# process the workers fork from.
WORKER_PRELOAD = (
    "pandas",
    "sklearn.calibration",
    "sklearn.compose",
    "sklearn.ensemble",
    "sklearn.impute",
    "sklearn.kernel_ridge",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
    "core.train.trainer",
)


def _worker_context() -> Any:
    """Workers fork from a clean server process (``forkserver``) that imported scikit-learn
    once: no state inherited from the scheduler (MLflow, threads, locks), and no worker pays
    seconds of imports of its own."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # before the server imports numpy: one core each
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(WORKER_PRELOAD))
    return ctx


class _TrainSplit:
    """The train split and schema of the sweep a worker serves, read once per sweep."""

    def __init__(self) -> None:
        self.key: tuple[str, float, int, str] | None = None
        self.data: tuple[Any, Any] = (None, None)

    def get(self, config: SweepConfig) -> tuple[Any, Any]:
        import pandas as pd

        from core.data.schema import Schema

        stat = os.stat(config.train_csv)
        key = (config.train_csv, stat.st_mtime, stat.st_size, repr(config.setup.schema))
        if key != self.key:
            self.data = (None, None)  # let the last sweep's frame go before reading the next
            self.data = (pd.read_csv(config.train_csv), Schema.from_dict(config.setup.schema))
            self.key = key
        return self.data


WATCH_EVERY_S = 0.5  # how often a worker checks its runner where pidfds are not available


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: signal 0 is all there is
    return not stat.rsplit(") ", 1)[-1].startswith("Z")


def die_with(pid: int) -> None:
    """Exit this process as soon as process ``pid`` exits (a daemon thread watches it: a pidfd
    on Linux, else a poll of the pid)."""

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # not Linux, or the runner is gone already
            while pid_alive(pid):
                time.sleep(WATCH_EVERY_S)
        else:
            select.select([fd], [], [])  # readable once the process has exited
        os._exit(1)

    threading.Thread(target=watch, name=f"die-with-{pid}", daemon=True).start()


def _worker_main(worker: int, tasks: Any, results: Any, stops: Any, judged: Any, runner: int) -> None:
    """Body of one worker process; it exits when the ``runner`` process does."""
    die_with(runner)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per worker, as on one cluster node
    from core.train.trainer import cross_validate_trial

    split = _TrainSplit()
    results.put(("ready", worker))
    parent = os.getppid()
    while True:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the scheduler died: do not linger as an orphan
                return
            continue
        if task is None:
            return
        trial, params, config = task
        started = time.time()
        results.put(("start", worker, trial, started))

        def on_fold(
            fold: int,
            metrics: dict[str, float],
            trial: int = trial,
            started: float = started,
            config: SweepConfig = config,
        ) -> bool:
            results.put(("fold", worker, trial, fold, metrics))
            if config.wait_for_policy:  # the policy judges this fold before the next one starts
                deadline = time.time() + VERDICT_WAIT_S
                while judged[trial] <= fold and time.time() < deadline:
                    time.sleep(0.001)
            if stops[trial]:
                return False
            timeout = config.trial_timeout_s
            return not (timeout and time.time() - started > timeout)

        try:
            frame, schema = split.get(config)
            setup = config.setup
            result = cross_validate_trial(
                frame,
                schema,
                setup.family,
                params,
                primary_metric=setup.primary_metric,
                folds=setup.folds,
                seed=setup.seed,
                on_fold=on_fold,
            )
        except Exception as exc:  # a failing trial must not stop the sweep
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            results.put(("failed", worker, trial, detail[:2000]))
        else:
            results.put(("done", worker, trial, result))


class WorkerPool:
    """``size`` worker processes fed from one task queue; trial numbers run from 0 to
    ``max_trials``. A pool serves one sweep at a time: :meth:`begin` each sweep."""

    def __init__(self, size: int, max_trials: int) -> None:
        ctx = _worker_context()
        self._tasks: Any = ctx.Queue()
        self._results: Any = ctx.Queue()
        self._stops: Any = ctx.Array("b", max_trials + 1, lock=False)
        self._judged: Any = ctx.Array("i", max_trials + 1, lock=False)  # folds judged, per trial
        self.size = size
        self.max_trials = max_trials
        self.config: SweepConfig | None = None
        self.clean = True  # no trial was cut short by terminate(): the workers can serve again
        self._procs = [
            ctx.Process(
                target=_worker_main,
                args=(i, self._tasks, self._results, self._stops, self._judged, os.getpid()),
                name=f"sweep-worker-{i}",
                daemon=True,
            )
            for i in range(size)
        ]
        for proc in self._procs:
            proc.start()

    def begin(self, config: SweepConfig) -> None:
        """Serve a new sweep: its trials run with ``config``, and numbering starts afresh."""
        self.config = config
        for i in range(self.max_trials + 1):
            self._stops[i] = 0
            self._judged[i] = 0

    def can_serve(self, workers: int, max_trials: int) -> bool:
        """Whether this pool can run another sweep of ``workers`` workers as it is."""
        return (
            self.clean and self.size == workers and max_trials <= self.max_trials and not self.dead_workers()
        )

    def submit(self, trial: int, params: dict[str, Any]) -> None:
        assert self.config is not None, "begin() a sweep first"
        self._tasks.put((trial, params, self.config))

    def stop(self, trial: int) -> None:
        """Ask the trial to stop after its current fold (early termination)."""
        self._stops[trial] = 1

    def judged(self, trial: int, folds: int) -> None:
        """The policy has judged the trial's first ``folds`` folds: its worker may go on."""
        self._judged[trial] = folds

    def next_event(self, timeout: float) -> tuple[Any, ...] | None:
        try:
            event: tuple[Any, ...] = self._results.get(timeout=timeout)
        except queue.Empty:
            return None
        return event

    def dead_workers(self) -> list[int]:
        return [i for i, proc in enumerate(self._procs) if not proc.is_alive()]

    def close(self) -> None:
        """Let idle workers exit."""
        for _ in self._procs:
            self._tasks.put(None)
        for proc in self._procs:
            proc.join(timeout=10)
        self.terminate()

    def terminate(self) -> None:
        """Stop every worker now, mid-fold if need be (cancel)."""
        self.clean = False
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
