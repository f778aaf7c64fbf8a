"""The Resources step: one form per Azure object, each get-or-create, each with its SDK code."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import codegen, defaults
from core.backend import Operation, WorkspaceRef
from core.compute import VM_SIZES, ComputeSpec, machine_cores
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import UserFacingError
from core.locations import LOCATIONS
from core.naming import RULES
from core.resources import Kind, Outcome, Resource
from dashboard import session
from dashboard.views.inventory import STUDIO_URL
from dashboard.widgets import (
    adopt_running_operations,
    billing_acknowledged,
    masked_secret,
    run_action,
    show_code,
    show_result,
    start_operation,
    watch_operation,
)

DEFAULTS = {
    "rg_name": defaults.RESOURCE_GROUP,
    "rg_location": defaults.LOCATION,
    "sa_name": defaults.STORAGE_ACCOUNT,
    "bc_name": defaults.BLOB_CONTAINER,
    "ws_name": defaults.WORKSPACE,
    "cc_name": defaults.COMPUTE_CLUSTER,
}


# What the backend's running operations do, and the action key of the form that watches each.
OPERATION_ACTIONS = {
    "create storage account": "sa",
    "create workspace": "ws",
    "create compute cluster": "cc",
}


def billing_section() -> None:
    """Pick up operations still running (a reload, another tab), and on a billable backend ask
    once per session for an acknowledgement before the first create."""
    backend = session.backend()
    adopt_running_operations(backend, OPERATION_ACTIONS)
    billing_acknowledged(backend)


def can_create() -> bool:
    """False on a billable backend until the user acknowledged it (see billing_section)."""
    return not session.backend().capabilities.billable or bool(
        st.session_state.get(session.AZURE_BILLABLE_ACK)
    )


def _names(kind: Kind) -> list[str]:
    return [r.name for r in session.inventory() if r.kind == kind]


def _find(kind: Kind, name: str | None) -> Resource | None:
    return next((r for r in session.inventory() if r.kind == kind and r.name == name), None)


def _current_workspace_name() -> str:
    current = session.current_workspace()
    return current.name if current else DEFAULTS["ws_name"]


def _value(key: str) -> str:
    """A form field's last submitted value, else its default (forms update state on submit)."""
    return str(st.session_state.get(key) or DEFAULTS.get(key, ""))


def _following_select(label: str, options: list[Any], key: str, wanted: Any, **kwargs: Any) -> Any:
    """A form's select box on ``wanted`` until the user picks another option.

    A select box keeps the value of its first run, so without this the storage account's resource
    group stayed on whatever group was newest when the page opened, not the one just created (and
    the environment went to another workspace than the one the pages work in). Forms allow no
    ``on_change`` callback, so a user's pick is told apart from the value set here last."""
    auto_key = f"{key}:auto"
    shown = st.session_state.get(key)
    if shown not in options or shown == st.session_state.get(auto_key):
        st.session_state[key] = st.session_state[auto_key] = wanted
    return st.selectbox(label, options, key=key, **kwargs)


def _parent_select(label: str, kind: Kind, key: str, preferred: str | None = None) -> str | None:
    """A form's parent picker, on ``preferred`` (the one just created) when it exists."""
    options = _names(kind)
    if not options:
        st.info(f"Create a {kind.label} first (the step above).", icon=":material/arrow_upward:")
        return None
    wanted = preferred if preferred in options else options[-1]
    return str(_following_select(label, options, key, wanted))


def _workspace_select(key: str) -> WorkspaceRef | None:
    """A form's workspace picker, on the workspace the pages work in."""
    options = session.workspaces()
    if not options:
        st.info(f"Create a {Kind.WORKSPACE.label} first (the step above).", icon=":material/arrow_upward:")
        return None
    current = session.current_workspace()
    wanted = current if current in options else options[-1]
    picked: WorkspaceRef = _following_select(
        "Workspace", options, key, wanted, format_func=session.workspace_labels(options)
    )
    return picked


