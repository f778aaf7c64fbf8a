"""Test the deployment live: the held-out test split in one request, scored against the truth,
and the latency of single-row requests."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo, WorkspaceRef
from core.data.schema import Schema
from core.data.store import LoadedDataset
from core.endpoint.client import LatencyReport, LiveTest, score_test_split
from core.endpoint.evaluation import ClassificationEvaluation, RegressionEvaluation
from core.errors import UserFacingError
from dashboard import figures, session
from dashboard.views.endpoint.state import LATENCY, LIVE, keep, kept
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
            st.session_state.pop(session.RESULT_PREFIX + "endpoint_live", None)
    show_result("endpoint_live")
    live = kept(LIVE, info, deployment)
    if isinstance(live, LiveTest):
        _show_live(live, data.schema)


def _show_live(live: LiveTest, schema: Schema) -> None:
    result, evaluation = live.result, live.evaluation
    cols = st.columns(4)
    cols[0].metric("Rows scored", f"{len(result.predictions):,}")
    cols[1].metric("Round trip", f"{result.seconds * 1000:.0f} ms")
    cols[2].metric("Request size", f"{result.request_bytes / 1024:.1f} KiB")
    if isinstance(evaluation, ClassificationEvaluation):
        cols[3].metric("Accuracy", f"{evaluation.accuracy:.3f}")
        st.markdown("**Classification report**")
        report = pd.DataFrame(
            [
                {
                    **{
                        k: ("" if row[k] is None else f"{row[k]:.3f}")
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
        left, right = st.columns(2)
        left.plotly_chart(
            figures.confusion_matrix(evaluation.labels, evaluation.confusion, schema.target),
            width="stretch",
            key="endpoint:confusion",
        )
        if evaluation.roc:
            right.plotly_chart(figures.roc_curves(evaluation.roc), width="stretch", key="endpoint:roc")
        else:
            right.info("No ROC curve: the answer had no probabilities, or the test split has one class.")
    elif isinstance(evaluation, RegressionEvaluation):
        cols[3].metric("R²", f"{evaluation.r2:.3f}")
        a, b = st.columns(2)
        a.metric("MAE", f"{evaluation.mae:.4g}")
        b.metric("RMSE", f"{evaluation.rmse:.4g}")
        st.plotly_chart(
            figures.predicted_vs_actual(evaluation.y_true, evaluation.y_pred, schema.target),
            width="stretch",
            key="endpoint:pred_vs_actual",
        )
    st.markdown(f"**Predictions against the truth** (first {min(TABLE_ROWS, len(live.table))} rows)")
    st.dataframe(live.table.head(TABLE_ROWS), hide_index=True, width="stretch", height=320)


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
