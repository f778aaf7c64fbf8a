"""Blob storage for the local backend: a folder, or any real account by connection string.

A storage account created without a connection string is a folder. Its connection
string uses ``BlobEndpoint=file://...`` and carries a generated key whose hash sits
in the folder, so opening it by connection string checks the key like Azure would.
With a connection string (Azurite or a real account) the real ``azure-storage-blob``
client does the work.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from core.errors import NotFoundError, UserFacingError
from core.resources import BlobInfo
from core.secrets import parse_connection_string

_KEY_FILE = ".account_key.sha256"


class BlobStore(Protocol):
    """The container and blob operations the walkthrough needs, whatever stores the bytes."""

    def upload(self, container: str, name: str, data: bytes) -> BlobInfo: ...

    def list(self, container: str) -> list[BlobInfo]: ...

    def download(self, container: str, name: str) -> bytes: ...

    def create_container(self, name: str) -> bool:
        """Create the container; return False when it existed already."""
        ...

    def delete_container(self, name: str) -> None: ...

    def container_exists(self, name: str) -> bool: ...


def new_account_key() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


def folder_connection_string(account: str, folder: Path, key: str) -> str:
    return (
        f"DefaultEndpointsProtocol=file;AccountName={account};AccountKey={key};"
        f"BlobEndpoint={folder.resolve().as_uri()};"
    )


class FolderBlobStore:
    """Containers are sub-folders, blobs are files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def provision(cls, folder: Path, key: str) -> FolderBlobStore:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / _KEY_FILE).write_text(_digest(key), encoding="utf-8")
        return cls(folder)

    @classmethod
    def open(cls, folder: Path, key: str) -> FolderBlobStore:
        stored = folder / _KEY_FILE
        if not stored.exists():
            raise UserFacingError(
                f"No local storage account exists at {folder}.", "Create the storage account first."
            )
        if stored.read_text(encoding="utf-8").strip() != _digest(key):
            raise UserFacingError(
                "The AccountKey in the connection string does not match this storage account.",
                "Copy the connection string again from the Resources page.",
            )
        return cls(folder)

    def create_container(self, name: str) -> bool:
        path = self.folder / name
        if path.is_dir():
            return False
        path.mkdir(parents=True)
        return True

    def delete_container(self, name: str) -> None:
        shutil.rmtree(self.folder / name, ignore_errors=True)

    def container_exists(self, name: str) -> bool:
        return (self.folder / name).is_dir()

    def upload(self, container: str, name: str, data: bytes) -> BlobInfo:
        path = self._blob_path(container, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        return self._info(container, path)

    def list(self, container: str) -> list[BlobInfo]:
        root = self.folder / container
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".part"))
        return [self._info(container, p) for p in files]

    def download(self, container: str, name: str) -> bytes:
        path = self._blob_path(container, name)
        if not path.is_file():
            raise missing_blob(container, name)
        return path.read_bytes()

    def _blob_path(self, container: str, name: str) -> Path:
        root = (self.folder / container).resolve()
        path = (root / name).resolve()
        if not root.is_dir():
            raise UserFacingError(f"There is no container '{container}'.", "Create it on the Resources page.")
        if root not in path.parents:
            raise UserFacingError(
                f"'{name}' is not a valid blob name.", "Use names like 'heart/v1/train.csv'."
            )
        return path

    def _info(self, container: str, path: Path) -> BlobInfo:
        stat = path.stat()
        return BlobInfo(
            name=path.relative_to(self.folder / container).as_posix(),
            size=stat.st_size,
            last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
            url=path.as_uri(),
        )

    def destroy(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class AzureBlobStore:
    """The real ``azure-storage-blob`` client: works against Azurite and Azure alike."""

    def __init__(self, connection_string: str) -> None:
        from azure.storage.blob import BlobServiceClient

        self._service = BlobServiceClient.from_connection_string(connection_string)

    def create_container(self, name: str) -> bool:
        from azure.core.exceptions import ResourceExistsError

        try:
            self._service.create_container(name)
        except ResourceExistsError:
            return False
        return True

    def delete_container(self, name: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        with contextlib.suppress(ResourceNotFoundError):
            self._service.delete_container(name)

    def container_exists(self, name: str) -> bool:
        return bool(self._service.get_container_client(name).exists())

    def upload(self, container: str, name: str, data: bytes) -> BlobInfo:
        client = self._service.get_blob_client(container, name)
        client.upload_blob(data, overwrite=True)
        props = client.get_blob_properties()
        return BlobInfo(name, int(props.size), props.last_modified, client.url)

    def list(self, container: str) -> list[BlobInfo]:
        client = self._service.get_container_client(container)
        return [
            BlobInfo(b.name, int(b.size), b.last_modified, f"{client.url}/{b.name}")
            for b in client.list_blobs()
        ]

    def download(self, container: str, name: str) -> bytes:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return bytes(self._service.get_blob_client(container, name).download_blob().readall())
        except ResourceNotFoundError:
            if not self.container_exists(container):
                raise
            raise missing_blob(container, name) from None


def missing_blob(container: str, name: str) -> NotFoundError:
    """The same answer from every store when a blob is not in its container."""
    return NotFoundError(
        f"There is no blob '{name}' in container '{container}'.",
        "Pick one of the container's blobs, or upload it first.",
    )


def check_connection_string(connection_string: str) -> dict[str, str]:
    """Reject text that is not an Azure storage connection string, naming what is missing."""
    parts = parse_connection_string(connection_string)
    if parts.get("UseDevelopmentStorage", "").lower() == "true":
        return parts
    missing = [key for key in ("AccountName", "AccountKey") if key not in parts]
    if missing:
        raise UserFacingError(
            f"The connection string has no {' or '.join(missing)}.",
            "Paste the whole string, such as 'DefaultEndpointsProtocol=http;AccountName=...;"
            "AccountKey=...;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;'.",
        )
    if "BlobEndpoint" not in parts and "EndpointSuffix" not in parts:
        raise UserFacingError(
            "The connection string names no BlobEndpoint or EndpointSuffix.",
            "Add 'BlobEndpoint=...' for Azurite, or 'EndpointSuffix=core.windows.net' for Azure.",
        )
    return parts


def open_blob_store(connection_string: str) -> FolderBlobStore | AzureBlobStore:
    """Open whatever a connection string points at: a local folder account or a real one."""
    parts = check_connection_string(connection_string)
    endpoint = parts.get("BlobEndpoint", "")
    if endpoint.startswith("file:"):
        return FolderBlobStore.open(Path(unquote(urlparse(endpoint).path)), parts["AccountKey"])
    return AzureBlobStore(connection_string)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
