"""Store a split: the train split goes to blob storage and becomes a versioned data asset.

The held-out test split and the schema are kept with the asset version in the workspace,
never uploaded, so the endpoint step can score rows the model has not seen.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass

import pandas as pd

from core.backend import Backend, Progress, WorkspaceRef
from core.data.schema import Schema
from core.data.split import Split
from core.errors import UserFacingError
from core.resources import BlobInfo, DataAsset
from core.resources import now as utc_now

TRAIN, TEST, SCHEMA = "train.csv", "test.csv", "schema.json"


@dataclass(frozen=True)
class StoredDataset:
    asset: DataAsset
    created: bool
    blob_name: str
    message: str


@dataclass(frozen=True)
class LoadedDataset:
    asset: DataAsset
    train: pd.DataFrame
    test: pd.DataFrame
    schema: Schema


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return str(frame.to_csv(index=False)).encode("utf-8")


def store_dataset(
    backend: Backend,
    workspace: WorkspaceRef,
    account: str,
    container: str,
    name: str,
    split: Split,
    schema: Schema,
    source: str,
    progress: Progress | None = None,
) -> StoredDataset:
    """Upload the train split and register train + test + schema as one data-asset version.

    Registering the same content again returns the existing version (get-or-create).
    ``progress(sent, total)`` follows the train split's upload.
    """
    from core.naming import DATA_ASSET, validate_asset_name

    name = validate_asset_name(DATA_ASSET, name)
    files = {
        TRAIN: csv_bytes(split.train),
        TEST: csv_bytes(split.test),
        SCHEMA: json.dumps(schema.to_dict(), indent=2, sort_keys=True).encode(),
    }
    fingerprint = hashlib.sha256(b"".join(files.values())).hexdigest()[:16]
    upload_size, asset_size = len(files[TRAIN]), sum(len(data) for data in files.values())
    upload_progress = _phase(progress, 0, upload_size, upload_size + asset_size)
    asset_progress = _phase(progress, upload_size, asset_size, upload_size + asset_size)
    for existing in backend.data_asset_versions(workspace, name):
        if existing.fingerprint == fingerprint:
            blob_name = str(existing.properties["blob_name"])
            if blob_name not in {b.name for b in backend.list_blobs(account, container)}:
                backend.upload_blob(account, container, blob_name, files[TRAIN], progress=progress)
            return StoredDataset(
                existing,
                False,
                blob_name,
                f"Data asset '{name}' version {existing.version} holds this split already.",
            )
    version = backend.next_data_asset_version(workspace, name)
    blob_name = f"{name}/v{version}/{TRAIN}"
    blob: BlobInfo = backend.upload_blob(
        account, container, blob_name, files[TRAIN], progress=upload_progress
    )
    asset = DataAsset(
        name=name,
        version=version,
        path=blob.url,
        description=f"Train split of {source}: {len(split.train)} rows; {len(split.test)} rows held out.",
        fingerprint=fingerprint,
        created_at=utc_now(),
        properties={
            "source": source,
            "account": account,
            "container": container,
            "blob_name": blob_name,
            "target": schema.target,
            "task": str(schema.task),
            "train_rows": len(split.train),
            "test_rows": len(split.test),
            "columns": len(split.train.columns),
            "test_fraction": split.test_fraction,
            "seed": split.seed,
            "stratified": split.stratified,
        },
    )
    backend.register_data_asset(workspace, asset, files, progress=asset_progress)
    return StoredDataset(
        asset,
        True,
        blob_name,
        f"Uploaded '{blob_name}' and registered data asset '{name}' version {version}.",
    )


def _phase(progress: Progress | None, offset: int, size: int, grand: int) -> Progress | None:
    """One step's share of the whole store's progress: the upload, then the registration."""
    if progress is None:
        return None
    report = progress

    def update(sent: int, total: int) -> None:
        done = size if total <= 0 else round(size * min(sent, total) / total)
        report(offset + done, grand)

    return update


def load_dataset(
    backend: Backend, workspace: WorkspaceRef, name: str, version: int | None = None
) -> LoadedDataset:
    """Read a stored version back: both splits and the schema, as they were registered."""
    versions = backend.data_asset_versions(workspace, name)
    if not versions:
        raise UserFacingError(
            f"Workspace '{workspace}' has no dataset '{name}'.", "Store a split on the Data page."
        )
    asset = versions[-1] if version is None else next((v for v in versions if v.version == version), None)
    if asset is None:
        raise UserFacingError(
            f"Dataset '{name}' has no version {version}.", "Pick one of the listed versions."
        )
    schema = Schema.from_dict(json.loads(backend.data_asset_file(workspace, name, asset.version, SCHEMA)))
    train, test = (
        pd.read_csv(io.BytesIO(backend.data_asset_file(workspace, name, asset.version, f)))
        for f in (TRAIN, TEST)
    )
    return LoadedDataset(asset, train, test, schema)
