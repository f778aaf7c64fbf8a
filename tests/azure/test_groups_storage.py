"""Resource groups, storage accounts, blob containers and blobs on the azure backend, through the
real SDKs against the fake (in process) with blob data on Azurite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.azure.clients import ClientFactory
from core.azure.errors import AzureConflictError, AzurePermissionError, AzureQuotaError, AzureThrottledError
from core.azure.groups import GroupsMixin
from core.azure.storage import StorageMixin
from core.errors import ConflictError, InvalidNameError, NotFoundError, UserFacingError
from core.resources import BlobInfo, Kind
from tests.azure.conftest import SUBSCRIPTION
from tests.azure.fake import FakeAzure, arm_error
from tests.azure.fake.routes_subscriptions import set_provider_state
from tests.conftest import AZURITE_KEY

RG = "rg-walkthrough"
SA = "stwalkthrough01"
BC = "data4ml"
SA_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/{SA}"


class Slice(GroupsMixin, StorageMixin):
    """The two mixins this module tests, as AzureBackend composes them."""


@pytest.fixture
def azure(fake_factory: ClientFactory, tmp_path: Path) -> Slice:
    return Slice(fake_factory, tmp_path)


def test_resource_group_is_get_or_create(azure: Slice, fake_azure: FakeAzure) -> None:
    first = azure.create_resource_group(RG, "East US")
    again = azure.create_resource_group(RG, "eastus")

    assert first.created and first.message == f"Created resource group '{RG}' in eastus."
    assert (first.resource.kind, first.resource.name, first.resource.parent) == (
        Kind.RESOURCE_GROUP,
        RG,
        None,
    )
    assert first.resource.properties["location"] == "eastus"
    assert first.resource.properties["provisioning_state"] == "Succeeded"
    assert first.resource.created_at
    assert not again.created and again.message == f"Resource group '{RG}' exists already in eastus."
    assert again.resource.created_at == first.resource.created_at
    puts = fake_azure.calls("PUT", f"/resourcegroups/{RG}$")
    assert len(puts) == 1
    assert puts[0].body["location"] == "eastus"
    assert puts[0].body["tags"]["created-by"] == "azureml-walkthrough"


def test_resource_group_elsewhere_is_a_conflict(azure: Slice) -> None:
    azure.create_resource_group(RG, "westeurope")
    with pytest.raises(ConflictError) as caught:
        azure.create_resource_group(RG, "eastus")
    assert str(caught.value) == (
        f"Resource group '{RG}' exists already in westeurope; a resource group's location cannot "
        "change. Use location westeurope, or choose another name."
    )


def test_names_and_locations_are_checked_before_azure_is_called(azure: Slice, fake_azure: FakeAzure) -> None:
    with pytest.raises(InvalidNameError, match="ends with '.'"):
        azure.create_resource_group("rg-dev.", "eastus")
    with pytest.raises(UserFacingError, match="'Mars' is not an Azure region name"):
        azure.create_resource_group(RG, "Mars")
    with pytest.raises(InvalidNameError, match="lowercase letters and digits"):
        azure.create_storage_account(RG, "Data_Dev")
    with pytest.raises(InvalidNameError, match="contains '--'"):
        azure.create_blob_container(SA, "data--4ml")
    assert fake_azure.requests == []


def test_storage_account_is_created_as_the_tutorial_says(azure: Slice, fake_azure: FakeAzure) -> None:
    azure.create_resource_group(RG, "eastus")

    first = azure.create_storage_account(RG, SA)
    again = azure.create_storage_account(RG, SA)

    assert first.created
    assert first.message == (
        f"Created storage account '{SA}' in eastus (StorageV2, Standard_LRS, HTTPS only, TLS 1.2)."
    )
    res = first.resource
    assert (res.kind, res.name, res.parent) == (Kind.STORAGE_ACCOUNT, SA, RG)
    assert res.created_at
    assert res.properties | {"id": SA_ID} == res.properties
    assert {k: res.properties[k] for k in ("location", "provisioning_state", "endpoint", "sku", "kind")} == {
        "location": "eastus",
        "provisioning_state": "Succeeded",
        "endpoint": fake_azure.blob_endpoint,
        "sku": "Standard_LRS",
        "kind": "StorageV2",
    }
    assert res.properties["https_only"] and res.properties["minimum_tls_version"] == "TLS1_2"
    assert res.properties["allow_blob_public_access"] is False
    assert not again.created and again.message == f"Storage account '{SA}' exists already."

    check = fake_azure.calls("POST", "/providers/Microsoft.Storage/checkNameAvailability$")
    assert len(check) == 1 and check[0].body == {"name": SA, "type": "Microsoft.Storage/storageAccounts"}
    put = fake_azure.calls("PUT", f"/storageAccounts/{SA}$")
    assert len(put) == 1, "the second call found the account and created nothing"
    assert put[0].api_version == "2026-09-01"
    body = put[0].body
    assert body["kind"] == "StorageV2" and body["sku"] == {"name": "Standard_LRS"}
    assert body["location"] == "eastus"
    assert body["properties"]["supportsHttpsTrafficOnly"] is True
    assert body["properties"]["minimumTlsVersion"] == "TLS1_2"
    assert body["properties"]["allowBlobPublicAccess"] is False
    # The create is a long-running operation: the poller followed Location until it finished.
    assert fake_azure.calls("GET", "/providers/Fake.Operations/operations/")


def test_storage_account_needs_its_resource_group(azure: Slice, fake_azure: FakeAzure) -> None:
    with pytest.raises(NotFoundError) as caught:
        azure.create_storage_account(RG, SA)
    assert str(caught.value) == (
        f"There is no resource group called '{RG}' in subscription {SUBSCRIPTION}. "
        "Create it on the Resources page."
    )
    assert not fake_azure.calls("PUT")


def test_storage_account_name_taken_by_someone_else(azure: Slice, fake_azure: FakeAzure) -> None:
    azure.create_resource_group(RG, "eastus")
    fake_azure.data["taken_storage_names"] = {"contosodata"}

    with pytest.raises(ConflictError) as caught:
        azure.create_storage_account(RG, "contosodata")

    assert str(caught.value) == (
        "The storage account name 'contosodata' is taken by someone else: storage account names are "
        "unique across all of Azure. (The storage account named contosodata is already taken.) "
        "Pick another name, for example with a short random suffix (3–24 lowercase letters and digits)."
    )
    assert not fake_azure.calls("PUT", "/storageAccounts/")


def test_storage_account_name_held_by_another_group(azure: Slice) -> None:
    azure.create_resource_group(RG, "eastus")
    azure.create_resource_group("rg-other", "eastus")
    azure.create_storage_account("rg-other", SA)

    with pytest.raises(ConflictError) as caught:
        azure.create_storage_account(RG, SA)

    assert str(caught.value) == (
        f"Storage account name '{SA}' is taken by resource group 'rg-other'. Storage account names "
        "are unique across all of Azure. Choose another name."
    )


def test_storage_account_taken_between_check_and_create(azure: Slice, fake_azure: FakeAzure) -> None:
    """The name was free when checked, then someone took it: Azure's 409 StorageAccountAlreadyTaken."""
    azure.create_resource_group(RG, "eastus")
    fake_azure.fail(
        "PUT",
        f"/storageAccounts/{SA}$",
        arm_error(409, "StorageAccountAlreadyTaken", f"The storage account named {SA} is already taken."),
    )

    with pytest.raises(AzureConflictError) as caught:
        azure.create_storage_account(RG, SA)

    assert str(caught.value) == (
        f"Creating storage account '{SA}' in resource group '{RG}' failed: this storage account name "
        "is taken by someone else; storage account names are unique across all of Azure. Azure "
        f"answered 409 StorageAccountAlreadyTaken: The storage account named {SA} is already taken. "
        "Pick another name (3–24 lowercase letters and digits), for example with a short random suffix."
    )


