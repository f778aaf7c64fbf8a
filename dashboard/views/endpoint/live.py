"""Test the deployment live: the held-out test split in one request, scored against the truth,
and the latency of single-row requests."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo, WorkspaceRef
from core.data.store import LoadedDataset
from core.endpoint.client import LatencyReport, LiveTest, score_test_split
from core.endpoint.evaluation import ClassificationEvaluation, Evaluation, RegressionEvaluation
from core.endpoint.intervals import RESAMPLES, SEED, Interval, live_vs_cv, where_cv_falls
from core.endpoint.rounding import decimals_for, spread_of
from core.errors import UserFacingError
from dashboard import figures, session
from dashboard.views.endpoint.state import LATENCY, LIVE, LIVE_CV, keep, kept
from dashboard.views.endpoint.status import call, client
from dashboard.widgets import run_action, set_result, show_result

TABLE_ROWS = 200


def live_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### Test it live with the held-out split")
    if data is None:
        st.info(
            "This deployment's model does not name the dataset it was trained on, so there is no "
            "held-out split to send. The single-prediction form below still works.",
            icon=":material/dataset:",
        )
        return
    st.caption(
        f"Sends the {len(data.test):,} test rows of **{data.asset.name} v{data.asset.version}** "
        "(never seen in "
        "training) in one request, without the target, and compares the answers with the truth."
    )
    if st.button("Send the test split", key="endpoint:test_live", type="primary", icon=":material/send:"):
        with st.spinner("Scoring the test split…"):
            live = run_action(
                "endpoint_live",
                call(lambda: score_test_split(client(workspace, info, deployment), data.test, data.schema)),
            )
        if live is not None:
            keep(LIVE, info, deployment, live)
            keep(LIVE_CV, info, deployment, _cross_validated(workspace, deployment))
            st.session_state.pop(session.RESULT_PREFIX + "endpoint_live", None)
    show_result("endpoint_live")
    live = kept(LIVE, info, deployment)
    if isinstance(live, LiveTest):
        _show_live(live, data, kept(LIVE_CV, info, deployment) or {})


def _cross_validated(workspace: WorkspaceRef, deployment: DeploymentInfo) -> dict[str, float]:
    """The deployed version's cross-validated metrics, as its registry tags recorded them."""
    try:
        versions = session.backend().model_versions(workspace, deployment.model_name)
    except UserFacingError:
        return {}
    found = next((v for v in versions if v.version == deployment.model_version), None)
    return found.metrics if found is not None else {}


def _with_interval(value: float | None, interval: Interval | None) -> str:
    if value is None:
        return ""
    return f"{value:.3f}" + (f" ({interval.text()})" if interval is not None else "")


def _uncertainty(evaluation: Evaluation, cv: dict[str, float]) -> None:
    """On a small test set: the headline figure with its interval, the cross-validated one beside
    it, and why the two differ."""
    if not evaluation.intervals:
        return
    if isinstance(evaluation, ClassificationEvaluation):
        name, key, value = "Accuracy", "accuracy", evaluation.accuracy
    else:
        name, key, value = "R²", "r2", evaluation.r2
    interval = evaluation.intervals.get(key)
    line = f"**{name} {value:.3f} on {evaluation.rows:,} held-out rows**"
    if interval is not None:
        line += f": 95 % interval {interval.text()} ({interval.method})"
    if key in cv:
        line += f" · cross-validated {cv[key]:.3f} when the model was registered"
        line += f", {where_cv_falls(interval, cv[key])}" if interval is not None else ""
    st.markdown(line + ".")
    st.caption(live_vs_cv(evaluation.rows, name))


