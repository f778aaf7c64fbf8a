"""Which metric, goal and ranking score the trials; the best one at a glance."""

from __future__ import annotations

from collections import Counter

import numpy as np
import streamlit as st

from core.trials import GOALS, STATUSES, Ranking, Scores, Target, TrialsFrame, is_bulk
from core.trials.frame import Goal, guess_goal
from core.trials.scoring import RankKind
from dashboard.views.trials.common import STATUS_BADGES, W, fmt, short

RANKINGS: dict[RankKind, str] = {"final": "final value", "best_step": "best step", "step": "a given step"}


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
            (
                "Azure's MLflow has no bulk metric history"
                if target.uri.lower().startswith("azureml://")
                else "This server returns metric histories one run at a time"
            )
            + ", so step rankings are not available; the final value is used.",
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
        fmt(scores.best_value),
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
            + ", ".join(f"`{k}={short(v)}`" for k, v in params.items())
            + (
                ""
                if not np.isfinite(scores.std[best])
                else f" · {scores.metric} {scores.values[best]:.4f} ± {scores.std[best]:.4f} across folds"
            )
        )
        if not scores.best_is_completed:
            st.warning(
                "No trial has completed yet; the best shown is among the others.", icon=":material/warning:"
            )
    else:
        st.info(f"No trial has a {scores.metric} value yet.", icon=":material/info:")