def test_storage_account_without_permission(azure: Slice, fake_azure: FakeAzure) -> None:
    azure.create_resource_group(RG, "eastus")
    fake_azure.fail(
        "PUT",
        f"/storageAccounts/{SA}$",
        arm_error(
            403,
            "AuthorizationFailed",
            "The client 'ada@contoso.example' with object id '1111' does not have authorization to "
            "perform action 'Microsoft.Storage/storageAccounts/write'.",
        ),
    )
    with pytest.raises(AzurePermissionError) as caught:
        azure.create_storage_account(RG, SA)
    assert str(caught.value).startswith(
        f"Creating storage account '{SA}' in resource group '{RG}' failed: your identity has no "
        "permission for this. Azure answered 403 AuthorizationFailed: The client "
    )
    assert "Contributor role" in caught.value.fix


def test_storage_account_throttled(azure: Slice, fake_azure: FakeAzure) -> None:
    azure.create_resource_group(RG, "eastus")
    fake_azure.fail(
        "POST",
        "/checkNameAvailability$",
        arm_error(429, "TooManyRequests", "The request is being throttled.", {"Retry-After": "12"}),
        times=50,
    )
    with pytest.raises(AzureThrottledError) as caught:
        azure.create_storage_account(RG, SA)
    assert caught.value.retry_after == 12
    assert str(caught.value).endswith("Wait 12 seconds and try again.")