def _submit(action_key: str, action: Callable[[], object]) -> None:
    """Run a form's action; on success rerun so every badge and list shows the new state."""
    if run_action(action_key, action) is not None:
        st.rerun()


def _header(title: str, kind: Kind) -> None:
    """The section title, with a badge saying whether one of these exists yet."""
    count = len(_names(kind))
    badge = f":green-badge[:material/check: {count} exists]" if count else ":gray-badge[not created yet]"
    st.subheader(f"{title} {badge}", anchor=False)


def _rule(kind: Kind) -> str:
    return f"Azure's rule: {RULES[kind].rule}"


def resource_group_section() -> None:
    _header("1 · Resource group", Kind.RESOURCE_GROUP)
    st.caption("A folder for everything else. Deleting it deletes what is inside.")
    with st.form("rg_form"):
        left, right = st.columns([2, 1])
        name = left.text_input(
            "Name", value=DEFAULTS["rg_name"], key="rg_name", help=_rule(Kind.RESOURCE_GROUP)
        )
        location = right.selectbox("Location", LOCATIONS, index=LOCATIONS.index("eastus"), key="rg_location")
        if st.form_submit_button("Create or get resource group", type="primary", disabled=not can_create()):
            _submit("rg", lambda: session.backend().create_resource_group(name, location))
    show_result("rg")
    show_code(
        codegen.resource_group_code(
            _value("rg_name"), _value("rg_location"), session.subscription_id(), cloud=session.snippet_cloud()
        )
    )


def storage_account_section() -> None:
    _header("2 · Storage account", Kind.STORAGE_ACCOUNT)
    st.caption(
        "Holds the blob containers. On the local backend it is a folder, or a real account "
        "(Azurite or Azure) when you paste a connection string."
    )
    with st.form("sa_form"):
        rg = _parent_select("Resource group", Kind.RESOURCE_GROUP, "sa_rg", _value("rg_name"))
        name = st.text_input(
            "Name", value=DEFAULTS["sa_name"], key="sa_name", help=_rule(Kind.STORAGE_ACCOUNT)
        )
        conn = (
            ""
            if session.backend().capabilities.billable  # on a subscription the account is created there
            else st.text_input(
                "Connection string (optional)",
                type="password",
                key="sa_conn",
                help="Leave empty for a local folder. Paste an Azurite or Azure storage connection string "
                "to use real blob storage. It is stored owner-only on this machine and never shown in full.",
            )
        )
        if st.form_submit_button(
            "Create or get storage account", type="primary", disabled=rg is None or not can_create()
        ):
            with st.spinner("Starting…"):
                start_operation(
                    "sa",
                    lambda: session.backend().begin_create_storage_account(rg or "", name, conn or None),
                )
    watch_operation("sa", lambda _: st.rerun())
    show_result("sa")
    account = _find(Kind.STORAGE_ACCOUNT, _value("sa_name")) or _find(
        Kind.STORAGE_ACCOUNT, _last(Kind.STORAGE_ACCOUNT)
    )
    if account and account.properties.get("provisioning_state") in (None, "", "Succeeded"):
        # its keys exist once Azure has finished creating it
        try:
            secret = session.backend().storage_connection_string(account.name)
        except UserFacingError as exc:  # e.g. an account without shared keys has no connection string
            st.info(str(exc), icon=":material/key_off:")
        else:
            masked_secret(
                f"Connection string of '{account.name}'",
                secret,
                key=f"reveal_{account.name}",
                connection_string=True,
            )
    location = account.properties.get("location", "eastus") if account else _value("rg_location")
    show_code(
        codegen.storage_account_code(
            _value("rg_name"),
            _value("sa_name"),
            str(location),
            session.subscription_id(),
            cloud=session.snippet_cloud(),
        )
    )


