"""The page: the source pickers, then everything below them as a fragment that reruns alone
while a sweep runs."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.errors import UserFacingError
from core.trials import Target, begin_run, score_trials
from dashboard import figures as figs
from dashboard import session
from dashboard.views.trials.best import best_trial_tab
from dashboard.views.trials.charts import (
    hyperparameters_tab,
    intermediate_tab,
    overview_tab,
    start_importance,
)
from dashboard.views.trials.common import LIVE_POLL_S, NOTES, OPEN, W, chart, log
from dashboard.views.trials.compare import compare_tab
from dashboard.views.trials.load import histories, load_frame
from dashboard.views.trials.report import review_report_button
from dashboard.views.trials.scoring import best_strip, pick_scoring
from dashboard.views.trials.sources import app_source, uri_source
from dashboard.views.trials.table import filters, notes_editor, table_frame, trials_table, view_code

TABS = ["Overview", "Hyperparameters", "Intermediate values", "Timeline", "Best trial", "Compare sweeps"]


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
            history = histories(target, frame, metric)
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
    view_code(target, frame, scores, flt)
    review_report_button(target, frame, scores, shown, without_top, selected, flt)
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
    if frame.varying():
        start_importance(target, frame, scores, shown)  # after the page is drawn; ready when the tab opens


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
