"""The Endpoint step's page: register, versions, deploy, then the chosen endpoint's sections."""

from __future__ import annotations

import streamlit as st

from core.backend import WorkspaceRef
from core.errors import UserFacingError
from dashboard import nav, session
from dashboard.views.endpoint.delete import delete_section, endpoint_deleted
from dashboard.views.endpoint.deploy import create_section
from dashboard.views.endpoint.live import latency_section, live_section
from dashboard.views.endpoint.register import register_section, versions_section
from dashboard.views.endpoint.single import single_section
from dashboard.views.endpoint.snippets import snippets_section
from dashboard.views.endpoint.state import ENDPOINT_PIN
from dashboard.views.endpoint.status import (
    deployment_dataset,
    deployments_table,
    pick_deployment,
    show_keys,
    show_status,
)
from dashboard.widgets import (
    adopt_running_operations,
    follow_newest_select,
    show_result,
    watch_operation,
)

# The backend's running operations this page watches (picked up again after a reload or in a new tab).
OPERATION_ACTIONS = {
    "deploy": "endpoint_deploy",
    "delete deployment": "endpoint_delete",
    "delete endpoint": "endpoint_delete",
}


def endpoints_section(workspace: WorkspaceRef) -> None:
    watch_operation("endpoint_delete", endpoint_deleted)
    backend = session.backend()
    endpoints = backend.list_endpoints(workspace)
    st.subheader("4. Endpoints", anchor=False)
    if not endpoints:
        show_result("endpoint_delete")
        st.info("No online endpoint in this workspace yet.", icon=":material/api:")
        return
    names = [e.name for e in endpoints]  # oldest first
    name = follow_newest_select(
        "Endpoint", names, key="endpoint:pick", pin_key=ENDPOINT_PIN, newest=names[-1]
    )
    info = next(e for e in endpoints if e.name == name)
    show_status(workspace, info)
    show_keys(workspace, info)
    if info.deployments:
        deployments_table(info)
    if info.health.healthy and info.deployments:
        deployment = pick_deployment(info)
        dataset = deployment_dataset(workspace, deployment)
        live_section(workspace, info, deployment, dataset)
        latency_section(workspace, info, deployment, dataset)
        single_section(workspace, info, deployment, dataset)
        snippets_section(workspace, info, deployment, dataset)
    delete_section(workspace, info)


def render() -> None:
    workspace = session.current_workspace()
    if workspace is None:
        st.warning("The Endpoint step needs a workspace with a finished sweep.", icon=":material/block:")
        nav.link("resources", label="Create a workspace on 1 · Resources")
        return
    try:
        adopt_running_operations(session.backend(), OPERATION_ACTIONS)
        has_sweep = register_section(workspace)
        models = session.backend().registered_models(workspace)
        if has_sweep or models:
            versions_section(workspace, models)
            create_section(workspace, models)
        endpoints_section(workspace)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