def test_storage_account_quota(azure: Slice, fake_azure: FakeAzure) -> None:
    azure.create_resource_group(RG, "eastus")
    fake_azure.fail(
        "PUT",
        f"/storageAccounts/{SA}$",
        arm_error(
            409,
            "QuotaExceeded",
            "The subscription has reached the limit of 250 storage accounts in region eastus.",
        ),
    )
    with pytest.raises(AzureQuotaError) as caught:
        azure.create_storage_account(RG, SA)
    assert "the subscription quota does not allow it" in str(caught.value)
    assert "Usage + quotas" in caught.value.fix


def test_storage_provider_not_registered(azure: Slice, fake_azure: FakeAzure) -> None:
    azure.create_resource_group(RG, "eastus")
    set_provider_state(fake_azure, SUBSCRIPTION, "Microsoft.Storage", "NotRegistered")
    with pytest.raises(UserFacingError) as caught:
        azure.create_storage_account(RG, SA)
    assert str(caught.value).startswith(
        f"Creating storage account '{SA}' in resource group '{RG}' failed: the subscription is not "
        "registered for Microsoft.Storage. Azure answered 409 MissingSubscriptionRegistration"
    )
    assert "az provider register --namespace Microsoft.Storage" in caught.value.fix


def test_a_connection_string_is_refused_on_azure(azure: Slice, azurite: str, fake_azure: FakeAzure) -> None:
    with pytest.raises(UserFacingError, match="A connection string is a local-backend feature"):
        azure.create_storage_account(RG, SA, azurite)
    assert fake_azure.requests == []


def test_containers_are_get_or_create_and_exist_in_azurite(azure: Slice, fake_azure: FakeAzure) -> None:
    from azure.storage.blob import BlobServiceClient

    azure.create_resource_group(RG, "eastus")
    azure.create_storage_account(RG, SA)

    first = azure.create_blob_container(SA, BC)
    again = azure.create_blob_container(SA, BC)

    assert first.created and first.message == f"Created blob container '{BC}' in storage account '{SA}'."
    assert (first.resource.kind, first.resource.name, first.resource.parent) == (Kind.BLOB_CONTAINER, BC, SA)
    assert first.resource.created_at
    assert not again.created and again.message == f"Blob container '{BC}' exists already."
    put = fake_azure.calls("PUT", f"/blobServices/default/containers/{BC}$")
    assert len(put) == 1 and put[0].body == {"properties": {"publicAccess": "None"}}
    azurite = BlobServiceClient(account_url=fake_azure.blob_endpoint, credential=AZURITE_KEY)
    assert azurite.get_container_client(BC).exists()


