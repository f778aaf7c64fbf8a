"""The chart tabs: Overview (history, parallel coordinates), Hyperparameters (importance,
slices, two at once) and Intermediate values. The Timeline tab is one chart, drawn by the page."""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np
import streamlit as st

from core.errors import UserFacingError
from core.trials import (
    METHODS,
    Importance,
    Scores,
    Target,
    TrialFilter,
    TrialsFrame,
    top_k_mask,
    top_k_range,
)
from core.trials.history import one_run_at_a_time_note
from core.trials.importance import Method, importance_job
from core.wording import counted
from dashboard import figures as figs
from dashboard.figures.heatmap import contour_blocker
from dashboard.views.trials.common import W, chart
from dashboard.views.trials.load import histories


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
    ranked = show_importance(target, frame, scores, shown, method)
    # most important first: the contour's default axes are the importance chart's top two
    names = [n for n in ranked if n in names] + [n for n in names if n not in ranked]
    chart(figs.slice_plots(frame, scores, shown, selected, params=names), "slices:" + target.key, "slices")
    two_at_once(target, frame, scores, shown, selected, names, ranked, method)


def two_at_once(
    target: Target,
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    selected: np.ndarray,
    names: list[str],
    ranked: list[str],
    method: Method,
) -> None:
    """The metric over two hyperparameters: contour lines when both are numbers, else a heatmap
    and the reason; the axes start as the importance chart's top two."""
    if ranked:
        source = f"x and y start as the importance chart's top two ({METHODS[method].split(' (')[0]})"
    else:
        source = "x and y start as the first two hyperparameters until the importance is ready"
    st.markdown(f"**Two hyperparameters at once** · {source}")
    x_key, y_key = W + "cx:" + target.key, W + "cy:" + target.key
    default_axes(x_key, y_key, names)
    a, b, c, d = st.columns(4)
    x = a.selectbox("x axis", names, key=x_key)
    others = [n for n in names if n != x] or names
    if st.session_state.get(y_key) not in others:
        st.session_state[y_key] = others[0]
    y = b.selectbox("y axis", others, key=y_key)
    style = c.radio(
        "Style",
        ["contour", "heatmap"],
        horizontal=True,
        key=W + "cstyle",
        help="Contour: lines of equal score, interpolated between the trials (two numeric axes). "
        "Heatmap: the trials binned on a grid, each cell their mean or best score.",
    )
    if x == y:
        st.info("Pick two different hyperparameters.")
        return
    blocker = contour_blocker(frame, scores, x, y, shown) if style == "contour" else None
    agg = "mean"
    if style == "heatmap" or blocker:
        agg = d.radio("Each cell shows", ["mean", "best"], horizontal=True, key=W + "cagg")
    if style == "contour":
        if blocker:
            st.info(
                f"{blocker} Drawn as a heatmap instead: one row or column of cells per value.",
                icon=":material/info:",
            )
        else:
            st.caption(
                "Contour lines interpolated linearly between the trials (scipy's griddata), in log "
                "space on log axes; blank outside the area the trials surround, where nothing is "
                "extrapolated."
            )
    chart(
        figs.contour(frame, scores, x, y, shown, selected, style=style, aggregate=agg),
        "contour:" + target.key,
        "contour",
    )


def default_axes(x_key: str, y_key: str, names: list[str]) -> None:
    """Set the two axis pickers to the first two of ``names`` (most important first) when the
    user has not picked axes of their own: the defaults follow the ranking when it arrives or
    changes (another method, other filters), never a choice the user made."""
    top = (names[0], names[1] if len(names) > 1 else names[0])
    auto_key = x_key + ":auto"
    current = (st.session_state.get(x_key), st.session_state.get(y_key))
    if current == (None, None) or current == st.session_state.get(auto_key) or current[0] not in names:
        st.session_state[x_key], st.session_state[y_key] = top
        st.session_state[auto_key] = top


IMPORTANCE_POLL_S = 1.0
DEFAULT_METHOD: Method = "ped_anova"


def start_importance(
    target: Target, frame: TrialsFrame, scores: Scores, shown: np.ndarray
) -> Future[Importance]:
    """Start (once per sweep, filter and method) the importance the Hyperparameters tab shows,
    in the background: the page never waits for it."""
    method = st.session_state.get(W + "imp_method") or DEFAULT_METHOD
    return importance_job(target.key, frame, scores, shown, method)


def show_importance(
    target: Target, frame: TrialsFrame, scores: Scores, shown: np.ndarray, method: Method
) -> list[str]:
    """The importance chart when its job is done (named method, trials used), else a note and a
    poll that redraws the page once it is; returns the names ranked (empty until then)."""
    job = importance_job(target.key, frame, scores, shown, method)
    if not job.done():
        st.info(
            f"Computing hyperparameter importance ({METHODS[method].split(' (')[0]}) over the "
            f"{int(np.sum(shown & (frame.statuses == 'completed'))):,} completed trials passing the filters, "
            "in the background; it appears here when ready.",
            icon=":material/hourglass:",
        )
        st.fragment(_redraw_when_done, run_every=IMPORTANCE_POLL_S)(job)
        return []
    error = job.exception()
    if isinstance(error, UserFacingError):
        st.info(str(error), icon=":material/info:")
        return []
    if error is not None:
        raise error
    importance: Importance = job.result()
    chart(figs.importance_bar(importance, scores.metric), "importance:" + target.key, "importance")
    st.caption(importance_caption(importance))
    return list(importance.values)


def importance_caption(importance: Importance) -> str:
    text = f"Importance: {importance.label}, computed once over {importance.trials:,} completed trials"
    if importance.sampled_from:
        text += f" (a random sample of the {importance.sampled_from:,} passing the filters)"
    return text + "." + (f" {importance.note}" if importance.note else "")


def _redraw_when_done(job: Future[Importance]) -> None:
    if job.done():
        st.rerun(scope="app")


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
        history = histories(target, frame, key, wanted)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    note = one_run_at_a_time_note(target.uri)
    if note:
        st.caption(note)
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
        st.caption(
            f"{counted(cut, 'early-terminated trial')}: their lines stop where the policy cut them "
            "(marked ×)."
        )
