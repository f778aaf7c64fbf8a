"""Section 4's head: the endpoint's health, its keys, its deployments and their traffic, which
deployment to test, and a client that calls it with the primary key."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo, WorkspaceRef
from core.data.store import LoadedDataset, load_dataset
from core.endpoint.client import EndpointClient
from core.errors import UserFacingError
from dashboard import session
from dashboard.views.endpoint.state import TEST_DEPLOYMENT_PIN
from dashboard.widgets import follow_newest_select, masked_secret, run_action, set_result, show_result

BADGES = {
    "healthy": ":green-badge[healthy]",
    "stopped": ":red-badge[stopped]",
    "unresponsive": ":orange-badge[not answering]",
    "no deployment": ":gray-badge[no deployment]",
}


def show_status(workspace: WorkspaceRef, info: EndpointInfo) -> None:
    health = info.health
    st.markdown(f"**{info.name}** {BADGES.get(health.state, health.state)} · auth mode: key")
    if info.scoring_uri:
        st.code(info.scoring_uri, language=None)
    detail = health.detail
    if health.healthy:
        processes = len(health.info.get("model_processes", []))
        detail += f" {processes} model process(es); answered /health in {health.round_trip_ms:.1f} ms."
    st.caption(detail)
    a, b, _ = st.columns([1, 1, 3])
    a.button("Check health", key="endpoint:refresh", icon=":material/refresh:")
    restartable = health.state in ("stopped", "unresponsive") and info.deployments
    if restartable and b.button(
        "Start the server", key="endpoint:start", type="primary", icon=":material/play_arrow:"
    ):
        with st.spinner("Starting the server…"):
            started = run_action(
                "endpoint_start", lambda: session.backend().start_endpoint(workspace, info.name)
            )
        if started is not None:
            st.rerun()
    show_result("endpoint_start")


def show_keys(workspace: WorkspaceRef, info: EndpointInfo) -> None:
    backend = session.backend()
    try:
        keys = backend.endpoint_keys(workspace, info.name)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/key_off:")
        return
    left, right = st.columns([3, 1])
    with left:
        masked_secret("Primary key", keys.primary, key=f"endpoint:reveal:{info.name}")
    with right:
        which = st.radio("Regenerate", ["primary", "secondary"], key="endpoint:key_type", horizontal=True)
        regenerate = st.button("Regenerate key", key="endpoint:regenerate", icon=":material/autorenew:")
        if regenerate and run_action(
            "endpoint_keys", lambda: backend.regenerate_endpoint_key(workspace, info.name, which)
        ):
            set_result("endpoint_keys", "success", f"New {which} key: clients using the old one now get 401.")
            st.rerun()
    show_result("endpoint_keys")


def deployments_table(info: EndpointInfo) -> None:
    rows = [
        {
            "deployment": d.name,
            "model": d.model_name,
            "version": d.model_version,
            "traffic %": info.traffic.get(d.name, 0),
            "instances": d.instance_count,
            "dataset": f"{d.dataset} v{d.dataset_version}" if d.dataset else "",
            "task": d.task,
            "created (UTC)": d.created_at.replace("T", " ")[:19],
            "updated (UTC)": d.last_change.replace("T", " ")[:19],
        }
        for d in info.deployments
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def pick_deployment(info: EndpointInfo) -> DeploymentInfo:
    deployments = info.deployments
    if len(deployments) == 1:
        return deployments[0]
    busiest = max(deployments, key=lambda d: info.traffic.get(d.name, 0))
    name = follow_newest_select(
        "Deployment to test (sent in the azureml-model-deployment header)",
        [d.name for d in deployments],
        key=f"endpoint:test_deployment:{info.name}",
        pin_key=f"{TEST_DEPLOYMENT_PIN}:{info.name}",
        newest=busiest.name,
    )
    return next(d for d in deployments if d.name == name)


def deployment_dataset(workspace: WorkspaceRef, deployment: DeploymentInfo) -> LoadedDataset | None:
    if not deployment.dataset or deployment.dataset_version is None:
        return None
    try:
        return load_dataset(session.backend(), workspace, deployment.dataset, deployment.dataset_version)
    except UserFacingError:
        return None


def client(workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo) -> EndpointClient:
    key = session.backend().endpoint_keys(workspace, info.name).primary.reveal()
    return EndpointClient(info.scoring_uri, key, deployment=deployment.name)
