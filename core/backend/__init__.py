"""The one interface that pages talk to, whichever backend is active.

``Backend`` composes one small Protocol per concern: resources, storage, data assets, sweeps,
models and endpoints. Pages learn what a backend can do from its :class:`Capabilities`, never
from its name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from core.backend.types import (
    ACTIVE_STATES,
    BackendInfo,
    Capabilities,
    DeployedModel,
    DeploymentInfo,
    EndpointHealth,
    EndpointInfo,
    EndpointKeys,
    Operation,
    OperationState,
    Secret,
    SweepInfo,
    SweepProgress,
    SweepState,
    TrialRow,
    WorkspaceRef,
)
from core.compute import ComputeSpec
from core.endpoint.defaults import DEFAULT_INSTANCE_TYPE
from core.environments import EnvironmentSpec
from core.errors import UserFacingError
from core.resources import BlobInfo, DataAsset, Outcome, Resource
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from core.registry import RegisteredVersion
    from core.sweep.spec import SweepSpec
    from core.trials.oof import TrainingData

__all__ = [
    "ACTIVE_STATES",
    "BACKENDS",
    "Backend",
    "BackendInfo",
    "Capabilities",
    "DataAssetsAPI",
    "DeployedModel",
    "DeploymentInfo",
    "EndpointHealth",
    "EndpointInfo",
    "EndpointKeys",
    "EndpointsAPI",
    "ModelsAPI",
    "Operation",
    "OperationState",
    "Progress",
    "ResourcesAPI",
    "Secret",
    "StorageAPI",
    "SweepInfo",
    "SweepProgress",
    "SweepState",
    "SweepsAPI",
    "TrialRow",
    "WorkspaceRef",
    "open_backend",
]

BACKENDS = ("local", "azure")

# An upload's progress callback: (bytes sent so far, bytes in all).
Progress = Callable[[int, int], None]


class ResourcesAPI(Protocol):
    """Get-or-create for the resource tree, its inventory and teardown.

    Every ``create_*`` is idempotent: a second call with the same arguments finds the
    resource and returns ``Outcome(created=False)``. Names are validated first. A workspace is
    named by a :class:`WorkspaceRef` (resource group and name) everywhere after its creation;
    ``WorkspaceRef.of`` makes one from an inventory entry.
    """

    @property
    def info(self) -> BackendInfo: ...

    @property
    def capabilities(self) -> Capabilities: ...

    def create_resource_group(self, name: str, location: str) -> Outcome: ...

    def create_storage_account(
        self, resource_group: str, name: str, connection_string: str | None = None
    ) -> Outcome: ...

    def create_workspace(
        self, resource_group: str, name: str, storage_account: str | None = None
    ) -> Outcome: ...

    def workspace_config(self, workspace: WorkspaceRef) -> dict[str, str]: ...

    def create_environment(self, workspace: WorkspaceRef, spec: EnvironmentSpec) -> Outcome: ...

    def create_compute(self, workspace: WorkspaceRef, spec: ComputeSpec) -> Outcome: ...

    def inventory(self) -> list[Resource]: ...

    # -- long-running work: these return an Operation the page polls (see poll_operation) --
    def begin_create_storage_account(
        self, resource_group: str, name: str, connection_string: str | None = None
    ) -> Operation:
        """Start creating (or getting) a storage account. Bad input raises at once and creates
        nothing: an invalid name, a name taken by someone else (names are global on Azure), a
        missing resource group. The finished operation's ``result`` is the ``Outcome``
        (``created=False`` when the account exists already in this resource group)."""
        ...

    def begin_create_workspace(
        self, resource_group: str, name: str, storage_account: str | None = None
    ) -> Operation:
        """Start creating (or getting) a workspace; bad input raises at once, as a create would."""
        ...

    def begin_create_compute(self, workspace: WorkspaceRef, spec: ComputeSpec) -> Operation: ...

    def begin_delete_workspace(self, workspace: WorkspaceRef, permanently: bool = False) -> Operation:
        """Start deleting a workspace with everything in it. Azure soft-deletes a workspace by
        default (recoverable for 14 days, its name still taken); ``permanently`` purges it and
        frees the name. A backend without soft delete deletes it either way."""
        ...

    def begin_delete_resource_group(self, name: str) -> Operation: ...

    def poll_operation(self, operation: Operation) -> Operation:
        """The operation as it stands now (the same object once it is done)."""
        ...

    def running_operations(self) -> list[Operation]:
        """The long-running operations this backend started that are not finished yet, as they
        stand now: a browser reload or a dashboard restart picks them up again from here."""
        ...

    def delete_workspace(self, workspace: WorkspaceRef, permanently: bool = False) -> list[Resource]: ...

    def delete_resource_group(self, name: str) -> list[Resource]: ...


class StorageAPI(Protocol):
    """Blob containers and blobs of a storage account."""

    def storage_connection_string(self, account: str) -> Secret:
        """The account's connection string, masked unless revealed on purpose."""
        ...

    def create_blob_container(self, account: str, name: str) -> Outcome: ...

    def upload_blob(
        self, account: str, container: str, name: str, data: bytes, *, progress: Progress | None = None
    ) -> BlobInfo:
        """Upload (overwrite) one blob; ``progress(sent, total)`` is called as bytes go out."""
        ...

    def list_blobs(self, account: str, container: str) -> list[BlobInfo]: ...

    def download_blob(self, account: str, container: str, name: str) -> bytes: ...


