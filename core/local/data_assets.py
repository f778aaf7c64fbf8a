"""The local backend's ``DataAssetsAPI``: versioned data assets in the workspace's folder."""

from __future__ import annotations

from core.backend import Progress
from core.errors import ConflictError
from core.local.base import LocalBase, WorkspaceArg
from core.naming import DATA_ASSET, validate_asset_name
from core.resources import DataAsset


class DataAssetsMixin(LocalBase):
    """Immutable versions of a data asset and the files kept with each."""

    def data_asset_versions(self, workspace: WorkspaceArg, name: str) -> list[DataAsset]:
        return self._assets(workspace).versions(name)

    def list_data_assets(self, workspace: WorkspaceArg) -> list[DataAsset]:
        """The latest version of every data asset, oldest first."""
        return self._assets(workspace).all_latest()

    def next_data_asset_version(self, workspace: WorkspaceArg, name: str) -> int:
        return self._assets(workspace).next_version(name)

    def register_data_asset(
        self,
        workspace: WorkspaceArg,
        asset: DataAsset,
        files: dict[str, bytes],
        *,
        progress: Progress | None = None,
    ) -> DataAsset:
        """Write a new, immutable version with its files (the held-out split, the schema…)."""
        validate_asset_name(DATA_ASSET, asset.name)
        with self._state.locked():
            folder = self._assets(workspace)
            if asset.version != folder.next_version(asset.name):
                raise ConflictError(
                    f"Data asset '{asset.name}' version {asset.version} exists already.",
                    "Register it again; the next free version is picked for you.",
                )
            written = folder.write(asset, files)
        if progress is not None:  # local files: written at once
            total = sum(len(data) for data in files.values())
            progress(total, total)
        return written

    def data_asset_file(self, workspace: WorkspaceArg, name: str, version: int, filename: str) -> bytes:
        return self._assets(workspace).file(name, version, filename).read_bytes()
