"""The blob path against a real Azurite process, through the real azure-storage-blob client."""

from __future__ import annotations

import pytest

from core.errors import ConflictError, UserFacingError
from core.local.backend import LocalBackend
from core.local.blobstore import AzureBlobStore, open_blob_store

pytestmark = pytest.mark.azurite
RG, SA, BC = "rg-dev-ml-eastus-001", "datadevmleastus001", "data4ml"


def test_storage_account_by_connection_string_creates_real_containers(
    backend: LocalBackend, azurite: str
) -> None:
    from azure.storage.blob import BlobServiceClient

    backend.create_resource_group(RG, "eastus")
    made = backend.create_storage_account(RG, SA, azurite)
    assert made.created and made.resource.properties["mode"] == "connection_string"
    assert "AccountKey" not in str(made.resource.properties)
    assert backend.create_blob_container(SA, BC).created
    again = backend.create_blob_container(SA, BC)
    assert not again.created
    service = BlobServiceClient.from_connection_string(azurite)
    assert BC in [c.name for c in service.list_containers()]
    assert isinstance(open_blob_store(backend.storage_connection_string(SA).reveal()), AzureBlobStore)

    # Someone deleted the container behind our back: get-or-create puts it back.
    service.delete_container(BC)
    healed = backend.create_blob_container(SA, BC)
    assert not healed.created and healed.notes
    assert service.get_container_client(BC).exists()

    backend.delete_resource_group(RG)
    assert BC not in [c.name for c in service.list_containers()]


def test_same_account_with_other_storage_is_refused(backend: LocalBackend, azurite: str) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    with pytest.raises(ConflictError, match="other storage behind it"):
        backend.create_storage_account(RG, SA, azurite)


def test_unreachable_endpoint_is_explained(backend: LocalBackend, azurite: str) -> None:
    from tests.conftest import free_port

    backend.create_resource_group(RG, "eastus")
    dead = azurite.replace(
        azurite.split("BlobEndpoint=")[1], f"http://127.0.0.1:{free_port()}/devstoreaccount1;"
    )
    with pytest.raises(UserFacingError, match="Could not reach the blob endpoint"):
        backend.create_storage_account(RG, "deadaccount", dead)
    assert [r.name for r in backend.inventory()] == [RG]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("hello", "no AccountName or AccountKey"), ("AccountName=a;AccountKey=b", "no BlobEndpoint")],
)
def test_malformed_connection_strings(backend: LocalBackend, text: str, expected: str) -> None:
    backend.create_resource_group(RG, "eastus")
    with pytest.raises(UserFacingError, match=expected):
        backend.create_storage_account(RG, SA, text)