class DataAssetsAPI(Protocol):
    """Versioned data assets of a workspace: the train split and the files kept with it."""

    def data_asset_versions(self, workspace: WorkspaceRef, name: str) -> list[DataAsset]: ...

    def list_data_assets(self, workspace: WorkspaceRef) -> list[DataAsset]: ...

    def next_data_asset_version(self, workspace: WorkspaceRef, name: str) -> int: ...

    def register_data_asset(
        self,
        workspace: WorkspaceRef,
        asset: DataAsset,
        files: dict[str, bytes],
        *,
        progress: Progress | None = None,
    ) -> DataAsset:
        """Register a new version with its files; ``progress(sent, total)`` as files are stored."""
        ...

    def data_asset_file(self, workspace: WorkspaceRef, name: str, version: int, filename: str) -> bytes: ...


class SweepsAPI(Protocol):
    """Sweeps run on the workspace's compute cluster; their trials land in its MLflow store."""

    def tracking_uri(self, workspace: WorkspaceRef) -> str: ...

    def run_artifact(self, workspace: WorkspaceRef, run_id: str, path: str) -> bytes | None:
        """One artifact file of a run in the workspace's MLflow (``path`` inside the run's
        artifacts, e.g. ``oof_predictions.csv``); None when the run has no such artifact."""
        ...

    def launch_sweep(
        self,
        workspace: WorkspaceRef,
        cluster: str,
        dataset: str,
        version: int,
        spec: SweepSpec,
        experiment: str,
    ) -> SweepInfo: ...

    def list_sweeps(self, workspace: WorkspaceRef) -> Sequence[SweepInfo]:
        """Every sweep, oldest first, each with the state a user should see (a sweep whose
        runner is gone reads "interrupted")."""
        ...

    def sweep_status(self, workspace: WorkspaceRef, sweep_id: str) -> SweepProgress: ...

    def cancel_sweep(self, workspace: WorkspaceRef, sweep_id: str) -> SweepInfo: ...

    def resume_sweep(self, workspace: WorkspaceRef, sweep_id: str) -> SweepInfo: ...

    def close_sweep(self, workspace: WorkspaceRef, sweep_id: str) -> SweepInfo: ...

    def sweep_training_data(self, workspace: WorkspaceRef, sweep_id: str) -> TrainingData | None:
        """What the sweep trained on (train split, schema, family, metric, folds, seed), for the
        best-trial panel's out-of-fold predictions; None when the data is no longer there."""
        ...


