"""The one-click class demo: every step of the walkthrough on the chosen backend, with defaults.

Each step is a small function that does the real work through the backend and returns what
a teacher would say about it. Every step is get-or-create, so a second run on an existing
workspace reuses what is there (the sweep included, when a finished demo sweep with the
same settings exists). Its dataset, experiment, model and endpoint have names of their own, so
on a workspace already in use it works beside the user's objects and never changes them. The page
runs the steps one by one and shows each result as it comes.

On Azure two of its names must be unique beyond the subscription: a storage account's across
Azure, an online endpoint's in its region. When the tutorial's name is taken by someone else the
demo takes a free one (and finds it again on the next run: the resource group's storage account,
the workspace's endpoint named after the demo). On Azure the demo creates billable resources and
takes tens of minutes (a deployment alone takes 5-15); the page says so before it starts.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import defaults
from core.backend import Backend, WorkspaceRef
from core.compute import ComputeSpec
from core.resources import Outcome
from core.wording import counted

# The demo's own names, so that on a workspace already in use it never adds a version to the
# user's dataset or model, nor replaces the user's deployment (every one is a valid Azure name).
DEMO_DATASET = "demo-heart-sample"
DEMO_EXPERIMENT = "demo-heart-sweeps"
DEMO_MODEL = "demo-heart-random-forest"
DEMO_ENDPOINT = "demo-heart-endpoint"
DEMO_DEPLOYMENT = "demo-heart-deployment"
DEMO_TRIALS = 12
DEMO_TRIALS_ENV = "AZML_DEMO_TRIALS"  # a shorter (or longer) demo sweep, e.g. for a class on Azure
Progress = Callable[[float, str], None]  # share done (0-1), what is happening


@dataclass
class DemoContext:
    backend: Backend
    workspace: WorkspaceRef = field(
        default_factory=lambda: WorkspaceRef(defaults.RESOURCE_GROUP, defaults.WORKSPACE)
    )
    dataset_version: int | None = None
    sweep_id: str | None = None
    results: dict[str, Any] = field(default_factory=dict)  # what later steps need from earlier ones
    trials: int = field(default_factory=lambda: demo_trials())
    storage_account: str = defaults.STORAGE_ACCOUNT
    endpoint: str = DEMO_ENDPOINT


def demo_trials() -> int:
    """The demo sweep's trial count: ``AZML_DEMO_TRIALS`` when it is a whole number from 2 to
    200, else 12."""
    import os

    text = os.environ.get(DEMO_TRIALS_ENV, "").strip()
    return int(text) if text.isdigit() and 2 <= int(text) <= 200 else DEMO_TRIALS


@dataclass(frozen=True)
class StepResult:
    headline: str  # one sentence
    details: list[str]  # what was created or reused, one line each
    table: list[dict[str, Any]] | None = None  # an optional small table to show


@dataclass(frozen=True)
class DemoStep:
    key: str
    title: str  # may name the context's "{trials}"
    run: Callable[[DemoContext, Progress], StepResult]


def _line(outcome: Outcome) -> str:
    return ("created: " if outcome.created else "exists: ") + outcome.message


def resources(ctx: DemoContext, progress: Progress) -> StepResult:
    from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec

    b = ctx.backend
    steps: list[Callable[[], Outcome]] = [
        lambda: b.create_resource_group(defaults.RESOURCE_GROUP, defaults.LOCATION),
        lambda: _storage_account(ctx),
        lambda: b.create_blob_container(ctx.storage_account, defaults.BLOB_CONTAINER),
        lambda: b.create_workspace(defaults.RESOURCE_GROUP, defaults.WORKSPACE, ctx.storage_account),
        lambda: b.create_environment(
            ctx.workspace, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
        ),
        lambda: b.create_compute(ctx.workspace, ComputeSpec(defaults.COMPUTE_CLUSTER, max_instances=2)),
    ]
    lines = []
    for i, step in enumerate(steps):
        progress(i / len(steps), "Creating the Azure resources, one by one…")
        lines.append(_line(step()))
    created = sum(1 for line in lines if line.startswith("created"))
    return StepResult(f"{counted(created, 'resource')} created, {len(lines) - created} reused.", lines)


def _storage_account(ctx: DemoContext) -> Outcome:
    """Get or create the demo's storage account: the one its resource group has already, else the
    tutorial's name, else (taken by someone else: names are unique across Azure) a free one."""
    import secrets

    from core.errors import ConflictError
    from core.resources import Kind

    b = ctx.backend
    mine = sorted(
        r.name
        for r in b.inventory()
        if r.kind is Kind.STORAGE_ACCOUNT and r.parent == defaults.RESOURCE_GROUP
    )
    ctx.storage_account = (
        defaults.STORAGE_ACCOUNT if defaults.STORAGE_ACCOUNT in mine or not mine else mine[0]
    )
    try:
        return b.create_storage_account(defaults.RESOURCE_GROUP, ctx.storage_account)
    except ConflictError:
        if mine:
            raise
        ctx.storage_account = defaults.STORAGE_ACCOUNT[:18] + secrets.token_hex(3)  # 24 characters at most
        return b.create_storage_account(defaults.RESOURCE_GROUP, ctx.storage_account)


