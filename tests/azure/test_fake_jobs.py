"""The fake Azure runs sweep jobs for real: the real azure-ai-ml SDK submits a sweep built by
``core.sweep.azure.build_sweep_node`` (code upload into Azurite, job PUT), the fake runs the
trials as real ``python -S -m core.train`` subprocesses from the uploaded snapshot, and the
trials' MLflow runs (run id = child job name) hold the metrics of that real training.

No product sweep code runs here: only the SDK, the data-asset upload of the product, and the
fake (``tests/azure/fake/routes_jobs.py``, ``sweeps.py``).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.azure.backend import AzureBackend
from core.backend import WorkspaceRef
from core.data.samples import heart_sample
from core.data.schema import build_schema
from core.mlflow_layout import OOF_ARTIFACT
from core.resources import DataAsset
from core.sweep.azure import build_sweep_node
from core.sweep.space import Choice, LogUniform
from core.sweep.spec import Limits, SweepSpec
from tests.azure.conftest import SUBSCRIPTION
from tests.azure.fake import FakeAzure
from tests.azure.fake import sweeps as runner
from tests.azure.fake.server import LoopbackCloud
from tests.azure.ml_helpers import REF, RG, SA, WS, loopback_backend, seed_workspace, unique
from tests.mlflow_server import MlflowServer

pytestmark = pytest.mark.azurite

REPO = Path(__file__).resolve().parents[2]
ENV, COMPUTE, DATA = "sklearn-env", "cpu-cluster", "tiny-heart"
EXPERIMENT = "fake-jobs"
POLL_CAP_S = 90.0


@dataclass(frozen=True)
class WorkspaceMlflow:
    """What ``fake.workspace_mlflow`` holds (helper 2's proxy adds ``host``; the runner only
    needs ``server``)."""

    host: str
    server: MlflowServer


@pytest.fixture(scope="module")
def tiny_files() -> dict[str, bytes]:
    """One small classification data asset for the module: 60 rows of the heart sample."""
    frame = heart_sample(60, seed=3)
    schema = build_schema(frame, "output")
    return {
        "train.csv": frame.to_csv(index=False).encode(),
        "schema.json": json.dumps(schema.to_dict()).encode(),
    }


@pytest.fixture(scope="module")
def code_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder uploaded as the trials' code: a copy of the repository's ``core`` package."""
    folder = tmp_path_factory.mktemp("code") / "src"
    try:
        from core.azure.snapshot import build_code_snapshot  # helper 1's slim snapshot
    except ImportError:
        shutil.copytree(REPO / "core", folder / "core", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        build_code_snapshot(folder)
    return folder


def prepare_workspace(
    backend: AzureBackend,
    fake: FakeAzure,
    server: MlflowServer | None,
    files: dict[str, bytes],
    ref: WorkspaceRef = REF,
    account: str = SA,
) -> None:
    """A workspace in the fake with an environment, a cluster and the tiny data asset, and the
    session's mlflow server as its MLflow."""
    if server is not None and getattr(fake, "workspace_mlflow", None) is None:
        fake.workspace_mlflow = WorkspaceMlflow("127.0.0.1", server)  # type: ignore[attr-defined]
    seed_workspace(backend, fake, ref.resource_group, account, ref.name)
    from azure.ai.ml.entities import AmlCompute, Environment

    ml = backend.factory.ml(ref.resource_group, ref.name)
    ml.environments.create_or_update(
        Environment(name=ENV, version="1", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04")
    )
    ml.compute.begin_create_or_update(
        AmlCompute(name=COMPUTE, size="Standard_DS3_v2", max_instances=2)
    ).result()
    asset = DataAsset(
        name=DATA,
        version=1,
        path="",
        description="60 rows of the heart sample",
        fingerprint="0123456789abcdef",
        created_at="2026-12-03T10:00:00+00:00",
        properties={"target": "output"},
    )
    backend.register_data_asset(ref, asset, files)


@pytest.fixture
def workspace(
    azure_backend: AzureBackend,
    fake_azure: FakeAzure,
    mlflow_server: MlflowServer,
    tiny_files: dict[str, bytes],
) -> AzureBackend:
    """The product's backend on the in-process fake, with :func:`prepare_workspace` done."""
    prepare_workspace(azure_backend, fake_azure, mlflow_server, tiny_files)
    return azure_backend


def logistic_spec(**limits: Any) -> SweepSpec:
    return SweepSpec(
        model_family="logistic_regression",
        task="classification",
        space={"C": LogUniform(-4.0, 2.0), "class_weight": Choice((None, "balanced"))},
        sampling="random",
        seed=11,
        limits=Limits(**{"max_total_trials": 4, "max_concurrent_trials": 2, **limits}),
        cv_folds=3,
    )


def submit(
    backend: AzureBackend,
    code: Path,
    spec: SweepSpec | None = None,
    compute: str = COMPUTE,
    ref: WorkspaceRef = REF,
    tags: dict[str, str] | None = None,
) -> Any:
    ml = backend.factory.ml(ref.resource_group, ref.name)
    schema_uri = f"azureml://datastores/workspaceblobstore/paths/azureml/data/{DATA}/1/schema.json"
    node = build_sweep_node(
        spec or logistic_spec(),
        environment=f"{ENV}:1",
        compute=compute,
        data=f"{DATA}:1",
        schema=schema_uri,
        code=str(code),
        experiment_name=EXPERIMENT,
        display_name="tiny sweep",
    )
    node.tags = dict(tags or {})
    return ml.jobs.create_or_update(node)


def poll(
    backend: AzureBackend, name: str, until: tuple[str, ...] = ("Completed", "Failed", "Canceled")
) -> Any:
    ml = backend.factory.ml(RG, WS)
    deadline = time.monotonic() + POLL_CAP_S
    seen: list[str] = []
    while time.monotonic() < deadline:
        job = ml.jobs.get(name)
        if not seen or seen[-1] != job.status:
            seen.append(job.status)
        if job.status in until:
            return job, seen
        time.sleep(0.3)
    raise AssertionError(f"job {name} still {seen} after {POLL_CAP_S} s")


def mlflow_client(server: MlflowServer) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=server.url)


def test_a_sweep_runs_its_trials_for_real(
    workspace: AzureBackend, fake_azure: FakeAzure, mlflow_server: MlflowServer, code_folder: Path
) -> None:
    before = len(fake_azure.requests)
    job = submit(workspace, code_folder, tags={"spec_fingerprint": "abc123"})
    assert job.status == "NotStarted"
    assert job.services["Studio"].endpoint.startswith("https://ml.azure.com/runs/" + job.name)
    submitted = [(r.method, r.path.split(f"/workspaces/{WS}/")[-1]) for r in fake_azure.requests[before:]]
    code = submitted[0][1].split("/")[1]
    assert submitted == [
        ("GET", f"codes/{code}/versions"),  # ?hash=...: a snapshot with this content already?
        ("POST", f"codes/{code}/versions/1/startPendingUpload"),  # then the SDK uploads to Azurite
        ("PUT", f"codes/{code}/versions/1"),
        ("PUT", f"jobs/{job.name}"),
    ]
    assert fake_azure.requests[before].query["hash"]
    before = len(fake_azure.requests)
    assert workspace.factory.ml(RG, WS).jobs.get(job.name).status == "Queued"
    assert [(r.method, r.path.rsplit("/", 2)[-2:]) for r in fake_azure.requests[before:]] == [
        ("GET", ["jobs", job.name])
    ]
    done, seen = poll(workspace, job.name)
    try:
        assert done.status == "Completed", runner.find_sweep(fake_azure, job.name)
    finally:
        runner.wait_idle(fake_azure, job.name)
    assert seen == ["Preparing", "Running", "Completed"]  # one state per GET, then the trials

    client = mlflow_client(mlflow_server)
    children = client.search_runs(
        [client.get_experiment_by_name(EXPERIMENT).experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{job.name}'",
    )
    assert sorted(r.info.run_id for r in children) == [f"{job.name}_{n}" for n in range(4)]
    assert all(r.info.status == "FINISHED" for r in children)
    assert all(r.info.artifact_uri.endswith(f"ExperimentRun/dcid.{r.info.run_id}") for r in children)
    scores = {r.info.run_id: r.data.metrics["accuracy"] for r in children}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert done.properties["best_child_run_id"] == max(scores, key=lambda k: scores[k])
    sweep = runner.find_sweep(fake_azure, job.name)
    assert sweep is not None
    spans = [(t.started, t.ended) for t in sweep.trials]
    most = max(sum(s <= at < e for s, e in spans) for at, _ in spans)
    assert most == 2, spans  # max_concurrent_trials at once, never more
    assert sweep.folder is not None and (sweep.folder / "code/core/train/cli.py").is_file()  # the snapshot
    best = done.properties["best_child_run_id"]
    stored = artifact_blobs(fake_azure, best)
    assert f"ExperimentRun/dcid.{best}/{OOF_ARTIFACT}" in stored  # the trainer's own MLflow upload
    assert f"ExperimentRun/dcid.{best}/user_logs/std_log.txt" in stored
    parent = client.get_run(job.name)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["spec_fingerprint"] == "abc123"  # the job's tags, as run tags
    assert SUBSCRIPTION in done.id


def artifact_blobs(fake: FakeAzure, run_id: str) -> list[str]:
    """The blobs of a run's artifact folder in Azurite (the workspace artifact store)."""
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(account_url=fake.blob_endpoint, credential=fake.blob_key)
    container = service.get_container_client(runner.ARTIFACT_CONTAINER)
    return [b.name for b in container.list_blobs(name_starts_with=f"ExperimentRun/dcid.{run_id}/")]


def children_of(server: MlflowServer, sweep: str) -> dict[str, Any]:
    """The sweep's child runs in MLflow, by run id."""
    client = mlflow_client(server)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], f"tags.mlflow.parentRunId = '{sweep}'")
    return {r.info.run_id: r for r in runs}


