"""The trials frame: one row per trial, typed params, metrics, status, and the sweep they belong to.

:func:`sweep_groups` finds the sweeps in an experiment (parent runs and their children;
runs without a parent form a group of their own), :func:`sweep_meta` reads what a sweep
recorded about itself (primary metric, goal, search space, best trial) and
:func:`build_trials` turns a group of runs into a :class:`TrialsFrame`. Everything is
columnar; nothing here calls MLflow per run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from core.mlflow_layout import (
    SPEC_ARTIFACT,
    TAG_BEST,
    TAG_GOAL,
    TAG_NOTE,
    TAG_PARAMS_JSON,
    TAG_PRIMARY_METRIC,
    TAG_SWEEP,
    TAG_SWEEP_ID,
    TAG_SWEEP_SPEC,
    TAG_WORKER,
)
from core.trials.load import RunTable
from core.trials.params import (
    ParamInfo,
    Scalar,
    SpaceHint,
    hints_from_optuna_tags,
    hints_from_spec,
    parse_text,
    type_param,
)
from core.trials.status import trial_numbers, trial_status

Goal: TypeAlias = Literal["maximize", "minimize"]
GOALS: tuple[Goal, ...] = ("maximize", "minimize")
DERIVED_SUFFIXES = ("_mean", "_std", "_fold")
NOT_SCORES = frozenset({"trial_seconds"})


@dataclass(frozen=True)
class SweepMeta:
    """What a sweep recorded about itself; None where the store does not say."""

    label: str
    uri: str
    experiment_id: str
    parent_run_id: str | None = None
    primary_metric: str | None = None
    goal: Goal | None = None
    spec: dict[str, Any] | None = None
    recorded_best_run_id: str | None = None
    sweep_id: str | None = None  # this app's sweep id (its job record)
    parent_status: str | None = None

    @property
    def live(self) -> bool:
        return self.parent_status in ("RUNNING", "SCHEDULED")


@dataclass(frozen=True)
class Group:
    """A set of runs reviewed together: one sweep's trials, or runs without a parent."""

    key: str
    label: str
    parent_run_id: str | None
    rows: tuple[int, ...]


def _goal(text: str | None) -> Goal | None:
    value = (text or "").strip().lower()
    if value in ("maximize", "max", "studydirection.maximize"):
        return "maximize"
    if value in ("minimize", "min", "studydirection.minimize"):
        return "minimize"
    return None


