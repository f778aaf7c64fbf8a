"""The Endpoint step: register a sweep's model, deploy it to an online endpoint, test it live.

Results (the live test, the latency probe, the last single prediction) live under session keys
that no widget owns, so they survive a change of page. Keys are read from the backend when a
section needs them and never kept in the session.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo, Operation, SweepInfo, WorkspaceRef
from core.data.schema import FeatureType, Schema, Task
from core.data.store import LoadedDataset, load_dataset
from core.endpoint.client import EndpointClient, LatencyReport, LiveTest, score_test_split, split_payload
from core.endpoint.codegen import AzureEndpointCode, azure_endpoint_code, curl_snippet, python_snippet
from core.endpoint.defaults import default_names
from core.endpoint.evaluation import ClassificationEvaluation, RegressionEvaluation
from core.errors import UserFacingError
from core.naming import name_problem
from core.registry import CHAMPION, RegisteredVersion, comparison_rows, default_model_name
from core.resources import Kind, Outcome
from core.settings import load_settings
from dashboard import figures, nav, session
from dashboard.widgets import (
    clear_selection,
    follow_newest_select,
    masked_secret,
    pin_selection,
    run_action,
    set_result,
    show_code,
    show_result,
    start_operation,
    watch_operation,
)

# Session keys no widget owns (they survive a change of page).
# Results: {(endpoint, deployment): {"provenance": what produced it (see provenance()), "value": ...}}
LIVE = "endpoint:live_results"  # value: LiveTest
LATENCY = "endpoint:latency_results"  # value: LatencyReport
SINGLE = "endpoint:single_results"  # value: ScoreResult
FROM_TRIALS = session.TRIALS_CHOSEN  # set by 5 · Trials: sweep_id, trial_number, ...
CARRIED_SEEN = "endpoint:carried_seen"  # (carried trial applied, finished sweeps then, carry owns pin)
PENDING = "endpoint:pending_deploy"  # a deployment waiting for the user's confirmation
NAMES_DEFAULT = "endpoint:names_default"  # the (endpoint, deployment) names last put in the form
ENDPOINT_NAME, DEPLOYMENT_NAME = "endpoint:new_endpoint", "endpoint:new_deployment"  # text inputs
# The picks of the select boxes that follow the newest object (dashboard.widgets.follow_newest_select)
SWEEP_PIN = "endpoint:sweep_pin"
COMPARE_PIN = "endpoint:compare_pin"
VERSION_PIN = "endpoint:version_pin"  # :<model>
DEPLOY_MODEL_PIN = "endpoint:deploy_model_pin"
DEPLOY_VERSION_PIN = "endpoint:deploy_version_pin"  # :<model>
ENDPOINT_PIN = "endpoint:pick_pin"
TEST_DEPLOYMENT_PIN = "endpoint:test_deployment_pin"  # :<endpoint>
BADGES = {
    "healthy": ":green-badge[healthy]",
    "stopped": ":red-badge[stopped]",
    "unresponsive": ":orange-badge[not answering]",
    "no deployment": ":gray-badge[no deployment]",
}
SHOWN_METRICS = {
    Task.CLASSIFICATION: ("accuracy", "f1", "roc_auc", "precision", "recall"),
    Task.REGRESSION: ("r2", "rmse", "mae"),
}
TABLE_ROWS = 200


def _results(key: str) -> dict[Any, Any]:
    value = st.session_state.setdefault(key, {})
    return value if isinstance(value, dict) else {}


# -- 1. register --------------------------------------------------------------------------------
def _finished(job: SweepInfo) -> bool:
    return bool(job.model_uri) and job.state not in ("starting", "running")


def _carried(ids: list[str]) -> dict[str, Any] | None:
    """The trial chosen on 5 · Trials, if its sweep is one of ``ids``.

    A newly carried trial pins its sweep and trial once; after that the user's picks win. A sweep
    that finishes after the trial was carried (5 · Trials records which had a model then, even if
    this page was not open) is followed, as the other pages follow new sweeps, unless the user has
    picked a sweep here since."""
    carried = st.session_state.get(FROM_TRIALS)
    if not isinstance(carried, dict) or carried.get("sweep_id") not in ids:
        return None
    signature = (
        carried["sweep_id"],
        carried.get("trial_number"),
        carried.get("run_id"),
        carried.get("carried_at"),  # carrying the same trial again pins it again
    )
    seen = st.session_state.get(CARRIED_SEEN)
    if not isinstance(seen, tuple) or len(seen) != 3 or seen[0] != signature:
        then = carried.get("sweeps_with_model")
        seen = (signature, tuple(then) if isinstance(then, list) else tuple(ids), True)
        pin_selection(SWEEP_PIN, carried["sweep_id"])
        if carried.get("trial_number") is not None:
            pin_selection(f"endpoint:trial_pin:{carried['sweep_id']}", int(carried["trial_number"]))
    # the carry owns the sweep pin until the user moves it (a pick of any sweep is the user's)
    owns_pin = seen[2] and st.session_state.get(SWEEP_PIN) == carried["sweep_id"]
    if owns_pin and set(ids) - set(seen[1]) - {carried["sweep_id"]}:
        clear_selection(SWEEP_PIN)
        owns_pin = False
    st.session_state[CARRIED_SEEN] = (signature, tuple(ids), owns_pin)
    return carried


def register_section(workspace: WorkspaceRef) -> bool:
    """Register a finished sweep's trial; False when there is no finished sweep yet."""
    st.subheader("1. Register a model", anchor=False)
    backend = session.backend()
    jobs = [j for j in backend.list_sweeps(workspace) if _finished(j)][::-1]  # newest first
    if not jobs:
        st.info(
            "No sweep in this workspace has finished with a model yet. Run one first; its best "
            "configuration is refit on the whole train split and can then be registered here.",
            icon=":material/tune:",
        )
        nav.link("sweep", label="Run a sweep on 4 · Sweep")
        return False
    ids = [j.id for j in jobs]
    carried = _carried(ids)
    left, right = st.columns(2)
    with left:
        picked = follow_newest_select(
            "Finished sweep",
            ids,
            key="endpoint:sweep",
            pin_key=SWEEP_PIN,
            newest=ids[0],
            format_func=lambda i: _sweep_label(next(j for j in jobs if j.id == i)),
        )
    if carried is not None and carried["sweep_id"] == picked:  # the banner belongs to its sweep
        st.info(
            f"Trial #{carried.get('trial_number')} of {carried['sweep_id']} was chosen on 5 · Trials.",
            icon=":material/input:",
        )
    job = next(j for j in jobs if j.id == picked)
    spec = job.spec
    trials = [t for t in backend.sweep_status(workspace, job.id).trials if t["status"] == "completed"]
    maximize = spec.get("goal", "maximize") == "maximize"
    trials.sort(key=lambda t: (t["value"] is None, -(t["value"] or 0) if maximize else (t["value"] or 0)))
    numbers: list[int | None] = [int(t["number"]) for t in trials]
    values = {int(t["number"]): t["value"] for t in trials}
    metric = spec["primary_metric"]
    best = numbers[0] if numbers else None
    with right:
        trial = follow_newest_select(
            "Trial",
            numbers or [None],
            key=f"endpoint:trial:{job.id}",
            pin_key=f"endpoint:trial_pin:{job.id}",
            newest=best,
            format_func=lambda n: (
                "best trial"
                if n is None
                else f"trial {n} · {metric} {values[n]:.4f}"
                + (" · best (refit already)" if n == best else "")
            ),
            help="The best trial's model was refit when the sweep ended; "
            "another trial is refit now (a few seconds).",
        )
    chosen = None if trial in (None, best) else trial
    left, right = st.columns(2)
    name = left.text_input(
        "Model name",
        value=default_model_name(spec["model_family"], chosen),
        key=f"endpoint:model_name:{job.id}:{chosen}",
        help="best_<family> for the sweep's best trial, <family>_trial<N> for another one.",
    )
    description = right.text_input(
        "Description (optional)", key="endpoint:description", placeholder="written for you when left empty"
    )
    st.caption(
        "Each registration is a new version of the model, tagged with the sweep, the trial and its "
        f"cross-validated metrics. The alias **@{CHAMPION}** moves to it only if it is better than the "
        "current champion by the sweep's primary metric; you can move it yourself below."
    )
    if st.button("Register model", type="primary", key="endpoint:register", icon=":material/bookmark_add:"):
        with st.spinner("Registering (a trial other than the best is refit first)…"):
            version = run_action(
                "endpoint_register",
                lambda: backend.register_model(workspace, job.id, chosen, name, description or None),
            )
        if version is not None:
            _registered(workspace, version)
    show_result("endpoint_register")
    return True


