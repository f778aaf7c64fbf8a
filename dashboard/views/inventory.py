"""The Resources step's inventory: everything that exists, and on a billable backend what is
billed now (a cluster with nodes up, an endpoint until it is deleted)."""

from __future__ import annotations

import streamlit as st

from core.resources import Kind, Resource
from core.wording import counted
from dashboard import nav, session

CURRENT_NODES = "current_nodes"  # a compute cluster's nodes up now, in an azure inventory entry
STUDIO_URL = "studio_url"  # the workspace's page in Azure ML studio, in an azure inventory entry


def inventory_section() -> None:
    st.subheader("Inventory", anchor=False)
    items = session.inventory()
    if not items:
        st.info("Nothing exists yet. Start with step 1 above.", icon=":material/inventory_2:")
        return
    billable = session.backend().capabilities.billable
    rows = []
    for r in items:
        row = {
            "Type": r.kind.label,
            "Name": r.name,
            "Parent": r.parent or "—",
            "Created (UTC)": r.created_at.replace("T", " ")[:19],
            "Details": _details(r),
        }
        if billable:  # before the wide details, so it shows without scrolling
            row = {**{k: v for k, v in row.items() if k != "Details"}, "Billed now": _billed(r)}
            row["Details"] = _details(r)
        rows.append(row)
    if billable:
        running = [f"{r.kind.label} '{r.name}' ({_billed(r)})" for r in items if running_now(r)]
        if running:
            st.warning(
                "Running now, and billed while it runs: " + "; ".join(running) + ".",
                icon=":material/payments:",
            )
        else:
            st.caption("Nothing is running now: no cluster node is up and no endpoint exists.")
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={"Details": st.column_config.TextColumn(width="large")},
    )
    nav.link("teardown", label="Tear resources down")


def _details(res: Resource) -> str:
    p = res.properties
    match res.kind:
        case Kind.RESOURCE_GROUP:
            return str(p.get("location", ""))
        case Kind.STORAGE_ACCOUNT:
            return "local folder" if p.get("mode") == "folder" else f"blob endpoint {p.get('endpoint')}"
        case Kind.BLOB_CONTAINER:
            return "container"
        case Kind.WORKSPACE:
            if p.get(STUDIO_URL):
                return f"{p.get('location', '')} · studio {p[STUDIO_URL]}".strip(" ·")
            return "MLflow tracking + registry on SQLite"
        case Kind.ENVIRONMENT:
            return f"version {p.get('latest_version')}"
        case Kind.COMPUTE:
            workers = (
                f"{p.get('local_workers')} local workers, " if p.get("local_workers") is not None else ""
            )
            return (
                f"{p.get('vm_size')}, {p.get('min_instances')}–{p.get('max_instances')} instances, "
                f"{workers}idle {p.get('idle_seconds')} s"
            )
    return ""


def nodes_up(res: Resource) -> int:
    value = res.properties.get(CURRENT_NODES)
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else 0


def running_now(res: Resource) -> bool:
    """Billed by the minute right now: a cluster with nodes up, an endpoint (it runs until deleted)."""
    return (res.kind == Kind.COMPUTE and nodes_up(res) > 0) or res.kind in (Kind.ENDPOINT, Kind.DEPLOYMENT)


def _billed(res: Resource) -> str:
    match res.kind:
        case Kind.RESOURCE_GROUP | Kind.BLOB_CONTAINER | Kind.ENVIRONMENT:
            return "no (free by itself)"
        case Kind.STORAGE_ACCOUNT:
            return "yes: per GB stored"
        case Kind.WORKSPACE:
            return "yes: its key vault, registry and insights"
        case Kind.COMPUTE:
            nodes = nodes_up(res)
            return f"yes: {counted(nodes, 'node')} running" if nodes else "not now: 0 nodes running"
        case Kind.ENDPOINT | Kind.DEPLOYMENT:
            return "yes: its instances run until deleted"
    return ""
