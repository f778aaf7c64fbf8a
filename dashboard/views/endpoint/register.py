"""Sections 1 and 2: register a finished sweep's trial (or the trial carried from 5 · Trials) as a
model version; compare the registered versions, move @champion, tag a version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.backend import SweepInfo, WorkspaceRef
from core.codegen.register import AzureRegistration, azure_register_code
from core.data.schema import Task
from core.mlflow_layout import VERSION_TRIAL_RUN
from core.registry import CHAMPION, RegisteredVersion, comparison_rows, default_model_name
from core.settings import load_settings
from core.trials import ChosenTrial
from dashboard import figures, nav, session
from dashboard.views.endpoint.state import (
    CARRIED_SEEN,
    COMPARE_PIN,
    DEPLOY_MODEL_PIN,
    DEPLOY_VERSION_PIN,
    FROM_TRIALS,
    SWEEP_PIN,
    VERSION_PIN,
)
from dashboard.widgets import (
    clear_selection,
    follow_newest_select,
    pin_selection,
    run_action,
    set_result,
    show_code,
    show_result,
)

SHOWN_METRICS = {
    Task.CLASSIFICATION: ("accuracy", "f1", "roc_auc", "precision", "recall"),
    Task.REGRESSION: ("r2", "rmse", "mae"),
}


def _finished(job: SweepInfo) -> bool:
    return bool(job.model_uri) and job.state not in ("starting", "running")


def _carried(ids: list[str]) -> ChosenTrial | None:
    """The trial chosen on 5 · Trials, if its sweep is one of ``ids``.

    A newly carried trial pins its sweep and trial once; after that the user's picks win. A sweep
    that finishes after the trial was carried (5 · Trials records which had a model then, even if
    this page was not open) is followed, as the other pages follow new sweeps, unless the user has
    picked a sweep here since."""
    carried = st.session_state.get(FROM_TRIALS)
    if not isinstance(carried, ChosenTrial) or carried.sweep_id not in ids:
        return None
    signature = (
        carried.sweep_id,
        carried.trial_number,
        carried.run_id,
        carried.carried_at,  # carrying the same trial again pins it again
    )
    seen = st.session_state.get(CARRIED_SEEN)
    if not isinstance(seen, tuple) or len(seen) != 3 or seen[0] != signature:
        then = carried.sweeps_with_model
        seen = (signature, then if then is not None else tuple(ids), True)
        pin_selection(SWEEP_PIN, carried.sweep_id)
        pin_selection(f"endpoint:trial_pin:{carried.sweep_id}", carried.trial_number)
    # the carry owns the sweep pin until the user moves it (a pick of any sweep is the user's)
    owns_pin = seen[2] and st.session_state.get(SWEEP_PIN) == carried.sweep_id
    if owns_pin and set(ids) - set(seen[1]) - {carried.sweep_id}:
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
            "No sweep in this workspace has finished with a model yet. Run one first; "
            + (
                "every trial logs its model, so the best one (or any) can then be registered here."
                if backend.capabilities.ships_code
                else "its best configuration is refit on the whole train split and can then be "
                "registered here."
            ),
            icon=":material/tune:",
        )
        nav.link("sweep", label="Run a sweep on 4 · Sweep")
        return False
    ids = [j.id for j in jobs]
    carried = _carried(ids)
    # the whole row: a sweep's label (id, family, dataset, best value) was cut off in half of it
    picked = follow_newest_select(
        "Finished sweep",
        ids,
        key="endpoint:sweep",
        pin_key=SWEEP_PIN,
        newest=ids[0],
        format_func=lambda i: _sweep_label(next(j for j in jobs if j.id == i)),
    )
    if carried is not None and carried.sweep_id == picked:  # the banner belongs to its sweep
        st.info(
            f"Trial #{carried.trial_number} of {carried.sweep_id} was chosen on 5 · Trials.",
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
    logged = backend.capabilities.ships_code  # every trial logged its model (no refit afterwards)
    left, right = st.columns(2)
    with left:
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
                + ((" · best" if logged else " · best (refit already)") if n == best else "")
            ),
            help=(
                "Every trial logged its model: the registry points at the chosen trial's (nothing is refit)."
                if logged
                else "The best trial's model was refit when the sweep ended; "
                "another trial is refit now (a few seconds)."
            ),
        )
    chosen = None if trial in (None, best) else trial
    name = right.text_input(
        "Model name",
        value=default_model_name(spec["model_family"], chosen),
        key=f"endpoint:model_name:{job.id}:{chosen}",
        help="best_<family> for the sweep's best trial, <family>_trial<N> for another one.",
    )
    description = st.text_input(
        "Description (optional)", key="endpoint:description", placeholder="written for you when left empty"
    )
    st.caption(
        "Each registration is a new version of the model, tagged with the sweep, the trial and its "
        f"cross-validated metrics. The alias **@{CHAMPION}** moves to it only if it is better than the "
        "current champion by the sweep's primary metric; you can move it yourself below."
    )
    if st.button("Register model", type="primary", key="endpoint:register", icon=":material/bookmark_add:"):
        with st.spinner(
            "Registering…" if logged else "Registering (a trial other than the best is refit first)…"
        ):
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
    data = f" on {job.dataset} v{job.dataset_version}" if job.dataset else ""
    return f"{job.id} · {job.spec['model_family']}{data} · best {job.spec['primary_metric']} {best}"


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
        newest=newest_registered(workspace, models),
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


def newest_registered(workspace: WorkspaceRef, models: list[str]) -> str:
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
    _register_code(workspace, version)


def _register_code(workspace: WorkspaceRef, version: RegisteredVersion) -> None:
    """Show code: this version registered from its trial job's logged model with azure-ai-ml."""
    trial_run = version.tags.get(VERSION_TRIAL_RUN)
    if not trial_run:
        return
    tags = {k: v for k, v in version.tags.items() if k != CHAMPION}
    show_code(
        azure_register_code(
            AzureRegistration(
                name=version.name,
                version=version.version,
                job=trial_run,
                description=version.description,
                tags=tags,
            ),
            load_settings().subscription_id,
            workspace.resource_group,
            workspace.name,
            session.snippet_cloud(),
        ),
        label=f"Show code: register v{version.version} on Azure ML (azure-ai-ml)",
    )