def _registered(workspace: WorkspaceRef, version: RegisteredVersion) -> None:
    """Say where @champion is, and show the new version everywhere on the page."""
    if CHAMPION in version.aliases:
        where = f"@{CHAMPION} points to it now."
    else:
        versions = session.backend().model_versions(workspace, version.name)
        champion = next((v for v in versions if CHAMPION in v.aliases), None)
        where = (
            f"@{CHAMPION} stays on v{champion.version}: this version does not beat it by the recorded "
            "primary metric. Make it champion below if you prefer it."
            if champion
            else f"no version is @{CHAMPION}."
        )
    set_result(
        "endpoint_register", "success", f"Registered **{version.name}** version {version.version}; {where}"
    )
    for pin in (COMPARE_PIN, DEPLOY_MODEL_PIN):
        pin_selection(pin, version.name)
    pin_selection(f"{VERSION_PIN}:{version.name}", version.version)
    clear_selection(f"{DEPLOY_VERSION_PIN}:{version.name}")  # the version to deploy follows @champion


def _sweep_label(job: SweepInfo) -> str:
    best = "–" if job.best_value is None else f"{job.best_value:.4f}"
    return f"{job.id} · {job.spec['model_family']} · best {job.spec['primary_metric']} {best}"


# -- 2. versions ---------------------------------------------------------------------------------
def versions_section(workspace: WorkspaceRef, models: list[str]) -> None:
    st.subheader("2. Registered versions", anchor=False)
    if not models:
        st.info("Nothing is registered yet: register a model above.", icon=":material/bookmarks:")
        return
    backend = session.backend()
    name = follow_newest_select(
        "Registered model",
        models,
        key="endpoint:compare_pick",
        pin_key=COMPARE_PIN,
        newest=_newest(workspace, models),
    )
    versions = backend.model_versions(workspace, name)
    rows = comparison_rows(versions)[::-1]  # newest first
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    task = (
        Task(versions[-1].task)
        if versions and versions[-1].task in ("classification", "regression")
        else Task.CLASSIFICATION
    )
    shown = [m for m in SHOWN_METRICS[task] if any(m in v.metrics for v in versions)]
    if len(versions) > 1 and shown:
        st.plotly_chart(
            figures.version_metrics(rows[::-1][-8:], shown),
            width="stretch",
            key="endpoint:versions_chart",
        )
    if versions:
        _version_actions(workspace, name, versions)


