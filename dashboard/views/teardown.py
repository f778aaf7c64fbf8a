"""Teardown: delete a workspace, or a resource group with everything in it, after typed confirmation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from core import codegen, defaults
from core.backend import Backend, Operation, WorkspaceRef
from core.resources import Kind, Resource, subtree
from core.teardown import workspace_contents
from core.wording import counted
from dashboard import session
from dashboard.views import demo as demo_view
from dashboard.views.inventory import nodes_up, running_now
from dashboard.widgets import (
    adopt_running_operations,
    set_result,
    show_code,
    show_result,
    start_operation,
    watch_operation,
)

OPERATION_ACTIONS = {"delete workspace": "teardown", "delete resource group": "teardown"}
DELETE_KEY = "td_delete"
# The delete button in the destructive red (Streamlit's buttons have no "danger" type; a keyed
# widget's container carries the class st-key-<key>). Disabled, it stays greyed out.
DESTRUCTIVE_RED = "#C62828"
DESTRUCTIVE_CSS = f"""<style>
.st-key-{DELETE_KEY} button:not(:disabled) {{
  background-color: {DESTRUCTIVE_RED}; border-color: {DESTRUCTIVE_RED}; color: #FFFFFF;
}}
.st-key-{DELETE_KEY} button:not(:disabled):hover {{ background-color: #8E0000; border-color: #8E0000; }}
</style>"""
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
    backend = session.backend()
    adopt_running_operations(backend, OPERATION_ACTIONS)
    watch_operation("teardown", _deleted)
    items = session.inventory()
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
    root = st.selectbox(
        kind.label.capitalize(),
        roots,
        index=_current_root(roots, kind),
        key="td_target",
        format_func=_label(roots),
    )
    target = root.name
    doomed = list(reversed(subtree(items, root)))
    _warning(backend, doomed)
    billable = backend.capabilities.billable
    if billable:
        _billing_notes(items, doomed, root)
    purge = False
    if billable and kind == Kind.WORKSPACE:
        purge = st.checkbox(
            "Delete permanently (purge)",
            key="td_purge",
            help="Without it, Azure soft-deletes the workspace for 14 days.",
        )
        st.caption(
            "Azure keeps a deleted workspace **soft-deleted for 14 days**, so it can be recovered; "
            "meanwhile its name stays taken in this resource group and a new workspace of the same "
            "name cannot be created. Purge deletes it at once and frees the name, with no way back."
        )
    # Outside a form, so the button can turn on only once the typed name matches.
    typed = st.text_input(
        f"Type {target} to confirm",
        key="td_confirm",
        help="Type the name exactly, then press Enter: the delete button turns on when it matches.",
    )
    matches = typed.strip() == target
    if not matches:
        st.caption(f"The button below turns on once you have typed '{target}' and pressed Enter.")
    label = "Delete permanently" if purge else "Delete for good"
    st.html(DESTRUCTIVE_CSS)
    if (
        st.button(
            label,
            type="primary",
            icon=":material/delete_forever:",
            key=DELETE_KEY,
            disabled=not matches,
            help=None if matches else f"Type '{target}' above (and press Enter) to turn this on.",
        )
        and matches
    ):
        st.session_state.pop("td_confirm", None)  # a next deletion asks for its own name again
        if kind == Kind.WORKSPACE:
            workspace = WorkspaceRef.of(root)
            start_operation("teardown", lambda: backend.begin_delete_workspace(workspace, permanently=purge))
        else:
            start_operation("teardown", lambda: backend.begin_delete_resource_group(target))
        st.rerun()
    resource_group = root.parent if kind == Kind.WORKSPACE and root.parent else target
    show_code(
        codegen.teardown_code(
            resource_group,
            target if kind == Kind.WORKSPACE else None,
            session.subscription_id(),
            cloud=session.snippet_cloud(),
            permanently_delete=purge,
        )
    )


def _warning(backend: Backend, doomed: list[Resource]) -> None:
    """Every resource that goes, and what each doomed workspace holds that goes with it
    (endpoints, models, datasets, sweeps), as the backend lists them."""
    lines = [f"- {r.kind.label} **{r.name}**" for r in doomed]
    listed = {(r.kind, r.name, r.parent) for r in doomed}
    for ws in (r for r in doomed if r.kind == Kind.WORKSPACE):
        for contents in workspace_contents(backend, WorkspaceRef.of(ws)):
            if contents.label == "online endpoints":  # an inventory may list them already
                names = tuple(n for n in contents.names if (Kind.ENDPOINT, n, ws.name) not in listed)
                if not names and not contents.unknown:
                    continue
                contents = replace(contents, names=names)
            lines.append(f"- in workspace **{ws.name}**: {contents.line()}")
    st.warning(
        f"This deletes {counted(len(doomed), 'resource')} and everything in "
        f"{'it' if len(doomed) == 1 else 'them'}, for good:\n\n" + "\n".join(lines),
        icon=":material/warning:",
    )


def _label(roots: list[Resource]) -> Callable[[Resource], str]:
    """A resource group's name; a workspace's as the workspace pickers show it."""
    if any(r.kind != Kind.WORKSPACE for r in roots):
        return lambda res: res.name  # resource group names are unique in a subscription
    label = session.workspace_labels([WorkspaceRef.of(r) for r in roots])
    return lambda res: label(WorkspaceRef.of(res))


def _billing_notes(items: list[Resource], doomed: list[Resource], root: Resource) -> None:
    """What is billed right now among what goes, and what stays (and stays billed)."""
    running = [r for r in doomed if running_now(r)]
    if running:
        st.error(
            "Still billable right now (it stops once deleted): "
            + "; ".join(_running_words(r) for r in running)
            + ".",
            icon=":material/payments:",
        )
    else:
        st.caption("Nothing in it is running now: no cluster node is up and no endpoint exists.")
    if root.kind == Kind.WORKSPACE and root.parent:
        group = next((r for r in items if r.kind == Kind.RESOURCE_GROUP and r.name == root.parent), None)
        gone = set(map(id, doomed))
        kept = [r for r in (subtree(items, group) if group else []) if id(r) not in gone and r is not group]
        if kept:
            st.info(
                f"Left in resource group **{root.parent}** (and billed while they exist): "
                + ", ".join(f"{r.kind.label} **{r.name}**" for r in kept)
                + ". Delete the resource group to remove them too.",
                icon=":material/inventory_2:",
            )


def _current_root(roots: list[Resource], kind: Kind) -> int:
    """The workspace the user works in (or its resource group) comes first, not whichever the
    inventory lists first: on a subscription shared with others, that is rarely the one meant."""
    current = session.current_workspace()
    if current is None:
        return 0
    for i, res in enumerate(roots):
        if kind == Kind.WORKSPACE and (res.name, res.parent) == (current.name, current.resource_group):
            return i
        if kind == Kind.RESOURCE_GROUP and res.name == current.resource_group:
            return i
    return 0


def _running_words(res: Resource) -> str:
    if res.kind == Kind.COMPUTE:
        return f"compute cluster **{res.name}** with {counted(nodes_up(res), 'node')} up"
    return f"{res.kind.label} **{res.name}**"
