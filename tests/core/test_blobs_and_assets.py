"""Blob upload/list on a folder account and on Azurite; versioned data assets in a workspace."""

from __future__ import annotations

import pytest

from core.errors import ConflictError, NotFoundError, UserFacingError
from core.local.backend import LocalBackend
from core.resources import DataAsset, now

RG, SA, BC, WS = "rg-dev-ml-eastus-001", "datadevmleastus001", "data4ml", "dev-heart-classifier"


def with_container(backend: LocalBackend, connection_string: str | None = None) -> LocalBackend:
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA, connection_string)
    backend.create_blob_container(SA, BC)
    return backend


def check_upload_and_list(backend: LocalBackend) -> None:
    first = backend.upload_blob(SA, BC, "heart/v1/train.csv", b"a,b\n1,2\n")
    assert first.size == 8 and first.url.endswith("heart/v1/train.csv")
    backend.upload_blob(SA, BC, "heart/v2/train.csv", b"a,b\n1,2\n3,4\n")
    listed = {b.name: b for b in backend.list_blobs(SA, BC)}
    assert set(listed) == {"heart/v1/train.csv", "heart/v2/train.csv"}
    assert listed["heart/v2/train.csv"].size == 12
    assert listed["heart/v2/train.csv"].last_modified.tzinfo is not None
    assert backend.download_blob(SA, BC, "heart/v2/train.csv") == b"a,b\n1,2\n3,4\n"
    backend.upload_blob(SA, BC, "heart/v1/train.csv", b"x\n")  # overwrite is allowed
    assert backend.download_blob(SA, BC, "heart/v1/train.csv") == b"x\n"


def test_folder_account_blobs(backend: LocalBackend) -> None:
    check_upload_and_list(with_container(backend))
    with pytest.raises(UserFacingError, match="not a valid blob name"):
        backend.upload_blob(SA, BC, "../escape.csv", b"x")
    with pytest.raises(NotFoundError, match="no blob container called 'nope'"):
        backend.list_blobs(SA, "nope")


@pytest.mark.azurite
def test_azurite_account_blobs(backend: LocalBackend, azurite: str) -> None:
    check_upload_and_list(with_container(backend, azurite))


def asset(version: int, fingerprint: str = "f") -> DataAsset:
    return DataAsset("heart", version, "file:///x", "d", fingerprint, now(), {"target": "output"})


def test_data_asset_versions_are_immutable_and_persist(backend: LocalBackend, data_dir: object) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_workspace(RG, WS)
    assert backend.next_data_asset_version(WS, "heart") == 1
    backend.register_data_asset(WS, asset(1, "a"), {"test.csv": b"t1"})
    backend.register_data_asset(WS, asset(2, "b"), {"test.csv": b"t2"})
    with pytest.raises(ConflictError, match="version 2 exists already"):
        backend.register_data_asset(WS, asset(2, "c"), {"test.csv": b"t3"})
    reopened = LocalBackend(backend.data_dir)
    assert [a.version for a in reopened.data_asset_versions(WS, "heart")] == [1, 2]
    assert reopened.data_asset_file(WS, "heart", 1, "test.csv") == b"t1"
    assert [(a.name, a.version) for a in reopened.list_data_assets(WS)] == [("heart", 2)]
    with pytest.raises(NotFoundError, match="no file 'train.csv'"):
        reopened.data_asset_file(WS, "heart", 1, "train.csv")
    reopened.delete_workspace(WS)
    reopened.create_workspace(RG, WS)
    assert reopened.list_data_assets(WS) == []