def data(ctx: DemoContext, progress: Progress) -> StepResult:
    from core.data.samples import heart_sample
    from core.data.schema import Task, build_schema
    from core.data.split import class_balance, split_frame
    from core.data.store import store_dataset

    progress(0.2, "Loading the heart sample and splitting off the held-out rows…")
    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=defaults.TEST_FRACTION, seed=defaults.SEED)
    progress(0.6, "Uploading the train split and registering the data asset…")
    stored = store_dataset(
        ctx.backend,
        ctx.workspace,
        ctx.storage_account,
        defaults.BLOB_CONTAINER,
        DEMO_DATASET,
        split,
        schema,
        "Heart attack (synthetic sample)",
    )
    ctx.dataset_version = stored.asset.version
    balance = class_balance(split, "output").reset_index()
    return StepResult(
        f"{len(split.train)} train rows uploaded as '{stored.blob_name}'; {len(split.test)} rows held out.",
        [stored.message, "Column typing: " + ", ".join(f"{k} {v.value}" for k, v in schema.features.items())],
        balance.to_dict("records"),
    )


def eda(ctx: DemoContext, progress: Progress) -> StepResult:
    from core.data import eda as eda_core
    from core.data.store import load_dataset

    progress(0.5, "Summarising the train split…")
    loaded = load_dataset(ctx.backend, ctx.workspace, DEMO_DATASET, ctx.dataset_version)
    target = loaded.schema.target
    scores = eda_core.associations(loaded.train, target, list(loaded.schema.features), True)
    counts = eda_core.target_counts(loaded.train[target])
    share = ", ".join(f"class {k}: {100 * v / counts.sum():.0f}%" for k, v in counts.items())
    return StepResult(
        f"{len(loaded.train)} rows × {loaded.train.shape[1]} columns, no missing values; {share}.",
        ["Strongest features: " + ", ".join(f"{k} ({v:.2f})" for k, v in scores.head(4).items())],
    )


def demo_spec(trials: int = DEMO_TRIALS) -> Any:
    from core.data.schema import Task
    from core.sweep.space import param_from_dict
    from core.sweep.spec import Limits, SweepSpec
    from core.train.families import get_family

    family = get_family(Task.CLASSIFICATION, "random_forest")
    space = {name: param_from_dict(dict(dim), name) for name, dim in family.default_space().items()}
    return SweepSpec(
        model_family="random_forest",
        task="classification",
        space=space,
        sampling="random",
        seed=defaults.SEED,
        limits=Limits(max_total_trials=trials, max_concurrent_trials=2),
        primary_metric="accuracy",
        cv_folds=5,
    )


