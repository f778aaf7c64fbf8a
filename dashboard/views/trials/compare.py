"""The Compare sweeps tab: other sweeps of the same workspace or experiment, by the same metric."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import UserFacingError
from core.trials import Scores, Target, TrialsFrame, score_trials
from dashboard import figures as figs
from dashboard import session
from dashboard.views.trials.common import W, chart
from dashboard.views.trials.load import experiment_of, experiment_runs, load_frame


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
            assert other.parent_run_id is not None
            experiment = experiment_of(other.uri, other.parent_run_id)
            other = Target("app", other.uri, other.label, experiment, other.parent_run_id, job=other.job)
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
