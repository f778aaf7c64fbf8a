"""Sweeps in MLflow: the sweep is a parent run, each trial a child run.

The tags are those of :mod:`core.mlflow_layout`; metrics follow ``core.train.tracking``: the
primary metric once per fold (step = fold, the running mean, so its last value is the
trial's score), every metric per fold as ``<metric>_fold``, and ``<metric>_mean`` /
``<metric>_std`` at the end.

One process writes (the scheduler), in a few batched calls per trial, so SQLite never
contends and tracking stays cheap next to the training.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.engine.messages import INTERRUPTED
from core.mlflow_layout import (
    SPEC_ARTIFACT,
    TAG_BEST,
    TAG_DATASET,
    TAG_DRAW,
    TAG_EARLY_TERMINATED,
    TAG_ERROR,
    TAG_FAMILY,
    TAG_FOLDS_DONE,
    TAG_GOAL,
    TAG_PARAMS_JSON,
    TAG_PARENT,
    TAG_PRIMARY_METRIC,
    TAG_SAMPLER,
    TAG_SPEC_VERSION,
    TAG_STATUS,
    TAG_SWEEP,
    TAG_SWEEP_ID,
    TAG_TASK,
    TAG_TRIAL,
    TAG_TRIALS_PREFIX,
    TAG_WORKER,
)
from core.train.tracking import mean_name, std_name

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from core.train.trainer import TrialResult


def fold_name(metric: str) -> str:
    return f"{metric}_fold"


def param_text(value: object) -> str:
    return "None" if value is None else str(value)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


@dataclass(frozen=True)
class TrialRecord:
    """A trial as the scheduler and the resume logic need it."""

    number: int
    run_id: str
    status: str  # MLflow status: RUNNING, FINISHED, FAILED, KILLED
    trial_status: str
    params: dict[str, Any]
    value: float | None  # the primary metric's mean (the trial's score)
    history: list[float]  # the primary metric as logged per fold
    draw: int  # its configuration's draw (the trial number, for runs logged before draws were)
    error: str = ""

    @property
    def interrupted(self) -> bool:
        """Cut short by a crash (still RUNNING, or closed as such by a resume): not a result."""
        return self.status == "RUNNING" or (self.trial_status == "canceled" and self.error == INTERRUPTED)


def tune_sqlite_store(tracking_uri: str) -> None:
    """Make a SQLite tracking store cheap to write: write-ahead logging (kept in the file, so
    readers never block the writer and a commit appends to one log instead of rewriting a
    journal) and, in this process, ``synchronous=NORMAL`` (no fsync per commit). A killed
    process loses nothing committed; only a power cut could lose the last commits. The sweep's
    runner writes a few times per trial, so this takes a third off its MLflow time."""
    if not tracking_uri.startswith("sqlite:///"):
        return
    import sqlite3
    from urllib.parse import unquote

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    path = unquote(tracking_uri.removeprefix("sqlite:///"))
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=5)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error:  # busy or unreadable: MLflow works without it, only slower
        return
    if not event.contains(Engine, "connect", _sqlite_normal_sync):
        event.listen(Engine, "connect", _sqlite_normal_sync)


def _sqlite_normal_sync(dbapi_connection: Any, _record: Any) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class SweepTracker:
    """The single MLflow writer of a sweep."""

    def __init__(self, tracking_uri: str) -> None:
        from mlflow.tracking import MlflowClient

        tune_sqlite_store(tracking_uri)
        self.tracking_uri = tracking_uri
        self.client: MlflowClient = MlflowClient(tracking_uri)

    def experiment_id(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            if found.lifecycle_stage == "deleted":
                self.client.restore_experiment(found.experiment_id)
            return str(found.experiment_id)
        return str(self.client.create_experiment(name, artifact_location=self._artifact_location(name)))

    def _artifact_location(self, experiment: str) -> str | None:
        """Artifacts next to the workspace's database, never in the dashboard's working folder
        (MLflow's default for a SQLite store is ``./mlruns`` of whatever the current folder is)."""
        uri = self.tracking_uri
        if not uri.startswith("sqlite:///"):
            return None
        from pathlib import Path

        folder = Path(uri.removeprefix("sqlite:///")).parent / "artifacts" / experiment
        return folder.resolve().as_uri()

    def start_parent(
        self, experiment: str, sweep_id: str, spec: Mapping[str, Any], dataset: str, sampler: str
    ) -> str:
        from mlflow.entities import Param, RunTag

        run = self.client.create_run(
            self.experiment_id(experiment),
            run_name=sweep_id,
            tags={
                TAG_SWEEP: "true",
                TAG_SWEEP_ID: sweep_id,
                TAG_SAMPLER: sampler,
                TAG_PRIMARY_METRIC: str(spec["primary_metric"]),
                TAG_GOAL: str(spec["goal"]),
                TAG_FAMILY: str(spec["model_family"]),
                TAG_TASK: str(spec["task"]),
                TAG_DATASET: dataset,
            },
        )
        run_id = str(run.info.run_id)
        limits = spec.get("limits") or {}
        params = [
            Param("sampling", str(spec["sampling"])),
            Param("max_total_trials", str(limits.get("max_total_trials"))),
            Param("max_concurrent_trials", str(limits.get("max_concurrent_trials"))),
            Param("cv_folds", str(spec.get("cv_folds"))),
            Param("policy", json.dumps(spec.get("policy"))),
        ]
        tags = [RunTag(TAG_SPEC_VERSION, str(spec.get("version")))]
        self.client.log_batch(run_id, params=params, tags=tags)
        self.client.log_dict(run_id, dict(spec), SPEC_ARTIFACT)
        return run_id

    def start_trial(
        self,
        experiment_id: str,
        parent_run_id: str,
        number: int,
        params: Mapping[str, Any],
        sampler: str,
        worker: int | None,
        started: float,
        draw: int | None = None,
    ) -> str:
        run = self.client.create_run(
            experiment_id,
            start_time=_ms(started),
            run_name=f"trial-{number:03d}",
            tags={
                TAG_PARENT: parent_run_id,
                TAG_TRIAL: str(number),
                TAG_DRAW: str(number if draw is None else draw),
                TAG_SAMPLER: sampler,
                TAG_WORKER: "" if worker is None else f"worker-{worker}",
                TAG_PARAMS_JSON: json.dumps(dict(params)),
            },
        )
        return str(run.info.run_id)  # params go with the end batch; params_json has them already

    def end_trial(
        self,
        run_id: str,
        params: Mapping[str, Any],
        primary_metric: str,
        fold_metrics: Sequence[Mapping[str, float]],
        result: TrialResult | None,
        trial_status: str,
        ended: float,
        error: str | None = None,
    ) -> None:
        """Write every fold, the summary and the final status in one batch and one update."""
        from mlflow.entities import Metric, Param, RunTag

        stamp = _ms(ended)
        metrics: list[Metric] = []
        running: list[float] = []
        for fold, values in enumerate(fold_metrics):
            for name, value in values.items():
                if math.isfinite(value):
                    metrics.append(Metric(fold_name(name), float(value), stamp, fold))
            if primary_metric in values:
                running.append(float(values[primary_metric]))
                metrics.append(Metric(primary_metric, sum(running) / len(running), stamp, fold))
        if result is not None:
            for name, value in result.mean.items():
                if math.isfinite(value):
                    metrics.append(Metric(mean_name(name), float(value), stamp, 0))
                    metrics.append(Metric(std_name(name), float(result.std[name]), stamp, 0))
            metrics.append(Metric("trial_seconds", float(result.seconds), stamp, 0))
        tags = [
            RunTag(TAG_STATUS, trial_status),
            RunTag(TAG_EARLY_TERMINATED, str(trial_status == "early_terminated").lower()),
            RunTag(TAG_FOLDS_DONE, str(len(fold_metrics))),
        ]
        if error:
            tags.append(RunTag(TAG_ERROR, error[:4000]))
        params_ = [Param(k, param_text(v)) for k, v in params.items()]
        first = 900 - len(params_) - len(tags)  # MLflow takes at most 1000 entities per batch
        self.client.log_batch(run_id, metrics=metrics[:first], params=params_, tags=tags)
        for start in range(first, len(metrics), 900):
            self.client.log_batch(run_id, metrics=metrics[start : start + 900])
        status = {"completed": "FINISHED", "early_terminated": "FINISHED", "failed": "FAILED"}.get(
            trial_status, "KILLED"
        )
        self.client.set_terminated(run_id, status=status, end_time=stamp)

    def finish_parent(
        self,
        run_id: str,
        status: str,
        primary_metric: str,
        best_run_id: str | None,
        best_value: float | None,
        counts: Mapping[str, int],
    ) -> None:
        from mlflow.entities import Metric, RunTag

        stamp = _ms(time.time())
        tags = [RunTag(f"{TAG_TRIALS_PREFIX}{k}", str(v)) for k, v in counts.items()]
        metrics = []
        if best_run_id is not None and best_value is not None:
            tags.append(RunTag(TAG_BEST, best_run_id))
            metrics.append(Metric(f"best_{primary_metric}", best_value, stamp, 0))
        self.client.log_batch(run_id, metrics=metrics, tags=tags)
        self.client.set_terminated(run_id, status=status, end_time=stamp)

    def trials(self, experiment_id: str, parent_run_id: str, primary_metric: str) -> list[TrialRecord]:
        """Every child run of the sweep, by trial number (for resume and tests)."""
        runs = self.client.search_runs(
            [experiment_id], filter_string=f"tags.`{TAG_PARENT}` = '{parent_run_id}'", max_results=5000
        )
        records = []
        for run in runs:
            tags = run.data.tags
            history = [
                m.value
                for m in sorted(
                    self.client.get_metric_history(run.info.run_id, primary_metric), key=lambda m: m.step
                )
            ]
            number = int(tags.get(TAG_TRIAL, "-1"))
            records.append(
                TrialRecord(
                    number=number,
                    run_id=str(run.info.run_id),
                    status=str(run.info.status),
                    trial_status=tags.get(TAG_STATUS, ""),
                    params=json.loads(tags.get(TAG_PARAMS_JSON, "{}")),
                    value=run.data.metrics.get(mean_name(primary_metric)),
                    history=history,
                    draw=int(tags.get(TAG_DRAW, number)),
                    error=tags.get(TAG_ERROR, ""),
                )
            )
        return sorted(records, key=lambda r: r.number)
