"""The home page's overview of the seven steps and where each one stands."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.backend import ACTIVE_STATES, SweepInfo, WorkspaceRef
from core.errors import UserFacingError
from core.progress import StepProgress, dataset_item
from core.resources import RESOURCE_STEP_KINDS, Kind
from core.settings import load_settings
from core.wording import counted
from dashboard import nav, session
from dashboard.views.trials.common import OPEN as TRIALS_OPEN

WHAT = {
    "resources": "Resource group, storage, container, workspace, environment, cluster.",
    "data": "Upload, validate and split a CSV; store the train split.",
    "eda": "Distributions, class balance, correlations, feature typing.",
    "sweep": "Configure and launch a hyperparameter sweep; watch it live.",
    "trials": "Compare the sweep's trials with interactive charts.",
    "endpoint": "Register the best model, deploy it, test it live.",
    "teardown": "Delete everything behind a typed confirmation.",
}


def _resources_status() -> tuple[str, str]:
    kinds = {r.kind for r in session.inventory()}
    missing = [k.label for k in RESOURCE_STEP_KINDS if k not in kinds]
    if not missing:
        return ":green[done]", "every resource exists"
    return ":blue[ready]", "still to create: " + ", ".join(missing)


def _data_status() -> tuple[str, str]:
    workspace = session.current_workspace()
    containers = [r for r in session.inventory() if r.kind == Kind.BLOB_CONTAINER]
    if workspace is None or not containers:
        return ":gray[blocked]", "needs a workspace and a blob container (step 1)"
    assets = session.backend().list_data_assets(workspace)
    if assets:
        return ":green[done]", f"{counted(len(assets), 'dataset version')} in '{workspace}'"
    return ":blue[ready]", "upload a CSV or pick a sample"


def _eda_status(data: tuple[str, str]) -> tuple[str, str]:
    """Done once the dataset the later steps use (this version) was explored on its page."""
    if not data[0].startswith(":green"):
        return ":gray[blocked]", "needs a stored dataset (step 2)"
    workspace = session.current_workspace()
    dataset = current_dataset(workspace) if workspace else None
    if workspace and dataset and _progress().done("eda", workspace.key, dataset_item(*dataset)):
        return ":green[done]", f"explored {dataset[0]} v{dataset[1]}"
    label = f"{dataset[0]} v{dataset[1]}" if dataset else "the stored train split"
    return ":blue[ready]", f"explore {label}"


def _sweep_status(data: tuple[str, str]) -> tuple[str, str]:
    workspace = session.current_workspace()
    clusters = [
        r for r in session.inventory() if r.kind == Kind.COMPUTE and workspace and r.parent == workspace.name
    ]
    if workspace is None or not data[0].startswith(":green") or not clusters:
        return ":gray[blocked]", "needs a stored dataset (step 2) and a compute cluster (step 1)"
    jobs = session.backend().list_sweeps(workspace)
    if any(j.state in ("starting", "running") for j in jobs):
        return ":blue[running]", "a sweep is running"
    done = [j for j in jobs if j.best_value is not None]
    if done:
        best = done[-1]
        return (
            ":green[done]",
            f"{counted(len(jobs), 'sweep')}; latest best {best.spec['primary_metric']} {best.best_value:.4f}",
        )
    return ":blue[ready]", "configure and launch a sweep"


def _trials_status(sweep: tuple[str, str]) -> tuple[str, str]:
    """Done once the newest finished sweep was reviewed on the Trials page."""
    workspace = session.current_workspace()
    if workspace is None or sweep[0].startswith(":gray"):
        return ":gray[blocked]", "needs a sweep (step 4), or open any MLflow experiment there"
    jobs = [j for j in session.backend().list_sweeps(workspace) if _finished(j)]
    if not jobs:
        return ":blue[ready]", "open any MLflow experiment, or run a sweep first"
    latest = jobs[-1]
    best = f"{latest.best_value:.4f}" if latest.best_value is not None else "–"
    if _progress().done("trials", workspace.key, latest.id):
        return ":green[done]", f"reviewed sweep {latest.id}; best {latest.spec['primary_metric']} {best}"
    return ":blue[ready]", f"review sweep {latest.id}; best {latest.spec['primary_metric']} {best}"


def _finished(job: SweepInfo) -> bool:
    """A sweep that has stopped running with at least one completed trial to review."""
    return job.state not in ACTIVE_STATES and bool(job.counts.get("completed"))


def _progress() -> StepProgress:
    return StepProgress(load_settings().data_dir, session.backend().info.name)


def current_dataset(workspace: WorkspaceRef) -> tuple[str, int] | None:
    """The dataset version the later steps use: the one picked on the Data page, else the newest
    (as the EDA page chooses it)."""
    picked = st.session_state.get(session.DATA_CURRENT)
    if isinstance(picked, tuple) and len(picked) == 2:
        return str(picked[0]), int(picked[1])
    assets = session.backend().list_data_assets(workspace)
    return (assets[-1].name, assets[-1].version) if assets else None


def mark_eda_explored() -> None:
    """Called by the EDA page once its charts are drawn: the current dataset version is explored."""
    workspace = session.current_workspace()
    dataset = current_dataset(workspace) if workspace else None
    if workspace and dataset:
        _progress().mark("eda", workspace.key, dataset_item(*dataset))


def mark_trials_reviewed() -> None:
    """Called by the Trials page once it is drawn: a finished sweep of this app that is open
    there counts as reviewed."""
    opened = st.session_state.get(TRIALS_OPEN) or {}
    workspace = session.current_workspace()
    if workspace is None or opened.get("kind") != "app" or not opened.get("sweep"):
        return
    progress = _progress()
    if progress.done("trials", workspace.key, str(opened["sweep"])):
        return
    job = next((j for j in session.backend().list_sweeps(workspace) if j.id == opened["sweep"]), None)
    if job is not None and _finished(job):
        progress.mark("trials", workspace.key, job.id)


def _endpoint_status(sweep: tuple[str, str]) -> tuple[str, str]:
    workspace = session.current_workspace()
    if workspace is None or not sweep[0].startswith(":green"):
        return ":gray[blocked]", "needs a finished sweep (step 4)"
    live = [e.name for e in session.backend().list_endpoints(workspace) if e.health.healthy]
    if len(live) == 1:
        return ":green[done]", f"endpoint '{live[0]}' is live"
    if live:
        return ":green[done]", f"{len(live)} endpoints are live: " + ", ".join(f"'{n}'" for n in live)
    return ":blue[ready]", "register the best model and deploy it"


def _guarded(status: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    """A step's status, or why the backend cannot tell (a step that arrives later on it, Azure
    not answering): never an error instead of the overview."""
    try:
        return status()
    except UserFacingError as exc:
        return ":gray[unavailable]", exc.problem


def steps_overview() -> None:
    capabilities = session.backend().capabilities
    later = (":gray[later]", "arrives on this backend in a later release; works on local today")
    resources = _guarded(_resources_status)
    data = _guarded(_data_status)
    sweep = _guarded(lambda: _sweep_status(data)) if capabilities.sweeps else later
    statuses = {
        "resources": resources,
        "data": data,
        "eda": _guarded(lambda: _eda_status(data)),
        "sweep": sweep,
        "trials": _guarded(lambda: _trials_status(sweep)) if capabilities.sweeps else later,
        "endpoint": _guarded(lambda: _endpoint_status(sweep)) if capabilities.endpoints else later,
    }
    anything = bool(session.inventory())
    for stem, _, _ in nav.STEPS:
        with st.container(border=True):
            left, right = st.columns([3, 2], vertical_alignment="center")
            with left:
                nav.link(stem)
            left.caption(WHAT[stem])
            if stem in statuses:
                status, why = statuses[stem]
            else:  # teardown
                status, why = (
                    (":blue[ready]", "resources exist") if anything else (":gray[idle]", "nothing to delete")
                )
            right.markdown(f"**{status}** · {why}")