def _newest(workspace: WorkspaceRef, models: list[str]) -> str:
    """The registered model with the newest version."""
    newest = session.backend().newest_model(workspace)
    return newest if newest in models else models[0]


def _version_actions(workspace: WorkspaceRef, name: str, versions: list[RegisteredVersion]) -> None:
    """Describe one version; make it @champion, or tag it."""
    backend = session.backend()
    by_number = {v.version: v for v in versions}
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    with left:
        number = follow_newest_select(
            "Version",
            list(by_number)[::-1],
            key=f"endpoint:version_pick:{name}",
            pin_key=f"{VERSION_PIN}:{name}",
            newest=versions[-1].version,
            format_func=lambda n: by_number[n].label,
        )
    version = by_number[number]
    is_champion = CHAMPION in version.aliases
    if right.button(
        f"v{number} is @{CHAMPION}" if is_champion else f"Make v{number} champion",
        key="endpoint:make_champion",
        disabled=is_champion,
        icon=":material/military_tech:",
        width="stretch",
        help=f"Point @{CHAMPION} at this version: it becomes the version to deploy by default.",
    ):
        moved = run_action("endpoint_versions", lambda: backend.set_model_alias(workspace, name, number))
        if moved is not None:
            set_result("endpoint_versions", "success", f"@{CHAMPION} now points to {name} v{number}.")
            clear_selection(f"{DEPLOY_VERSION_PIN}:{name}")
            st.rerun()
    with st.form("endpoint:tag_form", clear_on_submit=True, border=False):
        a, b, c = st.columns([2, 2, 1], vertical_alignment="bottom")
        key = a.text_input(f"Tag v{number}: key", key="endpoint:tag_key", placeholder="e.g. reviewer")
        value = b.text_input("Value", key="endpoint:tag_value", placeholder="e.g. ana")
        if c.form_submit_button("Add tag", icon=":material/sell:", width="stretch"):
            tagged = run_action(
                "endpoint_versions",
                lambda: backend.set_model_version_tag(workspace, name, number, key, value),
            )
            if tagged is not None:
                set_result(
                    "endpoint_versions", "success", f"Tagged {name} v{number}: {key.strip()}={value.strip()}."
                )
                st.rerun()
    show_result("endpoint_versions")
    if version.description:
        st.caption(f"v{version.version}: {version.description}")


