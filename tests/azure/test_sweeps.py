"""Sweeps on the azure backend: Azure's job statuses and the trials' MLflow statuses as the pages
see them, the sweep job the backend builds, the checks made before anything is submitted, and
(against the fake's jobs and its sweep runner) a sweep launched, watched, canceled and failing."""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow.entities import Run, RunData, RunInfo, RunTag

from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.azure.sweeps import (
    AZURE_STATES,
    REST_CALLS_PER_POLL,
    TAG_SWEEP_SPEC,
    AzureSweepsMixin,
    foreign_spec,
    studio_job_url,
    sweep_state,
    trial_number,
    trial_status,
)
from core.backend import SweepProgress
from core.compute import ComputeSpec
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import ConflictError, NotFoundError, UserFacingError
from core.mlflow_layout import OOF_ARTIFACT, TAG_EARLY_TERMINATED
from core.resources import DataAsset
from core.sweep.spec import Limits, SweepSpec
from core.trials.store import client
from tests.azure.fake import FakeAzure
from tests.azure.ml_helpers import REF, WS, seed_workspace
from tests.core.engine.conftest import small_spec

CLUSTER = "cpu-cluster"
SCHEMA = {"target": "output", "task": "classification"}


# -- statuses -----------------------------------------------------------------------------------
def test_every_azure_job_status_has_a_state() -> None:
    """JobStatus of the REST spec (2024-04-01), each as the state a user should see."""
    expected = {
        "NotStarted": "starting",
        "Queued": "starting",
        "Preparing": "starting",
        "Provisioning": "starting",
        "Starting": "starting",
        "Running": "running",
        "Finalizing": "running",
        "CancelRequested": "running",
        "NotResponding": "running",
        "Paused": "running",
        "Completed": "completed",
        "Failed": "failed",
        "Canceled": "canceled",
    }
    assert {status: sweep_state(status) for status in expected} == expected
    assert set(AZURE_STATES) == set(expected)
    assert sweep_state(None) == "starting" and sweep_state("Unknown") == "starting"


def _run(run_id: str, status: str, **tags: str) -> Run:
    info = RunInfo(
        run_id=run_id,
        experiment_id="1",
        user_id="u",
        status=status,
        start_time=1_000,
        end_time=2_000,
        lifecycle_stage="active",
    )
    return Run(info, RunData(tags=[RunTag(k, v) for k, v in tags.items()]))


def test_trial_statuses_from_mlflow() -> None:
    assert trial_status(_run("s_0", "FINISHED"), sweep_canceled=False) == "completed"
    assert trial_status(_run("s_1", "FAILED"), sweep_canceled=False) == "failed"
    assert trial_status(_run("s_2", "RUNNING"), sweep_canceled=False) == "running"
    assert trial_status(_run("s_3", "SCHEDULED"), sweep_canceled=False) == "queued"
    # Azure cancels a trial its policy cuts while the sweep goes on
    assert trial_status(_run("s_4", "KILLED"), sweep_canceled=False) == "early_terminated"
    assert trial_status(_run("s_5", "KILLED"), sweep_canceled=True) == "canceled"
    tagged = _run("s_6", "KILLED", **{TAG_EARLY_TERMINATED: "true"})
    assert trial_status(tagged, sweep_canceled=True) == "early_terminated"


def test_trial_numbers_follow_azures_child_names() -> None:
    assert trial_number("sweep_rf_20261203_1_12", 99) == 12
    assert trial_number("happy-apple", 3) == 3


def test_the_studio_link_names_the_job_and_its_workspace() -> None:
    url = studio_job_url("https://ml.azure.com/", "sub", "rg", "ws", "job_1")
    assert url == (
        "https://ml.azure.com/runs/job_1?wsid=/subscriptions/sub/resourceGroups/rg"
        "/providers/Microsoft.MachineLearningServices/workspaces/ws"
    )


# -- the job ------------------------------------------------------------------------------------
DATA = "azureml://datastores/workspaceblobstore/paths/azureml/data/heart/3/train.csv"


