"""The live smoke test: steps 1, 2 and 7 of the walkthrough on a real Azure subscription.

It is the only test that touches the real service, so it runs only when asked for and when it
can run:

- only with ``pytest -m azure_live`` (any other run skips it, the default ``./test.sh`` too);
- never in CI (``CI=true``), whatever is asked;
- only with a subscription (``AZURE_SUBSCRIPTION_ID``) and a credential ``DefaultAzureCredential``
  finds (``az login``, a service principal's ``AZURE_CLIENT_ID``/``AZURE_TENANT_ID``/
  ``AZURE_CLIENT_SECRET``, or a managed identity); the cloud comes from the dashboard's own
  settings (``AZML_AZURE_CLOUD``, ``AZML_ARM_URL``…). ``AZML_LIVE_LOCATION`` picks the region
  (default ``eastus``).

It goes through the product's ``AzureBackend`` only: a resource group with a unique name, a storage
account and a container, a workspace, the default environment, a compute cluster with 0 minimum
nodes (nothing runs on it, so no node is billed), the heart sample uploaded and registered as a
data asset and read back; with ``AZML_LIVE_SWEEP=1``, a 4-trial sweep on that cluster (one node
at most, for the sweep's minutes), watched to its end and its trials checked in the workspace's
MLflow; with ``AZML_LIVE_DEPLOY=1`` as well, the best trial's model registered, deployed to a
managed online endpoint (one Standard_DS3_v2 instance, billed for the deployment's 5-15 minutes),
the held-out rows scored through the endpoint with its key, and the endpoint deleted; then it
purges the workspace, deletes the resource group and checks
that it is gone. The resource group is deleted in a ``finally`` whatever failed before. It takes
about 10 minutes and costs cents (the storage accounts and the workspace's key vault for those
minutes). The same walk runs offline on every test run, against the fake Azure.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from core.backend import WorkspaceRef
from core.compute import ComputeSpec
from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.data.split import split_frame
from core.data.store import load_dataset, store_dataset
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec

if TYPE_CHECKING:
    import pandas as pd

    from core.azure.backend import AzureBackend
    from core.data.schema import Schema
    from tests.azure.fake.server import LoopbackCloud

SUBSCRIPTION_ENV = "AZURE_SUBSCRIPTION_ID"
LOCATION_ENV = "AZML_LIVE_LOCATION"
SWEEP_ENV = "AZML_LIVE_SWEEP"  # "1": the live test also runs a 4-trial sweep (steps 4 and 5)
DEPLOY_ENV = "AZML_LIVE_DEPLOY"  # "1" (with the sweep): also register, deploy, score, delete (step 6)
DEPLOY_TIMEOUT_S = 45 * 60  # Azure documents 5-15 minutes; a first image pull can take longer
SWEEP_TIMEOUT_S = 60 * 60  # a cold cluster and a first image build take tens of minutes


def skip_reason(config: pytest.Config, environ: dict[str, str]) -> str | None:
    """Why the live test does not run here, or None when it may."""
    if environ.get("CI", "").lower() == "true":
        return "the live Azure test never runs in CI"
    if "azure_live" not in (config.getoption("markexpr", default="") or "") or "not azure_live" in (
        config.getoption("markexpr", default="") or ""
    ):
        return "the live Azure test runs only when asked: pytest -m azure_live (see the README)"
    if not environ.get(SUBSCRIPTION_ENV, "").strip():
        return f"no subscription: set {SUBSCRIPTION_ENV} (and sign in with az login or a service principal)"
    return None


@pytest.fixture
def live_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AzureBackend:
    """The product's AzureBackend on the configured subscription, after checking a token comes."""
    reason = skip_reason(request.config, dict(os.environ))
    if reason:
        pytest.skip(reason)
    from azure.core.exceptions import ClientAuthenticationError

    from core.azure.backend import AzureBackend
    from core.azure.clients import ClientFactory
    from core.azure.cloud import cloud_from_environment
    from core.azure.credentials import default_credential

    cloud = cloud_from_environment()
    credential = default_credential(cloud)
    try:
        credential.get_token(cloud.scope)
    except ClientAuthenticationError as exc:  # CredentialUnavailableError is one of these
        pytest.skip(f"no Azure credential found (az login, or a service principal's variables): {exc}")
    factory = ClientFactory(credential, os.environ[SUBSCRIPTION_ENV].strip(), cloud)
    return AzureBackend(factory, tmp_path / "azure-state")


def _group_exists(backend: AzureBackend, name: str) -> bool:
    return bool(backend.factory.resources().resource_groups.check_existence(name))