def blob_container_section() -> None:
    _header("3 · Blob container", Kind.BLOB_CONTAINER)
    st.caption("The training data goes here in the Data step.")
    with st.form("bc_form"):
        account = _parent_select("Storage account", Kind.STORAGE_ACCOUNT, "bc_account", _value("sa_name"))
        name = st.text_input(
            "Name", value=DEFAULTS["bc_name"], key="bc_name", help=_rule(Kind.BLOB_CONTAINER)
        )
        if st.form_submit_button(
            "Create or get blob container", type="primary", disabled=account is None or not can_create()
        ):
            _submit("bc", lambda: session.backend().create_blob_container(account or "", name))
    show_result("bc")
    show_code(codegen.blob_container_code(_value("bc_name")))


def workspace_section() -> None:
    _header("4 · Azure ML workspace", Kind.WORKSPACE)
    st.caption("Tracks experiments and registers models. Locally it is an MLflow store on SQLite.")
    with st.form("ws_form"):
        rg = _parent_select("Resource group", Kind.RESOURCE_GROUP, "ws_rg", _value("rg_name"))
        name = st.text_input("Name", value=DEFAULTS["ws_name"], key="ws_name", help=_rule(Kind.WORKSPACE))
        accounts = [""] + _names(Kind.STORAGE_ACCOUNT)
        made = _value("sa_name")  # the account made on this page; else Azure makes the workspace one
        account = _following_select(
            "Default storage account",
            accounts,
            "ws_account",
            made if made in accounts else "",
            format_func=lambda a: a or "(none: the workspace gets its own)",
        )
        if st.form_submit_button(
            "Create or get workspace", type="primary", disabled=rg is None or not can_create()
        ):
            with st.spinner("Starting…"):
                start_operation(
                    "ws", lambda: session.backend().begin_create_workspace(rg or "", name, account or None)
                )
    watch_operation("ws", _workspace_ready)
    show_result("ws")
    current = session.current_workspace()
    ws = _find(Kind.WORKSPACE, current.name if current else None)
    if ws and current:
        config = session.backend().workspace_config(current)
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.code(json.dumps(config, indent=2), language="json")
        right.download_button(
            "Download config.json",
            json.dumps(config, indent=2),
            file_name="config.json",
            mime="application/json",
            icon=":material/download:",
        )
        studio = ws.properties.get(STUDIO_URL) or _studio_url(current)
        if studio:
            st.link_button("Open in Azure ML studio", str(studio), icon=":material/open_in_new:")
        if ws.properties.get("tracking_uri"):
            st.caption(f"MLflow tracking URI: `{ws.properties['tracking_uri']}`")
    location = ws.properties.get("location", "eastus") if ws else _value("rg_location")
    show_code(
        codegen.workspace_code(
            _value("rg_name"),
            _value("ws_name"),
            str(location),
            session.subscription_id(),
            cloud=session.snippet_cloud(),
        )
    )


def environment_section() -> None:
    _header("5 · Custom environment", Kind.ENVIRONMENT)
    st.caption("A conda spec on a base image: the software every training trial runs with.")
    with st.form("env_form"):
        ws = _workspace_select("env_ws")
        image = st.text_input("Base image", value=DEFAULT_BASE_IMAGE, key="env_image")
        conda = st.text_area("Conda YAML", value=DEFAULT_CONDA_YAML, height=260, key="env_yaml")
        pressed = st.form_submit_button(
            "Validate and register environment", type="primary", disabled=ws is None or not can_create()
        )
        if pressed and ws is not None:
            chosen = ws
            with st.spinner(
                f"Registering the environment in workspace '{chosen.name}': checking the conda spec "
                "and the image, then recording a new version (on Azure this takes 10–20 s)…",
                show_time=True,
            ):
                run_action(
                    "env",
                    lambda: session.backend().create_environment(
                        chosen, build_environment_spec(conda, image)
                    ),
                )
    show_result("env")
    envs = [r for r in session.inventory() if r.kind == Kind.ENVIRONMENT]
    for env in envs:
        versions = ", ".join(f"v{v['version']}" for v in env.properties["versions"])
        st.caption(f"`{env.name}` in `{env.parent}`: {versions} · image `{env.properties['image']}`")
    ws_name = _current_workspace_name()
    show_code(
        codegen.environment_code(
            _value("rg_name"),
            ws_name,
            session.subscription_id(),
            _env_name(str(st.session_state.get("env_yaml") or DEFAULT_CONDA_YAML)),
            str(st.session_state.get("env_image") or DEFAULT_BASE_IMAGE),
            str(st.session_state.get("env_yaml") or DEFAULT_CONDA_YAML),
            cloud=session.snippet_cloud(),
        )
    )


