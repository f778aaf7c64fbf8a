"""The Trials step: open any sweep in MLflow, rank and filter its trials, compare them in charts.

Two ways in: a sweep this app ran (from the workspace's job records), or any MLflow
experiment behind a tracking URI the user types. Either way the trials are loaded in bulk
by ``core.trials`` and kept in a small in-process cache keyed by the store's last-update
stamp, so a rerun (a filter, another chart) only rebuilds figures. Only the open tab's
charts are built. Nothing here talks to MLflow except through ``core.trials``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
import streamlit as st

from core.backend import SweepInfo, WorkspaceRef
from core.errors import UserFacingError
from core.trials import (
    GOALS,
    METHODS,
    STATUSES,
    Ranking,
    Scores,
    TrialFilter,
    TrialsFrame,
    filter_mask,
    frame_for_group,
    history_matrix,
    is_bulk,
    last_update,
    list_experiments,
    load_histories,
    load_runs,
    load_sweep,
    param_importance,
    resolve_tracking_uri,
    score_trials,
    sweep_groups,
    top_k_mask,
    top_k_range,
    write_note,
)
from core.trials.frame import Goal, Group, guess_goal
from core.trials.history import LAZY_LIMIT, HistoryMatrix
from core.trials.load import RunTable, expected_runs, get_run_table
from core.trials.oof import OutOfFold, TrainingData, out_of_fold
from core.trials.scoring import RankKind
from core.trials.status import STATUS_LABELS
from dashboard import nav, session
from dashboard import trial_figures as figs
from dashboard.widgets import follow_newest_select

log = logging.getLogger("dashboard")
T = TypeVar("T")

# Session-state keys. None of the first four is owned by a widget, so they survive a change of page.
OPEN = "trials:open"  # {"kind": "app", "sweep": id} or {"kind": "uri", "uri", "experiment", "group"}
URI = "trials:uri"  # the last tracking URI the user typed that resolved
NOTES = "trials:notes"  # {run_id: note} saved in this session, laid over the cached frames
CHOSEN = session.TRIALS_CHOSEN  # the trial carried to the endpoint step (a dict, see carry_trial)
W = "trials:w:"  # prefix of this page's widget keys

LIVE_POLL_S = 3.0
STATUS_BADGES = {  # Markdown, for pills and captions
    "completed": ":blue[:material/check_circle:] completed",
    "early_terminated": ":orange[:material/content_cut:] early-terminated",
    "failed": ":red[:material/error:] failed",
    "canceled": ":gray[:material/cancel:] canceled",
    "running": ":violet[:material/progress_activity:] running",
}
RANKINGS: dict[RankKind, str] = {"final": "final value", "best_step": "best step", "step": "a given step"}
TABS = ["Overview", "Hyperparameters", "Intermediate values", "Timeline", "Best trial", "Compare sweeps"]
PLOT_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


# -- a small in-process cache -----------------------------------------------------------------------
class _Cache:
    """Loaded trials by (store, sweep, last-update stamp): shared by sessions, never mutated.

    Not ``st.cache_data``: the loaders report progress to a bar on the page, and a cached
    function may not draw into an element created outside it."""

    def __init__(self, size: int = 24) -> None:
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                # every key starts with a tag naming its loader, so a hit holds what ``make`` returns
                return cast(T, self._items[key])
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


CACHE = _Cache()


@dataclass(frozen=True)
class Target:
    """The sweep (or group of runs) under review."""

    kind: str  # "app" or "uri"
    uri: str
    label: str
    experiment_id: str
    parent_run_id: str | None = None
    group_key: str | None = None
    job: SweepInfo | None = None
    workspace: WorkspaceRef | None = None  # where ``job`` runs (an app sweep)

    @property
    def key(self) -> str:
        raw = f"{self.uri}|{self.experiment_id}|{self.parent_run_id}|{self.group_key}"
        return hashlib.sha1(raw.encode()).hexdigest()[:10]


_RUN = threading.local()  # per script run (each session's script runs in its own thread)


def begin_run(fragment: bool = False) -> None:
    """Start a script run, or a fragment's own rerun: forget the stamps the previous run asked
    for (a fragment called within a full run keeps that run's)."""
    if fragment and getattr(_RUN, "full_run", False):
        _RUN.full_run = False
        return
    _RUN.stamps = {}
    _RUN.full_run = not fragment


def stamp_of(uri: str, experiment_id: str) -> str:
    """The store's last-update stamp, asked once per run (a run needs it several times)."""
    stamps: dict[tuple[str, str], str] | None = getattr(_RUN, "stamps", None)
    if stamps is not None and (uri, experiment_id) in stamps:
        return stamps[(uri, experiment_id)]
    stamp = last_update(uri, experiment_id)
    if stamps is not None:
        stamps[(uri, experiment_id)] = stamp
    return stamp


def _fmt(value: float | None, digits: int = 4) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _progress_bar(what: str) -> tuple[Any, Callable[[int, int | None], None]]:
    bar = st.progress(0.0, text=f"Loading {what} from MLflow…")

    def report(done: int, expected: int | None) -> None:
        if expected:
            bar.progress(min(1.0, done / expected), text=f"Loaded {done:,} of {expected:,} runs of {what}…")
        else:
            bar.progress(0.5, text=f"Loaded {done:,} runs of {what}…")

    return bar, report


# -- opening a sweep ----------------------------------------------------------------------------------
def _sweep_rows(workspace: WorkspaceRef, jobs: Sequence[SweepInfo]) -> pd.DataFrame:
    rows = []
    backend = session.backend()
    for job in reversed(jobs):
        best_trial: int | None = None
        try:
            status = backend.sweep_status(workspace, job.id)
            state = status.state
            for t in status.trials:
                if t.get("status") == "completed" and t.get("params") == job.best_params:
                    best_trial = int(t["number"])
                    break
        except UserFacingError:
            state = job.state
        spec = job.spec
        rows.append(
            {
                "sweep": job.id,
                "state": state,
                "metric": f"{spec['primary_metric']} ({spec['goal']})",
                "best value": job.best_value,
                "best trial": best_trial,
                "completed": job.counts.get("completed", 0),
                "of": spec["limits"]["max_total_trials"],
                "family": spec["model_family"],
                "dataset": f"{job.dataset} v{job.dataset_version}",
                "created (UTC)": job.created_at.replace("T", " ")[:19],
            }
        )
    return pd.DataFrame(rows)


def app_source() -> Target | None:
    """Pick one of this workspace's sweeps; the list shows every sweep's best value."""
    workspace = session.current_workspace()
    if workspace is None:
        st.info("There is no workspace yet, so no sweep either.", icon=":material/info:")
        nav.link("resources", label="Create one on 1 · Resources")
        return None
    jobs = session.backend().list_sweeps(workspace)
    if not jobs:
        st.info(
            f"No sweep has run in workspace '{workspace}' yet. Launch one, then come back to compare "
            "its trials; or open any MLflow store above.",
            icon=":material/tune:",
        )
        nav.link("sweep", label="Launch a sweep on 4 · Sweep")
        return None
    table = _sweep_rows(workspace, jobs)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(300, 36 * len(table) + 40),
        column_config={
            "best value": st.column_config.NumberColumn(
                format="%.4f", help="The best completed trial's score."
            ),
            "best trial": st.column_config.NumberColumn(format="#%d"),
        },
    )
    ids = [j.id for j in jobs][::-1]  # newest first
    # the pick is shared with the Sweep page: a sweep launched or picked there is reviewed here
    chosen = follow_newest_select(
        "Sweep to review", ids, key=W + "sweep", pin_key=session.SWEEP_PICK, newest=ids[0]
    )
    st.session_state[OPEN] = {"kind": "app", "sweep": chosen}
    job = next(j for j in jobs if j.id == chosen)
    run_id = job.run_id
    if not run_id:
        st.fragment(_wait_for_start, run_every=LIVE_POLL_S)(workspace, job.id)
        return None
    experiment = CACHE.get_or_make(
        ("experiment-of", job.tracking_uri, run_id),
        lambda: get_run_table(job.tracking_uri, run_id).experiment_id,
    )
    return Target(
        "app", job.tracking_uri, job.id, experiment, parent_run_id=run_id, job=job, workspace=workspace
    )


