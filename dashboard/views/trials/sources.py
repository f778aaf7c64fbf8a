"""Picking what to review: a sweep this app ran, or any MLflow store by its tracking URI."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from core.backend import SweepInfo, WorkspaceRef
from core.errors import UserFacingError
from core.trials import CACHE, Target, list_experiments, resolve_tracking_uri
from dashboard import nav, session
from dashboard.views.sweep_watch import read_status
from dashboard.views.trials.common import LIVE_POLL_S, OPEN, URI, W
from dashboard.views.trials.load import experiment_of, experiment_runs
from dashboard.widgets import follow_newest_select


def _sweep_rows(workspace: WorkspaceRef, jobs: Sequence[SweepInfo]) -> pd.DataFrame:
    rows = []
    for job in reversed(jobs):
        best_trial: int | None = None
        try:
            status = read_status(workspace, job.id)
            state = status.state
            job = status.job  # as of this poll: a remote backend's list carries no counts
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
                "best value": "–" if job.best_value is None else f"{job.best_value:.4f}",
                "best trial": "–" if best_trial is None else f"#{best_trial}",
                "trials": f"{job.counts.get('completed', 0)} of {spec['limits']['max_total_trials']}",
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
    # A static table wraps long cells (ids, datasets, times) where a data grid cuts them off at the
    # right, as on the Sweep page; past a few sweeps it scrolls in a box of its own.
    with st.container(height=320 if len(table) > 4 else "content", border=False):
        st.table(table.set_index("sweep"))
    st.caption("best value: the best completed trial's score · trials: completed of the budget")
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
    uri = job.tracking_uri
    if uri.lower().startswith("azureml://"):
        # the workspace's MLflow as the backend reports it, its requests signed with this sign-in
        uri = session.backend().tracking_uri(workspace)
    experiment = experiment_of(uri, run_id)
    return Target("app", uri, job.id, experiment, parent_run_id=run_id, job=job, workspace=workspace)


def _wait_for_start(workspace: WorkspaceRef, sweep_id: str) -> None:
    """A sweep whose runner has not created its MLflow run yet: poll, then redraw the page."""
    job = next((j for j in session.backend().list_sweeps(workspace) if j.id == sweep_id), None)
    if job is not None and job.run_id:
        st.rerun(scope="app")
    st.info(
        f"{sweep_id} is starting; its trials appear here as soon as they run.", icon=":material/hourglass:"
    )


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
