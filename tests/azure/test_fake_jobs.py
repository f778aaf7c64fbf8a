"""The fake Azure runs sweep jobs for real: the real azure-ai-ml SDK submits a sweep built by
``core.sweep.azure.build_sweep_node`` (code upload into Azurite, job PUT), the fake runs the
trials as real ``python -S -m core.train`` subprocesses from the uploaded snapshot, and the
trials' MLflow runs (run id = child job name) hold the metrics of that real training.

No product sweep code runs here: only the SDK, the data-asset upload of the product, and the
fake (``tests/azure/fake/routes_jobs.py``, ``sweeps.py``).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.azure.backend import AzureBackend
from core.data.samples import heart_sample
from core.data.schema import build_schema
from core.resources import DataAsset
from core.sweep.azure import build_sweep_node
from core.sweep.space import Choice, LogUniform
from core.sweep.spec import Limits, SweepSpec
from tests.azure.conftest import SUBSCRIPTION
from tests.azure.fake import FakeAzure
from tests.azure.fake import sweeps as runner
from tests.azure.ml_helpers import REF, RG, WS, seed_workspace
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


@pytest.fixture
def workspace(
    azure_backend: AzureBackend,
    fake_azure: FakeAzure,
    mlflow_server: MlflowServer,
    tiny_files: dict[str, bytes],
) -> AzureBackend:
    """A workspace in the fake with an environment, a cluster and the tiny data asset, and the
    session's mlflow server as its MLflow."""
    if getattr(fake_azure, "workspace_mlflow", None) is None:
        fake_azure.workspace_mlflow = WorkspaceMlflow("127.0.0.1", mlflow_server)  # type: ignore[attr-defined]
    seed_workspace(azure_backend, fake_azure)
    from azure.ai.ml.entities import AmlCompute, Environment

    ml = azure_backend.factory.ml(RG, WS)
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
    azure_backend.register_data_asset(REF, asset, tiny_files)
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


def submit(backend: AzureBackend, code: Path, spec: SweepSpec | None = None, compute: str = COMPUTE) -> Any:
    ml = backend.factory.ml(RG, WS)
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
    job = submit(workspace, code_folder)
    assert job.status == "NotStarted"
    assert job.services["Studio"].endpoint.startswith("https://ml.azure.com/runs/" + job.name)
    done, seen = poll(workspace, job.name)
    try:
        assert done.status == "Completed", runner.find_sweep(fake_azure, job.name)
    finally:
        runner.wait_idle(fake_azure, job.name)
    assert seen == ["Queued", "Preparing", "Running", "Completed"]  # one state per GET, then the trials

    client = mlflow_client(mlflow_server)
    children = client.search_runs(
        [client.get_experiment_by_name(EXPERIMENT).experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{job.name}'",
    )
    assert sorted(r.info.run_id for r in children) == [f"{job.name}_{n}" for n in range(4)]
    assert all(r.info.status == "FINISHED" for r in children)
    scores = {r.info.run_id: r.data.metrics["accuracy"] for r in children}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert done.properties["best_child_run_id"] == max(scores, key=lambda k: scores[k])
    parent = client.get_run(job.name)
    assert parent.info.status == "FINISHED"
    assert SUBSCRIPTION in done.id