def _wait_for_start(workspace: WorkspaceRef, sweep_id: str) -> None:
    """A sweep whose runner has not created its MLflow run yet: poll, then redraw the page."""
    job = next((j for j in session.backend().list_sweeps(workspace) if j.id == sweep_id), None)
    if job is not None and job.run_id:
        st.rerun(scope="app")
    st.info(
        f"{sweep_id} is starting; its trials appear here as soon as they run.", icon=":material/hourglass:"
    )


def experiment_runs(uri: str, experiment_id: str, name: str) -> tuple[RunTable, list[Group]]:
    """An experiment's runs and the sweeps in them, loaded together (the groups index the table)."""
    stamp = stamp_of(uri, experiment_id)

    def make() -> tuple[RunTable, list[Group]]:
        bar, report = _progress_bar(f"experiment '{name}'")
        try:
            table = load_runs(uri, experiment_id, progress=report, expected=expected_runs(uri, experiment_id))
        finally:
            bar.empty()
        return table, sweep_groups(table)

    return CACHE.get_or_make(("experiment", uri, experiment_id, stamp), make)


def uri_source() -> Target | None:
    """Any MLflow store: a SQLite file, an mlruns folder or a server; then an experiment and a
    sweep (or the runs without a parent) in it."""
    workspace = session.current_workspace()
    hint = ""
    if workspace is not None:
        try:
            hint = session.backend().tracking_uri(workspace)
        except UserFacingError:
            hint = ""
    with st.form(W + "uri_form", border=False):
        left, right = st.columns([5, 1], vertical_alignment="bottom")
        typed = left.text_input(
            "Tracking URI or path",
            value=st.session_state.get(URI, ""),
            placeholder=hint or "sqlite:////path/to/mlflow.db, /path/to/mlruns or http://host:5000",
            help="A SQLite file (sqlite:///… or its path), an mlruns folder, or an MLflow server. "
            + (f"This workspace's store is {hint}" if hint else ""),
            key=W + "uri_text",
        )
        opened = right.form_submit_button("Open", type="primary", icon=":material/folder_open:")
    if opened:
        try:
            st.session_state[URI] = resolve_tracking_uri(typed or hint)
        except UserFacingError as exc:
            st.error(str(exc), icon=":material/error:")
            return None
    uri = st.session_state.get(URI)
    if not uri:
        st.caption(
            "Type a tracking URI and press **Open**. Nothing is written to the store except notes you save."
        )
        return None
    try:
        experiments = CACHE.get_or_make(("experiments", uri, _minute()), lambda: list_experiments(uri))
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    if not experiments:
        st.info(f"{uri} has no experiments.", icon=":material/info:")
        return None
    labels = {e.experiment_id: f"{e.name} · id {e.experiment_id}" for e in experiments}
    previous = st.session_state.get(OPEN) or {}
    ids = list(labels)
    default = previous.get("experiment") if previous.get("uri") == uri else None
    exp_id = st.selectbox(
        "Experiment",
        ids,
        format_func=labels.__getitem__,
        index=ids.index(default) if default in ids else 0,
        key=W + "exp",
    )
    name = labels[exp_id].split(" · id")[0]
    try:
        table, groups = experiment_runs(uri, exp_id, name)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    if len(table) == 0:
        st.info(f"Experiment '{name}' has no runs.", icon=":material/info:")
        return None
    if not groups:
        st.info(f"Experiment '{name}' holds only sweep parent runs, no trials.", icon=":material/info:")
        return None
    keys = [g.key for g in groups]
    default_group = previous.get("group") if previous.get("experiment") == exp_id else None
    group_key = st.selectbox(
        "Sweep (parent run) or runs",
        keys,
        format_func=lambda k: next(g.label for g in groups if g.key == k),
        index=keys.index(default_group) if default_group in keys else 0,
        key=W + "group:" + exp_id,
        help="Runs are grouped by their parent run (mlflow.parentRunId); runs without one form a group.",
    )
    st.session_state[OPEN] = {"kind": "uri", "uri": uri, "experiment": exp_id, "group": group_key}
    group = next(g for g in groups if g.key == group_key)
    return Target(
        "uri", uri, f"{name} · {group.label}", exp_id, parent_run_id=group.parent_run_id, group_key=group_key
    )


