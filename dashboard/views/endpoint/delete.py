"""Delete a deployment or the whole endpoint (Operations the page watches)."""

from __future__ import annotations

import streamlit as st

from core.backend import EndpointInfo, Operation, WorkspaceRef
from core.codegen.endpoint import azure_delete_code
from core.wording import counted
from dashboard import session
from dashboard.views.endpoint.snippets import azure_spec
from dashboard.views.endpoint.state import LATENCY, LIVE, LIVE_CV, SINGLE, results
from dashboard.views.endpoint.status import forget_keys
from dashboard.widgets import follow_newest_select, set_result, show_result, start_operation


def delete_section(workspace: WorkspaceRef, info: EndpointInfo) -> None:
    backend = session.backend()
    with st.expander("Delete", icon=":material/delete:"):
        if len(info.deployments) > 1:
            names = [d.name for d in info.deployments]
            doomed = follow_newest_select(
                "Deployment",
                names,
                key=f"endpoint:delete_deployment_pick:{info.name}",
                pin_key=f"endpoint:delete_deployment_pin:{info.name}",
                newest=names[-1],
            )
            if backend.capabilities.long_running_operations:
                st.caption(
                    "A deployment that still takes traffic is refused while others exist: move its "
                    "traffic first. Deleting one takes a few minutes on Azure."
                )
            if st.button("Delete this deployment", key="endpoint:delete_deployment"):
                start_operation(
                    "endpoint_delete", lambda: backend.begin_delete_deployment(workspace, info.name, doomed)
                )
                st.rerun()
        if backend.capabilities.long_running_operations:
            how = (
                f"Deleting **{info.name}** sets its deployments' traffic to 0, deletes its "
                f"{counted(len(info.deployments), 'deployment')}, then the endpoint and its keys, one "
                "after the other: a few minutes on Azure, which this page follows (it stays usable "
                "meanwhile)."
            )
        else:
            how = (
                f"Deleting **{info.name}** stops its server and deletes its "
                f"{counted(len(info.deployments), 'deployment')} and keys."
            )
        billed = (
            " Its instances are billed until the deployments are gone."
            if backend.capabilities.billable
            else ""
        )
        st.warning(
            how + billed + " Registered models stay in the registry.",
            icon=":material/warning:",
        )
        with st.form("endpoint:delete_form", clear_on_submit=True):
            typed = st.text_input(f"Type **{info.name}** to confirm", key="endpoint:delete_confirm")
            if st.form_submit_button("Delete endpoint", type="primary", icon=":material/delete_forever:"):
                if typed.strip() != info.name:
                    set_result(
                        "endpoint_delete",
                        "error",
                        f"Nothing was deleted: type '{info.name}' exactly to confirm.",
                    )
                else:
                    start_operation(
                        "endpoint_delete", lambda: backend.begin_delete_endpoint(workspace, info.name)
                    )
                st.rerun()
        if info.deployments:  # in the expander already: a code box, not another expander
            st.markdown("**Show code:** the same delete on Azure ML (azure-ai-ml), after the client above")
            st.code(azure_delete_code(azure_spec(workspace, info, info.deployments[-1])), language="python")
    show_result("endpoint_delete")


def endpoint_deleted(operation: Operation) -> None:
    """Say what went; the live results of a deleted endpoint go with it."""
    if operation.kind == "delete deployment":
        set_result("endpoint_delete", "success", f"Deleted deployment '{operation.target}'.")
        return
    forget_keys()
    stopped = "" if session.backend().capabilities.long_running_operations else " and stopped its server"
    set_result("endpoint_delete", "success", f"Deleted endpoint '{operation.target}'{stopped}.")
    for key in (LIVE, LIVE_CV, LATENCY, SINGLE):
        results(key).clear()
