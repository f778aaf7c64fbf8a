"""The Sweep step's watch section: the sweeps of a workspace, the chosen one live (polled by a
fragment while it runs), and its controls: cancel, resume, close."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.backend import SweepInfo, SweepProgress, WorkspaceRef
from core.errors import UserFacingError
from core.wording import counted
from dashboard import figures, nav, session
from dashboard.badges import badge
from dashboard.widgets import follow_newest_select, run_action, show_result

POLL_S = 2.0
ENDED = frozenset({"completed", "canceled", "failed", "closed"})  # what no control changes any more
ENDED_STATUS = "sweep:ended_status"  # session key: (workspace key, sweep id) -> its final status
REMOTE_POLL_S = 10.0  # a remote backend's poll makes a few REST calls (core.azure.sweeps)


def sweeps_section(workspace: WorkspaceRef) -> None:
    jobs = session.backend().list_sweeps(workspace)
    st.subheader("Sweeps in this workspace", anchor=False)
    if not jobs:
        st.info(
            "No sweep has run in this workspace yet. Configure one above and launch it.",
            icon=":material/tune:",
        )
        return
    ids = [j.id for j in jobs][::-1]  # newest first
    chosen = follow_newest_select(
        "Sweep to watch", ids, key="sweep_pick", pin_key=session.SWEEP_PICK, newest=ids[0]
    )
    st.session_state[session.SWEEP_CURRENT] = chosen
    status = read_status(workspace, chosen)
    live = status.state in ("starting", "running")
    every = REMOTE_POLL_S if session.backend().capabilities.long_running_operations else POLL_S
    st.fragment(_live_view, run_every=every if live else None)(workspace, chosen, live)
    with st.expander("All sweeps", icon=":material/list:"):
        rows = [sweep_row(job, read_status(workspace, job.id).state) for job in reversed(jobs)]
        # A static table wraps long cells where a data grid cuts them short (ids, times, scores).
        st.table(pd.DataFrame(rows).set_index("sweep"))


def sweep_row(job: SweepInfo, state: str) -> dict[str, object]:
    """One line of the sweeps table."""
    return {
        "sweep": job.id,
        "state": state,
        "family": job.spec["model_family"],
        "dataset": f"{job.dataset} v{job.dataset_version}",
        "metric": job.spec["primary_metric"],
        "best": "–" if job.best_value is None else f"{job.best_value:.4f}",
        "trials": f"{job.counts.get('completed', 0)} of {job.spec['limits']['max_total_trials']}",
        "created (UTC)": job.created_at.replace("T", " ")[:19],
    }


def read_status(workspace: WorkspaceRef, sweep_id: str) -> SweepProgress:
    """A sweep's status; one that has ended (completed, canceled, failed, closed) no longer changes,
    so it is read once per browser session: on Azure each read is a few REST calls."""
    memo: dict[tuple[str, str], SweepProgress] = st.session_state.setdefault(ENDED_STATUS, {})
    key = (workspace.key, sweep_id)
    if key in memo:
        return memo[key]
    status = session.backend().sweep_status(workspace, sweep_id)
    if status.state in ENDED:
        memo[key] = status
    return status


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
        if seconds >= 3600
        else f"{seconds // 60}m {seconds % 60:02d}s"
    )


def _live_view(workspace: WorkspaceRef, sweep_id: str, was_live: bool) -> None:
    try:
        status = session.backend().sweep_status(workspace, sweep_id)
    except UserFacingError as exc:
        st.error(str(exc))
        return
    job, state = status.job, status.state
    if was_live and state not in ("starting", "running"):
        st.rerun()  # it just ended: redraw the whole page once and stop polling
    spec = job.spec
    counts = {k: 0 for k in ("completed", "running", "early_terminated", "failed", "canceled", "queued")}
    for trial in status.trials:
        counts[trial["status"]] = counts.get(trial["status"], 0) + 1
    total = int(spec["limits"]["max_total_trials"])
    st.markdown(
        f"**{job.id}** {badge(state)} · {spec['model_family']} · "
        f"{spec['sampling']} sampling · {spec['primary_metric']} ({spec['goal']})"
    )
    if job.provider_state:
        st.markdown(provider_line(job))
    if job.message:
        st.caption(job.message)
    cols = st.columns(7)
    cols[0].metric("Completed", counts["completed"])
    cols[1].metric("Running", counts["running"])
    cols[2].metric("Early-terminated", counts["early_terminated"])
    cols[3].metric("Failed", counts["failed"])
    cols[4].metric(
        f"Best {spec['primary_metric']}", "–" if job.best_value is None else f"{job.best_value:.4f}"
    )
    cols[5].metric("Elapsed", _fmt_seconds(status.elapsed_s))
    cols[6].metric("ETA", _fmt_seconds(status.eta_s) if state == "running" else "–")
    finished = sum(counts[k] for k in ("completed", "early_terminated", "failed"))
    st.progress(min(1.0, finished / max(1, total)), text=f"{finished} of {total} trials finished")
    if not any(t.get("value") is not None for t in status.trials):
        st.caption("The best-so-far chart appears when the first trial finishes.")
    else:
        st.plotly_chart(
            figures.best_so_far(status.trials, spec["primary_metric"], spec["goal"]),
            width="stretch",
            key=f"best_so_far:{sweep_id}",
        )
    if job.best_params:
        going = state in ("queued", "starting", "running")
        lead = "Best configuration so far" if going else "Best configuration"
        st.caption(
            f"{lead}: "
            + ", ".join(
                f"`{k}={v:.4g}`" if isinstance(v, float) else f"`{k}={v}`" for k, v in job.best_params.items()
            )
        )
    _controls(workspace, sweep_id, state)
    if state == "canceled":
        st.info(canceled_next_step(counts["completed"], job.model_uri), icon=":material/next_plan:")
        if counts["completed"]:
            nav.link("trials", label="Compare the finished trials on 5 · Trials")
    if state == "completed" and job.model_uri:
        st.success(
            f"Every trial logged its model; the best trial's (`{job.model_uri}`) is the sweep's model. "
            "Compare the trials next."
            if session.backend().capabilities.ships_code  # no step runs after a remote sweep
            else "The best configuration was refit on the whole train split and logged as an MLflow "
            "model; compare the trials next.",
            icon=":material/check_circle:",
        )
        nav.link("trials", label="Compare the trials on 5 · Trials")


def canceled_next_step(completed: int, model_uri: str | None) -> str:
    """What a person can do after a cancel: the finished trials are kept, so compare them, or
    launch again with the settings still filled in above."""
    again = (
        "launch a new sweep above: its settings are still filled in (raise Max total trials or the timeout)."
    )
    if not completed:
        return "Canceled before any trial completed, so there is nothing to compare yet. Next: " + again
    said = (
        f"Canceled with {counted(completed, 'completed trial')}, kept in MLflow. Next: compare them on "
        "5 · Trials, or " + again
    )
    if model_uri:
        said += f" The best trial's model (`{model_uri}`) can be registered and deployed on 6 · Endpoint."
    return said


def provider_line(job: SweepInfo) -> str:
    """What the provider itself reports: its status, the cluster's nodes and a link to its UI."""
    parts = [f"{session.backend().info.name.capitalize()} reports **{job.provider_state}**"]
    if job.nodes is not None:
        parts.append(f"cluster '{job.cluster}': {counted(job.nodes or 0, 'node')} up now")
    if job.portal_url:
        parts.append(f"[Open in Azure ML studio]({job.portal_url})")
    return " · ".join(parts)