def _minute() -> int:
    return int(time.time() // 60)


# -- loading ---------------------------------------------------------------------------------------------
def load_frame(target: Target) -> TrialsFrame:
    """The target's trials, from the cache unless the store changed since."""
    stamp = stamp_of(target.uri, target.experiment_id)
    if target.kind == "app":
        assert target.parent_run_id is not None

        def make() -> TrialsFrame:
            bar, report = _progress_bar(target.label)
            try:
                counts = target.job.counts if target.job else {}
                expected = sum(v for k, v in counts.items() if k != "queued") or None
                return load_sweep(target.uri, target.parent_run_id or "", target.label, report, expected)
            finally:
                bar.empty()

        return CACHE.get_or_make(("sweep", target.uri, target.parent_run_id, stamp), make)
    table, groups = experiment_runs(target.uri, target.experiment_id, target.label)
    group = next((g for g in groups if g.key == target.group_key), None)
    if group is None:
        raise UserFacingError(f"{target.label} is no longer in the experiment.", "Pick another group.")
    return CACHE.get_or_make(
        ("group", target.uri, target.experiment_id, stamp, target.group_key),
        lambda: frame_for_group(table, group),
    )


def _histories(
    target: Target, frame: TrialsFrame, key: str, wanted: np.ndarray | None = None
) -> HistoryMatrix:
    """``key``'s history for every trial (bulk stores) or for the ``wanted`` rows (servers)."""
    stamp = stamp_of(target.uri, target.experiment_id)
    if is_bulk(target.uri):
        ids = list(frame.run_ids)
        rows = CACHE.get_or_make(
            ("history", target.uri, target.key, stamp, key),
            lambda: load_histories(target.uri, target.experiment_id, ids, [key]),
        )
        return history_matrix(rows, frame.run_ids, key)
    picked = np.flatnonzero(wanted) if wanted is not None else np.arange(0)
    ids = [str(frame.run_ids[i]) for i in picked[:LAZY_LIMIT]]
    rows = CACHE.get_or_make(
        ("history", target.uri, target.key, stamp, key, tuple(ids)),
        lambda: load_histories(target.uri, target.experiment_id, ids, [key]),
    )
    return history_matrix(rows, frame.run_ids, key, requested=ids)


# -- metric, goal and ranking ----------------------------------------------------------------------------
def pick_scoring(target: Target, frame: TrialsFrame) -> tuple[str, Goal, Ranking] | None:
    names = frame.metric_names()
    if not names:
        st.warning(
            "These runs logged no metric, so nothing can rank them. The table below lists them.",
            icon=":material/warning:",
        )
        return None
    meta = frame.meta
    recorded = meta.primary_metric if meta.primary_metric in names else None
    default = recorded or ("value" if "value" in names else names[0])
    a, b, c, d = st.columns([3, 2, 3, 1.4])
    metric = a.selectbox(
        "Primary metric",
        names,
        index=names.index(default),
        key=W + "metric:" + target.key,
        help="Recorded by the sweep."
        if recorded
        else "Not recorded by these runs: pick the one that ranks them.",
    )
    goal_default = meta.goal if (meta.goal and metric == recorded) else guess_goal(metric)
    goal = b.radio(
        "Goal",
        GOALS,
        index=GOALS.index(goal_default),
        horizontal=True,
        key=W + "goal:" + target.key + metric,
        help="Recorded by the sweep."
        if meta.goal and metric == recorded
        else "Not recorded: pick the direction.",
    )
    bulk = is_bulk(target.uri)
    kind = c.radio(
        "Rank each trial by its",
        list(RANKINGS),
        format_func=RANKINGS.__getitem__,
        horizontal=True,
        key=W + "rank:" + target.key,
        help="Which value scores a trial. **Final value**: the cross-fold mean when it was logged "
        "(this app's trials), else the metric's last value. **Best step** / **a given step**: from "
        "the metric as logged per step (per fold here), so trials a policy cut early are compared "
        "fairly at the same step.",
    )
    step = None
    if kind != "final" and not bulk:
        c.warning(
            "This server returns metric histories one run at a time, so step rankings are not available; "
            "the final value is used.",
            icon=":material/warning:",
        )
        kind = "final"
    if kind == "step":
        step = int(d.number_input("Step", min_value=0, value=0, step=1, key=W + "step:" + target.key))
    recorded_note = (
        f"Recorded by the sweep: **{meta.primary_metric}**, {meta.goal}."
        if meta.primary_metric and meta.goal
        else "This store does not record the primary metric or its goal; pick them above."
    )
    st.caption(recorded_note)
    return metric, goal, Ranking(kind, step)


# -- best at a glance ------------------------------------------------------------------------------------
def best_strip(frame: TrialsFrame, scores: Scores) -> None:
    counts = Counter(frame.statuses.tolist())
    cols = st.columns(4)
    best = scores.best
    cols[0].metric(
        f"Best {scores.metric}",
        _fmt(scores.best_value),
        help=f"{scores.goal}, ranked by {scores.ranking.describe()}; among completed trials.",
    )
    cols[1].metric("Best trial", "–" if best is None else f"#{frame.numbers[best]}")
    cols[2].metric("Trials", f"{len(frame):,}")
    cols[3].metric("Completed", f"{counts.get('completed', 0):,}")
    parts = [f"{STATUS_BADGES[s]} {counts[s]:,}" for s in STATUSES if counts.get(s)]
    st.caption(" · ".join(parts))
    if best is not None:
        params = frame.exact_params[best]
        st.markdown(
            f"**Best trial #{frame.numbers[best]}**: "
            + ", ".join(f"`{k}={_short(v)}`" for k, v in params.items())
            + ("" if not np.isfinite(scores.std[best]) else f" · ± {scores.std[best]:.4f} across folds")
        )
        if not scores.best_is_completed:
            st.warning(
                "No trial has completed yet; the best shown is among the others.", icon=":material/warning:"
            )
    else:
        st.info(f"No trial has a {scores.metric} value yet.", icon=":material/info:")


# -- filters and table -----------------------------------------------------------------------------------
def _value_grid(values: np.ndarray, points: int = 40) -> list[float]:
    finite = np.unique(values[np.isfinite(values)])
    if finite.size <= points:
        return [float(v) for v in finite]
    grid = np.unique(np.quantile(finite, np.linspace(0, 1, points)))
    return [float(v) for v in grid]


def filters(target: Target, frame: TrialsFrame, scores: Scores) -> tuple[TrialFilter, np.ndarray, np.ndarray]:
    """The status / top k % / value-range / hyperparameter filters; returns the filter, the rows
    passing everything but top k %, and the rows passing everything."""
    key = target.key
    present = [s for s in STATUSES if s in set(frame.statuses.tolist())]
    picked = st.pills(
        "Status (left out of every chart when off)",
        present,
        selection_mode="multi",
        default=present,
        format_func=STATUS_BADGES.__getitem__,
        key=W + "status:" + key,
    )
    b, c = st.columns([2, 3])
    top = b.slider(
        "Top k % by the ranking",
        1,
        100,
        100,
        key=W + "top:" + key,
        help="Keep only the best k % of the trials that pass the other filters. The parallel coordinates "
        "mark the same range on their metric axis.",
    )
    finite = scores.values[np.isfinite(scores.values)]
    value_range = None
    if finite.size >= 2 and finite.min() < finite.max():
        low, high = float(finite.min()), float(finite.max())
        chosen = c.slider(
            f"{scores.metric} range",
            low,
            high,
            (low, high),
            key=W + "range:" + key + scores.metric + scores.ranking.describe(),
            format="%.4f",
        )
        if tuple(chosen) != (low, high):
            value_range = (float(chosen[0]), float(chosen[1]))
    numeric: dict[str, tuple[float, float]] = {}
    categories: dict[str, frozenset[str]] = {}
    with st.expander("Filter by hyperparameter values", icon=":material/filter_alt:"):
        names = frame.varying()
        if not names:
            st.caption("No hyperparameter varies across these trials.")
        cols = st.columns(3) if names else []
        for i, name in enumerate(names):
            info = frame.param_info[name]
            where = cols[i % 3]
            if info.kind == "categorical":
                kept = where.multiselect(
                    name, list(info.categories), default=list(info.categories), key=W + "pf:" + key + name
                )
                if len(kept) < len(info.categories):
                    categories[name] = frozenset(kept)
            else:
                grid = _value_grid(frame.params[name].to_numpy(dtype=np.float64))
                if len(grid) < 2:
                    continue
                lo, hi = where.select_slider(
                    name + (" (log)" if info.log else ""),
                    options=grid,
                    value=(grid[0], grid[-1]),
                    format_func=lambda v: f"{v:.4g}",
                    key=W + "pf:" + key + name,
                )
                if (lo, hi) != (grid[0], grid[-1]):
                    numeric[name] = (float(lo), float(hi))
    flt = TrialFilter(
        statuses=frozenset(picked or []),
        value_range=value_range,
        numeric=numeric,
        categories=categories,
        top_percent=float(top),
    )
    without_top = filter_mask(frame, scores, flt, apply_top=False)
    return flt, without_top, filter_mask(frame, scores, flt)


def table_frame(frame: TrialsFrame, scores: Scores, rows: np.ndarray) -> pd.DataFrame:
    """The trials table as shown and exported: one row per trial in ``rows``."""
    info = frame.info.iloc[rows]
    metric = scores.metric
    out: dict[str, Any] = {
        "best": np.where(rows == scores.best, "★", ""),
        "trial": info["number"].to_numpy(),
        "status": [[STATUS_LABELS.get(s, s)] for s in info["status"]],
        metric: scores.values[rows],
        "± std": scores.std[rows],
    }
    for name in frame.params.columns:
        column = frame.params[name].iloc[rows]
        label = name if name not in out else f"param {name}"
        out[label] = (
            column.astype(str).to_numpy()
            if frame.param_info[name].kind == "categorical"
            else column.to_numpy()
        )
    out["started (UTC)"] = info["start"].dt.tz_localize(None).to_numpy()
    out["seconds"] = info["seconds"].to_numpy()
    out["worker"] = info["worker"].to_numpy()
    out["note"] = [n.splitlines()[0][:80] if n else "" for n in info["note"]]
    out["run id"] = info["run_id"].to_numpy()
    return pd.DataFrame(out)


def trials_table(target: Target, frame: TrialsFrame, scores: Scores, shown: np.ndarray) -> np.ndarray:
    """The sortable table of the trials passing the filters; returns the selected rows as a mask."""
    rows = np.flatnonzero(shown)
    selected = np.zeros(len(frame), dtype=bool)
    if rows.size == 0:
        st.info("No trial passes these filters. Widen them above.", icon=":material/filter_alt_off:")
        return selected
    table = table_frame(frame, scores, rows)
    digest = hashlib.sha1(rows.tobytes()).hexdigest()[:8]
    event = st.dataframe(
        table,
        key=W + "table:" + target.key + digest,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        width="stretch",
        height=min(440, 35 * len(table) + 40),
        column_config={
            "best": st.column_config.TextColumn("★", width=40, help="The best trial."),
            "trial": st.column_config.NumberColumn(format="%d", width="small"),
            "status": st.column_config.MultiselectColumn(
                options=[STATUS_LABELS[s] for s in STATUSES],
                color=[figs.STATUS_COLOURS[s] for s in STATUSES],
                width="medium",
            ),
            scores.metric: st.column_config.NumberColumn(
                format="%.4f", help=f"Ranked by {scores.ranking.describe()}."
            ),
            "± std": st.column_config.NumberColumn(format="%.4f", help="Std of the metric across folds."),
            "started (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "seconds": st.column_config.NumberColumn(format="%.1f"),
        },
    )
    picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    selected[rows[[p for p in picked if 0 <= p < rows.size]]] = True
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(
        f"{rows.size:,} of {len(frame):,} trials shown · click a column to sort · tick rows to highlight "
        "them in every chart" + (f" · {int(selected.sum())} selected" if selected.any() else "")
    )
    right.download_button(
        "Table as CSV",
        data=lambda: table.assign(status=[s[0] for s in table["status"]]).to_csv(index=False),
        file_name=f"{target.label.split(' ')[0]}-trials.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=W + "csv:" + target.key,
    )
    return selected


PICK_LIST_MAX = 300  # beyond this many trials, a trial is picked by its number, not from a list


def pick_trial(frame: TrialsFrame, scores: Scores, default: int, key: str, help: str | None = None) -> int:
    """A trial's row: from a list for small sweeps, by number for big ones (a list of 10,000
    options would cost seconds on every rerun). The key follows the default, so selecting
    other rows in the table moves the choice along."""
    numbers = frame.numbers
    key = f"{key}:{default}"
    if len(frame) <= PICK_LIST_MAX:
        return int(
            st.selectbox(
                "Trial",
                range(len(frame)),
                index=default,
                format_func=lambda r: (
                    f"#{numbers[r]} · {STATUS_LABELS.get(frame.statuses[int(r)], '')}"
                    + (" · best" if r == scores.best else "")
                ),
                key=key,
                help=help,
            )
        )
    number = int(
        st.number_input(
            "Trial number",
            min_value=int(numbers.min()),
            max_value=int(numbers.max()),
            value=int(numbers[default]),
            step=1,
            key=key,
            help=help,
        )
    )
    hits = np.flatnonzero(numbers == number)
    if hits.size == 0:
        st.warning(f"There is no trial #{number}; showing #{numbers[default]}.")
        return default
    return int(hits[0])


def notes_editor(target: Target, frame: TrialsFrame, scores: Scores, selected: np.ndarray) -> None:
    with st.expander(
        "Review notes · Markdown, saved to MLflow as the run's note", icon=":material/edit_note:"
    ):
        numbers = frame.numbers
        first = int(np.flatnonzero(selected)[0]) if selected.any() else (scores.best or 0)
        row = pick_trial(frame, scores, first, W + "note_trial:" + target.key)
        run_id = str(frame.run_ids[row])
        current = str(frame.info["note"].iloc[row] or "")
        with st.form(W + "note_form:" + target.key + run_id, border=False):
            text = st.text_area(
                "Note",
                value=current,
                height=120,
                placeholder="What stands out about this trial? (Markdown)",
                key=W + "note_text:" + run_id,
            )
            save = st.form_submit_button("Save note", icon=":material/save:")
        if save:
            try:
                stored = write_note(target.uri, run_id, text)
            except UserFacingError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state.setdefault(NOTES, {})[run_id] = stored
                st.toast(f"Saved the note of trial #{numbers[row]}." if stored else "Note removed.")
                st.rerun()
        if current:
            st.markdown(current)
        st.caption("Notes are the MLflow tag mlflow.note.content, so the MLflow UI shows them too.")


# -- charts -------------------------------------------------------------------------------------------------
def chart(fig: Any, key: str, name: str) -> None:
    """A chart with Plotly's toolbar (PNG) and an HTML export built only when clicked."""
    st.plotly_chart(
        fig,
        key=W + "chart:" + key,
        config=PLOT_CONFIG | {"toImageButtonOptions": {"format": "png", "scale": 2, "filename": name}},
    )
    st.download_button(
        "Chart as HTML",
        data=lambda: fig.to_html(include_plotlyjs=True, full_html=True),
        file_name=f"{name}.html",
        mime="text/html",
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
        key=W + "html:" + key,
    )


def overview_tab(
    target: Target,
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    without_top: np.ndarray,
    selected: np.ndarray,
    flt: TrialFilter,
) -> None:
    chart(
        figs.optimisation_history(frame, scores, shown, selected),
        "history:" + target.key,
        "optimisation-history",
    )
    if not frame.varying():
        st.info("No hyperparameter varies across these trials, so there are no axes to compare.")
        return
    top_range = None
    if flt.top_percent < 100:
        top_range = top_k_range(
            scores.values, top_k_mask(scores.values, scores.goal, flt.top_percent, among=without_top)
        )
    st.caption(
        "**Parallel coordinates.** Drag along any axis to keep a range of it (drag again on the same axis to "
        "add a range; click the axis outside the range to clear it). The **Top k %** slider above marks the "
        "best trials' range on the metric axis. Categorical axes list their values, None included; log axes "
        "say so."
    )
    chart(
        figs.parallel_coordinates(frame, scores, without_top, selected, top_range),
        "parcoords:" + target.key,
        "parallel-coordinates",
    )


def hyperparameters_tab(
    target: Target, frame: TrialsFrame, scores: Scores, shown: np.ndarray, selected: np.ndarray
) -> None:
    names = frame.varying()
    if not names:
        st.info("No hyperparameter varies across these trials.")
        return
    method = st.radio(
        "Importance method",
        list(METHODS),
        format_func=METHODS.__getitem__,
        horizontal=True,
        key=W + "imp_method",
        help="Both are Optuna's evaluators, run on the trials passing the filters, with the goal's "
        "direction. PED-ANOVA asks which settings set the top 10 % apart; fANOVA splits the metric's "
        "variance.",
    )
    digest = hashlib.sha1(shown.tobytes()).hexdigest()[:8]
    try:
        importance = CACHE.get_or_make(
            (
                "importance",
                target.key,
                stamp_of(target.uri, target.experiment_id),
                scores.metric,
                scores.goal,
                scores.ranking,
                digest,
                method,
            ),
            lambda: param_importance(frame, scores, shown, method=method),
        )
    except UserFacingError as exc:
        st.info(str(exc), icon=":material/info:")
    else:
        chart(figs.importance_bar(importance, scores.metric), "importance:" + target.key, "importance")
        if importance.note:
            st.caption(importance.note)
        ranked = [n for n in importance.values if n in names]
        names = ranked + [n for n in names if n not in ranked]  # most important first below
    chart(figs.slice_plots(frame, scores, shown, selected, params=names), "slices:" + target.key, "slices")
    st.markdown("**Two hyperparameters at once** · the two most important are shown first")
    a, b, c, d = st.columns(4)
    x = a.selectbox("x axis", names, index=0, key=W + "cx:" + target.key)
    others = [n for n in names if n != x] or names
    y = b.selectbox("y axis", others, index=0, key=W + "cy:" + target.key)
    style = c.radio(
        "Style",
        ["heatmap", "contour"],
        horizontal=True,
        key=W + "cstyle",
        help="Contour needs two numeric axes.",
    )
    agg = d.radio("Each cell shows", ["mean", "best"], horizontal=True, key=W + "cagg")
    if x == y:
        st.info("Pick two different hyperparameters.")
        return
    chart(
        figs.contour(frame, scores, x, y, shown, selected, style=style, aggregate=agg),
        "contour:" + target.key,
        "contour",
    )


def intermediate_tab(
    target: Target, frame: TrialsFrame, scores: Scores, shown: np.ndarray, selected: np.ndarray
) -> None:
    metric = scores.metric
    keys = [k for k in (metric, f"{metric}_fold") if k in frame.metrics.columns]
    if not keys:
        st.info(f"No run logged {metric} per step, so there are no intermediate values.")
        return
    labels = {
        metric: f"{metric} as logged per step (this app: the running mean, what a policy compares)",
        f"{metric}_fold": f"{metric} of each fold on its own",
    }
    key = (
        st.radio("Values", keys, format_func=labels.get, horizontal=True, key=W + "ikey:" + target.key)
        if len(keys) > 1
        else keys[0]
    )
    wanted = selected.copy()
    if scores.best is not None:
        wanted[scores.best] = True
    try:
        history = _histories(target, frame, key, wanted)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    if not is_bulk(target.uri):
        st.caption(
            f"This server returns histories one run at a time: showing the selected trials and the best one "
            f"(at most {LAZY_LIMIT})."
        )
    if history.steps.size == 0:
        st.info("No intermediate values were logged for these trials.")
        return
    chart(
        figs.intermediate_values(
            frame, history, scores, shown, selected, what=labels[key].split(" (")[0].replace(" as logged", "")
        ),
        "intermediate:" + target.key,
        "intermediate-values",
    )
    cut = int(np.sum(shown & (frame.statuses == "early_terminated")))
    if cut:
        st.caption(f"{cut} early-terminated trial(s): their lines stop where the policy cut them (marked ×).")


def _training_data(target: Target, frame: TrialsFrame) -> TrainingData | None:
    """What the sweep trained on, from the backend (None for a store this app did not fill)."""
    workspace = target.workspace or session.current_workspace()
    sweep_id = target.job.id if target.job is not None else frame.meta.sweep_id
    if workspace is None or not sweep_id:
        return None
    try:
        return session.backend().sweep_training_data(workspace, sweep_id)
    except UserFacingError:
        return None


@st.cache_data(
    show_spinner="Re-running the trial's cross-validation for its out-of-fold predictions…", max_entries=16
)
def _oof(run_id: str, _data: TrainingData, params_items: tuple[tuple[str, Any], ...]) -> OutOfFold:
    """Cached by run id and parameters: a run's training data never changes, so it is not hashed
    (it holds the whole train split)."""
    return out_of_fold(_data, dict(params_items))


def carry_trial(target: Target, frame: TrialsFrame, scores: Scores, row: int) -> dict[str, Any]:
    """What the endpoint step needs to deploy this trial (the sweep's refit model is the best's)."""
    is_best = row == scores.best
    job = target.job
    return {
        "run_id": str(frame.run_ids[row]),
        "trial_number": int(frame.numbers[row]),
        "params": dict(frame.exact_params[row]),
        "metric": scores.metric,
        "goal": scores.goal,
        "value": None if not np.isfinite(scores.values[row]) else float(scores.values[row]),
        "tracking_uri": target.uri,
        "experiment_id": target.experiment_id,
        "parent_run_id": frame.meta.parent_run_id,
        "sweep_id": job.id if job else frame.meta.sweep_id,
        "workspace": job.workspace if job else None,
        "is_best": is_best,
        "model_uri": job.model_uri if (job is not None and is_best) else None,
    }


def carried_when(target: Target) -> dict[str, Any]:
    """When a trial is carried, and which sweeps had a model then: the endpoint step follows a
    sweep that finishes after the carry, even if it was not open at the time."""
    workspace = target.workspace or session.current_workspace()
    if workspace is None:
        return {"carried_at": time.time()}
    jobs = session.backend().list_sweeps(workspace)
    return {"carried_at": time.time(), "sweeps_with_model": [j.id for j in jobs if j.model_uri]}


def best_trial_tab(target: Target, frame: TrialsFrame, scores: Scores, selected: np.ndarray) -> None:
    if scores.best is None and not selected.any():
        st.info("No trial has a score yet.")
        return
    default = int(np.flatnonzero(selected)[0]) if selected.any() else int(scores.best or 0)
    row = pick_trial(
        frame,
        scores,
        default,
        W + "panel:" + target.key,
        help="The best trial by default; the first selected row when you select rows in the table.",
    )
    status = frame.statuses[row]
    st.markdown(
        f"### Trial #{frame.numbers[row]} {'★ best' if row == scores.best else ''}\n"
        f"{STATUS_BADGES.get(status, status)} · {scores.metric} **{_fmt(scores.values[row])}**"
        + ("" if not np.isfinite(scores.std[row]) else f" ± {scores.std[row]:.4f}")
        + f" · run `{frame.run_ids[row]}`"
    )
    left, right = st.columns([2, 3])
    params = frame.exact_params[row]
    left.dataframe(
        pd.DataFrame({"hyperparameter": list(params), "value": [str(v) for v in params.values()]}),
        hide_index=True,
        width="stretch",
    )
    metrics_row = frame.metrics.iloc[row]
    rows = []
    for name in frame.metric_names():
        mean = metrics_row.get(f"{name}_mean", metrics_row.get(name, np.nan))
        std = metrics_row.get(f"{name}_std", np.nan)
        rows.append({"metric": name, "value": mean, "± std across folds": std})
    right.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "value": st.column_config.NumberColumn(format="%.4f"),
            "± std across folds": st.column_config.NumberColumn(format="%.4f"),
        },
    )
    if st.button(
        f"Use trial #{frame.numbers[row]} on 6 · Endpoint",
        icon=":material/rocket_launch:",
        key=W + "carry:" + target.key,
    ):
        st.session_state[CHOSEN] = carry_trial(target, frame, scores, row) | carried_when(target)
    chosen = st.session_state.get(CHOSEN)
    if chosen and chosen.get("run_id") == str(frame.run_ids[row]):
        note = (
            ""
            if chosen["model_uri"]
            else " It has no refit model yet; the endpoint step refits it from these hyperparameters."
        )
        st.success(
            f"Trial #{chosen['trial_number']} goes to the endpoint step.{note}",
            icon=":material/check_circle:",
        )
        nav.link("endpoint", label="Continue on 6 · Endpoint")

    st.markdown("#### Out-of-fold predictions")
    data = _training_data(target, frame)
    if data is None:
        st.info(
            "The confusion matrix, ROC and precision-recall curves (or predicted-vs-actual for "
            "regression) come from the trial's out-of-fold predictions. MLflow does not hold them, and "
            "this experiment was not run by this app, so its training data is unknown: the panel needs "
            "the training data to re-run the trial.",
            icon=":material/info:",
        )
        return
    try:
        oof = _oof(str(frame.run_ids[row]), data, tuple(sorted(params.items())))
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    except Exception as exc:  # a trial that failed in the sweep fails again here
        log.exception("out-of-fold predictions failed")
        st.error(
            f"The trial could not be re-run: {type(exc).__name__}: {str(exc)[:300]}", icon=":material/error:"
        )
        return
    st.caption(
        f"Re-run with the same trainer, train split, {oof.folds} folds and seed {data.setup.seed} "
        "as the sweep"
        + (" (all folds, although the policy stopped it early)." if status == "early_terminated" else ".")
    )
    if oof.task == "classification":
        a, b, c = st.columns(3)
        with a:
            chart(figs.confusion_matrix(oof), "cm:" + target.key, "confusion-matrix")
        if oof.roc:
            with b:
                chart(figs.roc_curves(oof), "roc:" + target.key, "roc")
            with c:
                chart(figs.pr_curves(oof), "pr:" + target.key, "precision-recall")
        else:
            b.info("This model gives no probabilities, so there are no ROC or PR curves.")
    else:
        a, b = st.columns(2)
        with a:
            chart(figs.predicted_vs_actual(oof), "pva:" + target.key, "predicted-vs-actual")
        with b:
            chart(figs.residuals(oof), "residuals:" + target.key, "residuals")