def test_cancel_kills_the_running_trial_and_keeps_the_finished_one(
    workspace: AzureBackend, fake_azure: FakeAzure, mlflow_server: MlflowServer, code_folder: Path
) -> None:
    job = submit(workspace, code_folder, logistic_spec(max_total_trials=3, max_concurrent_trials=1))
    ml = workspace.factory.ml(RG, WS)
    deadline = time.monotonic() + POLL_CAP_S
    while time.monotonic() < deadline:  # until the first child has finished and the second runs
        ml.jobs.get(job.name)
        sweep = runner.find_sweep(fake_azure, job.name)
        assert sweep is not None
        if len(sweep.trials) == 2 and sweep.trials[1].process is not None:
            break
        time.sleep(0.2)
    try:
        before = len(fake_azure.requests)
        ml.jobs.begin_cancel(job.name).result()
        canceling = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_azure.requests[before:]]
        assert canceling == [("POST", "cancel"), ("GET", job.name)]  # then the Location: the job
        done, _ = poll(workspace, job.name)
    finally:
        runner.wait_idle(fake_azure, job.name)
    assert done.status == "Canceled"
    runs = children_of(mlflow_server, job.name)
    assert {k: r.info.status for k, r in runs.items()} == {
        f"{job.name}_0": "FINISHED",
        f"{job.name}_1": "KILLED",
    }
    assert "accuracy" in runs[f"{job.name}_0"].data.metrics
    assert done.properties["best_child_run_id"] == f"{job.name}_0"
    assert mlflow_client(mlflow_server).get_run(job.name).info.status == "KILLED"


