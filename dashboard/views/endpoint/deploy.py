"""Section 3: the deploy form, the confirmation asked when a deployment would change what an
endpoint serves, and the deploy Operation the page watches."""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from core.backend import Operation, WorkspaceRef
from core.endpoint.defaults import default_names
from core.naming import name_problem
from core.registry import CHAMPION, RegisteredVersion
from core.resources import Kind, Outcome
from dashboard import session
from dashboard.views.endpoint.register import newest_registered
from dashboard.views.endpoint.state import (
    DEPLOY_MODEL_PIN,
    DEPLOY_VERSION_PIN,
    DEPLOYMENT_NAME,
    ENDPOINT_NAME,
    ENDPOINT_PIN,
    NAMES_DEFAULT,
    PENDING,
    TEST_DEPLOYMENT_PIN,
)
from dashboard.widgets import (
    follow_newest_select,
    pin_selection,
    run_action,
    set_result,
    show_result,
    start_operation,
    watch_operation,
)


def create_section(workspace: WorkspaceRef, models: list[str]) -> None:
    st.subheader("3. Deploy to an online endpoint", anchor=False)
    if not models:
        st.info("Register a model first; then deploy one of its versions here.", icon=":material/api:")
        return
    backend = session.backend()
    left, right = st.columns(2)
    with left:
        model = follow_newest_select(
            "Model to deploy",
            models,
            key="endpoint:deploy_model",
            pin_key=DEPLOY_MODEL_PIN,
            newest=newest_registered(workspace, models),
        )
    versions = backend.model_versions(workspace, model)[::-1]  # newest first
    if not versions:
        st.info(f"Model '{model}' has no version yet.", icon=":material/bookmarks:")
        return
    by_number = {v.version: v for v in versions}
    champion = next((v for v in versions if CHAMPION in v.aliases), versions[0])
    with right:
        number = follow_newest_select(
            "Version",
            list(by_number),
            key=f"endpoint:deploy_version:{model}",
            pin_key=f"{DEPLOY_VERSION_PIN}:{model}",
            newest=champion.version,
            format_func=lambda n: by_number[n].label,
            help=f"@{CHAMPION} unless you pick another version.",
        )
    chosen = by_number[number]
    _default_names(chosen)
    with st.form("endpoint:create_form"):
        left, middle, right = st.columns([2, 2, 1])
        endpoint = left.text_input("Endpoint name", key=ENDPOINT_NAME)
        deployment = middle.text_input("Deployment name", key=DEPLOYMENT_NAME)
        instances = right.number_input(
            "Instances",
            1,
            8,
            min(2, os.cpu_count() or 1),
            key="endpoint:instances",
            help="On this machine: the number of model processes (at most the cores). On Azure: VMs.",
        )
        st.caption(
            "Names default from the model's dataset; 3–32 letters, digits and '-', starting with a letter "
            "(Azure's rule). Auth mode: key. On this machine the endpoint is an HTTP server process on "
            "127.0.0.1; it keeps running when you leave the page or restart the dashboard."
        )
        submitted = st.form_submit_button(
            "Create endpoint and deploy", type="primary", icon=":material/rocket_launch:"
        )
    request = {
        "endpoint": endpoint.strip(),
        "deployment": deployment.strip(),
        "model": model,
        "version": int(number),
        "instances": int(instances),
    }
    if submitted:
        _submit(workspace, request)
    _confirm(workspace, model, int(number))
    watch_operation("endpoint_deploy", _deployed)
    show_result("endpoint_deploy")


def _default_names(version: RegisteredVersion) -> None:
    """Put the names that follow from the version's dataset and task in the form, when they change."""
    defaults = default_names(version.dataset[0] if version.dataset else None, version.task)
    if st.session_state.get(NAMES_DEFAULT) != defaults or ENDPOINT_NAME not in st.session_state:
        st.session_state[ENDPOINT_NAME], st.session_state[DEPLOYMENT_NAME] = defaults
        st.session_state[NAMES_DEFAULT] = defaults


def _submit(workspace: WorkspaceRef, request: dict[str, Any]) -> None:
    """Deploy at once, unless the deployment would change what the endpoint serves: then ask."""
    st.session_state.pop(PENDING, None)
    problems = [
        p
        for p in (
            name_problem(Kind.ENDPOINT, request["endpoint"]),
            name_problem(Kind.DEPLOYMENT, request["deployment"]),
        )
        if p
    ]
    if problems:
        set_result("endpoint_deploy", "error", "Nothing was created: " + "; ".join(problems) + ".")
        return
    changes = run_action(
        "endpoint_deploy",
        lambda: session.backend().deployment_changes(
            workspace, request["endpoint"], request["deployment"], request["model"], request["version"]
        ),
    )
    if changes:
        st.session_state[PENDING] = {**request, "changes": list(changes)}
        st.session_state.pop(session.RESULT_PREFIX + "endpoint_deploy", None)
    elif changes is not None:
        _deploy(workspace, request)


def _confirm(workspace: WorkspaceRef, model: str, version: int) -> None:
    """The question asked before a deployment that changes what is served, while it applies."""
    pending = st.session_state.get(PENDING)
    if not isinstance(pending, dict):
        return
    if (pending["model"], pending["version"]) != (model, version):
        st.session_state.pop(PENDING, None)  # the user moved on to another model
        return
    where = f"'{pending['deployment']}' on endpoint '{pending['endpoint']}'"
    listed = "\n".join(f"- {change}" for change in pending["changes"])
    st.warning(
        f"Deploying **{model} v{version}** as {where} changes what it serves:\n\n{listed}\n\n"
        "Clients of this endpoint would then get answers of another model. Deploy anyway?",
        icon=":material/warning:",
    )
    left, right, _ = st.columns([1, 1, 3])
    if left.button(
        "Deploy anyway", key="endpoint:confirm_deploy", type="primary", icon=":material/rocket_launch:"
    ):
        st.session_state.pop(PENDING, None)
        _deploy(workspace, pending)
        st.rerun()
    if right.button("Cancel", key="endpoint:cancel_deploy"):
        st.session_state.pop(PENDING, None)
        set_result("endpoint_deploy", "info", "Nothing was deployed.")
        st.rerun()


def _deploy(workspace: WorkspaceRef, request: dict[str, Any]) -> None:
    """Start the deployment (minutes on Azure): the page watches it and stays usable meanwhile."""
    backend = session.backend()
    with st.spinner("Starting the deployment…"):
        start_operation(
            "endpoint_deploy",
            lambda: backend.begin_deploy(
                workspace,
                request["endpoint"],
                request["deployment"],
                request["model"],
                request["version"],
                request["instances"],
            ),
        )


def _deployed(operation: Operation) -> None:
    """Show what was just deployed."""
    if isinstance(operation.result, Outcome):
        pin_selection(ENDPOINT_PIN, operation.target)
        pin_selection(f"{TEST_DEPLOYMENT_PIN}:{operation.target}", operation.result.resource.name)
