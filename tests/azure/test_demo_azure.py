"""The one-click demo on the azure backend, against a fake Azure of its own served on loopback.

Every step runs through the product's ``AzureBackend``: the resources, the heart sample stored in
the workspace's datastore, a sweep on the cluster (the fake runs its trials for real), the best
model registered, deployed to a managed online endpoint (the fake serves it with the project's
own scoring server) and the held-out rows scored live. The tutorial's storage account name and
the demo's endpoint name are taken by someone else here, as they may be on Azure (both are unique
beyond the subscription): the demo takes free names, and a second run finds them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core import defaults, demo
from core.azure.backend import AzureBackend
from core.resources import Kind
from tests.azure.conftest import (
    AZURITE_KEY,
    SUBSCRIPTION,
    TENANT,
    FakeCredential,
    blob_endpoint_of,
    session_workspace_mlflow,
)
from tests.azure.fake import FakeAzure
from tests.azure.fake.routes_endpoints import taken_endpoint_names
from tests.azure.fake.server import serve_loopback_cloud
from tests.mlflow_server import MlflowServer

pytestmark = pytest.mark.azurite


@pytest.fixture
def demo_backend(
    azurite: str,
    mlflow_server: MlflowServer,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[AzureBackend, FakeAzure]]:
    """The azure backend on a fresh fake cloud (a name of its own: azure-ai-ml keeps the first
    endpoints it sees under a cloud's name), with the demo's sweep cut to 2 trials."""
    from core.azure.clients import ClientFactory
    from core.azure.cloud import cloud_from_environment
    from tests.azure.fake.routes_storage import azurite_cleanup
    from tests.azure.fake.scoring import stop_all

    fake = FakeAzure(
        tenant_id=TENANT,
        subscriptions={SUBSCRIPTION: "Demo subscription"},
        blob_endpoint=blob_endpoint_of(azurite),
        blob_key=AZURITE_KEY,
    )
    fake.workspace_mlflow = session_workspace_mlflow(mlflow_server, tmp_path_factory)
    monkeypatch.setenv(demo.DEMO_TRIALS_ENV, "2")
    try:
        with serve_loopback_cloud(fake, tmp_path / "tls") as cloud:
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cloud.ca_bundle))
            settings = cloud.environment() | {"AZML_AZURE_CLOUD": "DemoCloud"}
            factory = ClientFactory(
                FakeCredential(), SUBSCRIPTION, cloud_from_environment(settings), polling_interval=0
            )
            yield AzureBackend(factory, tmp_path / "state"), fake
    finally:
        stop_all(fake)
        azurite_cleanup(fake)


def run_demo(backend: AzureBackend) -> tuple[demo.DemoContext, dict[str, demo.StepResult]]:
    ctx = demo.DemoContext(backend)
    results = {step.key: step.run(ctx, lambda share, text: None) for step in demo.STEPS}
    return ctx, results


def test_the_demo_runs_on_azure_with_free_names_and_a_second_run_reuses_them(
    demo_backend: tuple[AzureBackend, FakeAzure],
) -> None:
    backend, fake = demo_backend
    fake.data.setdefault("taken_storage_names", set()).add(defaults.STORAGE_ACCOUNT)
    taken_endpoint_names(fake).add(demo.DEMO_ENDPOINT)

    ctx, results = run_demo(backend)
    assert ctx.trials == 2
    assert ctx.storage_account != defaults.STORAGE_ACCOUNT and ctx.storage_account.startswith(
        defaults.STORAGE_ACCOUNT[:18]
    ), "a free storage account name"
    assert ctx.endpoint != demo.DEMO_ENDPOINT and ctx.endpoint.startswith(demo.DEMO_ENDPOINT)
    assert "6 resources created" in results["resources"].headline
    assert "2 trials in" in results["sweep"].headline
    assert results["register"].headline.startswith(f"Registered model '{demo.DEMO_MODEL}' version 1")
    assert "(aliases: champion)" in results["register"].headline
    assert f"Endpoint '{ctx.endpoint}' is healthy" in results["deploy"].headline
    assert "held-out rows scored live" in results["score"].headline
    assert "accuracy 0." in results["score"].headline
    deployed = backend.get_endpoint(ctx.workspace, ctx.endpoint)
    assert deployed.traffic == {demo.DEMO_DEPLOYMENT: 100}

    again, rerun = run_demo(backend)
    assert (again.storage_account, again.endpoint) == (ctx.storage_account, ctx.endpoint)
    assert "0 resources created, 6 reused." in rerun["resources"].headline
    assert rerun["sweep"].headline.startswith("Reused the finished demo sweep")
    assert rerun["register"].headline.startswith(f"Reused model '{demo.DEMO_MODEL}' version 1")
    assert len(backend.model_versions(ctx.workspace, demo.DEMO_MODEL)) == 1
    assert [e.name for e in backend.list_endpoints(ctx.workspace)] == [ctx.endpoint]
    accounts = [r.name for r in backend.inventory() if r.kind is Kind.STORAGE_ACCOUNT]
    assert accounts == [ctx.storage_account], "no second storage account"