# -- 3. create an endpoint -----------------------------------------------------------------------
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
            newest=_newest(workspace, models),
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


# -- 4. the endpoint ---------------------------------------------------------------------------
def endpoints_section(workspace: WorkspaceRef) -> None:
    watch_operation("endpoint_delete", _endpoint_deleted)
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
    _status(workspace, info)
    _keys(workspace, info)
    if info.deployments:
        _deployments_table(info)
    if info.health.healthy and info.deployments:
        deployment = _pick_deployment(info)
        dataset = _dataset(workspace, deployment)
        live_section(workspace, info, deployment, dataset)
        latency_section(workspace, info, deployment, dataset)
        single_section(workspace, info, deployment, dataset)
        snippets_section(workspace, info, deployment, dataset)
    delete_section(workspace, info)


def _status(workspace: WorkspaceRef, info: EndpointInfo) -> None:
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


def _keys(workspace: WorkspaceRef, info: EndpointInfo) -> None:
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


def _deployments_table(info: EndpointInfo) -> None:
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


def _pick_deployment(info: EndpointInfo) -> DeploymentInfo:
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


def _dataset(workspace: WorkspaceRef, deployment: DeploymentInfo) -> LoadedDataset | None:
    if not deployment.dataset or deployment.dataset_version is None:
        return None
    try:
        return load_dataset(session.backend(), workspace, deployment.dataset, deployment.dataset_version)
    except UserFacingError:
        return None


def provenance(info: EndpointInfo, deployment: DeploymentInfo) -> dict[str, Any]:
    """What a result depends on: the endpoint, the deployment and when it last changed, the model
    version it serves and the dataset version that model was trained on."""
    return {
        "endpoint": info.name,
        "deployment": deployment.name,
        "deployed": deployment.last_change,
        "model": f"{deployment.model_name} v{deployment.model_version}",
        "dataset": f"{deployment.dataset} v{deployment.dataset_version}" if deployment.dataset else None,
    }


def _keep(key: str, info: EndpointInfo, deployment: DeploymentInfo, value: Any) -> None:
    _results(key)[(info.name, deployment.name)] = {"provenance": provenance(info, deployment), "value": value}


