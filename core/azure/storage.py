"""``StorageAPI`` on Azure: blob containers through Resource Manager, blobs through
azure-storage-blob at the account's own blob endpoint (``primaryEndpoints.blob`` as Azure reports
it, never built from the account name) with the account key read from Azure.

Messages match the local backend's (``core.local.storage``), so pages and the contract suite see
the same sentences whichever backend is active.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from core.azure.base import AzureBase
from core.azure.groups import get_or_none, iso, require_storage_account, resource_group_of, text
from core.backend import Secret
from core.errors import NotFoundError, UserFacingError
from core.naming import validate_name
from core.resources import BlobInfo, Kind, Outcome, Resource

T = TypeVar("T")


def container_resource(container: Any, account: str) -> Resource:
    return Resource(
        kind=Kind.BLOB_CONTAINER,
        name=str(container.name),
        parent=account,
        created_at=iso(getattr(container, "last_modified_time", None)),
        properties={
            "public_access": text(getattr(container, "public_access", "")) or "None",
            "id": str(container.id),
        },
    )


def missing_container(account: str, container: str) -> NotFoundError:
    return NotFoundError(
        f"Storage account '{account}' has no blob container called '{container}'.",
        "Create the container on the Resources page.",
    )


def missing_blob(container: str, name: str) -> NotFoundError:
    return NotFoundError(
        f"There is no blob '{name}' in container '{container}'.",
        "Pick one of the container's blobs, or upload it first.",
    )


def keys_disabled(account: Any) -> bool:
    """Whether an account refuses shared key (account key and SAS) requests; Azure reports
    ``allowSharedKeyAccess`` as null when it was never set, which means allowed."""
    return getattr(account, "allow_shared_key_access", None) is False


class StorageMixin(AzureBase):
    """Blob containers and blobs of the subscription's storage accounts."""

    def _blob_access(self, account: str) -> tuple[Any, str, Any]:
        """The account (SDK model), its blob endpoint, and what signs blob requests: its first
        key, or, where the account turns shared key access off, the app's own sign-in (which then
        needs the Storage Blob Data Contributor role on the account)."""
        acct = require_storage_account(self, account)
        endpoint = str(getattr(acct.primary_endpoints, "blob", "") or "")
        if not endpoint:
            raise UserFacingError(
                f"Storage account '{account}' has no blob endpoint (its kind is {text(acct.kind)}).",
                "Use a StorageV2 account, such as one created on the Resources page.",
            )
        if keys_disabled(acct):
            return acct, endpoint, self.factory.credential
        storage = self.factory.storage()
        rg = resource_group_of(str(acct.id))
        keys = self.call(
            f"reading the keys of storage account '{account}'",
            lambda: storage.storage_accounts.list_keys(rg, str(acct.name)).keys_property,
        )
        if not keys or not keys[0].value:
            raise UserFacingError(
                f"Azure returned no key for storage account '{account}'.",
                "Check that shared key access is allowed on the account (Configuration in the portal).",
            )
        return acct, endpoint, str(keys[0].value)

    def storage_connection_string(self, account: str) -> Secret:
        _, endpoint, key = self._blob_access(account)
        if not isinstance(key, str):
            raise UserFacingError(
                f"Storage account '{account}' does not allow shared key access, so it has no "
                "connection string: the dashboard reads and writes its blobs with your sign-in.",
                "Your own code can do the same: BlobServiceClient(account_url=<its blob endpoint>, "
                "credential=DefaultAzureCredential()), with the Storage Blob Data Contributor role "
                "on the account.",
            )
        # The account name the key signs for, as azure-storage-blob reads it from the endpoint.
        signer = self.factory.blob_service(endpoint, key).account_name
        protocol = endpoint.split("://", 1)[0]
        value = (
            f"DefaultEndpointsProtocol={protocol};AccountName={signer};AccountKey={key};"
            f"BlobEndpoint={endpoint.rstrip('/')};"
        )
        return Secret(value, connection_string=True)

    # -- blob containers (Resource Manager) --------------------------------------------------------
    def create_blob_container(self, account: str, name: str) -> Outcome:
        name = validate_name(Kind.BLOB_CONTAINER, name)
        acct = require_storage_account(self, account)
        rg = resource_group_of(str(acct.id))
        acct_name = str(acct.name)
        storage = self.factory.storage()
        existing = get_or_none(
            self,
            f"reading blob container '{name}'",
            lambda: storage.blob_containers.get(rg, acct_name, name),
            "ContainerNotFound",
        )
        if existing is not None:
            return Outcome(
                container_resource(existing, acct_name), False, f"Blob container '{name}' exists already."
            )
        from azure.mgmt.storage.models import BlobContainer

        private = BlobContainer({"properties": {"publicAccess": "None"}})
        made = self.call(
            f"creating blob container '{name}' in storage account '{acct_name}'",
            lambda: storage.blob_containers.create(rg, acct_name, name, private),
        )
        return Outcome(
            container_resource(made, acct_name),
            True,
            f"Created blob container '{name}' in storage account '{acct_name}'.",
        )

    # -- blobs (azure-storage-blob) ----------------------------------------------------------------
    def _blobs(
        self, account: str, container: str, doing: str, action: Callable[[Any], T], blob: str = ""
    ) -> T:
        """Run ``action(container_client)`` at the account's blob endpoint; a missing container
        or blob becomes a NotFoundError naming it."""
        _, endpoint, key = self._blob_access(account)
        client = self.factory.blob_service(endpoint, key).get_container_client(container)
        try:
            return self.call(doing, lambda: _raise_not_found(action, client))
        except _Missing as missing:
            code = missing.code
            if code == "ContainerNotFound" or (
                code != "BlobNotFound" and not self.call(doing, client.exists)
            ):
                raise missing_container(account, container) from None
            raise missing_blob(container, blob) from None

    def upload_blob(
        self,
        account: str,
        container: str,
        name: str,
        data: bytes,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> BlobInfo:
        """Upload (overwriting, as Azure does); ``progress(sent, total)`` is called as the bytes go."""

        def upload(client: Any) -> BlobInfo:
            blob = client.get_blob_client(name)
            hook = None
            if progress is not None:
                callback = progress

                def hook(current: int, total: int | None) -> None:
                    callback(current, total if total is not None else len(data))

            blob.upload_blob(data, overwrite=True, progress_hook=hook)
            props = blob.get_blob_properties()
            return BlobInfo(name, int(props.size), props.last_modified, str(blob.url))

        return self._blobs(
            account, container, f"uploading blob '{name}' to container '{container}'", upload, name
        )

    def list_blobs(self, account: str, container: str) -> list[BlobInfo]:
        def listing(client: Any) -> list[BlobInfo]:
            base = str(client.url).rstrip("/")
            return [
                BlobInfo(b.name, int(b.size), b.last_modified, f"{base}/{b.name}")
                for b in client.list_blobs()
            ]

        return self._blobs(account, container, f"listing the blobs of container '{container}'", listing)

    def download_blob(self, account: str, container: str, name: str) -> bytes:
        def download(client: Any) -> bytes:
            return bytes(client.get_blob_client(name).download_blob().readall())

        return self._blobs(account, container, f"downloading blob '{name}'", download, name)


class _Missing(Exception):
    """A 404 from the blob service, carried past ``AzureBase.call`` to be named here."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _raise_not_found(action: Callable[[Any], T], client: Any) -> T:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return action(client)
    except ResourceNotFoundError as exc:
        raise _Missing(str(getattr(exc, "error_code", "") or "")) from None