@pytest.fixture
def live_names(live_backend: AzureBackend) -> Iterator[dict[str, str]]:
    """Unique names; the resource group is deleted afterwards whatever happened."""
    names = unique_names()
    try:
        yield names
    finally:
        if _group_exists(live_backend, names["rg"]):
            live_backend.delete_resource_group(names["rg"])


def unique_names() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {
        "rg": f"rg-azml-smoke-{suffix}",
        "storage": f"azmlsmoke{suffix}",
        "container": "smoke-data",
        "workspace": f"ws-smoke-{suffix}",
        "compute": f"smoke-cpu{suffix[:6]}",  # every "-" is followed by a letter
        "endpoint": f"smoke-ep-{suffix}",  # unique in the region
    }


def walk_steps_1_2_and_7(
    backend: AzureBackend,
    n: dict[str, str],
    location: str,
    sweep_trials: int = 0,
    poll_s: float = 0.3,
    deploy: bool = False,
) -> None:
    """Steps 1, 2 and 7 through the backend, checking each result; with ``sweep_trials``, steps 4
    and 5 between them (:func:`walk_sweep`), and with ``deploy`` step 6 after them (:func:`walk_deploy`)."""
    # Step 1: resources.
    group = backend.create_resource_group(n["rg"], location)
    assert group.created and _group_exists(backend, n["rg"])
    account = backend.create_storage_account(n["rg"], n["storage"])
    assert account.resource.name == n["storage"]
    assert backend.create_blob_container(n["storage"], n["container"]).resource.name == n["container"]
    workspace = backend.create_workspace(n["rg"], n["workspace"])
    ws = WorkspaceRef(n["rg"], n["workspace"])
    assert workspace.resource.name == n["workspace"]
    assert backend.workspace_config(ws)["workspace_name"] == n["workspace"]
    environment = backend.create_environment(
        ws, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    )
    assert environment.resource.name == "sklearn-mlflow-env"
    compute = backend.create_compute(ws, ComputeSpec(n["compute"], min_instances=0, max_instances=1))
    assert compute.resource.name == n["compute"]

    # Step 2: data, uploaded, registered and read back.
    frame = heart_sample(120)
    split = split_frame(frame, "output", test_fraction=0.2, seed=7)
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    stored = store_dataset(
        backend, ws, n["storage"], n["container"], "heart-smoke", split, schema, "heart sample"
    )
    assert stored.created
    loaded = load_dataset(backend, ws, "heart-smoke")
    assert len(loaded.train) == len(split.train) and len(loaded.test) == len(split.test)
    assert list(loaded.train.columns) == list(split.train.columns)
    if sweep_trials:
        sweep_id = walk_sweep(backend, ws, n["compute"], stored.asset.version, sweep_trials, poll_s)
        if deploy:
            walk_deploy(backend, ws, sweep_id, n["endpoint"], split.test, schema, poll_s)

    # Step 7: teardown: the workspace purged (so nothing stays soft-deleted), then the resource
    # group and everything in it.
    gone = backend.delete_workspace(ws, permanently=True)
    assert n["workspace"] in {r.name for r in gone}
    backend.delete_resource_group(n["rg"])
    assert not _group_exists(backend, n["rg"])


def walk_sweep(
    backend: AzureBackend, ws: WorkspaceRef, cluster: str, version: int, trials: int, poll_s: float
) -> str:
    """Steps 4 and 5: a sweep of ``trials`` trials, one at a time on the 0–1 node cluster, watched
    as the page does until it ends, then its trials read back from the workspace's MLflow."""
    from core.mlflow_layout import TAG_PARENT
    from core.sweep.space import Choice
    from core.sweep.spec import Limits, SweepSpec
    from core.trials.store import client

    spec = SweepSpec(
        model_family="random_forest",
        task="classification",
        space={"n_estimators": Choice((10, 30)), "max_depth": Choice((3, None))},
        seed=0,
        limits=Limits(max_total_trials=trials, max_concurrent_trials=1),
        cv_folds=2,
    )
    launched = backend.launch_sweep(ws, cluster, "heart-smoke", version, spec, "smoke-sweeps")
    assert launched.portal_url and launched.state == "starting", launched
    deadline = time.monotonic() + SWEEP_TIMEOUT_S
    while (progress := backend.sweep_status(ws, launched.id)).state in ("starting", "running"):
        assert time.monotonic() < deadline, f"{launched.id} still {progress.job.provider_state}"
        time.sleep(poll_s)
    assert progress.state == "completed", progress.job.message
    assert progress.job.counts == {"completed": trials} and len(progress.trials) == trials
    assert progress.job.best_run_id and progress.job.model_uri

    mlflow = client(backend.tracking_uri(ws))
    parent = mlflow.get_run(launched.id)
    runs = mlflow.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`{TAG_PARENT}` = '{launched.id}'"
    )
    assert len(runs) == trials and all(r.info.status == "FINISHED" for r in runs)
    assert all(spec.primary_metric in r.data.metrics for r in runs)
    best = mlflow.get_run(progress.job.best_run_id)
    assert best.outputs is not None and best.outputs.model_outputs, "the best trial logged its model"
    return launched.id