def _kept(key: str, info: EndpointInfo, deployment: DeploymentInfo) -> Any:
    """The result kept for this deployment, if it was produced by what the deployment serves now;
    one produced by an earlier model or dataset is dropped, and the page says so."""
    slot = (info.name, deployment.name)
    stored = _results(key).get(slot)
    if not isinstance(stored, dict) or "provenance" not in stored:
        return None
    now = provenance(info, deployment)
    if stored["provenance"] != now:
        del _results(key)[slot]
        old = stored["provenance"]
        trained = f" · {old['dataset']}" if old.get("dataset") else ""
        st.caption(
            f":material/history: The earlier result ({old['model']}{trained}) was cleared: the deployment "
            f"now serves {now['model']}" + (f" · {now['dataset']}" if now["dataset"] else "") + "."
        )
        return None
    return stored["value"]


def _client(workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo) -> EndpointClient:
    key = session.backend().endpoint_keys(workspace, info.name).primary.reveal()
    return EndpointClient(info.scoring_uri, key, deployment=deployment.name)


# -- test live -----------------------------------------------------------------------------------
def live_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### Test it live with the held-out split")
    if data is None:
        st.info(
            "This deployment's model does not name the dataset it was trained on, so there is no "
            "held-out split to send. The single-prediction form below still works.",
            icon=":material/dataset:",
        )
        return
    st.caption(
        f"Sends the {len(data.test):,} test rows of **{data.asset.name} v{data.asset.version}** "
        "(never seen in "
        "training) in one request, without the target, and compares the answers with the truth."
    )
    if st.button("Send the test split", key="endpoint:test_live", type="primary", icon=":material/send:"):
        with st.spinner("Scoring the test split…"):
            live = run_action(
                "endpoint_live",
                lambda: score_test_split(_client(workspace, info, deployment), data.test, data.schema),
            )
        if live is not None:
            _keep(LIVE, info, deployment, live)
            st.session_state.pop(session.RESULT_PREFIX + "endpoint_live", None)
    show_result("endpoint_live")
    live = _kept(LIVE, info, deployment)
    if isinstance(live, LiveTest):
        _show_live(live, data.schema)


def _show_live(live: LiveTest, schema: Schema) -> None:
    result, evaluation = live.result, live.evaluation
    cols = st.columns(4)
    cols[0].metric("Rows scored", f"{len(result.predictions):,}")
    cols[1].metric("Round trip", f"{result.seconds * 1000:.0f} ms")
    cols[2].metric("Request size", f"{result.request_bytes / 1024:.1f} KiB")
    if isinstance(evaluation, ClassificationEvaluation):
        cols[3].metric("Accuracy", f"{evaluation.accuracy:.3f}")
        st.markdown("**Classification report**")
        report = pd.DataFrame(
            [
                {
                    **{
                        k: ("" if row[k] is None else f"{row[k]:.3f}")
                        for k in ("precision", "recall", "f1-score")
                    },
                    "class": row["class"],
                    "support": row["support"],
                }
                for row in evaluation.report
            ],
            columns=["class", "precision", "recall", "f1-score", "support"],
        )
        st.table(report.set_index("class"))  # a plain table: it reads like the tutorial's report
        left, right = st.columns(2)
        left.plotly_chart(
            figures.confusion_matrix(evaluation.labels, evaluation.confusion, schema.target),
            width="stretch",
            key="endpoint:confusion",
        )
        if evaluation.roc:
            right.plotly_chart(
                figures.roc_curves(evaluation.roc), width="stretch", key="endpoint:roc"
            )
        else:
            right.info("No ROC curve: the answer had no probabilities, or the test split has one class.")
    elif isinstance(evaluation, RegressionEvaluation):
        cols[3].metric("R²", f"{evaluation.r2:.3f}")
        a, b = st.columns(2)
        a.metric("MAE", f"{evaluation.mae:.4g}")
        b.metric("RMSE", f"{evaluation.rmse:.4g}")
        st.plotly_chart(
            figures.predicted_vs_actual(evaluation.y_true, evaluation.y_pred, schema.target),
            width="stretch",
            key="endpoint:pred_vs_actual",
        )
    st.markdown(f"**Predictions against the truth** (first {min(TABLE_ROWS, len(live.table))} rows)")
    st.dataframe(live.table.head(TABLE_ROWS), hide_index=True, width="stretch", height=320)