class ModelsAPI(Protocol):
    """The workspace's model registry: versions, tags and the champion marker."""

    def register_model(
        self,
        workspace: WorkspaceRef,
        sweep_id: str,
        trial_number: int | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> RegisteredVersion: ...

    def registered_models(self, workspace: WorkspaceRef) -> list[str]: ...

    def model_versions(self, workspace: WorkspaceRef, name: str) -> list[RegisteredVersion]: ...

    def newest_model(self, workspace: WorkspaceRef) -> str | None: ...

    def set_model_alias(
        self, workspace: WorkspaceRef, name: str, version: int, alias: str = "champion"
    ) -> RegisteredVersion: ...

    def set_model_version_tag(
        self, workspace: WorkspaceRef, name: str, version: int, key: str, value: str
    ) -> RegisteredVersion: ...


class EndpointsAPI(Protocol):
    """Online endpoints with key auth, their deployments, keys and traffic."""

    def deployment_changes(
        self, workspace: WorkspaceRef, endpoint: str, deployment: str, model_name: str, model_version: int
    ) -> list[str]: ...

    def create_endpoint(self, workspace: WorkspaceRef, name: str, description: str = "") -> Outcome: ...

    def create_deployment(
        self,
        workspace: WorkspaceRef,
        endpoint: str,
        name: str,
        model_name: str,
        model_version: int,
        instance_count: int = 1,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
    ) -> Outcome: ...

    def list_endpoints(self, workspace: WorkspaceRef) -> Sequence[EndpointInfo]: ...

    def get_endpoint(self, workspace: WorkspaceRef, name: str) -> EndpointInfo: ...

    def endpoint_keys(self, workspace: WorkspaceRef, name: str) -> EndpointKeys: ...

    def regenerate_endpoint_key(
        self, workspace: WorkspaceRef, name: str, key_type: str = "primary"
    ) -> EndpointKeys: ...

    def set_endpoint_traffic(
        self, workspace: WorkspaceRef, name: str, traffic: dict[str, int]
    ) -> EndpointInfo: ...

    def start_endpoint(self, workspace: WorkspaceRef, name: str) -> EndpointInfo: ...

    def delete_deployment(self, workspace: WorkspaceRef, endpoint: str, name: str) -> EndpointInfo: ...

    def delete_endpoint(self, workspace: WorkspaceRef, name: str) -> list[Resource]: ...

    def deployed_model(self, workspace: WorkspaceRef, endpoint: str, deployment: str) -> DeployedModel: ...

    def deployment_logs(
        self, workspace: WorkspaceRef, endpoint: str, deployment: str, lines: int = 100
    ) -> str:
        """The last ``lines`` lines of the deployment's server (container) log, as text: what the
        page shows while a deployment is being created and when it failed."""
        ...

    # -- long-running work (minutes on Azure): an Operation the page polls (poll_operation) --
    def begin_deploy(
        self,
        workspace: WorkspaceRef,
        endpoint: str,
        deployment: str,
        model_name: str,
        model_version: int,
        instance_count: int = 1,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
    ) -> Operation:
        """Get or create the endpoint, then create (or update) the deployment of a registered model;
        the finished operation's result is the deployment's ``Outcome``. Bad input raises at once."""
        ...

    def begin_delete_deployment(self, workspace: WorkspaceRef, endpoint: str, name: str) -> Operation:
        """Delete one deployment; the result is the endpoint as it is left (``EndpointInfo``)."""
        ...

    def begin_delete_endpoint(self, workspace: WorkspaceRef, name: str) -> Operation:
        """Delete an endpoint with its deployments and keys; the result lists what went."""
        ...


class Backend(ResourcesAPI, StorageAPI, DataAssetsAPI, SweepsAPI, ModelsAPI, EndpointsAPI, Protocol):
    """Everything a page can ask of a backend: one slice per concern."""


def open_backend(name: str | None = None, settings: Settings | None = None, **options: Any) -> Backend:
    """Build the backend called ``name`` (default: the ``AZML_BACKEND`` setting)."""
    settings = settings or load_settings()
    chosen = (name or settings.backend).lower()
    if chosen == "local":
        from core.local.backend import LocalBackend

        return LocalBackend(settings.data_dir, subscription_id=settings.subscription_id, **options)
    if chosen == "azure":
        factory = options.get("factory")
        if factory is None:
            raise UserFacingError(
                "The azure backend needs a sign-in: a credential and a subscription to work in.",
                "Choose azure in the sidebar and sign in under Azure connection (or build it in code: "
                "open_backend('azure', factory=ClientFactory(credential, subscription_id, cloud), "
                "state_dir=...)).",
            )
        from core.azure.backend import AzureBackend

        state_dir = options.get("state_dir") or settings.data_dir / "azure"
        return AzureBackend(factory, state_dir)
    raise UserFacingError(f"There is no backend called '{name}'.", f"Pick one of {', '.join(BACKENDS)}.")
