"""The Sweep step: configure a search, launch it on the cluster, watch it live, cancel it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.backend import SweepInfo, WorkspaceRef
from core.codegen import sweep_code_snippet
from core.codegen.sweep import sweep_environment
from core.data.schema import Task
from core.resources import Kind, Resource
from core.settings import load_settings
from core.sweep.editing import COLUMNS, MODES, needs_tidy, rows_to_space, space_to_rows, tidy_rows
from core.sweep.rules import bound_warnings, validate_spec, warnings_for
from core.sweep.space import SpecProblem
from core.sweep.spec import (
    BanditPolicy,
    Limits,
    MedianStoppingPolicy,
    Policy,
    Sampling,
    SweepSpec,
    TruncationSelectionPolicy,
)
from core.train.families import Family, families_for
from core.train.metrics import METRICS, Goal, metric_goal, metrics_for
from core.wording import counted
from dashboard import nav, session
from dashboard.views.inventory import CURRENT_NODES
from dashboard.views.sweep_watch import sweeps_section
from dashboard.widgets import (
    billing_acknowledged,
    follow_newest_select,
    pin_selection,
    run_action,
    show_code,
    show_result,
)

POLICIES = {
    "none": "No early termination",
    "bandit": "Bandit (slack from the best trial)",
    "median_stopping": "Median stopping",
    "truncation_selection": "Truncation selection (cut the worst %)",
}


# -- prerequisites ---------------------------------------------------------------------------
def prerequisites() -> tuple[WorkspaceRef, list[Any], list[Resource]] | None:
    """The workspace, its datasets and its clusters; says what is missing and links to it."""
    workspace = session.current_workspace()
    if workspace is None:
        st.warning(
            "A sweep needs a workspace, a compute cluster and a stored dataset.", icon=":material/block:"
        )
        nav.link("resources", label="Create them on 1 · Resources")
        return None
    backend = session.backend()
    clusters = [r for r in session.inventory() if r.kind == Kind.COMPUTE and r.parent == workspace.name]
    assets = backend.list_data_assets(workspace)
    missing = []
    if not clusters:
        missing.append(("a compute cluster", "resources"))
    if not assets:
        missing.append(("a stored dataset", "data"))
    for what, stem in missing:
        st.warning(f"Launching a sweep in '{workspace}' needs {what}.", icon=":material/block:")
        nav.link(stem, label=f"Go to {nav.title(stem)}")
    return workspace, assets, clusters


# -- configure ----------------------------------------------------------------------------------
def _space_editor(family: Family) -> tuple[dict[str, Any], list[SpecProblem]]:
    st.markdown("**Search space** · each row is fixed or searched; add a row to tune another hyperparameter")
    key = f"sweep_space:{family.task.value}:{family.key}"
    rows = st.session_state.get(key + ":rows") or space_to_rows(family.default_space())
    version = int(st.session_state.get(key + ":version", 0))
    edited = st.data_editor(
        pd.DataFrame(rows, columns=list(COLUMNS)),
        key=key if not version else f"{key}:{version}",
        hide_index=True,
        num_rows="dynamic",
        width="stretch",
        column_config={
            "hyperparameter": st.column_config.SelectboxColumn(
                options=sorted(family.params), required=True, help="The estimator's hyperparameter."
            ),
            "mode": st.column_config.SelectboxColumn(
                options=list(MODES), required=True, help="fixed, or an azure.ai.ml.sweep distribution."
            ),
            "values": st.column_config.TextColumn(
                help="fixed: one value. choice: a comma-separated list; None is a real choice."
            ),
            "low": st.column_config.NumberColumn(
                help="Range start (normal: mu). Log ranges: the value, > 0."
            ),
            "high": st.column_config.NumberColumn(
                help="Range end (normal: sigma; randint: upper, exclusive)."
            ),
            "q": st.column_config.NumberColumn(help="Step of quniform / qloguniform."),
        },
    )
    records = edited.to_dict("records")
    st.caption(
        "Log ranges are typed as values (0.001 to 1000); the exponents Azure's LogUniform wants are worked "
        "out for you. Normal uses low = μ and high = σ; randint draws 0 … high − 1."
    )
    st.caption(_params_help(family, {str(r.get("hyperparameter")) for r in records}))
    if needs_tidy(records):  # a row changed mode: clear what the new mode does not read
        st.session_state[key + ":rows"] = tidy_rows(records)
        st.session_state[key + ":version"] = version + 1  # a fresh editor shows the tidied rows
        st.rerun()
    space, problems = rows_to_space(records)
    return space, problems


def _params_help(family: Family, in_table: set[str]) -> str:
    """What each hyperparameter in the table means, then the ones a row could add."""
    shown = [f"`{name}`: {spec.help}" for name, spec in family.params.items() if name in in_table]
    others = [
        f"`{name}` ({spec.help.rstrip('.').lower()})"
        for name, spec in family.params.items()
        if name not in in_table
    ]
    text = " · ".join(shown)
    if others:
        text += (" · " if text else "") + "Also tunable, as a new row: " + ", ".join(others) + "."
    return text


def _policy(choice: str) -> Policy | None:
    if choice == "none":
        return None
    a, b, c = st.columns(3)
    interval = int(
        a.number_input(
            "Evaluation interval",
            1,
            100,
            1,
            key="sweep_policy_interval",
            help="Apply the policy every this many logged values (folds).",
        )
    )
    delay = int(
        b.number_input(
            "Delay evaluation",
            0,
            100,
            1,
            key="sweep_policy_delay",
            help="Do not apply it before this many values have been logged.",
        )
    )
    if choice == "bandit":
        kind = c.radio("Slack as", ["factor", "amount"], horizontal=True, key="sweep_slack_kind")
        slack = float(c.number_input("Slack", 0.0, 10.0, 0.1, 0.01, key="sweep_slack"))
        if kind == "factor":
            return BanditPolicy(slack_factor=slack, evaluation_interval=interval, delay_evaluation=delay)
        return BanditPolicy(slack_amount=slack, evaluation_interval=interval, delay_evaluation=delay)
    if choice == "median_stopping":
        return MedianStoppingPolicy(evaluation_interval=interval, delay_evaluation=delay)
    pct = int(c.number_input("Truncation percentage", 1, 99, 20, key="sweep_truncation"))
    return TruncationSelectionPolicy(
        truncation_percentage=pct, evaluation_interval=interval, delay_evaluation=delay
    )


def pick_dataset(column: Any, assets: list[Any]) -> Any:
    """The dataset the sweep trains on: the one stored or picked last (``DATA_CURRENT``, which a
    pick here sets for the next steps too), else the newest."""
    versions = [(x.name, x.version) for x in assets]
    with column:
        chosen = follow_newest_select(
            "Dataset (train split)",
            versions,
            key="sweep_dataset",
            pin_key=session.DATA_CURRENT,
            newest=versions[-1],
            format_func=lambda nv: f"{nv[0]} v{nv[1]}",
        )
    return assets[versions.index(chosen)]


def configure_section(workspace: WorkspaceRef, assets: list[Any], clusters: list[Resource]) -> None:
    st.subheader("Configure the sweep", anchor=False)
    a, b, c = st.columns(3)
    asset = pick_dataset(a, assets)
    names = [r.name for r in clusters]
    with b:
        picked = follow_newest_select(
            "Compute cluster", names, key="sweep_cluster", pin_key=session.CLUSTER_PICK, newest=names[-1]
        )
    cluster = clusters[names.index(picked)]
    workers = cluster_workers(cluster)
    b.caption(cluster_caption(cluster, workers))
    experiment = c.text_input(  # one field per dataset: a name typed for another never carries over
        "Experiment", value=f"{asset.name}-sweeps", key=f"sweep_experiment:{asset.name}"
    )

    task = Task(str(asset.properties.get("task", "classification")))
    families = families_for(task)
    family = families[
        [f.key for f in families].index(
            st.radio(
                "Model family",
                [f.key for f in families],
                key=f"sweep_family:{task.value}",
                format_func=lambda k: next(f.label for f in families if f.key == k),
                horizontal=True,
            )
        )
    ]
    st.caption(f"**{family.label}** (`{family.estimator}`): {family.description}")
    space, problems = _space_editor(family)

    left, right = st.columns(2)
    with left:
        samplings: list[Sampling] = ["random", "grid", "bayesian"]
        sampling = st.radio(
            "Sampling",
            samplings,
            horizontal=True,
            key="sweep_sampling",
            help="Bayesian is Optuna's TPE, a model of which settings did well.",
        )
        metrics = list(metrics_for(task))
        metric = st.selectbox(
            "Primary metric",
            metrics,
            key=f"sweep_metric:{task.value}",
            format_func=lambda m: f"{m} · {METRICS[m].description}",
        )
        goals: list[Goal] = ["maximize", "minimize"]
        goal = st.radio(
            "Goal",
            goals,
            horizontal=True,
            key=f"sweep_goal:{metric}",
            index=0 if metric_goal(metric) == "maximize" else 1,
        )
        folds = int(
            st.number_input(
                "Cross-validation folds", 2, 20, 5, key="sweep_folds", help="Stratified for classification."
            )
        )
        seed = int(st.number_input("Seed", 0, 2**31 - 1, 42, key="sweep_seed"))
    with right:
        total = int(st.number_input("Max total trials", 1, 1000, 20, key="sweep_total"))
        concurrent = int(
            st.number_input(
                "Max concurrent trials",
                1,
                1000,
                min(workers, total),
                key="sweep_concurrent",
                help=f"At most the cluster's {counted(workers, 'worker')}.",
            )
        )
        timeout_min = int(  # whole minutes and seconds: a float input shows "0.00"
            st.number_input("Sweep timeout (minutes, 0 = none)", 0, 10_000, 0, step=1, key="sweep_timeout")
        )
        trial_timeout = int(
            st.number_input(
                "Per-trial timeout (seconds, 0 = none)", 0, 100_000, 0, step=10, key="sweep_trial_timeout"
            )
        )
        policy_choice = st.selectbox(
            "Early termination", list(POLICIES), format_func=POLICIES.__getitem__, key="sweep_policy"
        )
    policy = _policy(policy_choice)

    unknown = [n for n in space if n not in family.params]
    problems += [SpecProblem(f"space.{n}", f"{family.label} has no hyperparameter '{n}'.") for n in unknown]
    spec = SweepSpec(
        model_family=family.key,
        task=task.value,
        space=space,
        sampling=sampling,
        seed=seed,
        policy=policy,
        limits=Limits(
            max_total_trials=total,
            max_concurrent_trials=concurrent,
            timeout_s=timeout_min * 60 or None,
            trial_timeout_s=trial_timeout or None,
        ),
        primary_metric=metric,
        goal=goal,
        cv_folds=folds,
    )
    problems += validate_spec(spec, max_instances=workers)
    for problem in problems:
        st.error(f"`{problem.path}` · {problem.message}", icon=":material/error:")
    for warning in warnings_for(spec) + bound_warnings(space, family.params):
        st.warning(f"`{warning.path}` · {warning.message}", icon=":material/warning:")
    backend = session.backend()
    if backend.capabilities.ships_code:
        st.caption(
            f"The trials run on the cluster's nodes from a code snapshot uploaded with the job: "
            f"{snapshot_text()}. Each trial logs its model, so the best one is ready when the sweep ends."
        )
    if billing_acknowledged(backend):
        launch = st.button(
            "Launch sweep",
            type="primary",
            disabled=bool(problems),
            key="sweep_launch_button",
            help="Fix the problems listed above first." if problems else None,
        )
        if launch:
            job = run_action(
                "sweep_launch",
                lambda: backend.launch_sweep(
                    workspace, cluster.name, asset.name, asset.version, spec, experiment
                ),
            )
            if job is not None:
                pin_selection(session.SWEEP_PICK, job.id)  # the sweep just launched is the one watched
                st.session_state[session.RESULT_PREFIX + "sweep_launch"] = (
                    "success",
                    launched_text(job, cluster.name),
                    (),
                )
    show_result("sweep_launch")
    if not problems:
        settings = load_settings()
        show_code(
            sweep_code_snippet(
                spec,
                subscription_id=settings.subscription_id,
                resource_group=workspace.resource_group,
                workspace=workspace.name,
                environment=sweep_environment(session.inventory(), workspace.name),
                compute=cluster.name,
                data=f"azureml:{asset.name}:{asset.version}",
                schema="./schema.json",
                experiment_name=experiment,
            ),
            label="Show code: launch this sweep on an Azure compute cluster",
        )
        st.download_button(
            "Download schema.json (the column typing the trials use)",
            data=session.backend().data_asset_file(workspace, asset.name, asset.version, "schema.json"),
            file_name="schema.json",
            mime="application/json",
            key="sweep_schema_download",
        )


def cluster_workers(cluster: Resource) -> int:
    """How many trials the cluster runs at once: its worker processes, or its nodes on Azure."""
    props = cluster.properties
    return int(props.get("local_workers") or props.get("max_instances") or 1)


def cluster_caption(cluster: Resource, workers: int) -> str:
    props = cluster.properties
    if "local_workers" in props:
        return f"{props.get('vm_size')} · up to {counted(workers, 'trial')} at once on this machine"
    up = props.get(CURRENT_NODES)
    now = "" if up is None else f" · {up} up now"
    return (
        f"{props.get('vm_size')} · {props.get('min_instances', 0)}–{workers} nodes{now} · one trial per "
        "node; nodes are billed while they run"
    )


@st.cache_data(ttl=600, show_spinner=False)
def snapshot_text() -> str:
    """What the code snapshot holds and weighs (built in a temporary folder, then dropped)."""
    import tempfile
    from pathlib import Path

    from core.azure.snapshot import build_code_snapshot, snapshot_summary

    with tempfile.TemporaryDirectory(prefix="azml-snapshot-") as folder:
        return snapshot_summary(build_code_snapshot(Path(folder) / "code"))


def launched_text(job: SweepInfo, cluster: str) -> str:
    said = f"Launched {job.id} on '{cluster}'. {job.message} Watch it below."
    if job.portal_url:
        said += f" [Open it in Azure ML studio]({job.portal_url})"
    return said


def render() -> None:
    found = prerequisites()
    if found is None:
        return
    workspace, assets, clusters = found
    if assets and clusters:
        configure_section(workspace, assets, clusters)
    sweeps_section(workspace)
