"""The azure backend's ``DataAssetsAPI``: versioned ``uri_file`` data assets of a workspace.

The files of a version (``train.csv``, ``test.csv``, ``schema.json``…) are uploaded with
azure-storage-blob into the workspace's default datastore (``workspaceblobstore``, a container of
the workspace's storage account, reached at the account's own blob endpoint with its key) under
``azureml/data/<name>/<version>/``; the version is registered at
``azureml://datastores/<datastore>/paths/azureml/data/<name>/<version>/train.csv``.

azure-ai-ml's own upload of a local path is not used: it builds the blob URL from the account
name and the cloud's suffix, with no transport, so it cannot follow an account whose endpoint is
elsewhere. The asset's fingerprint, creation time, path and properties are kept as tags
(strings; properties as JSON), so a version reads back exactly as it was registered. Versions are
immutable, as on the local backend.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.azure.lookups import MLBase, WorkspaceArg, arm_group, arm_name, is_not_found, or_missing
from core.azure.storage import keys_disabled
from core.backend import WorkspaceRef
from core.errors import ConflictError, NotFoundError, UserFacingError
from core.naming import DATA_ASSET, validate_asset_name
from core.resources import DataAsset

if TYPE_CHECKING:
    from azure.ai.ml.entities import Data, Workspace
    from azure.storage.blob import ContainerClient

Progress = Callable[[int, int], None]
FINGERPRINT_TAG = "fingerprint"
CREATED_TAG = "created_at"
PATH_TAG = "source_path"
PROPERTY_TAG = "property."  # one tag per asset property, its value as JSON
_DATASTORE_PATH = re.compile(r"datastores/(?P<datastore>[^/]+)/paths/(?P<path>.+)$")


def data_folder(name: str, version: int) -> str:
    """Where a version's files live in the datastore."""
    return f"azureml/data/{name}/{version}/"


def asset_tags(asset: DataAsset) -> dict[str, str]:
    tags = {FINGERPRINT_TAG: asset.fingerprint, CREATED_TAG: asset.created_at, PATH_TAG: asset.path}
    tags |= {PROPERTY_TAG + key: json.dumps(value) for key, value in asset.properties.items()}
    return tags


def asset_of(data: Data) -> DataAsset:
    """A registered version as the Protocol sees it (the tags give back what was registered)."""
    tags = dict(data.tags or {})
    props: dict[str, Any] = {}
    for key, value in tags.items():
        if key.startswith(PROPERTY_TAG):
            try:
                props[key[len(PROPERTY_TAG) :]] = json.loads(value)
            except ValueError:
                props[key[len(PROPERTY_TAG) :]] = value
    created = tags.get(CREATED_TAG) or ""
    if not created:
        context = getattr(data, "creation_context", None)
        when = getattr(context, "created_at", None)
        created = (
            when.isoformat(timespec="seconds") if when is not None and hasattr(when, "isoformat") else ""
        )
    return DataAsset(
        name=str(data.name),
        version=int(str(data.version)),
        path=tags.get(PATH_TAG) or str(data.path or ""),
        description=data.description or "",
        fingerprint=tags.get(FINGERPRINT_TAG, ""),
        created_at=created,
        properties=props,
    )