def walk_deploy(
    backend: AzureBackend,
    ws: WorkspaceRef,
    sweep_id: str,
    endpoint: str,
    test: pd.DataFrame,
    schema: Schema,
    poll_s: float,
) -> None:
    """Step 6: the sweep's best model registered, deployed to a managed online endpoint with key
    auth, the held-out rows scored through it with Azure's contract, then the endpoint deleted
    (its traffic to 0, its deployment, then itself)."""
    from core.endpoint.client import EndpointClient, score_test_split

    model = backend.register_model(ws, sweep_id, name="smoke-model")
    assert model.version >= 1 and "champion" in model.aliases and model.sweep_id == sweep_id
    operation = backend.begin_deploy(ws, endpoint, "blue", model.name, model.version, instance_count=1)
    deadline = time.monotonic() + DEPLOY_TIMEOUT_S
    while not operation.done:
        assert time.monotonic() < deadline, f"{endpoint} still {operation.status}"
        time.sleep(poll_s)
        operation = backend.poll_operation(operation)
    assert operation.state == "succeeded", operation.error
    info = backend.get_endpoint(ws, endpoint)
    assert info.traffic == {"blue": 100} and info.auth_mode == "key", info
    key = backend.endpoint_keys(ws, endpoint).primary.reveal()
    live = score_test_split(EndpointClient(info.scoring_uri, key, deployment="blue"), test, schema)
    assert len(live.result.predictions) == len(test) and len(live.table) == len(test)
    assert backend.deployment_logs(ws, endpoint, "blue", lines=20).strip(), "the container's log is readable"
    gone = backend.delete_endpoint(ws, endpoint)
    assert endpoint in {r.name for r in gone}
    assert endpoint not in {e.name for e in backend.list_endpoints(ws)}


@pytest.mark.azure_live
def test_steps_1_2_and_7_on_a_real_subscription(
    live_backend: AzureBackend, live_names: dict[str, str]
) -> None:
    """With ``AZML_LIVE_SWEEP=1``, also a 4-trial sweep on the 0–1 node cluster (about 30 more
    minutes: a node starts, the environment's image is built once; the node's minutes are billed);
    with ``AZML_LIVE_DEPLOY=1`` too, step 6 on one Standard_DS3_v2 instance (5-15 more minutes)."""
    sweep = os.environ.get(SWEEP_ENV, "").strip() == "1"
    deploy = sweep and os.environ.get(DEPLOY_ENV, "").strip() == "1"
    location = os.environ.get(LOCATION_ENV, "eastus")
    walk_steps_1_2_and_7(
        live_backend, live_names, location, sweep_trials=4 if sweep else 0, poll_s=20, deploy=deploy
    )


def test_the_smoke_walk_runs_on_the_fake_cloud(trust_loopback: LoopbackCloud, tmp_path: Path) -> None:
    """The same walk, offline, on the fake Azure served as a loopback cloud (+ Azurite, and a real
    MLflow behind the workspace's): the live test's own steps and checks are known to work before
    anyone spends money on them. Its sweep has 2 trials (the live one 4) to keep the run short."""
    from tests.azure.ml_helpers import loopback_backend

    backend = loopback_backend(trust_loopback, tmp_path / "azure-state")
    walk_steps_1_2_and_7(backend, unique_names(), "westeurope", sweep_trials=2, deploy=True)


def test_the_live_test_is_skipped_unless_asked(pytestconfig: pytest.Config) -> None:
    """Runs in every run (no live call): CI and a plain run never reach Azure."""
    assert (
        skip_reason(pytestconfig, {"CI": "true", SUBSCRIPTION_ENV: "x"})
        == "the live Azure test never runs in CI"
    )
    if "azure_live" not in (pytestconfig.getoption("markexpr", default="") or ""):
        assert "pytest -m azure_live" in str(skip_reason(pytestconfig, {SUBSCRIPTION_ENV: "x"}))