def test_the_sweep_job_carries_the_spec_the_data_and_the_schema() -> None:
    spec = small_spec(limits=Limits(max_total_trials=4, max_concurrent_trials=2), cv_folds=2)
    job = AzureSweepsMixin._sweep_job(
        spec, "sweep_x", "sklearn-mlflow-env:2", CLUSTER, DATA, "exp", "heart", 3
    )
    tags = AzureSweepsMixin._launch_tags(spec, "heart", 3, SCHEMA, 123_456)
    job.tags = tags
    body = job._to_rest_object().as_dict()["properties"]  # the REST body, as Azure receives it
    assert job.name == "sweep_x" and body["experimentName"] == "exp" and body["jobType"] == "Sweep"
    assert body["computeId"] == CLUSTER
    assert body["inputs"]["train_data"] == {"uri": DATA, "jobInputType": "uri_file"}
    assert body["inputs"]["schema"]["uri"] == DATA.replace("train.csv", "schema.json")
    assert body["objective"] == {"goal": "maximize", "primaryMetric": spec.primary_metric}
    assert body["limits"]["maxTotalTrials"] == 4 and body["limits"]["maxConcurrentTrials"] == 2
    assert body["trial"]["environmentId"].endswith("sklearn-mlflow-env:2")
    assert "--cv_folds 2" in body["trial"]["command"]
    assert body["tags"]["azml.sweep"] == "true"
    assert json.loads(body["tags"][TAG_SWEEP_SPEC]) == spec.to_dict()
    assert (body["tags"]["dataset"], body["tags"]["dataset_version"]) == ("heart", "3")
    assert json.loads(body["tags"]["azml.schema"]) == SCHEMA
    assert body["tags"]["azml.snapshot_bytes"] == "123456"


def test_a_sweep_launched_elsewhere_reads_from_the_job_itself() -> None:
    spec = small_spec(limits=Limits(max_total_trials=5, max_concurrent_trials=1), cv_folds=3)
    job = AzureSweepsMixin._sweep_job(spec, "sweep_y", "env:1", CLUSTER, DATA, "exp", "heart", 3)
    read = foreign_spec(job)
    assert read["model_family"] == spec.model_family and read["cv_folds"] == 3
    assert read["primary_metric"] == spec.primary_metric and read["goal"] == "maximize"
    assert read["limits"]["max_total_trials"] == 5 and read["sampling"] == "random"


# -- checks before anything is submitted --------------------------------------------------------
HEART = DataAsset(
    name="heart",
    version=1,
    path="heart/v1/train.csv",
    description="heart",
    fingerprint="f" * 16,
    created_at="2026-12-03T10:00:00+00:00",
    properties={},
)


