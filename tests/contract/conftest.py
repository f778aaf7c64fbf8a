"""The backend contract: the same tests run against every backend in ``BACKENDS``.

Tests here talk to a backend only through the ``core.backend.Backend`` Protocol and assert only
the neutral types (``core.backend.types``, ``core.resources``). To add a backend, write a factory
that returns a fresh one for a given folder and add it to ``BACKENDS``.

Workspaces, sweeps and endpoints are slow, so one workspace per backend (``shared``) holds the
heart dataset, and (``trained``) one finished sweep, one registered model and one deployed
endpoint, shared by the data asset, sweep, model and endpoint tests; it is torn down, with its
resource group, after the session, and the teardown is checked then.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.backend import ACTIVE_STATES, Backend, Operation, SweepInfo, SweepProgress
from core.compute import ComputeSpec
from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.data.split import split_frame
from core.data.store import StoredDataset, store_dataset
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.registry import RegisteredVersion
from core.resources import Kind
from core.sweep.spec import Limits
from tests.azure.fake import FakeAzure
from tests.azure.fake.server import LoopbackCloud
from tests.core.engine.conftest import small_spec
from tests.workspaces import BC, CC, RG, SA, WS, WS_REF

BackendFactory = Callable[[Path], Backend]


def make_local(folder: Path) -> Backend:
    from core.local.backend import LocalBackend

    return LocalBackend(folder)


class _FakeClouds:
    """The azure backend's fake Azures: one per backend, each served over HTTPS on 127.0.0.1 as a
    cloud of its own (a name of its own too: azure-ai-ml keeps the first endpoints it sees under a
    cloud name for the whole process). One per backend, because names such as a storage
    account's are unique across a cloud, and every contract backend starts empty."""

    def __init__(self, azurite: str, folder: Path) -> None:
        from contextlib import ExitStack

        self.azurite = azurite
        self.folder = folder
        self.stack = ExitStack()
        self.bundle = folder / "fake-clouds-ca.pem"
        self.fakes: list[FakeAzure] = []
        self.workspace_mlflow: object = (
            None  # the workspaces' MLflow endpoint (tests.azure.fake.mlflow_proxy)
        )

    def new(self) -> LoopbackCloud:
        from tests.azure.conftest import AZURITE_KEY, SUBSCRIPTION, TENANT, blob_endpoint_of
        from tests.azure.fake.server import serve_loopback_cloud

        fake = FakeAzure(
            tenant_id=TENANT,
            subscriptions={SUBSCRIPTION: "Contract subscription"},
            blob_endpoint=blob_endpoint_of(self.azurite),
            blob_key=AZURITE_KEY,
        )
        fake.workspace_mlflow = self.workspace_mlflow
        cloud = self.stack.enter_context(serve_loopback_cloud(fake, self.folder / f"cloud{len(self.fakes)}"))
        with self.bundle.open("a", encoding="utf-8") as bundle:
            bundle.write(cloud.ca_bundle.read_text(encoding="utf-8"))
        self.fakes.append(fake)
        return cloud

    def close(self) -> None:
        from tests.azure.fake.routes_storage import azurite_cleanup
        from tests.azure.fake.scoring import stop_all

        for fake in self.fakes:
            stop_all(fake)  # the scoring servers behind its online endpoints
            azurite_cleanup(fake)
        self.stack.close()


_CLOUDS: list[_FakeClouds] = []


def make_fake_azure(folder: Path) -> Backend:
    """The azure backend against a fresh fake Azure served over HTTPS on 127.0.0.1 as another
    cloud, through the product's own cloud settings (workspace creation only reaches a fake that
    way: azure-ai-ml's ARM-deployment executor takes no transport)."""
    from core.azure.backend import AzureBackend
    from core.azure.clients import ClientFactory
    from core.azure.cloud import cloud_from_environment
    from tests.azure.conftest import SUBSCRIPTION, FakeCredential

    clouds = _CLOUDS[0]
    cloud = clouds.new()
    settings = cloud.environment() | {"AZML_AZURE_CLOUD": f"ContractCloud{len(clouds.fakes)}"}
    factory = ClientFactory(FakeCredential(), SUBSCRIPTION, cloud_from_environment(settings))
    return AzureBackend(factory, folder)


# Every backend the contract runs against, with the slices each implements so far in PARTIAL.
BACKENDS: dict[str, BackendFactory] = {"local": make_local, "azure": make_fake_azure}

SLICES = ("resources", "storage", "data_assets", "sweeps", "models", "endpoints")
# The slices a backend implements so far, while it is being built; one missing here has all six.
PARTIAL: dict[str, tuple[str, ...]] = {}


def implements(backend_name: str, name: str) -> bool:
    """Whether the backend implements the slice ``name`` (for a test that only touches it)."""
    return name in PARTIAL.get(backend_name, SLICES)