def compare_tab(target: Target, frame: TrialsFrame, scores: Scores) -> None:
    others: dict[str, Target] = {}
    if target.kind == "app":
        workspace = session.current_workspace()
        for job in session.backend().list_sweeps(workspace) if workspace else []:
            if job.id != target.label and job.run_id:
                others[job.id] = Target(
                    "app",
                    job.tracking_uri,
                    job.id,
                    target.experiment_id,
                    parent_run_id=job.run_id,
                    job=job,
                    workspace=workspace,
                )
    else:
        _, groups = experiment_runs(target.uri, target.experiment_id, target.label)
        for group in groups:
            if group.key != target.group_key:
                others[group.label] = Target(
                    "uri", target.uri, group.label, target.experiment_id, group.parent_run_id, group.key
                )
    if not others:
        st.info("There is no other sweep here to compare with.", icon=":material/info:")
        return
    picked = st.multiselect(
        f"Compare with (same metric: {scores.metric}, {scores.goal})",
        list(others),
        key=W + "compare:" + target.key,
        placeholder="Pick one or more sweeps",
    )
    series = [figs.SweepSeries(target.label.split(" · ")[0], frame.numbers, scores.values, frame.statuses)]
    rows = [{"sweep": target.label, "trials": len(frame), f"best {scores.metric}": scores.best_value}]
    for name in picked:
        other = others[name]
        if other.kind == "app" and other.job is not None:
            other = Target(
                "app", other.uri, other.label, _experiment_of(other), other.parent_run_id, job=other.job
            )
        try:
            other_frame = load_frame(other)
        except UserFacingError as exc:
            st.error(str(exc), icon=":material/error:")
            continue
        if scores.metric not in other_frame.metric_names():
            st.warning(f"{name} has no {scores.metric}; left out.", icon=":material/warning:")
            continue
        other_scores = score_trials(other_frame, scores.metric, scores.goal)
        series.append(
            figs.SweepSeries(
                name.split(" · ")[0], other_frame.numbers, other_scores.values, other_frame.statuses
            )
        )
        rows.append(
            {"sweep": name, "trials": len(other_frame), f"best {scores.metric}": other_scores.best_value}
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={f"best {scores.metric}": st.column_config.NumberColumn(format="%.4f")},
    )
    chart(
        figs.compare_history(series, scores.metric, scores.goal), "compare:" + target.key, "sweeps-compared"
    )


