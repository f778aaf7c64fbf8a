"""The azure backend: the same walkthrough on a real subscription, through azure-identity, the
management SDKs, azure-storage-blob and azure-ai-ml.

One module per slice of the ``core.backend.Backend`` Protocol, each a mixin over
:class:`~core.azure.base.AzureBase` (the client factory and error translation):

- :mod:`~core.azure.groups`: resource groups and storage accounts (``ResourcesAPI``, part)
- :mod:`~core.azure.storage`: ``StorageAPI`` (blob containers through Resource Manager, blobs
  through azure-storage-blob at the account's own blob endpoint)
- :mod:`~core.azure.workspaces`: workspaces, environments and compute clusters, and starting
  their long-running creates (``ResourcesAPI``)
- :mod:`~core.azure.inventory`: inventory, teardown and polling operations (``ResourcesAPI``)
- :mod:`~core.azure.operations`: the pollers of running operations, kept in ``state_dir`` so a
  reload or a restart picks them up; :mod:`~core.azure.lookups`: finding resources by name
- :mod:`~core.azure.data_assets`: ``DataAssetsAPI`` (the workspace's default datastore)
- :mod:`~core.azure.sweeps`: ``SweepsAPI`` (sweep jobs on a compute cluster, trials from the
  workspace's MLflow)
- :mod:`~core.azure.models`: ``ModelsAPI`` (a trial job's MLflow model as a model version; the
  champion is a tag)
- :mod:`~core.azure.endpoints`: ``EndpointsAPI`` (managed online endpoints, deployments, keys)
"""

from __future__ import annotations

from core.azure.data_assets import DataAssetsMixin
from core.azure.endpoints import AzureEndpointsMixin
from core.azure.groups import GroupsMixin
from core.azure.inventory import InventoryMixin
from core.azure.models import AzureModelsMixin
from core.azure.storage import StorageMixin
from core.azure.sweeps import AzureSweepsMixin
from core.azure.tracking import TrackingMixin
from core.azure.workspaces import WorkspacesMixin
from core.backend import BackendInfo, Capabilities


class AzureBackend(
    GroupsMixin,
    StorageMixin,
    InventoryMixin,
    AzureEndpointsMixin,
    AzureModelsMixin,  # before the sweeps it registers from
    AzureSweepsMixin,  # before the slices it reads through (environments, MLflow, data assets)
    WorkspacesMixin,
    TrackingMixin,
    DataAssetsMixin,
):
    """Implements ``core.backend.Backend`` on one Azure subscription."""

    @property
    def info(self) -> BackendInfo:
        cloud = self.factory.cloud
        where = "" if cloud.name == "AzureCloud" else f" in {cloud.name} ({cloud.resource_manager})"
        return BackendInfo(
            name="azure",
            description=f"Your Azure subscription{where}: creating resources there is billable.",
            location=f"subscription {self.subscription_id}",
        )

    @property
    def capabilities(self) -> Capabilities:
        """Azure cannot resume a sweep job or restart a deleted endpoint; its creates and deletes
        take minutes and are polled; what they create is billed. Sweeps run as sweep jobs
        (``core.azure.sweeps``); endpoints are managed online endpoints (``core.azure.endpoints``)."""
        return Capabilities(
            resume_sweeps=False,
            restart_endpoints=False,
            long_running_operations=True,
            billable=True,
            sweeps=True,
            ships_code=True,
            endpoints=True,
        )