def _controls(workspace: WorkspaceRef, sweep_id: str, state: str) -> None:
    backend = session.backend()
    if not backend.capabilities.resume_sweeps and state in ("canceled", "failed"):
        st.caption(
            f"This backend ({backend.info.name}) cannot resume a sweep, so there is no Resume: launch a "
            "new one with the same settings; the finished trials stay to compare on 5 · Trials."
        )
    if state in ("starting", "running"):
        if st.button("Cancel sweep", key=f"cancel:{sweep_id}", icon=":material/stop_circle:"):
            run_action("sweep_cancel", lambda: backend.cancel_sweep(workspace, sweep_id))
            st.toast("Cancel requested: running trials stop, finished ones are kept.")
    elif state == "interrupted":
        st.warning(
            "This sweep's runner stopped before it finished (the machine or the process was "
            "stopped). Finished trials are safe in MLflow.",
            icon=":material/warning:",
        )
        a, b = st.columns(2)
        if backend.capabilities.resume_sweeps:
            resume = a.button(
                "Resume", key=f"resume:{sweep_id}", type="primary", icon=":material/play_arrow:"
            )
            if resume and run_action("sweep_resume", lambda: backend.resume_sweep(workspace, sweep_id)):
                time.sleep(0.5)
                st.rerun(scope="app")
        else:
            a.caption(
                f"This backend ({backend.info.name}) cannot resume a sweep: launch a new one with the "
                "same settings; the finished trials stay in the workspace to compare on 5 · Trials."
            )
        close = b.button("Close it", key=f"close:{sweep_id}", icon=":material/done:")
        if close and run_action("sweep_close", lambda: backend.close_sweep(workspace, sweep_id)):
            st.rerun(scope="app")
    for action in ("sweep_cancel", "sweep_resume", "sweep_close"):
        show_result(action)