def test_a_sweep_canceled_elsewhere_is_canceled_before_any_trial(
    workspace: AzureBackend, fake_azure: FakeAzure, mlflow_server: MlflowServer, code_folder: Path
) -> None:
    job = submit(workspace, code_folder)
    ml = workspace.factory.ml(RG, WS)
    assert ml.jobs.get(job.name).status == "Queued"
    runner.cancel_elsewhere(fake_azure, job.name)
    assert not fake_azure.calls("POST", "/cancel")
    assert ml.jobs.get(job.name).status == "Canceled"
    assert children_of(mlflow_server, job.name) == {}
    assert mlflow_client(mlflow_server).get_run(job.name).info.status == "KILLED"


def test_a_missing_compute_is_refused_at_submission(
    workspace: AzureBackend, fake_azure: FakeAzure, code_folder: Path
) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError, match="no-such-cluster"):
        submit(workspace, code_folder, compute="no-such-cluster")
    put = fake_azure.calls("PUT", "/jobs/")
    assert len(put) == 1 and put[0].api_version  # recorded, whatever the SDK sends
    assert not runner.find_sweep(fake_azure, put[0].path.rsplit("/", 1)[-1])


def test_missing_environment_and_data_versions_are_refused(
    workspace: AzureBackend, fake_azure: FakeAzure, code_folder: Path
) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    ml = workspace.factory.ml(RG, WS)
    node = build_sweep_node(
        logistic_spec(), environment=f"{ENV}:7", compute=COMPUTE, data=f"{DATA}:1", code=str(code_folder)
    )
    with pytest.raises(ResourceNotFoundError, match=f"environments/{ENV}/versions/7"):
        ml.jobs.create_or_update(node)
    node = build_sweep_node(
        logistic_spec(), environment=f"{ENV}:1", compute=COMPUTE, data=f"{DATA}:9", code=str(code_folder)
    )
    with pytest.raises(ResourceNotFoundError, match=f"data/{DATA}/versions/9"):
        ml.jobs.create_or_update(node)
    assert fake_azure.calls("GET", "/codes/.*/versions") and len(fake_azure.calls("PUT", "/codes/")) == 1