def test_missing_account_and_container_are_named(azure: Slice) -> None:
    azure.create_resource_group(RG, "eastus")
    azure.create_storage_account(RG, SA)
    with pytest.raises(NotFoundError, match="no storage account called 'nosuchaccount'"):
        azure.create_blob_container("nosuchaccount", BC)
    with pytest.raises(NotFoundError, match="no storage account called 'nosuchaccount'"):
        azure.storage_connection_string("nosuchaccount")
    with pytest.raises(NotFoundError) as caught:
        azure.upload_blob(SA, "nowhere", "x.csv", b"x")
    assert str(caught.value) == (
        f"Storage account '{SA}' has no blob container called 'nowhere'. Create the container on the "
        "Resources page."
    )
    with pytest.raises(NotFoundError, match="no blob container called 'nowhere'"):
        azure.list_blobs(SA, "nowhere")
    with pytest.raises(NotFoundError, match="no blob container called 'nowhere'"):
        azure.download_blob(SA, "nowhere", "x.csv")


def test_blobs_round_trip_on_azurite(azure: Slice, fake_azure: FakeAzure) -> None:
    azure.create_resource_group(RG, "eastus")
    azure.create_storage_account(RG, SA)
    azure.create_blob_container(SA, BC)
    assert azure.list_blobs(SA, BC) == []
    seen: list[tuple[int, int]] = []

    info = azure.upload_blob(
        SA, BC, "heart/v1/train.csv", b"a,b\n1,2\n", progress=lambda s, t: seen.append((s, t))
    )

    assert isinstance(info, BlobInfo)
    assert (info.name, info.size) == ("heart/v1/train.csv", 8)
    assert info.url == f"{fake_azure.blob_endpoint}{BC}/heart/v1/train.csv"
    assert seen and seen[-1] == (8, 8)
    assert azure.download_blob(SA, BC, "heart/v1/train.csv") == b"a,b\n1,2\n"
    azure.upload_blob(SA, BC, "heart/v1/train.csv", b"new")
    assert [(b.name, b.size) for b in azure.list_blobs(SA, BC)] == [("heart/v1/train.csv", 3)]
    with pytest.raises(NotFoundError) as caught:
        azure.download_blob(SA, BC, "missing.csv")
    assert str(caught.value) == (
        f"There is no blob 'missing.csv' in container '{BC}'. Pick one of the container's blobs, or "
        "upload it first."
    )
    # The key came from Azure (listKeys), the endpoint from the account's primaryEndpoints.blob.
    assert fake_azure.calls("POST", f"/storageAccounts/{SA}/listKeys$")


def test_connection_string_is_a_masked_secret(azure: Slice, fake_azure: FakeAzure) -> None:
    from azure.storage.blob import BlobServiceClient

    azure.create_resource_group(RG, "eastus")
    azure.create_storage_account(RG, SA)
    azure.create_blob_container(SA, BC)

    secret = azure.storage_connection_string(SA)

    value = secret.reveal()
    assert f"AccountKey={AZURITE_KEY};" in value
    assert f"BlobEndpoint={fake_azure.blob_endpoint.rstrip('/')};" in value
    for shown in (str(secret), repr(secret), f"{secret}", secret.masked):
        assert AZURITE_KEY not in shown
    # It works: azure-storage-blob reaches the container with it.
    client = BlobServiceClient.from_connection_string(value)
    assert client.get_container_client(BC).exists()
    outcome = azure.create_storage_account(RG, SA)
    assert AZURITE_KEY not in repr(outcome)