def _experiment_of(target: Target) -> str:
    assert target.parent_run_id is not None
    return CACHE.get_or_make(
        ("experiment-of", target.uri, target.parent_run_id),
        lambda: get_run_table(target.uri, target.parent_run_id or "").experiment_id,
    )


# -- the page ---------------------------------------------------------------------------------------------
def _unexpected(exc: Exception) -> None:
    """A failure nobody planned for: logged in full, summarised calmly, never a traceback."""
    log.exception("the Trials page failed")
    st.error(
        f"Something unexpected went wrong ({type(exc).__name__}: {str(exc)[:300]}). "
        "Check the terminal running the dashboard for details.",
        icon=":material/error:",
    )


def review(target: Target, live: bool = False) -> None:
    """Everything below the source pickers; reruns alone (as a fragment) while a sweep runs,
    and redraws the whole page once when it stops running (which ends the polling)."""
    begin_run(fragment=True)
    try:
        _review(target)
        if live and not _is_live(target, fresh=True):
            st.rerun(scope="app")
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
    except Exception as exc:  # Streamlit's own rerun/stop signals are BaseExceptions: not caught
        _unexpected(exc)


def _review(target: Target) -> None:
    frame = load_frame(target)
    if len(frame) == 0:
        st.info(f"{target.label} has no trials yet.", icon=":material/hourglass:")
        return
    frame = frame.with_notes(st.session_state.get(NOTES) or {})
    st.session_state[W + "live:" + target.key] = bool((frame.statuses == "running").any() or frame.meta.live)
    picked = pick_scoring(target, frame)
    if picked is None:
        unscored = score_trials(frame, "", "maximize")
        table = table_frame(frame, unscored, np.arange(len(frame))).drop(columns=["", "± std"])
        table["status"] = [s[0] for s in table["status"]]
        st.dataframe(table, hide_index=True, width="stretch")
        return
    metric, goal, ranking = picked
    history = None
    if ranking.needs_history:
        try:
            history = _histories(target, frame, metric)
        except UserFacingError as exc:
            st.error(str(exc), icon=":material/error:")
            return
        if ranking.kind == "step" and history.steps.size and ranking.step not in set(history.steps.tolist()):
            st.warning(
                f"No trial logged step {ranking.step}; "
                f"logged steps are {history.steps.min()}–{history.steps.max()}."
            )
    scores = score_trials(frame, metric, goal, ranking, history)
    best_strip(frame, scores)
    flt, without_top, shown = filters(target, frame, scores)
    selected = trials_table(target, frame, scores, shown)
    notes_editor(target, frame, scores, selected)
    tabs = st.tabs(TABS, key=W + "tab", on_change="rerun")
    with tabs[0]:
        if tabs[0].open is not False:
            overview_tab(target, frame, scores, shown, without_top, selected, flt)
    with tabs[1]:
        if tabs[1].open:
            hyperparameters_tab(target, frame, scores, shown, selected)
    with tabs[2]:
        if tabs[2].open:
            intermediate_tab(target, frame, scores, shown, selected)
    with tabs[3]:
        if tabs[3].open:
            chart(figs.timeline(frame, shown, selected), "timeline:" + target.key, "timeline")
    with tabs[4]:
        if tabs[4].open:
            best_trial_tab(target, frame, scores, selected)
    with tabs[5]:
        if tabs[5].open:
            compare_tab(target, frame, scores)