def raw_job(fake: FakeAzure, name: str) -> dict[str, Any]:
    from tests.azure.fake.routes_jobs import jobs_of

    with fake.lock:
        body: dict[str, Any] = json.loads(json.dumps(jobs_of(fake, SUBSCRIPTION, RG, WS)[name]))
    return body


def test_quota_exceeded_fails_the_job_while_queued(
    workspace: AzureBackend, fake_azure: FakeAzure, mlflow_server: MlflowServer, code_folder: Path
) -> None:
    runner.exceed_quota(fake_azure, COMPUTE)
    job = submit(workspace, code_folder)
    done, seen = poll(workspace, job.name)
    assert seen == ["Queued", "Failed"]
    error = raw_job(fake_azure, job.name)["properties"]["error"]
    assert "quota" in error["message"] and error["details"][0]["code"] == "JobNodeCountExceedsCoreQuota"
    assert children_of(mlflow_server, job.name) == {}
    assert mlflow_client(mlflow_server).get_run(job.name).info.status == "FAILED"


def test_an_environment_image_that_does_not_build_fails_the_job_while_preparing(
    workspace: AzureBackend, fake_azure: FakeAzure, code_folder: Path
) -> None:
    runner.break_environment_image(fake_azure, ENV, "1")
    job = submit(workspace, code_folder)
    done, seen = poll(workspace, job.name)
    assert seen == ["Queued", "Preparing", "Failed"]
    error = raw_job(fake_azure, job.name)["properties"]["error"]
    assert error["message"].startswith("Image build failed.")


def test_a_failed_trial_leaves_the_sweep_going(
    workspace: AzureBackend, fake_azure: FakeAzure, mlflow_server: MlflowServer, code_folder: Path
) -> None:
    runner.fail_trial(fake_azure, 0)
    job = submit(workspace, code_folder, logistic_spec(max_total_trials=2, max_concurrent_trials=2))
    try:
        done, _ = poll(workspace, job.name)
    finally:
        runner.wait_idle(fake_azure, job.name)
    assert done.status == "Completed"
    runs = children_of(mlflow_server, job.name)
    assert runs[f"{job.name}_0"].info.status == "FAILED"
    assert runs[f"{job.name}_1"].info.status == "FINISHED"
    sweep = runner.find_sweep(fake_azure, job.name)
    assert sweep is not None and "does not exist" in sweep.trials[0].output  # the trainer's own message
    assert done.properties["best_child_run_id"] == f"{job.name}_1"


def test_jobs_list_and_code_reuse(workspace: AzureBackend, fake_azure: FakeAzure, code_folder: Path) -> None:
    first = submit(workspace, code_folder)
    before = len(fake_azure.requests)
    second = submit(workspace, code_folder)
    again = [(r.method, r.path.split(f"/workspaces/{WS}/")[-1]) for r in fake_azure.requests[before:]]
    new, stored = again[0][1].split("/")[1], fake_azure.calls("PUT", "/codes/")[0].path.split("/")[-3]
    assert again == [  # the snapshot's hash finds the stored version: no upload
        ("GET", f"codes/{new}/versions"),
        ("GET", f"codes/{stored}/versions/1"),
        ("PUT", f"jobs/{second.name}"),
    ]
    runner.cancel_elsewhere(fake_azure, first.name)
    runner.cancel_elsewhere(fake_azure, second.name)
    ml = workspace.factory.ml(RG, WS)
    listed = [j.name for j in ml.jobs.list()]
    assert listed == [second.name, first.name]  # newest first
    assert len(fake_azure.calls("PUT", "/codes/")) == 1  # the same snapshot's hash: uploaded once


def wait_for_trial(backend: AzureBackend, fake: FakeAzure, name: str, number: int) -> None:
    """Poll the job until child ``number`` has its command running."""
    ml = backend.factory.ml(RG, WS)
    deadline = time.monotonic() + POLL_CAP_S
    while time.monotonic() < deadline:
        ml.jobs.get(name)
        sweep = runner.find_sweep(fake, name)
        assert sweep is not None
        if len(sweep.trials) > number and sweep.trials[number].process is not None:
            return
        time.sleep(0.2)
    raise AssertionError(f"child {number} of {name} never started")