def test_deleting_the_group_removes_its_account_and_containers(azure: Slice, fake_azure: FakeAzure) -> None:
    from azure.storage.blob import BlobServiceClient

    azure.create_resource_group(RG, "eastus")
    azure.create_storage_account(RG, SA)
    azure.create_blob_container(SA, "gone-with-group")
    client = azure.factory.resources()

    client.resource_groups.begin_delete(RG).result()

    with pytest.raises(NotFoundError, match=f"no storage account called '{SA}'"):
        azure.create_blob_container(SA, BC)  # lists the accounts: the fake sweeps Azurite then
    azurite = BlobServiceClient(account_url=fake_azure.blob_endpoint, credential=AZURITE_KEY)
    assert not azurite.get_container_client("gone-with-group").exists()


class _BlobRecorder:
    """The blob service's side of a keyless account, as a transport: it records each request's
    Authorization header and answers a put/get-properties the way Azure Storage does. (Azurite
    takes tokens only over HTTPS with OAuth turned on, which the shared test Azurite is not.)"""

    def __init__(self) -> None:
        from azure.core.pipeline.transport import RequestsTransport

        self.seen: list[tuple[str, str, str]] = []
        recorder = self

        class Transport(RequestsTransport):
            def send(self, request: Any, **kwargs: Any) -> Any:
                recorder.seen.append((request.method, request.url, request.headers.get("Authorization", "")))
                return _blob_answer(request)

        self.transport = Transport()


def _blob_answer(request: Any) -> Any:
    import requests
    from azure.core.pipeline.transport._requests_basic import RequestsTransportResponse

    response = requests.Response()
    response.status_code = 201 if request.method == "PUT" else 200
    response.headers.update(
        {
            "ETag": '"0x8DC0000000000"',
            "Last-Modified": "Thu, 03 Dec 2026 12:00:00 GMT",
            "Content-Length": "0",
            "x-ms-blob-type": "BlockBlob",
            "x-ms-request-server-encrypted": "true",
            "x-ms-meta-size": "0",
        }
    )
    if request.method == "HEAD":
        response.headers["Content-Length"] = "5"
    response._content = b""  # noqa: SLF001
    response.raw = None
    response.url = request.url
    return RequestsTransportResponse(request, response)


def test_a_keyless_account_is_used_with_the_sign_in_not_a_key(
    fake_azure: FakeAzure, fake_factory: ClientFactory, fake_credential: Any, tmp_path: Path
) -> None:
    """Where an account turns shared key access off, blobs are read and written with the app's
    own sign-in (the Storage Blob Data Contributor role), and there is no connection string."""
    from dataclasses import replace

    azure = Slice(fake_factory, tmp_path)
    azure.create_resource_group(RG, "eastus")
    azure.create_storage_account(RG, SA)
    azure.create_blob_container(SA, BC)
    with fake_azure.lock:
        props = fake_azure.resources[SA_ID.lower()]["properties"]
        props["allowSharedKeyAccess"] = False
        props["primaryEndpoints"]["blob"] = f"https://{SA}.blob.core.windows.net/"
    recorder = _BlobRecorder()
    keyless = Slice(replace(fake_factory, blob_transport=recorder.transport), tmp_path)
    before = len(fake_azure.calls("POST", "/listKeys"))

    info = keyless.upload_blob(SA, BC, "train.csv", b"a,b\n")

    assert info.name == "train.csv" and info.url.startswith(f"https://{SA}.blob.core.windows.net/{BC}/")
    assert [m for m, _, _ in recorder.seen] == ["PUT", "HEAD"]
    assert all(auth == f"Bearer {fake_credential.token}" for _, _, auth in recorder.seen)
    assert ("https://storage.azure.com/.default",) in fake_credential.scopes
    assert len(fake_azure.calls("POST", "/listKeys")) == before  # no key was read
    with pytest.raises(UserFacingError) as caught:
        keyless.storage_connection_string(SA)
    assert "does not allow shared key access" in caught.value.problem
    assert "Storage Blob Data Contributor" in caught.value.fix