def sweep(ctx: DemoContext, progress: Progress) -> StepResult:
    spec = demo_spec(ctx.trials)
    b = ctx.backend
    reuse = [
        job
        for job in b.list_sweeps(ctx.workspace)
        if job.experiment == DEMO_EXPERIMENT
        and (job.dataset, job.dataset_version) == (DEMO_DATASET, ctx.dataset_version)
        and job.spec == spec.to_dict()
        and job.state == "completed"
        and job.model_uri
    ]
    if reuse:
        job = b.sweep_status(ctx.workspace, reuse[-1].id).job  # a list may leave the results out (Azure)
        ctx.sweep_id = job.id
        ctx.results["cv_accuracy"] = job.best_value
        return StepResult(
            f"Reused the finished demo sweep {job.id}: best accuracy {job.best_value or float('nan'):.4f}.",
            [
                job.message,
                "Best configuration: " + ", ".join(f"{k}={v}" for k, v in (job.best_params or {}).items()),
            ],
        )
    job = b.launch_sweep(
        ctx.workspace,
        defaults.COMPUTE_CLUSTER,
        DEMO_DATASET,
        ctx.dataset_version or 1,
        spec,
        DEMO_EXPERIMENT,
    )
    ctx.sweep_id = job.id
    while True:
        status = b.sweep_status(ctx.workspace, job.id)
        done = sum(1 for t in status.trials if t["status"] not in ("running", "queued"))
        best = status.job.best_value
        progress(
            done / ctx.trials,
            f"{done} of {ctx.trials} trials finished"
            + (f" · best accuracy so far {best:.4f}" if best is not None else "")
            + (f" · about {status.eta_s:.0f} s left" if status.eta_s else ""),
        )
        if status.state not in ("starting", "running"):
            break
        time.sleep(5.0 if b.capabilities.long_running_operations else 0.5)  # on Azure: 5 REST calls a poll
    if status.state != "completed" or not status.job.model_uri:
        raise RuntimeError(f"The demo sweep ended {status.state}: {status.job.message}")
    ctx.results["cv_accuracy"] = status.job.best_value
    return StepResult(
        f"{ctx.trials} trials in {status.elapsed_s:.0f} s; best accuracy {status.job.best_value:.4f}.",
        [
            status.job.message,
            "Best configuration: " + ", ".join(f"{k}={v}" for k, v in (status.job.best_params or {}).items()),
        ],
    )


def cancel_running_sweep(ctx: DemoContext) -> None:
    """When the demo is stopped mid-sweep, stop the sweep too (finished trials are kept)."""
    if ctx.sweep_id is None:
        return
    from core.errors import UserFacingError

    with contextlib.suppress(UserFacingError):  # it had finished already
        ctx.backend.cancel_sweep(ctx.workspace, ctx.sweep_id)


def register(ctx: DemoContext, progress: Progress) -> StepResult:
    from core.mlflow_layout import VERSION_SWEEP

    assert ctx.sweep_id is not None
    b = ctx.backend
    job = next(j for j in b.list_sweeps(ctx.workspace) if j.id == ctx.sweep_id)
    name = DEMO_MODEL
    progress(0.3, "Registering the refit best model…")
    existing = (
        [v for v in b.model_versions(ctx.workspace, name) if v.tags.get(VERSION_SWEEP) == job.id]
        if name in (b.registered_models(ctx.workspace))
        else []
    )
    version = existing[-1] if existing else b.register_model(ctx.workspace, job.id, name=name)
    ctx.results["model"] = (version.name, version.version)
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in list(version.metrics.items())[:4])
    verb = "Reused" if existing else "Registered"
    aliases = ", ".join(version.aliases) or "–"
    return StepResult(
        f"{verb} model '{version.name}' version {version.version} (aliases: {aliases}).",
        [f"Cross-validated: {metrics}", f"From sweep {job.id}"],
    )


