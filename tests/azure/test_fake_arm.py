"""The fake's Microsoft.Storage and subscription routes answer the management SDKs as Azure's
specs say (shapes, status codes, errors), so the product's tests through them mean something."""

from __future__ import annotations

import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from core.azure.clients import ClientFactory
from core.azure.credentials import ServicePrincipal, service_principal_credential
from core.azure.errors import AzureNotFoundError, explain
from core.backend import Secret
from tests.azure.conftest import SUBSCRIPTION, TENANT, loopback_product_cloud
from tests.azure.fake import FakeAzure
from tests.azure.fake.routes_subscriptions import set_provider_state
from tests.azure.fake.server import LoopbackCloud
from tests.conftest import AZURITE_KEY

RG = "rg-fake"
SA = "stfake0001"
ACCOUNT = {
    "sku": {"name": "Standard_LRS"},
    "kind": "StorageV2",
    "location": "eastus",
    "properties": {
        "supportsHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
    },
}


def _account(factory: ClientFactory, rg: str = RG, name: str = SA) -> object:
    from azure.mgmt.storage.models import StorageAccountCreateParameters

    factory.resources().resource_groups.create_or_update(rg, {"location": "eastus"})
    return (
        factory.storage()
        .storage_accounts.begin_create(rg, name, StorageAccountCreateParameters(ACCOUNT))
        .result()
    )


def test_storage_account_create_is_a_long_running_operation(
    fake_factory: ClientFactory, fake_azure: FakeAzure
) -> None:
    account = _account(fake_factory)

    assert account.provisioning_state == "Succeeded"  # type: ignore[attr-defined]
    assert account.primary_endpoints.blob == fake_azure.blob_endpoint  # type: ignore[attr-defined]
    put = fake_azure.calls("PUT", f"/storageAccounts/{SA}$")[0]
    assert put.body["properties"]["minimumTlsVersion"] == "TLS1_2"
    polls = fake_azure.calls("GET", "/Fake.Operations/operations/")
    assert polls and all(p.query["kind"] == "result" for p in polls), "202 + Location, as the spec's example"


