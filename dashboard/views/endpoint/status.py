"""Section 4's head: the endpoint's health, its keys, its deployments and their traffic, which
deployment to test, and a client that calls it with the primary key."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo, EndpointKeys, WorkspaceRef
from core.data.store import LoadedDataset, load_dataset
from core.endpoint.client import EndpointCallError, EndpointClient
from core.errors import UserFacingError
from core.wording import counted
from dashboard import session
from dashboard.badges import badge
from dashboard.views.endpoint.state import KEYS, TEST_DEPLOYMENT_PIN
from dashboard.widgets import follow_newest_select, masked_secret, run_action, set_result, show_result


def show_status(workspace: WorkspaceRef, info: EndpointInfo) -> None:
    health = info.health
    st.markdown(f"**{info.name}** {badge(health.state)} · auth mode: key")
    if info.scoring_uri:
        st.code(info.scoring_uri, language=None)
    detail = health.detail
    if health.healthy and "model_processes" in health.info:  # a local server says how it runs
        processes = len(health.info["model_processes"])
        detail += (
            f" {counted(processes, 'model process', 'model processes')}; answered /health in "
            f"{health.round_trip_ms:.1f} ms."
        )
    elif health.healthy and health.round_trip_ms is not None:
        detail += f" Answered in {health.round_trip_ms:.1f} ms."
    st.caption(detail)
    a, b, _ = st.columns([1, 1, 3])
    a.button(
        "Refresh",
        key="endpoint:refresh",
        icon=":material/refresh:",
        on_click=forget_keys,
        help="Check the endpoint's health again and read its keys again.",
    )
    restartable = (
        session.backend().capabilities.restart_endpoints
        and health.state in ("stopped", "unresponsive")
        and info.deployments
    )
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


def endpoint_keys(workspace: WorkspaceRef, name: str) -> EndpointKeys:
    """The endpoint's keys as this page read them last (on Azure every read is a call to Resource
    Manager): read once, kept in this session as masked ``Secret``s until Refresh, a regenerate
    on this page or a delete. A key regenerated elsewhere meanwhile gets a 401: see ``call``."""
    held = st.session_state.setdefault(KEYS, {})
    slot = (workspace.key, name)
    keys = held.get(slot)
    if not isinstance(keys, EndpointKeys):
        keys = held[slot] = session.backend().endpoint_keys(workspace, name)
    return keys


def forget_keys() -> None:
    st.session_state.pop(KEYS, None)


KEY_CHANGED = (
    "The key this page holds was refused, so the key changed: press Refresh to read the current "
    "keys, then send again (it was regenerated in another tab, by another user or in Azure ML studio)."
)
T = TypeVar("T")


def call(action: Callable[[], T]) -> Callable[[], T]:
    """``action`` (a call to the endpoint with the held key), with a 401 explained: the key changed."""

    def checked() -> T:
        try:
            return action()
        except EndpointCallError as exc:
            if exc.status == 401:
                raise UserFacingError(exc.problem, KEY_CHANGED) from None
            raise

    return checked


def show_keys(workspace: WorkspaceRef, info: EndpointInfo) -> None:
    backend = session.backend()
    try:
        keys = endpoint_keys(workspace, info.name)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/key_off:")
        return
    left, right = st.columns([3, 1])
    with left:
        masked_secret(
            "Primary key",
            keys.primary,
            key=f"endpoint:reveal:{info.name}",
            download_name=f"{info.name}-primary-key.txt",
        )
        st.caption(
            "Copying needs the key on screen: Streamlit's copy icon copies what a code box shows, so "
            "reveal it, copy, hide it again. Or save it to a file: that never shows it in the page."
        )
    with right:
        which = st.radio("Regenerate", ["primary", "secondary"], key="endpoint:key_type", horizontal=True)
        regenerate = st.button("Regenerate key", key="endpoint:regenerate", icon=":material/autorenew:")
        if regenerate:
            forget_keys()
            if run_action(
                "endpoint_keys", lambda: backend.regenerate_endpoint_key(workspace, info.name, which)
            ):
                set_result(
                    "endpoint_keys", "success", f"New {which} key: clients using the old one now get 401."
                )
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
            "instance type": d.instance_type,
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
    """A client with the primary key this page holds (see ``endpoint_keys``)."""
    key = endpoint_keys(workspace, info.name).primary.reveal()
    return EndpointClient(info.scoring_uri, key, deployment=deployment.name)
