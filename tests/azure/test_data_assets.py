"""Data assets on the azure backend: files uploaded with azure-storage-blob into the workspace's
default datastore (a real Azurite behind the fake's storage account), the version registered at
its azureml:// address, and read back as it was registered."""

from __future__ import annotations

import dataclasses

import pytest

from core.azure.backend import AzureBackend
from core.errors import ConflictError, NotFoundError
from core.resources import DataAsset
from tests.azure.fake import FakeAzure
from tests.azure.ml_helpers import REF, WS, seed_workspace

ASSET = DataAsset(
    name="heart",
    version=1,
    path="https://example.invalid/data4ml/heart/v1/train.csv",
    description="Train split of the heart sample: 3 rows.",
    fingerprint="0123456789abcdef",
    created_at="2026-12-03T10:00:00+00:00",
    properties={"target": "output", "train_rows": 3, "test_fraction": 0.2, "stratified": True, "seed": 42},
)
FILES = {
    "train.csv": b"age,output\n63,1\n37,0\n41,1\n",
    "test.csv": b"age,output\n56,1\n",
    "schema.json": b'{"target": "output"}',
}


def test_a_version_round_trips_through_the_default_datastore(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    seed_workspace(azure_backend, fake_azure)
    assert azure_backend.data_asset_versions(REF, "heart") == []
    assert azure_backend.next_data_asset_version(REF, "heart") == 1
    seen: list[tuple[int, int]] = []
    registered = azure_backend.register_data_asset(
        REF, ASSET, FILES, progress=lambda sent, total: seen.append((sent, total))
    )
    assert registered == ASSET
    total = sum(len(v) for v in FILES.values())
    assert seen and seen[-1] == (total, total) and all(t == total for _, t in seen)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen), "progress only goes up"

    put = fake_azure.calls("PUT", f"/workspaces/{WS}/data/heart/versions/1")
    assert len(put) == 1
    body = put[0].body["properties"]
    assert body["dataType"] == "uri_file"
    assert body["dataUri"].endswith("datastores/workspaceblobstore/paths/azureml/data/heart/1/train.csv")
    assert body["dataUri"].startswith("azureml://")
    assert body["tags"]["fingerprint"] == ASSET.fingerprint and body["tags"]["property.train_rows"] == "3"
    assert azure_backend.data_asset_uri(REF, "heart", 1).endswith("/paths/azureml/data/heart/1/train.csv")

    assert azure_backend.data_asset_versions(REF, "heart") == [ASSET]
    assert azure_backend.list_data_assets(REF) == [ASSET]
    assert azure_backend.next_data_asset_version(REF, "heart") == 2
    for name, data in FILES.items():
        assert azure_backend.data_asset_file(REF, "heart", 1, name) == data

    # The bytes are in Azurite, in the workspace's own datastore container.
    store = azure_backend.factory.ml(REF.resource_group, WS).datastores.get_default()
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(account_url=fake_azure.blob_endpoint, credential=fake_azure.blob_key)
    blob = service.get_blob_client(store.container_name, "azureml/data/heart/1/train.csv")
    assert blob.download_blob().readall() == FILES["train.csv"]


def test_versions_are_immutable_and_mistakes_are_explained(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    seed_workspace(azure_backend, fake_azure)
    azure_backend.register_data_asset(REF, ASSET, FILES)
    second = dataclasses.replace(ASSET, version=2, fingerprint="fedcba9876543210", description="second")
    azure_backend.register_data_asset(REF, second, {"train.csv": b"age,output\n1,0\n"})
    assert azure_backend.data_asset_versions(REF, "heart") == [ASSET, second]
    assert azure_backend.list_data_assets(REF) == [second]
    assert azure_backend.data_asset_file(REF, "heart", 1, "train.csv") == FILES["train.csv"], "v1 unchanged"

    with pytest.raises(ConflictError, match="version 1 exists already") as taken:
        azure_backend.register_data_asset(REF, dataclasses.replace(ASSET, fingerprint="x"), FILES)
    assert taken.value.fix
    with pytest.raises(NotFoundError, match="no file 'nope.csv'") as missing:
        azure_backend.data_asset_file(REF, "heart", 2, "nope.csv")
    assert missing.value.fix
    with pytest.raises(NotFoundError, match="no version 9"):
        azure_backend.data_asset_file(REF, "heart", 9, "train.csv")
    with pytest.raises(NotFoundError, match="no workspace called 'nowhere'"):
        azure_backend.list_data_assets("nowhere")
    assert len(fake_azure.calls("PUT", "/data/heart/versions/")) == 2, "refused registrations sent nothing"


def test_the_default_datastore_is_listed_and_its_secret_is_the_account_key(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    """What the fake answers for datastores, through azure-ai-ml: the list, the default, and the
    secret (``listSecrets``), as a job or another client of the workspace would read them."""
    seed_workspace(azure_backend, fake_azure)
    ml = azure_backend.factory.ml(REF.resource_group, WS)
    assert [d.name for d in ml.datastores.list()] == ["workspaceblobstore", "workspaceartifactstore"]
    with_secret = ml.datastores.get("workspaceblobstore", include_secrets=True)
    assert with_secret.credentials.account_key == fake_azure.blob_key
    assert fake_azure.calls("POST", f"/workspaces/{WS}/datastores/workspaceblobstore/listSecrets")
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError):
        ml.datastores.get("nosuchstore")