def deploy(ctx: DemoContext, progress: Progress) -> StepResult:
    b = ctx.backend
    name, version = ctx.results["model"]
    progress(0.1, "Creating the online endpoint…")
    endpoint = _endpoint(ctx)
    progress(0.3, "Deploying the model (on Azure this takes 5–15 minutes)…")
    operation = b.begin_deploy(ctx.workspace, ctx.endpoint, DEMO_DEPLOYMENT, name, version)
    while not operation.done:
        time.sleep(5.0 if b.capabilities.long_running_operations else 0.2)
        operation = b.poll_operation(operation)
        elapsed = operation.elapsed_s(time.time())
        progress(
            min(0.95, 0.3 + elapsed / 900), f"Deploying: {operation.status or 'started'} · {elapsed:.0f} s"
        )
    if operation.state == "failed":
        from core.errors import UserFacingError

        raise UserFacingError(f"The demo's deployment failed: {operation.error}")
    deployment: Outcome = operation.result
    info = b.get_endpoint(ctx.workspace, ctx.endpoint)
    return StepResult(
        f"Endpoint '{info.name}' is {info.health.state} at {info.scoring_uri}.",
        [_line(endpoint), _line(deployment), "Auth mode: key (shown masked on the Endpoint page)."],
    )


def _endpoint(ctx: DemoContext) -> Outcome:
    """Get or create the demo's endpoint: the workspace's endpoint named after the demo, else the
    demo's name, else (taken in the region by someone else) the free name Azure's answer suggests."""
    from core.errors import NameTakenError

    b = ctx.backend
    mine = sorted(e.name for e in b.list_endpoints(ctx.workspace) if e.name.startswith(DEMO_ENDPOINT))
    ctx.endpoint = DEMO_ENDPOINT if DEMO_ENDPOINT in mine or not mine else mine[0]
    try:
        return b.create_endpoint(ctx.workspace, ctx.endpoint, "The one-click demo's endpoint.")
    except NameTakenError as exc:
        if mine or not exc.suggestion:
            raise
        ctx.endpoint = exc.suggestion
        return b.create_endpoint(ctx.workspace, ctx.endpoint, "The one-click demo's endpoint.")


def score(ctx: DemoContext, progress: Progress) -> StepResult:
    from core.data.store import load_dataset
    from core.endpoint.client import EndpointClient, score_test_split
    from core.endpoint.intervals import live_vs_cv, where_cv_falls

    b = ctx.backend
    progress(0.3, "Sending the held-out rows to the endpoint in one request…")
    loaded = load_dataset(b, ctx.workspace, DEMO_DATASET, ctx.dataset_version)
    info = b.get_endpoint(ctx.workspace, ctx.endpoint)
    key = b.endpoint_keys(ctx.workspace, ctx.endpoint).primary.reveal()
    client = EndpointClient(info.scoring_uri, key, deployment=DEMO_DEPLOYMENT)
    started = time.perf_counter()
    live = score_test_split(client, loaded.test, loaded.schema)
    elapsed_ms = 1000 * (time.perf_counter() - started)
    evaluation = live.evaluation
    accuracy = getattr(evaluation, "accuracy", None)
    headline = f"{len(loaded.test)} held-out rows scored live in {elapsed_ms:.0f} ms"
    interval = evaluation.intervals.get("accuracy")  # a small test set: how sure the figure is
    if accuracy is not None:
        headline += f"; accuracy {accuracy:.3f}"
        headline += f" (95 % interval {interval.text()}, Wilson)." if interval is not None else "."
    else:
        headline += "."
    details = []
    cv = ctx.results.get("cv_accuracy")
    if accuracy is not None and cv is not None:
        where = f", {where_cv_falls(interval, cv)}" if interval is not None else ""
        details.append(f"Cross-validated accuracy of the sweep's best trial: {cv:.3f}{where}.")
    if interval is not None:
        details.append(live_vs_cv(len(loaded.test)))
    report = getattr(evaluation, "report", None)
    return StepResult(headline, [*details, "Classification report of the endpoint's answers:"], report)


STEPS: list[DemoStep] = [
    DemoStep("resources", "1 · Create the resources", resources),
    DemoStep("data", "2 · Load, split and store the heart sample", data),
    DemoStep("eda", "3 · Explore the train split", eda),
    DemoStep("sweep", "4 · Run a {trials}-trial sweep", sweep),
    DemoStep("register", "5 · Register the best model", register),
    DemoStep("deploy", "6 · Deploy it to an online endpoint", deploy),
    DemoStep("score", "7 · Score the held-out rows live", score),
]
