"""StorageAPI: containers are get-or-create; blobs go up, come back and are listed."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.backend import Backend, Secret
from core.errors import InvalidNameError, NotFoundError, UserFacingError
from core.resources import BlobInfo, Kind
from tests.contract.conftest import build_storage
from tests.workspaces import BC, RG, SA

pytestmark = pytest.mark.contract_slice("storage")


def test_a_container_is_get_or_create(backend: Backend) -> None:
    build_storage(backend)
    again = backend.create_blob_container(SA, BC)
    assert not again.created and again.resource.kind is Kind.BLOB_CONTAINER
    other = backend.create_blob_container(SA, "models")
    assert other.created and other.resource.parent == SA
    containers = [r.name for r in backend.inventory() if r.kind is Kind.BLOB_CONTAINER]
    assert sorted(containers) == sorted([BC, "models"])


def test_blobs_round_trip_and_are_listed(backend: Backend) -> None:
    build_storage(backend)
    assert backend.list_blobs(SA, BC) == []
    info = backend.upload_blob(SA, BC, "heart/v1/train.csv", b"a,b\n1,2\n")
    assert isinstance(info, BlobInfo)
    assert info.name == "heart/v1/train.csv" and info.size == 8
    assert isinstance(info.last_modified, datetime) and info.url
    assert backend.download_blob(SA, BC, "heart/v1/train.csv") == b"a,b\n1,2\n"
    backend.upload_blob(SA, BC, "heart/v1/train.csv", b"new")  # overwrite, as Azure does
    listed = backend.list_blobs(SA, BC)
    assert [(b.name, b.size) for b in listed] == [("heart/v1/train.csv", 3)]
    assert all(isinstance(b, BlobInfo) for b in listed)


def test_the_connection_string_is_a_masked_secret(backend: Backend) -> None:
    build_storage(backend)
    secret = backend.storage_connection_string(SA)
    assert isinstance(secret, Secret) and secret
    value = secret.reveal()
    assert isinstance(value, str) and "AccountKey=" in value
    key = value.split("AccountKey=", 1)[1].split(";", 1)[0]
    assert len(key) >= 16
    for shown in (str(secret), repr(secret), f"{secret}", secret.masked):
        assert key not in shown, "the key is masked wherever it is printed"
    outcome = backend.create_storage_account(RG, SA)
    assert not outcome.created
    assert key not in outcome.message and key not in repr(outcome.resource)
    assert all(key not in repr(r) for r in backend.inventory())


def test_storage_mistakes_are_explained(backend: Backend) -> None:
    build_storage(backend)
    with pytest.raises(InvalidNameError, match="not a valid blob container name"):
        backend.create_blob_container(SA, "Data4ML")
    with pytest.raises(NotFoundError, match="no storage account called 'nosuchaccount'"):
        backend.create_blob_container("nosuchaccount", BC)
    with pytest.raises(NotFoundError, match="no blob container called 'nowhere'"):
        backend.upload_blob(SA, "nowhere", "x.csv", b"x")
    with pytest.raises(NotFoundError, match="no blob container called 'nowhere'"):
        backend.list_blobs(SA, "nowhere")
    with pytest.raises(UserFacingError, match="no blob 'missing.csv'"):
        backend.download_blob(SA, BC, "missing.csv")
    with pytest.raises(NotFoundError, match="no storage account called 'nosuchaccount'"):
        backend.storage_connection_string("nosuchaccount")


@pytest.mark.parametrize("storage", ["folder", pytest.param("azurite", marks=pytest.mark.azurite)])
def test_a_missing_blob_is_named_with_its_container(
    backend: Backend, backend_name: str, storage: str, request: pytest.FixtureRequest
) -> None:
    """Downloading a blob that is not there names the blob and the container and says what to do,
    whatever stores the account's bytes (a folder, or Azurite through the real storage client)."""
    if storage == "azurite" and backend_name == "azure":
        pytest.skip(
            "an account given by its connection string is a local-backend feature: on Azure the "
            "account is created in the subscription (its blobs are Azurite's in the fake already)"
        )
    container = "contract-missing-blob"  # its own: Azurite is shared by the whole session
    backend.create_resource_group(RG, "eastus")
    connection_string = request.getfixturevalue("azurite") if storage == "azurite" else None
    backend.create_storage_account(RG, SA, connection_string)
    backend.create_blob_container(SA, container)
    backend.upload_blob(SA, container, "contract/present.csv", b"a\n1\n")
    missing = f"There is no blob 'contract/absent.csv' in container '{container}'"
    with pytest.raises(NotFoundError, match=missing) as caught:
        backend.download_blob(SA, container, "contract/absent.csv")
    fix = caught.value.fix.lower()
    assert "pick one of the container's blobs" in fix and "upload it first" in fix
    assert "Error" not in str(caught.value), "no exception class name, no traceback text"
    backend.delete_resource_group(RG)  # its container goes with it, on Azurite too
