"""Shared fixtures of the azure backend's tests.

- ``fake_azure`` (function): a fresh :class:`FakeAzure` whose storage accounts point at the
  session's Azurite (``primaryEndpoints.blob`` and keys), so blob data goes to a real Azurite.
- ``fake_factory`` / ``azure_backend`` (function): the product's own ``ClientFactory`` and
  ``AzureBackend`` with a :class:`FakeCredential`, reaching ``fake_azure`` through
  ``FakeTransport`` (in process, instant polling).
- ``loopback_cloud`` (session): ONE fake served over HTTPS on 127.0.0.1 as another cloud, for
  what only reaches Azure through cloud settings (MSAL sign-in, azure-ai-ml's ARM deployments, a
  real ``streamlit run``). Shared by the session's tests: use unique names in it.
- ``workspace_mlflow`` (session): the workspaces' MLflow endpoint, an HTTPS proxy (same test CA
  as the loopback cloud) in front of the session's real ``mlflow server``; both fakes above name
  it in their workspaces' ``mlFlowTrackingUri``. ``trust_workspace_mlflow`` trusts its certificate.
- ``trust_loopback`` (function): sets ``REQUESTS_CA_BUNDLE`` to the loopback cloud's CA for one
  test (monkeypatch; nothing stays set after it) and yields the cloud.
"""

from __future__ import annotations

import atexit
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.credentials import AccessToken

from tests.azure.fake import FakeAzure, FakeTransport
from tests.azure.fake.mlflow_proxy import WorkspaceMlflow, serve_workspace_mlflow
from tests.azure.fake.server import LoopbackCloud, serve_loopback_cloud
from tests.conftest import AZURITE_KEY, free_port
from tests.mlflow_server import MlflowServer

if TYPE_CHECKING:
    from core.azure.backend import AzureBackend
    from core.azure.clients import ClientFactory
    from core.azure.cloud import AzureCloud

SUBSCRIPTION = "00000000-1111-4222-8333-444444444444"
TENANT = "72f988bf-0000-4000-8000-000000000001"


class FakeCredential:
    """A TokenCredential that hands out a fixed token and records the scopes asked for."""

    def __init__(self, token: str = "fake-arm-token") -> None:  # noqa: S107 - not a secret
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeCredential:
        return self

    def __exit__(self, *args: object) -> None:
        pass


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that reach Azurite (through ``fake_azure`` or ``loopback_cloud``) carry the azurite
    marker, so ``-m "not azurite"`` leaves them out as it does the others."""
    for item in items:
        if "azurite" in getattr(item, "fixturenames", ()) and item.get_closest_marker("azurite") is None:
            item.add_marker(pytest.mark.azurite)


def blob_endpoint_of(connection_string: str) -> str:
    """Azurite's blob endpoint (``http://127.0.0.1:PORT/devstoreaccount1/``) from its connection
    string."""
    parts = dict(p.split("=", 1) for p in connection_string.strip(";").split(";") if "=" in p)
    return parts["BlobEndpoint"].rstrip("/") + "/"


def fake_cloud() -> AzureCloud:
    """The cloud the in-process tests name (the transport answers whatever the host)."""
    from core.azure.cloud import PUBLIC_CLOUD

    return PUBLIC_CLOUD


_WORKSPACE_MLFLOW: list[WorkspaceMlflow] = []  # the session's one proxy
_PROXY_STACK = contextlib.ExitStack()
atexit.register(_PROXY_STACK.close)


def session_workspace_mlflow(
    mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> WorkspaceMlflow:
    """The session's one proxy, started by whoever asks first. Not a fixture dependency of
    ``loopback_cloud``: modules outside tests/azure import that fixture alone, and only
    ``mlflow_server`` (tests/conftest.py) is visible to them by name."""
    if not _WORKSPACE_MLFLOW:
        folder = tmp_path_factory.mktemp("workspace-mlflow")
        _WORKSPACE_MLFLOW.append(_PROXY_STACK.enter_context(serve_workspace_mlflow(mlflow_server, folder)))
    return _WORKSPACE_MLFLOW[0]


@pytest.fixture(scope="session")
def workspace_mlflow(
    mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> WorkspaceMlflow:
    """The fake workspaces' MLflow endpoint for the whole session."""
    return session_workspace_mlflow(mlflow_server, tmp_path_factory)