class DataAssetsMixin(MLBase):
    """Immutable versions of a data asset and the files kept with each, in the workspace."""

    def data_asset_versions(self, workspace: WorkspaceArg, name: str) -> list[DataAsset]:
        """Every version, oldest first."""
        ref, _ = self._workspace(workspace)
        return self._versions(ref, name)

    def _versions(self, ref: WorkspaceRef, name: str) -> list[DataAsset]:
        ml = self._ml(ref.resource_group, ref.name)

        listed: Callable[[], list[Data]] = or_missing(lambda: list(ml.data.list(name=name)), [])

        found = self.call(f"listing the versions of data asset '{name}'", listed)
        return sorted((asset_of(d) for d in found if str(d.version).isdigit()), key=lambda a: a.version)

    def list_data_assets(self, workspace: WorkspaceArg) -> list[DataAsset]:
        """The latest version of every data asset, oldest first."""
        ref, _ = self._workspace(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        names = self.call("listing the data assets", lambda: [str(d.name) for d in ml.data.list()])
        latest = [versions[-1] for n in names if (versions := self._versions(ref, n))]
        return sorted(latest, key=lambda a: a.created_at)

    def next_data_asset_version(self, workspace: WorkspaceArg, name: str) -> int:
        versions = self.data_asset_versions(workspace, name)
        return versions[-1].version + 1 if versions else 1

    def register_data_asset(
        self,
        workspace: WorkspaceArg,
        asset: DataAsset,
        files: dict[str, bytes],
        *,
        progress: Progress | None = None,
    ) -> DataAsset:
        """Upload the files into the workspace's default datastore, then register the version
        (a ``uri_file`` at the first file, ``train.csv`` when there is one). ``progress`` is
        called with (bytes sent, bytes in all) while the files upload."""
        from azure.ai.ml.constants import AssetTypes
        from azure.ai.ml.entities import Data

        validate_asset_name(DATA_ASSET, asset.name)
        ref, ws = self._workspace(workspace)
        versions = self._versions(ref, asset.name)
        expected = versions[-1].version + 1 if versions else 1
        if asset.version != expected:
            raise ConflictError(
                f"Data asset '{asset.name}' version {asset.version} exists already.",
                "Register it again; the next free version is picked for you.",
            )
        if not files:
            raise UserFacingError(
                f"Data asset '{asset.name}' has no files to register.",
                "Register the dataset from the Data page, which uploads its train split.",
            )
        ml = self._ml(ref.resource_group, ref.name)
        datastore = self.call(
            "reading the workspace's default datastore", lambda: ml.datastores.get_default()
        )
        container = self._datastore_container(ws, datastore)
        folder = data_folder(asset.name, asset.version)
        self._upload(container, folder, files, progress)
        first = "train.csv" if "train.csv" in files else next(iter(files))
        data = Data(
            name=asset.name,
            version=str(asset.version),
            path=f"azureml://datastores/{datastore.name}/paths/{folder}{first}",
            type=AssetTypes.URI_FILE,
            description=asset.description,
            tags=asset_tags(asset),
        )
        self.call(
            f"registering data asset '{asset.name}' version {asset.version}",
            lambda: ml.data.create_or_update(data),
        )
        return asset

    def data_asset_uri(self, workspace: WorkspaceArg, name: str, version: int) -> str:
        """The ``azureml://`` address a job reads the version's train file from."""
        return str(self._data_version(workspace, name, version)[1].path)

    def data_asset_file(self, workspace: WorkspaceArg, name: str, version: int, filename: str) -> bytes:
        """One file of a stored version, read back from the datastore (for EDA and training)."""
        from azure.core.exceptions import ResourceNotFoundError

        ws, data = self._data_version(workspace, name, version)
        found = _DATASTORE_PATH.search(str(data.path or ""))
        if found is None:
            raise NotFoundError(
                f"Data asset '{name}' version {version} is not stored in a datastore of the workspace "
                f"({data.path}), so its file '{filename}' cannot be read here.",
                "Register the dataset again on the Data page.",
            )
        ref = self._workspace_ref(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        datastore = self.call(
            f"reading datastore '{found['datastore']}'", lambda: ml.datastores.get(found["datastore"])
        )
        container = self._datastore_container(ws, datastore)
        blob = found["path"].rsplit("/", 1)[0] + "/" + filename

        def download() -> bytes:
            try:
                return bytes(container.download_blob(blob).readall())
            except ResourceNotFoundError:
                raise NotFoundError(
                    f"Data asset '{name}' version {version} has no file '{filename}'.",
                    "Register the dataset again on the Data page.",
                ) from None

        return self.call(f"reading '{filename}' of data asset '{name}' version {version}", download)

    # -- helpers ---------------------------------------------------------------------------
    def _data_version(self, workspace: WorkspaceArg, name: str, version: int) -> tuple[Workspace, Data]:
        ref, ws = self._workspace(workspace)
        ml = self._ml(ref.resource_group, ref.name)

        def get() -> Data | None:
            try:
                found: Data = ml.data.get(name, version=str(version))
                return found
            except Exception as exc:
                if is_not_found(exc):
                    return None
                raise

        data = self.call(f"reading data asset '{name}' version {version}", get)
        if data is None:
            raise NotFoundError(
                f"Data asset '{name}' has no version {version}.",
                f"Pick one of the versions listed on the Data page (next free: "
                f"{self.next_data_asset_version(ref, name)}).",
            )
        return ws, data

    def _datastore_container(self, ws: Workspace, datastore: Any) -> ContainerClient:
        """The datastore's blob container, at its account's own endpoint (as Resource Manager
        reports it) with the account key."""
        account = str(getattr(datastore, "account_name", "") or "")
        container_name = str(getattr(datastore, "container_name", "") or "")
        if not account or not container_name:
            raise UserFacingError(
                f"The datastore '{datastore.name}' is not a blob container.",
                "Use the workspace's default datastore (workspaceblobstore).",
            )
        rg = arm_group(ws.storage_account) if arm_name(ws.storage_account) == account else ""
        client = self.factory.storage()
        if rg:
            properties = self.call(
                f"reading storage account '{account}'",
                lambda: client.storage_accounts.get_properties(rg, account),
            )
            endpoint = properties.primary_endpoints.blob
            key: Any = self.factory.credential  # no shared keys: the sign-in (Storage Blob Data Contributor)
            if not keys_disabled(properties):
                key = self.call(
                    f"reading the keys of storage account '{account}'",
                    lambda: (client.storage_accounts.list_keys(rg, account).keys_property or [])[0].value,
                )
        else:  # a datastore on another account: its own secret, at the cloud's blob address
            ml = self._ml(arm_group(ws.id), str(ws.name))
            secret = self.call(
                f"reading the secret of datastore '{datastore.name}'",
                lambda: ml.datastores.get(datastore.name, include_secrets=True),
            )
            key = getattr(secret.credentials, "account_key", "")
            endpoint = f"https://{account}.blob.{self.factory.cloud.storage_suffix}/"
        service = self.factory.blob_service(str(endpoint), key)
        return service.get_container_client(container_name)

    def _upload(
        self, container: ContainerClient, folder: str, files: dict[str, bytes], progress: Progress | None
    ) -> None:
        total = sum(len(data) for data in files.values())
        sent = 0
        for filename, data in files.items():
            done_before = sent

            def hook(current: int, _total: int | None, base: int = done_before) -> None:
                if progress is not None:
                    progress(base + current, total)

            self.call(
                f"uploading '{filename}' to the workspace's datastore",
                lambda f=filename, d=data: container.upload_blob(  # type: ignore[misc]
                    folder + f, d, overwrite=True, progress_hook=hook
                ),
            )
            sent += len(data)
            if progress is not None:
                progress(sent, total)
