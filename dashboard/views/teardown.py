"""Teardown: delete a workspace, or a resource group with everything in it, after typed confirmation."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core import codegen, defaults
from core.backend import Operation, WorkspaceRef
from core.resources import Kind, Resource, subtree
from core.settings import load_settings
from dashboard import session
from dashboard.views import demo as demo_view
from dashboard.widgets import set_result, show_code, show_result, start_operation, watch_operation

SCOPES = {"workspace": "A workspace and what is in it", "resource_group": "A whole resource group"}


def _deleted(operation: Operation) -> None:
    """Say what went, and clear what the demo showed if its workspace went with it."""
    result = operation.result if isinstance(operation.result, list) else []
    gone = [r for r in result if isinstance(r, Resource)]
    names = ", ".join(f"{r.kind.label} '{r.name}'" for r in gone)
    set_result("teardown", "success", f"Deleted {names or operation.target}.")
    if any(r.kind == Kind.WORKSPACE and r.name == defaults.WORKSPACE for r in gone):
        demo_view.clear_results()
    st.rerun()


def teardown_section() -> None:
    watch_operation("teardown", _deleted)
    items = session.backend().inventory()
    show_result("teardown")
    if not items:
        st.info("There is nothing to tear down.", icon=":material/inventory_2:")
        return
    scope = st.radio(
        "What to delete", list(SCOPES), format_func=SCOPES.__getitem__, horizontal=True, key="td_scope"
    )
    kind = Kind.WORKSPACE if scope == "workspace" else Kind.RESOURCE_GROUP
    roots = [r for r in items if r.kind == kind]
    if not roots:
        st.info(f"There is no {kind.label} to delete.", icon=":material/inventory_2:")
        return
    root = st.selectbox(kind.label.capitalize(), roots, key="td_target", format_func=_label(roots))
    target = root.name
    doomed = list(reversed(subtree(items, root)))
    st.warning(
        f"This deletes {len(doomed)} resource(s) and their data for good:\n\n"
        + "\n".join(f"- {r.kind.label} **{r.name}**" for r in doomed),
        icon=":material/warning:",
    )
    with st.form("td_form", clear_on_submit=True):
        typed = st.text_input(f"Type **{target}** to confirm", key="td_confirm")
        if st.form_submit_button("Delete for good", type="primary", icon=":material/delete_forever:"):
            if typed.strip() != target:
                set_result("teardown", "error", f"Nothing was deleted: type '{target}' exactly to confirm.")
            else:
                backend = session.backend()
                if kind == Kind.WORKSPACE:
                    workspace = WorkspaceRef.of(root)
                    start_operation("teardown", lambda: backend.begin_delete_workspace(workspace))
                else:
                    start_operation("teardown", lambda: backend.begin_delete_resource_group(target))
            st.rerun()
    resource_group = root.parent if kind == Kind.WORKSPACE and root.parent else target
    show_code(
        codegen.teardown_code(
            resource_group, target if kind == Kind.WORKSPACE else None, load_settings().subscription_id
        )
    )


def _label(roots: list[Resource]) -> Callable[[Resource], str]:
    """A resource group's name; a workspace's as the workspace pickers show it."""
    if any(r.kind != Kind.WORKSPACE for r in roots):
        return lambda res: res.name  # resource group names are unique in a subscription
    label = session.workspace_labels([WorkspaceRef.of(r) for r in roots])
    return lambda res: label(WorkspaceRef.of(res))