def _is_live(target: Target, fresh: bool = False) -> bool:
    """Whether the sweep still runs: this app's job record, or (any store) running trials or a
    running parent run at the last load."""
    job = target.job
    if job is not None:
        if target.workspace and (fresh or job.state in ("starting", "running")):  # a kept record may be stale
            jobs = session.backend().list_sweeps(target.workspace)
            job = next((j for j in jobs if j.id == job.id), job)
        return job.state in ("starting", "running")
    return bool(st.session_state.get(W + "live:" + target.key))


def render() -> None:
    begin_run()
    source = st.segmented_control(
        "Open",
        ["app", "uri"],
        format_func={"app": "A sweep of this app", "uri": "Any MLflow store (tracking URI)"}.__getitem__,
        default=(st.session_state.get(OPEN) or {}).get("kind", "app"),
        required=True,
        key=W + "source",
    )
    try:
        target = app_source() if source == "app" else uri_source()
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    except Exception as exc:
        _unexpected(exc)
        return
    if target is None:
        return
    st.divider()
    live = _is_live(target)
    if live:
        st.caption(
            f"Live: refreshes every {LIVE_POLL_S:.0f} s while trials run; only this part of the page reloads."
        )
    st.fragment(review, run_every=LIVE_POLL_S if live else None)(target, live)
