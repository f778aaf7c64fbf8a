"""The one place the azure backend builds its SDK clients.

Every client gets the same credential, subscription and cloud, and, when one is given, the same
azure-core ``transport`` and polling interval. Tests hand in a transport that answers from a fake
of Azure's control plane; nothing in the product is patched or switched into a test mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.azure.cloud import PUBLIC_CLOUD, AzureCloud

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.core.credentials import TokenCredential
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient
    from azure.mgmt.storage import StorageManagementClient
    from azure.storage.blob import BlobServiceClient


@dataclass(frozen=True)
class ClientFactory:
    """Builds the SDK clients of one subscription in one cloud.

    ``transport`` is an azure-core ``HttpTransport`` shared by the management and ML clients
    (None: each client makes its own). ``polling_interval`` (seconds) is passed to every
    long-running operation's poller (None: Azure's ``Retry-After``)."""

    credential: TokenCredential
    subscription_id: str
    cloud: AzureCloud = PUBLIC_CLOUD
    transport: Any = None
    polling_interval: float | None = None
    blob_transport: Any = None  # for azure-storage-blob (None: a real HTTP transport)
    extra: dict[str, Any] = field(default_factory=dict)  # more client kwargs (retry settings…)

    def _common(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(self.extra)
        if self.transport is not None:
            kwargs["transport"] = self.transport
        if self.polling_interval is not None:
            kwargs["polling_interval"] = self.polling_interval
        return kwargs

    def with_subscription(self, subscription_id: str) -> ClientFactory:
        from dataclasses import replace

        return replace(self, subscription_id=subscription_id)

    def resources(self) -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(
            self.credential, self.subscription_id, **self.cloud.management_kwargs(), **self._common()
        )

    def storage(self) -> StorageManagementClient:
        from azure.mgmt.storage import StorageManagementClient

        return StorageManagementClient(
            self.credential, self.subscription_id, **self.cloud.management_kwargs(), **self._common()
        )

    def subscriptions(self) -> SubscriptionClient:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(self.credential, **self.cloud.management_kwargs(), **self._common())

    def ml(self, resource_group: str | None = None, workspace: str | None = None) -> MLClient:
        from azure.ai.ml import MLClient

        return MLClient(
            self.credential,
            self.subscription_id,
            resource_group,
            workspace,
            **self.cloud.ml_client_kwargs(),
            **self._common(),
        )

    def blob_service(self, account_url: str, credential: Any) -> BlobServiceClient:
        """A blob client for an account's blob endpoint (``primaryEndpoints.blob`` as Azure
        reports it, never built from the account name) with its key or the app's credential."""
        from azure.storage.blob import BlobServiceClient

        kwargs: dict[str, Any] = {}
        if self.blob_transport is not None:
            kwargs["transport"] = self.blob_transport
        return BlobServiceClient(account_url=account_url, credential=credential, **kwargs)