def read_spec(uri: str, artifact_uri: str, tags: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The sweep's spec: the parent run's ``azml.sweep_spec`` tag (an Azure sweep job keeps it
    there, JSON of ``SweepSpec.to_dict()``), else its ``sweep_spec.json`` artifact; None when it
    has neither or they cannot be read. An Azure workspace's run artifacts are not read through
    MLflow here (no artifact repository for them in this process), so there only the tag counts."""
    tagged = (tags or {}).get(TAG_SWEEP_SPEC)
    if tagged:
        try:
            data = json.loads(tagged)
        except ValueError:
            data = None
        return data if isinstance(data, dict) else None
    if not artifact_uri or uri.lower().startswith("azureml://"):
        return None
    location = f"{artifact_uri.rstrip('/')}/{SPEC_ARTIFACT}"
    try:
        if location.startswith(("file:", "/")):
            path = Path(unquote(urlparse(location).path)) if location.startswith("file:") else Path(location)
            if not path.is_file():
                return None
            data = json.loads(path.read_text())
        else:
            import mlflow.artifacts

            from core.trials.store import client

            client(uri)
            data = mlflow.artifacts.load_dict(location)
    except Exception:
        return None
    return data if isinstance(data, dict) else None


def sweep_meta(
    table: RunTable, group: Group, parent: RunTable | None = None, spec: dict[str, Any] | None = None
) -> SweepMeta:
    """A group's metadata: from its parent run's tags (``parent``: a one-row table, or found in
    ``table``), else from what its trials agree on (Optuna's ``direction`` tag)."""
    label = group.label
    tags: Mapping[str, str] = {}
    status = None
    if group.parent_run_id:
        source = parent if parent is not None else table
        row = source.row_of(group.parent_run_id)
        if row is not None:
            tags = source.tags[row]
            status = str(source.runs["mlflow_status"].iloc[row])
    metric = tags.get(TAG_PRIMARY_METRIC) or None
    goal = _goal(tags.get(TAG_GOAL))
    config = tags.get("primary_metric_config")  # Azure ML sweep jobs
    if config and (metric is None or goal is None):
        try:
            parsed = json.loads(config)
            metric = metric or parsed.get("name")
            goal = goal or _goal(parsed.get("goal"))
        except (ValueError, AttributeError):
            pass
    if goal is None and group.rows:
        directions = {_goal(table.tags[i].get("direction")) for i in group.rows}
        if len(directions) == 1:
            goal = directions.pop()
    if metric is None and spec:
        metric = spec.get("primary_metric") or None
    if goal is None and spec:
        goal = _goal(spec.get("goal"))
    return SweepMeta(
        label=label,
        uri=table.uri,
        experiment_id=table.experiment_id,
        parent_run_id=group.parent_run_id,
        primary_metric=metric,
        goal=goal,
        spec=spec,
        recorded_best_run_id=tags.get(TAG_BEST) or None,
        sweep_id=tags.get(TAG_SWEEP_ID) or None,
        parent_status=status,
    )


def sweep_groups(table: RunTable) -> list[Group]:
    """The sweeps of an experiment, biggest first, then the runs that have no parent."""
    parents = table.runs["parent"].to_numpy(dtype=object)
    ids = table.runs["run_id"].to_numpy(dtype=object)
    names = dict(zip(ids, table.runs["name"].to_numpy(dtype=object), strict=True))
    referenced = set(parents[parents != ""].tolist())
    groups = []
    children = pd.Series(np.arange(len(parents))).groupby(parents, sort=False)
    for parent_id, rows in children:
        if parent_id == "":
            continue
        members = tuple(int(i) for i in rows.to_numpy())
        name = names.get(parent_id) or str(parent_id)[:8]
        groups.append(
            Group(f"parent:{parent_id}", f"{name} · {len(members)} trials", str(parent_id), members)
        )
    groups.sort(key=lambda g: -len(g.rows))
    loose = tuple(
        i
        for i in np.flatnonzero(parents == "").tolist()
        if ids[i] not in referenced and table.tags[i].get(TAG_SWEEP) != "true"
    )
    if loose:
        runs = "run" if len(loose) == 1 else "runs"
        label = f"{len(loose)} {runs} without a parent" if groups else f"all {len(loose)} {runs}"
        groups.append(Group("loose", label, None, loose))
    return groups


@dataclass(frozen=True)
class TrialsFrame:
    """One row per trial, in trial-number order. ``info``, ``params`` and ``metrics`` share
    the row order; ``exact_params`` holds each trial's values with their real types."""

    meta: SweepMeta
    info: pd.DataFrame  # run_id number name status mlflow_status start end seconds worker note parent
    params: pd.DataFrame  # typed columns (see core.trials.params)
    metrics: pd.DataFrame  # latest value of every metric
    param_info: dict[str, ParamInfo]
    exact_params: list[dict[str, Scalar]]

    def __len__(self) -> int:
        return len(self.info)

    @property
    def run_ids(self) -> np.ndarray:
        return np.asarray(self.info["run_id"].to_numpy(dtype=object))

    @property
    def statuses(self) -> np.ndarray:
        return np.asarray(self.info["status"].to_numpy(dtype=object))

    @property
    def numbers(self) -> np.ndarray:
        return np.asarray(self.info["number"].to_numpy(dtype=np.int64))

    def varying(self) -> list[str]:
        """Hyperparameters with more than one value: the ones worth a chart axis."""
        return [name for name, info in self.param_info.items() if info.varies]

    def position(self, run_id: str) -> int | None:
        hits = np.flatnonzero(self.run_ids == run_id)
        return int(hits[0]) if hits.size else None

    def metric_names(self) -> list[str]:
        """Metrics a trial can be ranked by: ``accuracy`` stands for accuracy_mean/_std/_fold."""
        keys = list(self.metrics.columns)
        bases = {k[: -len("_mean")] for k in keys if k.endswith("_mean")}
        derived = {b + s for b in bases for s in DERIVED_SUFFIXES}
        names = bases | {k for k in keys if k not in derived and k not in NOT_SCORES}
        names -= {k for k in names if k.startswith("best_")}
        return sorted(names)

    def metric_values(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """A metric's final value per trial (its cross-fold mean when logged, else the latest
        value) and its std across folds (NaN when not logged)."""
        n = len(self)
        values = np.full(n, np.nan)
        mean = f"{metric}_mean"
        if mean in self.metrics:
            values = self.metrics[mean].to_numpy(dtype=np.float64).copy()
        if metric in self.metrics:
            latest = self.metrics[metric].to_numpy(dtype=np.float64)
            values = np.where(np.isfinite(values), values, latest)
        std_key = f"{metric}_std"
        std = (
            self.metrics[std_key].to_numpy(dtype=np.float64)
            if std_key in self.metrics
            else np.full(n, np.nan)
        )
        return values, std

    def with_notes(self, notes: Mapping[str, str]) -> TrialsFrame:
        """A copy with some notes replaced (edits saved since the frame was loaded)."""
        if not notes:
            return self
        info = self.info.copy()
        ids = info["run_id"].to_numpy(dtype=object)
        for run_id, text in notes.items():
            info.loc[ids == run_id, "note"] = text
        return replace(self, info=info)


def _exact_params(params: Mapping[str, str], tags: Mapping[str, str]) -> dict[str, Scalar]:
    typed: dict[str, Scalar] = {k: parse_text(v) for k, v in params.items()}
    text = tags.get(TAG_PARAMS_JSON)
    if text:
        try:
            exact = json.loads(text)
        except ValueError:
            exact = None
        if isinstance(exact, dict):
            typed.update(exact)
    return typed


def _worker(tags: Mapping[str, str]) -> str:
    for key in (TAG_WORKER, "node", "host", "hostname"):
        if tags.get(key):
            return str(tags[key])
    return ""


def build_trials(table: RunTable, meta: SweepMeta, rows: Sequence[int] | None = None) -> TrialsFrame:
    """The typed trials frame of ``rows`` of ``table`` (all rows when None). Sweep parent runs
    (tagged ``azml.sweep``) are never trials."""
    picked = list(range(len(table))) if rows is None else list(rows)
    picked = [i for i in picked if table.tags[i].get(TAG_SWEEP) != "true"]
    sub = table.take(picked)
    tags, runs = sub.tags, sub.runs
    exact = [_exact_params(p, t) for p, t in zip(sub.params, tags, strict=True)]
    names = list(dict.fromkeys(k for e in exact for k in e))
    for entry in exact:
        for name in names:
            entry.setdefault(name, None)
    numbers = trial_numbers(tags, runs["name"].tolist(), runs["start_ms"].to_numpy())
    order = np.argsort(numbers, kind="stable")
    statuses = [trial_status(s, t) for s, t in zip(runs["mlflow_status"], tags, strict=True)]
    start = pd.to_datetime(runs["start_ms"], unit="ms", utc=True)
    end = pd.to_datetime(runs["end_ms"], unit="ms", utc=True)
    info = (
        pd.DataFrame(
            {
                "run_id": runs["run_id"],
                "number": numbers,
                "name": runs["name"],
                "status": statuses,
                "mlflow_status": runs["mlflow_status"],
                "start": start,
                "end": end,
                "seconds": (runs["end_ms"] - runs["start_ms"]) / 1000.0,
                "worker": [_worker(t) for t in tags],
                "note": [t.get(TAG_NOTE, "") for t in tags],
                "parent": runs["parent"],
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )
    exact = [exact[i] for i in order]
    hints: dict[str, SpaceHint] = {}
    for run_tags in tags[:50]:  # Optuna tags every trial alike; a few runs are enough
        hints.update(hints_from_optuna_tags(run_tags))
    hints.update(hints_from_spec(meta.spec))
    param_info: dict[str, ParamInfo] = {}
    columns: dict[str, Any] = {}
    for name in names:
        info_, column = type_param(name, [e[name] for e in exact], hints.get(name))
        param_info[name], columns[name] = info_, column
    params = pd.DataFrame(columns, index=pd.RangeIndex(len(order)))
    metrics = sub.metrics.iloc[order].reset_index(drop=True)
    return TrialsFrame(meta, info, params, metrics, param_info, exact)


_MINIMISED_HINTS = ("loss", "error", "mae", "mse", "rmse", "mape", "seconds", "time", "latency", "regret")


def guess_goal(metric: str) -> Goal:
    """A default direction for a metric nobody recorded a goal for: this app's metrics by
    their definition; otherwise losses, errors and times are minimised, the rest maximised."""
    from core.train.metrics import METRICS

    known = METRICS.get(metric)
    if known is not None:
        return "minimize" if known.goal == "minimize" else "maximize"
    lowered = metric.lower()
    return "minimize" if any(hint in lowered for hint in _MINIMISED_HINTS) else "maximize"