def test_lists_keys_and_deletes(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    _account(fake_factory)
    _account(fake_factory, "rg-two", "stfake0002")
    storage = fake_factory.storage()

    assert sorted(a.name for a in storage.storage_accounts.list()) == ["stfake0001", "stfake0002"]
    assert [a.name for a in storage.storage_accounts.list_by_resource_group(RG)] == [SA]
    keys = storage.storage_accounts.list_keys(RG, SA).keys_property
    assert [k.key_name for k in keys or []] == ["key1", "key2"]
    assert (keys or [])[0].value == AZURITE_KEY

    storage.storage_accounts.delete(RG, SA)

    with pytest.raises(ResourceNotFoundError) as caught:
        storage.storage_accounts.get_properties(RG, SA)
    error = explain(caught.value, doing=f"reading storage account '{SA}'")
    assert isinstance(error, AzureNotFoundError) and error.code == "ResourceNotFound"
    assert str(error).startswith(
        f"Reading storage account '{SA}' failed: the resource does not exist. Azure answered 404 "
        f"ResourceNotFound: The Resource 'Microsoft.Storage/storageAccounts/{SA}' under resource group '{RG}'"
    )


def test_name_availability_is_global(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    storage = fake_factory.storage()
    ask = storage.storage_accounts.check_name_availability

    assert ask({"name": SA, "type": "Microsoft.Storage/storageAccounts"}).name_available
    _account(fake_factory)
    taken = ask({"name": SA, "type": "Microsoft.Storage/storageAccounts"})
    invalid = ask({"name": "Not_Valid", "type": "Microsoft.Storage/storageAccounts"})

    assert (taken.name_available, taken.reason, taken.message) == (
        False,
        "AlreadyExists",
        f"The storage account named {SA} is already taken.",
    )
    assert (invalid.name_available, invalid.reason) == (False, "AccountNameInvalid")

    # Another subscription's create of the same name: 409 StorageAccountAlreadyTaken.
    other = "55555555-1111-4222-8333-444444444444"
    fake_azure.subscriptions[other] = "Someone else's"
    with pytest.raises(HttpResponseError) as caught:
        _account(fake_factory.with_subscription(other))
    assert caught.value.status_code == 409 and caught.value.error.code == "StorageAccountAlreadyTaken"  # type: ignore[union-attr]


def test_create_needs_the_group_and_the_provider(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    from azure.mgmt.storage.models import StorageAccountCreateParameters

    storage = fake_factory.storage()
    with pytest.raises(ResourceNotFoundError) as caught:
        storage.storage_accounts.begin_create("rg-none", SA, StorageAccountCreateParameters(ACCOUNT)).result()
    assert caught.value.error.code == "ResourceGroupNotFound"  # type: ignore[union-attr]
    assert str(explain(caught.value, doing="creating it")).endswith(
        "Create the resource group first (Resources step), or check its name."
    )

    set_provider_state(fake_azure, SUBSCRIPTION, "Microsoft.Storage", "NotRegistered")
    # azure-mgmt-core's auto-registration cannot read a streamed LRO answer, so the create fails.
    with pytest.raises(HttpResponseError) as refused:
        _account(fake_factory)
    assert refused.value.status_code == 409
    assert refused.value.error.code == "MissingSubscriptionRegistration"  # type: ignore[union-attr]
    providers = fake_factory.resources().providers
    assert providers.get("Microsoft.Storage").registration_state == "NotRegistered"
    assert providers.register("Microsoft.Storage").registration_state == "Registering"
    assert providers.get("Microsoft.Storage").registration_state == "Registered"
    _account(fake_factory)


def test_containers_through_resource_manager(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    from azure.mgmt.storage.models import BlobContainer
    from azure.storage.blob import BlobServiceClient

    _account(fake_factory)
    containers = fake_factory.storage().blob_containers
    azurite = BlobServiceClient(account_url=fake_azure.blob_endpoint, credential=AZURITE_KEY)
    name = f"fake-{uuid.uuid4().hex[:8]}"

    made = containers.create(RG, SA, name, BlobContainer({}))
    assert made.name == name and containers.get(RG, SA, name).public_access == "None"
    assert [c.name for c in containers.list(RG, SA)] == [name]
    assert azurite.get_container_client(name).exists()
    assert fake_azure.calls("PUT", f"/containers/{name}$")[0].path.endswith(
        f"/storageAccounts/{SA}/blobServices/default/containers/{name}"
    )

    containers.delete(RG, SA, name)

    assert not azurite.get_container_client(name).exists()
    with pytest.raises(ResourceNotFoundError) as caught:
        containers.get(RG, SA, name)
    assert caught.value.error.code == "ContainerNotFound"  # type: ignore[union-attr]


def test_a_new_container_starts_empty_in_azurite(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    """Azurite is shared by the session: a container a previous fake left behind is emptied."""
    from azure.mgmt.storage.models import BlobContainer
    from azure.storage.blob import BlobServiceClient

    azurite = BlobServiceClient(account_url=fake_azure.blob_endpoint, credential=AZURITE_KEY)
    name = f"left-{uuid.uuid4().hex[:8]}"
    azurite.create_container(name).upload_blob("old.csv", b"old")
    _account(fake_factory)

    fake_factory.storage().blob_containers.create(RG, SA, name, BlobContainer({}))

    assert list(azurite.get_container_client(name).list_blobs()) == []


def test_storage_over_https_with_a_service_principal(trust_loopback: LoopbackCloud) -> None:
    """The whole path a real run takes: MSAL token from the fake authority, then Resource Manager
    over HTTPS (the loopback fake is shared by the session: unique names)."""
    cloud = loopback_product_cloud(trust_loopback)
    client_id = str(uuid.uuid4())
    trust_loopback.fake.clients[client_id] = "sp-secret"
    credential = service_principal_credential(ServicePrincipal(TENANT, client_id, Secret("sp-secret")), cloud)
    factory = ClientFactory(credential, SUBSCRIPTION, cloud)
    rg = f"rg-{uuid.uuid4().hex[:8]}"
    name = f"st{uuid.uuid4().hex[:12]}"

    account = _account(factory, rg, name)

    assert account.name == name  # type: ignore[attr-defined]
    put = trust_loopback.fake.calls("PUT", f"/storageAccounts/{name}$")[0]
    assert put.headers["authorization"].startswith("Bearer fake-access-")
    assert put.url.startswith(trust_loopback.url)
    factory.resources().resource_groups.begin_delete(rg).result()
    assert name not in [a.name for a in factory.storage().storage_accounts.list()]
