"""The local backend's ``StorageAPI``: blob containers and blobs in a folder or a real account."""

from __future__ import annotations

from typing import Any

from core.backend import Progress, Secret
from core.errors import NotFoundError, UserFacingError
from core.local import blobstore
from core.local.base import LocalBase
from core.naming import validate_name
from core.resources import BlobInfo, Kind, Outcome, Resource


class StorageMixin(LocalBase):
    """Blob containers and blobs; the connection string kept for each storage account."""

    def storage_connection_string(self, account: str) -> Secret:
        self._require(Kind.STORAGE_ACCOUNT, account)
        secret = self._state.secret(secret_key(account))
        if secret is None:
            raise NotFoundError(
                f"The key of storage account '{account}' is missing from {self._state.secrets_path}.",
                "Delete and re-create the storage account.",
            )
        return Secret(secret, connection_string=True)

    def blob_store(self, account: str) -> blobstore.FolderBlobStore | blobstore.AzureBlobStore:
        return blobstore.open_blob_store(self.storage_connection_string(account).reveal())

    # -- blob container -------------------------------------------------------------
    def create_blob_container(self, account: str, name: str) -> Outcome:
        name = validate_name(Kind.BLOB_CONTAINER, name)
        with self._state.locked():
            acct = self._require(Kind.STORAGE_ACCOUNT, account)
            store = self.blob_store(acct.name)
            existing = self._state.find(Kind.BLOB_CONTAINER, name, parent=acct.name)
            made = call_storage(lambda: store.create_container(name), acct)
            if existing:
                note = ("It was missing from the storage and has been created again.",) if made else ()
                return Outcome(existing, False, f"Blob container '{name}' exists already.", note)
            res = self._add(Kind.BLOB_CONTAINER, name, acct.name, {})
        return Outcome(res, True, f"Created blob container '{name}' in storage account '{acct.name}'.")

    def upload_blob(
        self, account: str, container: str, name: str, data: bytes, *, progress: Progress | None = None
    ) -> BlobInfo:
        acct = self._require_container(account, container)
        store = self.blob_store(acct.name)
        info: BlobInfo = call_storage(lambda: store.upload(container, name, data), acct)
        if progress is not None:  # one local write: it is all there at once
            progress(len(data), len(data))
        return info

    def list_blobs(self, account: str, container: str) -> list[BlobInfo]:
        acct = self._require_container(account, container)
        store = self.blob_store(acct.name)
        return call_storage(lambda: store.list(container), acct)  # type: ignore[no-any-return]

    def download_blob(self, account: str, container: str, name: str) -> bytes:
        acct = self._require_container(account, container)
        store = self.blob_store(acct.name)
        return call_storage(lambda: store.download(container, name), acct)  # type: ignore[no-any-return]

    def _require_container(self, account: str, container: str) -> Resource:
        acct = self._require(Kind.STORAGE_ACCOUNT, account)
        if self._state.find(Kind.BLOB_CONTAINER, container, parent=acct.name) is None:
            raise NotFoundError(
                f"Storage account '{account}' has no blob container called '{container}'.",
                "Create the container on the Resources page.",
            )
        return acct


def secret_key(account: str) -> str:
    return f"storage_account/{account}"


def check_reachable(connection_string: str) -> None:
    """Fail early, with a clear message, when the blob endpoint does not answer."""
    from azure.core.exceptions import AzureError
    from azure.storage.blob import BlobServiceClient

    try:
        client = BlobServiceClient.from_connection_string(
            connection_string, retry_total=0, connection_timeout=5, read_timeout=10
        )
        client.get_service_properties()
    except (AzureError, ValueError) as exc:
        raise UserFacingError(
            f"Could not reach the blob endpoint in the connection string ({type(exc).__name__}).",
            "Check that Azurite or the storage account is running and that the key is right.",
        ) from None


def call_storage(action: Any, account: Resource) -> Any:
    from azure.core.exceptions import AzureError

    try:
        return action()
    except AzureError as exc:
        raise UserFacingError(
            f"Storage account '{account.name}' at {account.properties.get('endpoint')} refused the request "
            f"({type(exc).__name__}).",
            "Check that Azurite or the storage account is running.",
        ) from None