def _workspace_ready(operation: Operation) -> None:
    """A created (or found) workspace becomes the one the pages work in."""
    if isinstance(operation.result, Outcome):
        st.session_state[session.CURRENT_WORKSPACE] = WorkspaceRef.of(operation.result.resource)
        st.rerun()


def compute_section() -> None:
    _header("6 · Compute cluster", Kind.COMPUTE)
    cores = machine_cores()
    st.caption(
        f"Runs the sweep's trials. On the local backend, max instances is the number of worker "
        f"processes a sweep may use, capped at this machine's {cores} cores."
    )
    with st.form("cc_form"):
        ws = _workspace_select("cc_ws")
        left, right = st.columns(2)
        name = left.text_input("Name", value=DEFAULTS["cc_name"], key="cc_name", help=_rule(Kind.COMPUTE))
        size = right.selectbox("VM size", VM_SIZES, key="cc_size")
        a, b, c = st.columns(3)
        low = a.number_input("Min instances", min_value=0, max_value=100, value=0, step=1, key="cc_min")
        high = b.number_input(
            "Max instances", min_value=1, max_value=100, value=min(2, cores) or 1, step=1, key="cc_max"
        )
        idle = c.number_input(
            "Idle seconds before scale-down",
            min_value=0,
            max_value=86_400,
            value=120,
            step=30,
            key="cc_idle",
            help="After a sweep the cluster stays warm this long, so the next sweep starts at once. "
            "Locally: the sweep's runner and worker processes wait, then exit. 0 scales to zero at once.",
        )
        if st.form_submit_button(
            "Create or update compute cluster", type="primary", disabled=ws is None or not can_create()
        ):
            spec = ComputeSpec(name, str(size), int(low), int(high), int(idle))
            if ws is not None:
                chosen = ws
                start_operation("cc", lambda: session.backend().begin_create_compute(chosen, spec))
    watch_operation("cc", lambda _: st.rerun())
    show_result("cc")
    spec = ComputeSpec(
        _value("cc_name"),
        str(st.session_state.get("cc_size") or VM_SIZES[0]),
        int(st.session_state.get("cc_min") or 0),
        int(st.session_state.get("cc_max") or 2),
        int(st.session_state.get("cc_idle") or 120),
    )
    ws_name = _current_workspace_name()
    show_code(
        codegen.compute_code(
            _value("rg_name"), ws_name, session.subscription_id(), spec, cloud=session.snippet_cloud()
        )
    )


def _studio_url(workspace: WorkspaceRef) -> str:
    """The workspace's page in Azure ML studio, in the connected cloud (none on local)."""
    factory = session.azure_connection() if session.chosen_backend_name() == "azure" else None
    if factory is None:
        return ""
    return factory.cloud.studio_url(factory.subscription_id, workspace.resource_group, workspace.name)


def _last(kind: Kind) -> str | None:
    names = _names(kind)
    return names[-1] if names else None


def _env_name(conda_yaml: str) -> str:
    for line in conda_yaml.splitlines():
        if line.startswith("name:"):
            return line.partition(":")[2].strip() or "sklearn-mlflow-env"
    return "sklearn-mlflow-env"