@pytest.fixture(scope="session", autouse=True)
def _fake_clouds(
    backend_name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """For the azure backend: its fake clouds, trusted for the session (their CAs in one bundle)."""
    if backend_name != "azure":
        yield
        return
    from tests.azure.conftest import session_workspace_mlflow

    clouds = _FakeClouds(request.getfixturevalue("azurite"), tmp_path_factory.mktemp("fake-clouds"))
    clouds.workspace_mlflow = session_workspace_mlflow(
        request.getfixturevalue("mlflow_server"), tmp_path_factory
    )
    patch = pytest.MonkeyPatch()
    patch.setenv("REQUESTS_CA_BUNDLE", str(clouds.bundle))
    _CLOUDS[:] = [clouds]
    yield
    _CLOUDS.clear()
    patch.undo()
    clouds.close()


DATASET = "heart"
EXPERIMENT = "contract-sweeps"
MODEL = "contract-model"
ENDPOINT, DEPLOYMENT = "contract-endpoint", "blue"


@pytest.fixture(scope="session", params=sorted(BACKENDS))
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract_slice(name): the Protocol slice a contract test covers")


def skip_unless_slice(backend_name: str, *names: str) -> None:
    for name in names:
        assert name in SLICES, name
        if name not in PARTIAL.get(backend_name, SLICES):
            pytest.skip(f"the {backend_name} backend does not implement the {name} slice yet")


@pytest.fixture(autouse=True)
def _slice_implemented(request: pytest.FixtureRequest, backend_name: str) -> None:
    marker = request.node.get_closest_marker("contract_slice")
    if marker is not None:
        skip_unless_slice(backend_name, *marker.args)


@pytest.fixture
def backend(backend_name: str, tmp_path: Path) -> Backend:
    """A fresh, empty backend of each kind."""
    return BACKENDS[backend_name](tmp_path / "state")


def build_storage(backend: Backend) -> None:
    """The tutorial's resource group, storage account and blob container."""
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_blob_container(SA, BC)


def build_tree(backend: Backend) -> None:
    """The tutorial's resource tree, with its workspace and compute cluster."""
    build_storage(backend)
    backend.create_workspace(RG, WS, SA)
    backend.create_compute(WS_REF, ComputeSpec(CC, max_instances=2))


def store_heart(backend: Backend) -> StoredDataset:
    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=0.2, seed=42, stratify=True)
    return store_dataset(backend, WS_REF, SA, BC, DATASET, split, schema, "heart sample")


def wait_finished(backend: Backend, sweep_id: str, timeout: float = 240) -> SweepProgress:
    deadline = time.monotonic() + timeout
    while True:
        progress = backend.sweep_status(WS_REF, sweep_id)
        if progress.state not in ACTIVE_STATES:
            return progress
        if time.monotonic() > deadline:
            pytest.fail(f"sweep {sweep_id} stuck in {progress.state}: {progress.job.message}")
        time.sleep(0.3)


def finish(backend: Backend, operation: Operation, timeout: float = 600) -> Operation:
    """Poll ``operation`` as a page would, until it is done."""
    deadline = time.monotonic() + timeout
    while not operation.done:
        assert time.monotonic() < deadline, f"{operation.kind} {operation.target} still {operation.status}"
        time.sleep(0.2 if backend.capabilities.long_running_operations else 0.01)
        operation = backend.poll_operation(operation)
    return operation


@dataclass(frozen=True)
class Shared:
    """A backend's shared workspace (the tutorial's tree) with the heart dataset stored."""

    backend: Backend
    stored: StoredDataset


@dataclass(frozen=True)
class Swept:
    """The shared workspace with one finished sweep."""

    backend: Backend
    stored: StoredDataset
    launched: SweepInfo
    progress: SweepProgress


@dataclass(frozen=True)
class Trained(Swept):
    """The shared workspace with a finished sweep, its registered model and a served endpoint."""

    model: RegisteredVersion


@pytest.fixture(scope="session")
def shared(backend_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """Torn down after the session with its resource group: nothing may be left of it."""
    skip_unless_slice(backend_name, "resources", "storage", "data_assets")
    backend = BACKENDS[backend_name](tmp_path_factory.mktemp(f"contract-{backend_name}") / "state")
    build_tree(backend)
    # the image a sweep's trials run in (the local backend records it; Azure ML needs it)
    backend.create_environment(WS_REF, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    yield Shared(backend, store_heart(backend))
    _teardown(backend)


@pytest.fixture(scope="session")
def swept(backend_name: str, shared: Shared) -> Swept:
    """One small sweep (3 trials, 2 folds), run to its end: the sweep tests share it."""
    skip_unless_slice(backend_name, "sweeps")
    backend = shared.backend
    spec = small_spec(limits=Limits(max_total_trials=3, max_concurrent_trials=2), cv_folds=2)
    launched = backend.launch_sweep(WS_REF, CC, DATASET, shared.stored.asset.version, spec, EXPERIMENT)
    progress = wait_finished(backend, launched.id)
    assert progress.state == "completed", progress.job.message
    return Swept(backend, shared.stored, launched, progress)


@pytest.fixture(scope="session")
def trained(backend_name: str, swept: Swept) -> Trained:
    skip_unless_slice(backend_name, "sweeps", "models", "endpoints")
    backend = swept.backend
    model = backend.register_model(WS_REF, swept.launched.id, name=MODEL)
    backend.create_endpoint(WS_REF, ENDPOINT, "contract test endpoint")
    backend.create_deployment(WS_REF, ENDPOINT, DEPLOYMENT, model.name, model.version)
    return Trained(backend, swept.stored, swept.launched, swept.progress, model)


def _teardown(backend: Backend) -> None:
    """Delete the resource group: nothing of it may be left, and its endpoints stop answering."""
    uris = [e.scoring_uri for e in backend.list_endpoints(WS_REF) if e.scoring_uri]
    assert all(_answers(uri) for uri in uris), "the probe sees a live endpoint"
    deleted = backend.delete_resource_group(RG)
    assert {(r.kind, r.name) for r in deleted} >= {(Kind.WORKSPACE, WS), (Kind.RESOURCE_GROUP, RG)}
    assert backend.inventory() == []
    for uri in uris:
        assert not _answers(uri), f"{uri} still answers after its resource group was deleted"


def _answers(uri: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(uri, timeout=3)  # noqa: S310 - the backend's own scoring URI
    except urllib.error.HTTPError:
        return True  # it answered, with an error status (no key)
    except (urllib.error.URLError, OSError):
        return False
    return True
