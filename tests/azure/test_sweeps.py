"""Sweeps on the azure backend: Azure's job statuses and the trials' MLflow statuses as the pages
see them, the sweep job the backend builds, the checks made before anything is submitted, and
(against the fake's jobs and its sweep runner) a sweep launched, watched, canceled and failing."""

from __future__ import annotations

import json

import pytest
from mlflow.entities import Run, RunData, RunInfo, RunTag

from core.azure.backend import AzureBackend
from core.azure.sweeps import (
    AZURE_STATES,
    TAG_SWEEP_SPEC,
    AzureSweepsMixin,
    foreign_spec,
    studio_job_url,
    sweep_state,
    trial_number,
    trial_status,
)
from core.compute import ComputeSpec
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import NotFoundError
from core.mlflow_layout import TAG_EARLY_TERMINATED
from core.resources import DataAsset
from core.sweep.spec import Limits
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
