"""Section 3: the deploy form, the confirmation asked when a deployment would change what an
endpoint serves, and the deploy Operation the page watches."""

from __future__ import annotations

import os
import re
from typing import Any

import streamlit as st

from core.backend import Operation, WorkspaceRef
from core.endpoint.defaults import DEFAULT_INSTANCE_TYPE, INSTANCE_TYPES, default_names, quota_cores
from core.errors import NotFoundError, UserFacingError
from core.naming import name_problem
from core.registry import CHAMPION, RegisteredVersion
from core.resources import Kind, Outcome
from dashboard import session
from dashboard.views.endpoint.register import newest_registered
from dashboard.views.endpoint.state import (
    DEPLOY_MODEL_PIN,
    DEPLOY_VERSION_PIN,
    DEPLOYING,
    DEPLOYMENT_NAME,
    ENDPOINT_NAME,
    ENDPOINT_PIN,
    FAILED_DEPLOY,
    NAMES_DEFAULT,
    PENDING,
    TEST_DEPLOYMENT_PIN,
)
from dashboard.widgets import (
    SUGGESTION_PREFIX,
    billing_acknowledged,
    follow_newest_select,
    name_suggestion,
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
    caps = backend.capabilities
    instance_type, instances = _sizing(caps.billable)
    if caps.billable:
        _billing_notice(instance_type, instances)
    allowed = billing_acknowledged(backend)
    with st.form("endpoint:create_form"):
        left, right = st.columns(2)
        endpoint = left.text_input("Endpoint name", key=ENDPOINT_NAME)
        deployment = right.text_input("Deployment name", key=DEPLOYMENT_NAME)
        st.caption(
            "Names default from the model's dataset; 3–32 letters, digits and '-', starting with a letter "
            "(Azure's rule). Auth mode: key. "
            + (
                "Creating the deployment takes 5–15 minutes on Azure: the page stays usable meanwhile, "
                "and a reload (or another tab) picks the deployment up again."
                if caps.long_running_operations
                else "On this machine the endpoint is an HTTP server process on 127.0.0.1; it keeps "
                "running when you leave the page or restart the dashboard."
            )
        )
        submitted = st.form_submit_button(
            "Create endpoint and deploy",
            type="primary",
            icon=":material/rocket_launch:",
            disabled=not allowed,
            help=None if allowed else "Acknowledge the billing notice above first.",
        )
    request = {
        "endpoint": endpoint.strip(),
        "deployment": deployment.strip(),
        "model": model,
        "version": int(number),
        "instances": instances,
        "instance_type": instance_type,
    }
    if submitted and allowed:
        _submit(workspace, request)
    _confirm(workspace, model, int(number))
    watch_operation("endpoint_deploy", _deployed, details=_deploy_log, on_failed=_deploy_failed)
    show_result("endpoint_deploy")
    _offer_free_name()
    _failed_log()


def _sizing(billable: bool) -> tuple[str, int]:
    """The instance type and count of the new deployment (outside the form: the quota note follows them)."""
    left, right = st.columns([2, 1])
    types = list(INSTANCE_TYPES)
    instance_type = left.selectbox(
        "Instance type",
        types,
        index=types.index(DEFAULT_INSTANCE_TYPE),
        key="endpoint:instance_type",
        format_func=lambda t: f"{t} ({INSTANCE_TYPES[t]} vCPUs)",
        help=(
            "The VM size of each instance (Azure's default for managed online endpoints is Standard_DS3_v2)."
            if billable
            else "Recorded with the deployment only: on this machine the model runs in local processes."
        ),
    )
    instances = right.number_input(
        "Instances",
        1,
        8,
        1 if billable else min(2, os.cpu_count() or 1),
        key="endpoint:instances",
        help=(
            "VMs of the instance type: each is billed per hour. Azure recommends 3 or more for production."
            if billable
            else "On this machine: the number of model processes (at most the cores). On Azure: VMs."
        ),
    )
    return str(instance_type), int(instances)


def vm_family(instance_type: str) -> str:
    """The quota family of a VM size, as Azure's quota page names it: Standard_DS3_v2 -> DSv2."""
    found = re.fullmatch(r"Standard_([A-Z]+)\d+(s?)_v(\d)", instance_type)
    if not found:
        return instance_type
    letters, premium, generation = found.groups()
    return f"{letters}{premium.upper()}v{generation}"


def _billing_notice(instance_type: str, instances: int) -> None:
    cores = INSTANCE_TYPES.get(instance_type, 4) * instances
    st.warning(
        f"**Billable per instance-hour:** {instances} × {instance_type} run (and are billed) from the "
        "moment the deployment is created until you delete it, whether or not anyone calls it. "
        f"**Quota:** Azure needs {quota_cores(instance_type, instances)} vCPUs of the "
        f"Standard {vm_family(instance_type)} family in the workspace's region: the instances' "
        f"{cores} cores plus about 20 % more instances (at least one) it keeps spare for upgrades "
        "(see Quotas in Azure ML studio).",
        icon=":material/payments:",
    )


def _default_names(version: RegisteredVersion) -> None:
    """Put the names that follow from the version's dataset and task in the form, when they change."""
    defaults = default_names(version.dataset[0] if version.dataset else None, version.task)
    if st.session_state.get(NAMES_DEFAULT) != defaults or ENDPOINT_NAME not in st.session_state:
        st.session_state[ENDPOINT_NAME], st.session_state[DEPLOYMENT_NAME] = defaults
        st.session_state[NAMES_DEFAULT] = defaults


def _submit(workspace: WorkspaceRef, request: dict[str, Any]) -> None:
    """Deploy at once, unless the deployment would change what the endpoint serves: then ask."""
    st.session_state.pop(PENDING, None)
    st.session_state.pop(FAILED_DEPLOY, None)
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
        started = start_operation(
            "endpoint_deploy",
            lambda: backend.begin_deploy(
                workspace,
                request["endpoint"],
                request["deployment"],
                request["model"],
                request["version"],
                request["instances"],
                instance_type=request.get("instance_type", DEFAULT_INSTANCE_TYPE),
            ),
        )
    if started is not None:
        st.session_state[DEPLOYING] = {
            "workspace": workspace,
            "endpoint": request["endpoint"],
            "deployment": request["deployment"],
        }


def _deployed(operation: Operation) -> None:
    """Show what was just deployed."""
    if isinstance(operation.result, Outcome):
        pin_selection(ENDPOINT_PIN, operation.target)
        pin_selection(f"{TEST_DEPLOYMENT_PIN}:{operation.target}", operation.result.resource.name)


def _deploying(operation: Operation) -> tuple[WorkspaceRef, str, str] | None:
    """The workspace, endpoint and deployment a deploy operation creates: as started here, else (an
    operation picked up after a reload) the current workspace and the names in the form."""
    started = st.session_state.get(DEPLOYING)
    if isinstance(started, dict) and started.get("endpoint") == operation.target:
        return started["workspace"], started["endpoint"], started["deployment"]
    workspace = session.current_workspace()
    deployment = st.session_state.get(DEPLOYMENT_NAME)
    if workspace is None or not isinstance(deployment, str) or not deployment:
        return None
    return workspace, operation.target, deployment


def _log_tail(operation: Operation, lines: int = 60) -> str | None:
    """The deployment's log tail; None before the deployment exists (or when it cannot be read)."""
    where = _deploying(operation)
    if where is None:
        return None
    workspace, endpoint, deployment = where
    try:
        return session.backend().deployment_logs(workspace, endpoint, deployment, lines=lines)
    except NotFoundError:
        return None
    except UserFacingError as exc:
        return f"(The log could not be read: {exc})"


def _deploy_log(operation: Operation) -> None:
    """Under the running deploy's box: the deployment's log tail, read again with each poll."""
    tail = _log_tail(operation)
    with st.expander("Deployment log (the last lines, refreshed with the status)", icon=":material/article:"):
        if tail is None:
            st.caption("No log yet: the deployment does not exist yet (the endpoint comes first).")
        else:
            st.code(tail or "(empty so far)", language=None)


def _deploy_failed(operation: Operation) -> None:
    """Keep the failed deployment's log tail: the error says what failed, the log why."""
    st.session_state[FAILED_DEPLOY] = {"target": operation.target, "log": _log_tail(operation, lines=200)}


def _failed_log() -> None:
    failed = st.session_state.get(FAILED_DEPLOY)
    if not isinstance(failed, dict):
        return
    with st.expander(
        f"The log of the failed deployment on '{failed['target']}'", expanded=True, icon=":material/article:"
    ):
        log = failed.get("log")
        st.code(log or "(No log: the deployment was never created.)", language=None)


def _offer_free_name() -> None:
    """After "name taken": a button that puts the suggested free name in the endpoint field."""
    suggestion = name_suggestion("endpoint_deploy")
    if suggestion is None:
        return

    def use() -> None:
        st.session_state[ENDPOINT_NAME] = suggestion
        st.session_state.pop(session.RESULT_PREFIX + "endpoint_deploy", None)
        st.session_state.pop(SUGGESTION_PREFIX + "endpoint_deploy", None)

    st.button(f"Use {suggestion}", key="endpoint:use_suggestion", on_click=use, icon=":material/edit:")