@pytest.fixture
def trust_workspace_mlflow(
    workspace_mlflow: WorkspaceMlflow, monkeypatch: pytest.MonkeyPatch
) -> WorkspaceMlflow:
    """Trust the workspace MLflow proxy's certificate in this test (``REQUESTS_CA_BUNDLE``; the
    same CA signs the loopback cloud's)."""
    assert workspace_mlflow.ca_bundle is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(workspace_mlflow.ca_bundle))
    return workspace_mlflow


@pytest.fixture
def fake_azure(
    azurite: str, mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FakeAzure]:
    """A fresh fake Azure whose storage accounts are Azurite's account and whose workspaces'
    MLflow is the session's workspace MLflow proxy (asked for through ``mlflow_server``, which
    modules importing this fixture see by name); the containers it made in Azurite are deleted
    afterwards."""
    from tests.azure.fake.routes_storage import azurite_cleanup

    fake = FakeAzure(
        tenant_id=TENANT,
        subscriptions={SUBSCRIPTION: "Fake subscription"},
        blob_endpoint=blob_endpoint_of(azurite),
        blob_key=AZURITE_KEY,
    )
    fake.workspace_mlflow = session_workspace_mlflow(mlflow_server, tmp_path_factory)
    yield fake
    from tests.azure.fake.scoring import stop_all

    stop_all(fake)  # the scoring servers behind its online endpoints
    azurite_cleanup(fake)


@pytest.fixture
def fake_credential() -> FakeCredential:
    return FakeCredential()


@pytest.fixture
def fake_factory(fake_azure: FakeAzure, fake_credential: FakeCredential) -> ClientFactory:
    """The product's ClientFactory, reaching ``fake_azure`` in process."""
    from core.azure.clients import ClientFactory

    return ClientFactory(
        fake_credential, SUBSCRIPTION, fake_cloud(), transport=FakeTransport(fake_azure), polling_interval=0
    )


@pytest.fixture
def azure_backend(fake_factory: ClientFactory, tmp_path: Path) -> AzureBackend:
    """The product's AzureBackend on ``fake_azure`` (imported here: its mixins come from several
    modules)."""
    from core.azure.backend import AzureBackend

    return AzureBackend(fake_factory, tmp_path / "azure-state")


_LOOPBACK: list[LoopbackCloud] = []  # the session's one loopback cloud, whoever started it


@pytest.fixture(scope="session")
def loopback_cloud(
    azurite: str, mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoopbackCloud]:
    """One fake Azure served over HTTPS on 127.0.0.1 for the whole session.

    Test modules outside tests/azure import this fixture, which makes a fixture of their own
    (pytest keeps one instance per definition): they get the same cloud here, since azure-ai-ml
    keeps the first endpoints it sees under a cloud's name, so a second "FakeCloud" on another
    port (with another certificate) would not be reached."""
    if _LOOPBACK:
        yield _LOOPBACK[0]
        return
    fake = FakeAzure(
        tenant_id=TENANT,
        subscriptions={SUBSCRIPTION: "Fake subscription"},
        blob_endpoint=blob_endpoint_of(azurite),
        blob_key=AZURITE_KEY,
    )
    fake.workspace_mlflow = session_workspace_mlflow(mlflow_server, tmp_path_factory)
    with serve_loopback_cloud(fake, tmp_path_factory.mktemp("fake-azure-tls")) as cloud:
        _LOOPBACK.append(cloud)
        try:
            yield cloud
        finally:
            _LOOPBACK.clear()
    from tests.azure.fake.routes_storage import azurite_cleanup
    from tests.azure.fake.scoring import stop_all

    stop_all(fake)

    azurite_cleanup(fake)


@pytest.fixture
def trust_loopback(loopback_cloud: LoopbackCloud, monkeypatch: pytest.MonkeyPatch) -> LoopbackCloud:
    """Trust the loopback cloud's certificate in this test only (``REQUESTS_CA_BUNDLE``, which
    requests, MSAL and azure-core's RequestsTransport read)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(loopback_cloud.ca_bundle))
    return loopback_cloud


def loopback_product_cloud(cloud: LoopbackCloud) -> AzureCloud:
    """The product's AzureCloud for a loopback cloud, built from its own settings (no test mode)."""
    from core.azure.cloud import cloud_from_environment

    return cloud_from_environment(cloud.environment())


@pytest.fixture
def closed_port_url() -> str:
    """An https URL on a loopback port nothing listens on: "no network" without a network."""
    return f"https://127.0.0.1:{free_port()}/"