def latency_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### Latency")
    if st.button("Measure latency", key="endpoint:latency", icon=":material/timer:"):
        row = _one_row(workspace, info, deployment, data)
        if row is not None:
            report = run_action(
                "endpoint_latency", lambda: _client(workspace, info, deployment).latency(row, burst=30)
            )
            if report is not None:
                _keep(LATENCY, info, deployment, report)
                st.session_state.pop(session.RESULT_PREFIX + "endpoint_latency", None)
    show_result("endpoint_latency")
    report = _kept(LATENCY, info, deployment)
    if isinstance(report, LatencyReport):
        cols = st.columns(3)
        cols[0].metric("One request, new connection", f"{report.first_ms:.1f} ms")
        cols[1].metric("p50 of a burst of 30", f"{report.p50_ms:.1f} ms")
        cols[2].metric("p95 of the burst", f"{report.p95_ms:.1f} ms")
        st.caption(
            "Single-row requests from this dashboard: 30 one after another on a kept-alive connection, "
            "then 3 each on a new connection (their median is shown first)."
        )
    else:
        st.caption("Sends single-row requests: a burst of 30 on a kept-alive connection, then 3 on new ones.")


def _one_row(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> pd.DataFrame | None:
    """A row to send: the first held-out row, else the input example logged with the model."""
    if data is not None:
        return data.test.loc[:, list(data.schema.features)].head(1)
    try:
        example = session.backend().deployed_model(workspace, info.name, deployment.name).input_example
        block = (example or {})["dataframe_split"]
        return pd.DataFrame(block["data"], columns=block["columns"]).head(1)
    except (UserFacingError, ValueError, KeyError):
        set_result(
            "endpoint_latency", "error", "This deployment has no held-out split or input example to send."
        )
        return None


# -- single prediction ---------------------------------------------------------------------------
def single_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### One prediction")
    if data is None:
        st.caption("The form needs the dataset's schema; this deployment does not name its dataset.")
        return
    schema = data.schema
    frame = pd.concat([data.train, data.test], ignore_index=True)
    values: dict[str, Any] = {}
    where = f"{info.name}:{deployment.name}"
    with st.form(f"endpoint:single_form:{where}"):
        columns = st.columns(4)
        for i, (name, kind) in enumerate(schema.features.items()):
            with columns[i % 4]:
                values[name] = _input(name, kind, frame[name], f"endpoint:single:{where}:{name}")
        submitted = st.form_submit_button("Predict", type="primary", icon=":material/online_prediction:")
    if submitted:
        row = pd.DataFrame([values], columns=list(schema.features))
        row = row.astype(
            {c: frame[c].dtype for c in row.columns if frame[c].dtype.kind in "iuf" and row[c].notna().all()}
        )
        result = run_action(
            "endpoint_single",
            lambda: _client(workspace, info, deployment).score(
                row, probabilities=schema.task == Task.CLASSIFICATION
            ),
        )
        if result is not None:
            _keep(SINGLE, info, deployment, result)
            st.session_state.pop(session.RESULT_PREFIX + "endpoint_single", None)
    show_result("endpoint_single")
    result = _kept(SINGLE, info, deployment)
    if result is not None:
        answer = result.predictions[0]
        text = f"**Prediction: {schema.target} = {answer}** · {result.seconds * 1000:.0f} ms"
        if result.probabilities is not None and result.classes is not None:
            shares = ", ".join(
                f"{c}: {p:.1%}" for c, p in zip(result.classes, result.probabilities[0], strict=True)
            )
            text += f" · probabilities {shares}"
        st.success(text, icon=":material/online_prediction:")


def _input(name: str, kind: FeatureType, series: pd.Series, key: str) -> Any:
    present = series.dropna()
    if kind == FeatureType.NUMERIC and pd.api.types.is_numeric_dtype(series):
        low, high = float(present.min()), float(present.max())
        median = float(present.median())
        if pd.api.types.is_integer_dtype(series):
            return int(
                st.number_input(
                    name,
                    int(low),
                    int(high),
                    int(round(median)),
                    1,
                    key=key,
                    help=f"{int(low)} to {int(high)} in the data",
                )
            )
        step = max((high - low) / 100, 1e-6)
        return float(
            st.number_input(name, low, high, median, step, key=key, help=f"{low:g} to {high:g} in the data")
        )
    options = sorted(present.unique().tolist(), key=lambda v: (str(type(v)), v))
    if not options:
        return None
    mode = present.mode()
    index = options.index(mode.iloc[0]) if len(mode) and mode.iloc[0] in options else 0
    chosen = st.selectbox(name, options, index=index, key=key, help=f"{len(options)} values in the data")
    return chosen.item() if hasattr(chosen, "item") else chosen


# -- code ----------------------------------------------------------------------------------------
def snippets_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### Call it from your code")
    if data is not None:
        example = split_payload(data.test.loc[:, list(data.schema.features)].head(2))
    else:
        example = {"input_data": {"columns": ["..."], "index": [0], "data": [["..."]]}}
    header = deployment.name if len(info.deployments) > 1 else None
    curl, python = st.tabs(["curl", "Python requests"])
    curl.code(curl_snippet(info.scoring_uri, example, header), language="bash")
    python.code(python_snippet(info.scoring_uri, example, header), language="python")
    st.caption("The key is read from the ENDPOINT_KEY environment variable: copy it from the key box above.")
    backend = session.backend()
    show_code(
        azure_endpoint_code(
            AzureEndpointCode(
                endpoint=info.name,
                deployment=deployment.name,
                model_name=deployment.model_name,
                model_version=deployment.model_version,
                model_path=backend.deployed_model(workspace, info.name, deployment.name).location,
                subscription_id=load_settings().subscription_id,
                resource_group=workspace.resource_group,
                workspace=workspace.name,
                instance_count=deployment.instance_count,
                tags={"model": f"{deployment.model_name}:{deployment.model_version}"},
            )
        ),
        label="Show code: the same endpoint on Azure ML (azure-ai-ml)",
    )


# -- delete --------------------------------------------------------------------------------------
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
            if st.button("Delete this deployment", key="endpoint:delete_deployment"):
                start_operation(
                    "endpoint_delete", lambda: backend.begin_delete_deployment(workspace, info.name, doomed)
                )
                st.rerun()
        st.warning(
            f"Deleting **{info.name}** stops its server and deletes its "
            f"{len(info.deployments)} deployment(s) "
            "and keys. Registered models stay in the registry.",
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
    show_result("endpoint_delete")


def _endpoint_deleted(operation: Operation) -> None:
    """Say what went; the live results of a deleted endpoint go with it."""
    if operation.kind == "delete deployment":
        set_result("endpoint_delete", "success", f"Deleted deployment '{operation.target}'.")
        return
    set_result("endpoint_delete", "success", f"Deleted endpoint '{operation.target}' and stopped its server.")
    for key in (LIVE, LATENCY, SINGLE):
        _results(key).clear()


def render() -> None:
    workspace = session.current_workspace()
    if workspace is None:
        st.warning("The Endpoint step needs a workspace with a finished sweep.", icon=":material/block:")
        nav.link("resources", label="Create a workspace on 1 · Resources")
        return
    try:
        has_sweep = register_section(workspace)
        models = session.backend().registered_models(workspace)
        if has_sweep or models:
            versions_section(workspace, models)
            create_section(workspace, models)
        endpoints_section(workspace)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