def _ready(backend: AzureBackend, fake: FakeAzure, environment: bool = True) -> None:
    seed_workspace(backend, fake)
    backend.create_compute(REF, ComputeSpec(CLUSTER, min_instances=0, max_instances=2))
    if environment:
        backend.create_environment(REF, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    files = {"train.csv": b"age,output\n63,1\n37,0\n", "schema.json": json.dumps(SCHEMA).encode()}
    backend.register_data_asset(REF, HEART, files)


def _submitted(fake: FakeAzure) -> list[object]:
    return [c for c in fake.calls("PUT") if "/jobs/" in c.path]


def test_a_missing_cluster_is_named_before_anything_is_submitted(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    _ready(azure_backend, fake_azure)
    with pytest.raises(NotFoundError, match="no compute cluster called 'nope' in workspace") as caught:
        azure_backend.launch_sweep(REF, "nope", "heart", 1, small_spec(), "exp")
    assert "Resources page" in caught.value.fix
    assert _submitted(fake_azure) == []


def test_a_missing_data_version_is_named(azure_backend: AzureBackend, fake_azure: FakeAzure) -> None:
    _ready(azure_backend, fake_azure)
    with pytest.raises(NotFoundError, match="no version 9"):
        azure_backend.launch_sweep(REF, CLUSTER, "heart", 9, small_spec(), "exp")
    assert _submitted(fake_azure) == []


def test_a_workspace_without_the_environment_says_which_to_register(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    _ready(azure_backend, fake_azure, environment=False)
    with pytest.raises(NotFoundError, match="no environment of yours") as caught:
        azure_backend.launch_sweep(REF, CLUSTER, "heart", 1, small_spec(), "exp")
    assert "sklearn-mlflow-env" in caught.value.fix
    assert _submitted(fake_azure) == []


def test_a_spec_the_cluster_cannot_run_is_refused(azure_backend: AzureBackend, fake_azure: FakeAzure) -> None:
    from core.sweep.rules import SpecError

    _ready(azure_backend, fake_azure)
    spec = small_spec(limits=Limits(max_total_trials=4, max_concurrent_trials=3))
    with pytest.raises(SpecError):
        azure_backend.launch_sweep(REF, CLUSTER, "heart", 1, spec, "exp")
    assert _submitted(fake_azure) == []


def test_the_capabilities_offer_sweeps_but_not_resume(azure_backend: AzureBackend) -> None:
    caps = azure_backend.capabilities
    assert caps.sweeps and not caps.resume_sweeps


def test_an_unknown_workspace_is_named_first(azure_backend: AzureBackend, fake_azure: FakeAzure) -> None:
    seed_workspace(azure_backend, fake_azure)
    with pytest.raises(NotFoundError, match="no workspace called 'ghost'"):
        azure_backend.list_sweeps("ghost")
    assert WS


# -- against the fake's jobs and its sweep runner (real trials, real MLflow) --------------------
BC = "data4ml"


def _heart(backend: AzureBackend, fake: FakeAzure) -> None:
    """The workspace with its cluster, environment and the heart sample's train split."""
    from core.data.samples import heart_sample
    from core.data.schema import Task, build_schema
    from core.data.split import split_frame
    from core.data.store import store_dataset
    from tests.azure.ml_helpers import SA

    seed_workspace(backend, fake)
    backend.create_compute(REF, ComputeSpec(CLUSTER, min_instances=0, max_instances=2))
    backend.create_environment(REF, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    backend.create_blob_container(SA, BC)
    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=0.2, seed=42, stratify=True)
    store_dataset(backend, REF, SA, BC, "heart", split, schema, "heart sample")


def _spec(total: int = 3, concurrent: int = 2) -> SweepSpec:
    return small_spec(limits=Limits(max_total_trials=total, max_concurrent_trials=concurrent), cv_folds=2)


def _watch(backend: AzureBackend, sweep_id: str, timeout: float = 240) -> tuple[SweepProgress, list[str]]:
    """Poll as the live view does until the sweep ends; the Azure statuses seen on the way."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        progress = backend.sweep_status(REF, sweep_id)
        if not seen or seen[-1] != progress.job.provider_state:
            seen.append(progress.job.provider_state)
        if progress.state not in ("starting", "running"):
            return progress, seen
        assert time.monotonic() < deadline, f"{sweep_id} still {progress.job.provider_state}"
        time.sleep(0.3)


@pytest.fixture
def ready(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: object
) -> Iterator[AzureBackend]:
    _heart(azure_backend, fake_azure)
    yield azure_backend
    from tests.azure.fake import sweeps as runner

    for sweep in list(runner._sweeps(fake_azure)):
        runner.cancel(fake_azure, sweep)
        runner.wait_idle(fake_azure, sweep)


def test_a_sweep_runs_on_the_cluster_and_is_found_again(
    ready: AzureBackend,
    fake_azure: FakeAzure,
    fake_factory: ClientFactory,
    workspace_mlflow: Any,
    tmp_path: Path,
) -> None:
    backend = ready
    launched = backend.launch_sweep(REF, CLUSTER, "heart", 1, _spec(), "heart-sweeps")
    assert launched.state == "starting" and launched.provider_state == "NotStarted"
    assert launched.id == launched.run_id and launched.cluster == CLUSTER
    assert f"/runs/{launched.id}" in launched.portal_url and launched.tracking_uri.startswith("azureml://")
    assert re.search(r"\d+ files of code \(\d+ KB\)", launched.message), launched.message
    put = [c for c in _submitted(fake_azure) if c.path.endswith(f"/jobs/{launched.id}")]
    tags = put[0].body["properties"]["tags"]
    assert json.loads(tags[TAG_SWEEP_SPEC]) == _spec().to_dict() and tags["azml.sweep"] == "true"

    progress, seen = _watch(backend, launched.id)
    assert progress.state == "completed", progress.job.message
    assert {"Queued", "Preparing", "Running", "Completed"} <= set(seen), seen
    assert progress.job.nodes is not None and progress.elapsed_s > 0 and progress.eta_s is None
    trials = progress.trials
    assert [t["number"] for t in trials] == [0, 1, 2]
    assert all(t["status"] == "completed" and isinstance(t["value"], float) for t in trials)
    assert all(t["folds"] == 2 and set(t["params"]) >= {"n_estimators", "max_depth"} for t in trials)
    job = progress.job
    assert job.counts == {"completed": 3}
    assert job.best_value == max(float(t["value"] or 0) for t in trials)
    raw = fake_azure.calls("GET", f"/jobs/{launched.id}$")
    assert raw, "the job was read from Azure"
    assert job.best_run_id and job.model_uri == f"runs:/{job.best_run_id}/model"
    assert backend.run_artifact(REF, job.best_run_id, OOF_ARTIFACT), "its out-of-fold predictions"
    best = client(backend.tracking_uri(REF)).get_run(job.best_run_id)
    assert best.outputs is not None and best.outputs.model_outputs, "each trial logs its model"

    # one poll: the workspace, the job and the cluster's nodes from Resource Manager; the parent
    # run and one page of trials from MLflow
    arm_before = len(fake_azure.calls())
    mlflow_before = workspace_mlflow.count("runs/get") + workspace_mlflow.count("runs/search")
    backend.sweep_status(REF, launched.id)
    arm = [c.path.rsplit("/", 1)[-1] for c in fake_azure.calls()[arm_before:]]
    mlflow = workspace_mlflow.count("runs/get") + workspace_mlflow.count("runs/search") - mlflow_before
    assert arm == [WS, launched.id, "listNodes"] and mlflow == 2, arm
    assert len(arm) + mlflow == REST_CALLS_PER_POLL == 5

    # a restart finds it again by its job name: nothing was kept in the process
    again = AzureBackend(fake_factory, tmp_path / "restarted")
    listed = [s for s in again.list_sweeps(REF) if s.id == launched.id]
    assert len(listed) == 1 and listed[0].state == "completed" and listed[0].spec == _spec().to_dict()
    assert listed[0].best_run_id == job.best_run_id
    assert listed[0].best_value == job.best_value, "the list shows each sweep's best (Azure's 'score')"
    data = again.sweep_training_data(REF, launched.id)
    assert data is not None and data.setup.folds == 2 and data.setup.schema["target"] == "output"


def test_a_sweep_canceled_here_keeps_its_finished_trials(ready: AzureBackend) -> None:
    backend = ready
    launched = backend.launch_sweep(REF, CLUSTER, "heart", 1, _spec(total=40), "heart-sweeps")
    deadline = time.monotonic() + 120
    while len(backend.sweep_status(REF, launched.id).trials) < 3:  # a third starts when one has ended
        assert time.monotonic() < deadline
        time.sleep(0.3)
    canceled = backend.cancel_sweep(REF, launched.id)
    assert (
        canceled.provider_state in ("CancelRequested", "Canceled") and "Cancel requested" in canceled.message
    )
    progress, _ = _watch(backend, launched.id)
    assert progress.state == "canceled" and progress.job.provider_state == "Canceled"
    assert 1 <= progress.job.counts.get("completed", 0) < 40
    assert "early_terminated" not in progress.job.counts, "trials stopped by a cancel are canceled"
    with pytest.raises(ConflictError, match="not running"):
        backend.cancel_sweep(REF, launched.id)
    with pytest.raises(UserFacingError, match="Azure cannot resume a sweep job") as caught:
        backend.resume_sweep(REF, launched.id)
    assert "Launch a new sweep" in caught.value.fix
    with pytest.raises(ConflictError, match="nothing to close"):
        backend.close_sweep(REF, launched.id)


def test_a_sweep_canceled_by_someone_else_reads_canceled(ready: AzureBackend, fake_azure: FakeAzure) -> None:
    from tests.azure.fake.sweeps import cancel_elsewhere

    backend = ready
    launched = backend.launch_sweep(REF, CLUSTER, "heart", 1, _spec(total=40), "heart-sweeps")
    while backend.sweep_status(REF, launched.id).job.provider_state != "Running":
        time.sleep(0.2)
    cancel_elsewhere(fake_azure, launched.id)
    progress, _ = _watch(backend, launched.id)
    assert progress.state == "canceled" and progress.job.provider_state == "Canceled"
    assert progress.job.counts.get("completed", 0) < 40


def test_one_failed_trial_is_counted_and_the_sweep_goes_on(
    ready: AzureBackend, fake_azure: FakeAzure
) -> None:
    from tests.azure.fake.sweeps import fail_trial

    fail_trial(fake_azure, 1)
    launched = ready.launch_sweep(REF, CLUSTER, "heart", 1, _spec(), "heart-sweeps")
    progress, _ = _watch(ready, launched.id)
    assert progress.state == "completed", progress.job.message
    statuses = {t["number"]: t["status"] for t in progress.trials}
    assert statuses == {0: "completed", 1: "failed", 2: "completed"}
    assert progress.job.counts == {"completed": 2, "failed": 1}
    failed = next(t for t in progress.trials if t["number"] == 1)
    assert failed["value"] is None and progress.job.best_run_id != f"{launched.id}_1"


def test_quota_exceeded_fails_the_sweep_with_azures_words(ready: AzureBackend, fake_azure: FakeAzure) -> None:
    from tests.azure.fake.sweeps import exceed_quota

    exceed_quota(fake_azure, CLUSTER)
    launched = ready.launch_sweep(REF, CLUSTER, "heart", 1, _spec(), "heart-sweeps")
    progress, _ = _watch(ready, launched.id)
    assert progress.state == "failed" and progress.job.provider_state == "Failed"
    assert "Azure says:" in progress.job.message and "quota" in progress.job.message.lower()
    assert progress.trials == [] and progress.eta_s is None


def test_an_image_that_does_not_build_fails_the_sweep(ready: AzureBackend, fake_azure: FakeAzure) -> None:
    from tests.azure.fake.sweeps import break_environment_image

    break_environment_image(fake_azure, "sklearn-mlflow-env", "1")
    launched = ready.launch_sweep(REF, CLUSTER, "heart", 1, _spec(), "heart-sweeps")
    progress, seen = _watch(ready, launched.id)
    assert progress.state == "failed" and "Preparing" in seen
    assert "Azure says:" in progress.job.message and "image" in progress.job.message.lower()


def test_a_sweep_launched_elsewhere_is_listed_and_says_so(ready: AzureBackend) -> None:
    """A sweep job submitted with the SDK (as the page's code snippet does), without this app's tags."""
    backend = ready
    job = AzureSweepsMixin._sweep_job(
        _spec(total=2),
        "someone_elses_sweep",
        "sklearn-mlflow-env:1",
        CLUSTER,
        backend.data_asset_uri(REF, "heart", 1),
        "elsewhere",
        "heart",
        1,
    )
    with tempfile.TemporaryDirectory() as folder:
        from core.azure.snapshot import build_code_snapshot

        job.trial.code = str(build_code_snapshot(Path(folder) / "code").path)
        backend._ml(REF.resource_group, REF.name).jobs.create_or_update(job)
    listed = {s.id: s for s in backend.list_sweeps(REF)}
    found = listed["someone_elses_sweep"]
    assert "Launched outside this app" in found.message
    assert found.spec["model_family"] == "random_forest" and found.spec["limits"]["max_total_trials"] == 2
    assert backend.sweep_training_data(REF, "someone_elses_sweep") is None
    progress = backend.sweep_status(REF, "someone_elses_sweep")
    assert progress.job.spec["primary_metric"] == "accuracy" and progress.job.dataset == ""