def test_the_sweep_timeout_cancels_it_and_the_trial_timeout_cancels_a_trial(
    workspace: AzureBackend, fake_azure: FakeAzure, mlflow_server: MlflowServer, code_folder: Path
) -> None:
    spec = logistic_spec(max_total_trials=2, max_concurrent_trials=1, timeout_s=60, trial_timeout_s=60)
    whole = submit(workspace, code_folder, spec)
    one = submit(workspace, code_folder, spec)
    limits = raw_job(fake_azure, whole.name)["properties"]["limits"]
    assert (limits["timeout"], limits["trialTimeout"]) == ("PT1M", "PT1M")  # whole minutes
    try:
        wait_for_trial(workspace, fake_azure, whole.name, 0)
        runner.elapse(fake_azure, whole.name, 61)  # past the sweep's timeout: all of it is canceled
        done_whole, seen = poll(workspace, whole.name)
        wait_for_trial(workspace, fake_azure, one.name, 0)
        runner.elapse(fake_azure, one.name, 61, whole_sweep=False)  # child 0's timeout only
        done_one, _ = poll(workspace, one.name)
    finally:
        runner.wait_idle(fake_azure, whole.name)
        runner.wait_idle(fake_azure, one.name)
    assert done_whole.status == "Canceled"
    assert {k: r.info.status for k, r in children_of(mlflow_server, whole.name).items()} == {
        f"{whole.name}_0": "KILLED"
    }
    assert done_one.status == "Completed"
    runs = children_of(mlflow_server, one.name)
    assert (runs[f"{one.name}_0"].info.status, runs[f"{one.name}_1"].info.status) == ("KILLED", "FINISHED")
    assert done_one.properties["best_child_run_id"] == f"{one.name}_1"


def test_iso_durations() -> None:
    assert runner.iso_seconds("PT1H30M") == 5400
    assert runner.iso_seconds("PT2.5S") == 2.5
    assert runner.iso_seconds("P1DT1S") == 86401
    assert runner.iso_seconds(None) is None


def test_grid_and_random_draws() -> None:
    space = {"a": ["choice", [[1, 2]]], "b": ["choice", [["x", "y", "z"]]]}
    grid = list(runner.draw(space, {"samplingAlgorithmType": "Grid"}, 100))
    assert grid == [{"a": a, "b": b} for a in (1, 2) for b in ("x", "y", "z")]
    space = {"C": ["loguniform", [-4.0, 2.0]], "n": ["randint", [5]], "q": ["quniform", [0, 10, 2]]}
    drawn = list(runner.draw(space, {"samplingAlgorithmType": "Random", "seed": 3}, 20))
    assert drawn == list(runner.draw(space, {"samplingAlgorithmType": "Random", "seed": 3}, 20))
    assert drawn != list(runner.draw(space, {"samplingAlgorithmType": "Random", "seed": 4}, 20))
    assert all(math.exp(-4) <= d["C"] <= math.exp(2) and d["n"] in range(5) for d in drawn)
    assert all(d["q"] in (0, 2, 4, 6, 8, 10) for d in drawn)


def test_a_sweep_submits_over_the_loopback_cloud(
    trust_loopback: LoopbackCloud, tiny_files: dict[str, bytes], tmp_path: Path
) -> None:
    """The same routes over HTTPS (what a dashboard process reaches): code upload with the SAS on
    Azurite, the job PUT, a GET; canceled elsewhere before any trial starts."""
    code = tmp_path / "src"
    shutil.copytree(
        REPO / "core" / "train", code / "core" / "train", ignore=shutil.ignore_patterns("__pycache__")
    )
    (code / "core" / "__init__.py").write_text("")
    backend = loopback_backend(trust_loopback, tmp_path / "azure-state")
    ref = WorkspaceRef(unique("rg-jobs-"), unique("ws-jobs-"))
    # no trial runs here: the shared cloud's MLflow is left as helper fixtures set it
    prepare_workspace(backend, trust_loopback.fake, None, tiny_files, ref, unique("jobsdata"))
    job = submit(backend, code, ref=ref)
    ml = backend.factory.ml(ref.resource_group, ref.name)
    assert ml.jobs.get(job.name).status == "Queued"
    runner.cancel_elsewhere(trust_loopback.fake, job.name)
    assert ml.jobs.get(job.name).status == "Canceled"
    versions = trust_loopback.fake.calls("PUT", f"/workspaces/{ref.name}/codes/.*/versions/")
    assert len(versions) == 1 and versions[0].body["properties"]["codeUri"].startswith("http://127.0.0.1:")