def _show_live(live: LiveTest, data: LoadedDataset, cv: dict[str, float]) -> None:
    schema = data.schema
    result, evaluation = live.result, live.evaluation
    cols = st.columns(4)
    cols[0].metric("Rows scored", f"{len(result.predictions):,}")
    cols[1].metric("Round trip", f"{result.seconds * 1000:.0f} ms")
    cols[2].metric("Request size", f"{result.request_bytes / 1024:.1f} KiB")
    if isinstance(evaluation, ClassificationEvaluation):
        cols[3].metric("Accuracy", f"{evaluation.accuracy:.3f}")
        _uncertainty(evaluation, cv)
        st.markdown("**Classification report**")
        report = pd.DataFrame(
            [
                {
                    **{
                        k: _with_interval(row[k], evaluation.intervals.get(_key(k, row["class"])))
                        for k in ("precision", "recall", "f1-score")
                    },
                    "class": row["class"],
                    "support": row["support"],
                }
                for row in evaluation.report
            ],
            columns=["class", "precision", "recall", "f1-score", "support"],
        )
        st.table(report.set_index("class"))  # a plain table: it reads like the tutorial's report
        if evaluation.intervals:
            st.caption(
                "In brackets: 95 % intervals. Wilson for accuracy, precision and recall (shares of "
                f"rows); a bootstrap of the rows ({RESAMPLES:,} resamples, seed {SEED}) for F1, the "
                "averages and the AUC."
            )
        left, right = st.columns(2)
        left.plotly_chart(
            figures.confusion_matrix(evaluation.labels, evaluation.confusion, schema.target),
            width="stretch",
            key="endpoint:confusion",
        )
        if evaluation.roc:
            right.plotly_chart(
                figures.roc_curves(evaluation.roc, intervals=_auc_intervals(evaluation)),
                width="stretch",
                key="endpoint:roc",
            )
        else:
            right.info("No ROC curve: the answer had no probabilities, or the test split has one class.")
    elif isinstance(evaluation, RegressionEvaluation):
        cols[3].metric("R²", f"{evaluation.r2:.3f}")
        digits = decimals_for(spread_of(data.train[schema.target])) + 1
        a, b = st.columns(2)
        a.metric("MAE", f"{evaluation.mae:,.{digits}f}")
        b.metric("RMSE", f"{evaluation.rmse:,.{digits}f}")
        _uncertainty(evaluation, cv)
        if evaluation.intervals:
            st.caption(
                "95 % intervals from a bootstrap of the rows "
                f"({RESAMPLES:,} resamples, seed {SEED}): "
                + " · ".join(
                    f"{label} {evaluation.intervals[key].text(3 if key == 'r2' else digits)}"
                    for key, label in (("r2", "R²"), ("mae", "MAE"), ("rmse", "RMSE"))
                    if key in evaluation.intervals
                )
                + "."
            )
        st.plotly_chart(
            figures.predicted_vs_actual(evaluation.y_true, evaluation.y_pred, schema.target),
            width="stretch",
            key="endpoint:pred_vs_actual",
        )
    st.markdown(f"**Predictions against the truth** (first {min(TABLE_ROWS, len(live.table))} rows)")
    table = live.table.head(TABLE_ROWS)
    if isinstance(evaluation, RegressionEvaluation):  # the target's own precision, not 15 digits
        places = decimals_for(spread_of(data.train[schema.target]))
        table = table.round({"prediction": places, "error": places})
    st.dataframe(table, hide_index=True, width="stretch", height=320)


def _key(metric: str, row: str) -> str:
    """The interval key of a classification report cell (see core.endpoint.intervals)."""
    return "accuracy" if row == "accuracy" else f"{metric}:{row}"


def _auc_intervals(evaluation: ClassificationEvaluation) -> dict[str, Interval]:
    return {
        c.label: evaluation.intervals[f"auc:{c.label}"]
        for c in evaluation.roc
        if f"auc:{c.label}" in evaluation.intervals
    }


def latency_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### Latency")
    if st.button("Measure latency", key="endpoint:latency", icon=":material/timer:"):
        row = _one_row(workspace, info, deployment, data)
        if row is not None:
            report = run_action(
                "endpoint_latency", call(lambda: client(workspace, info, deployment).latency(row, burst=30))
            )
            if report is not None:
                keep(LATENCY, info, deployment, report)
                st.session_state.pop(session.RESULT_PREFIX + "endpoint_latency", None)
    show_result("endpoint_latency")
    report = kept(LATENCY, info, deployment)
    if isinstance(report, LatencyReport):
        cols = st.columns(3)
        cols[0].metric("One request, new connection", f"{report.first_ms:.1f} ms")
        cols[1].metric("p50 of a burst of 30", f"{report.p50_ms:.1f} ms")
        cols[2].metric("p95 of the burst", f"{report.p95_ms:.1f} ms")
        st.caption(
            "Single-row requests from this dashboard: 30 one after another on a kept-alive connection, "
            "then 3 each on a new connection (their median is shown first)."
        )
    else:
        st.caption("Sends single-row requests: a burst of 30 on a kept-alive connection, then 3 on new ones.")


def _one_row(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> pd.DataFrame | None:
    """A row to send: the first held-out row, else the input example logged with the model."""
    if data is not None:
        return data.test.loc[:, list(data.schema.features)].head(1)
    try:
        example = session.backend().deployed_model(workspace, info.name, deployment.name).input_example
        block = (example or {})["dataframe_split"]
        return pd.DataFrame(block["data"], columns=block["columns"]).head(1)
    except (UserFacingError, ValueError, KeyError):
        set_result(
            "endpoint_latency", "error", "This deployment has no held-out split or input example to send."
        )
        return None
