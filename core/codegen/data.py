"""The "Show code" snippet of the Data step: upload the train split, register it as a data asset.

It does what the azure backend does: it uploads the file with azure-storage-blob into the
workspace's default datastore (``workspaceblobstore``), at the blob endpoint Azure reports for the
workspace's storage account, then registers a ``uri_file`` data asset at the datastore address
``azureml://datastores/<name>/paths/<path>``. (``Data(path="train.csv")`` would have azure-ai-ml
upload the file itself, to an address it builds from the account name.) The account key is read
with the management client and never printed.
"""

from __future__ import annotations

from core.azure.cloud import AzureCloud
from core.codegen.common import credential_code, management_client, ml_client_call, py_literal


def data_upload_code(
    resource_group: str,
    workspace: str,
    subscription_id: str,
    container: str | None = None,
    blob_name: str = "train.csv",
    asset: str = "train-data",
    cloud: AzureCloud | None = None,
    *,
    local_file: str = "train.csv",
) -> str:
    """Upload the train split to the default datastore, then register it as a versioned uri_file
    data asset. ``container`` is not used any more (the datastore names its own container); it is
    kept so that callers passing it positionally keep working."""
    del container  # the default datastore's container is where the data asset can point
    client = ml_client_call("credential", "subscription_id", resource_group, workspace, cloud)
    return (
        credential_code(subscription_id, cloud)
        + f"""
from azure.ai.ml import MLClient
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient

ml_client = {client}

# 1. Where the workspace keeps data: its default datastore, in the workspace's storage account.
datastore = ml_client.datastores.get_default()
account_id = ml_client.workspaces.get({py_literal(workspace)}).storage_account
account_group, account_name = account_id.split("/")[4], account_id.split("/")[-1]
"""
        + management_client("storage_client", "StorageManagementClient", cloud)
        + f"""\
account = storage_client.storage_accounts.get_properties(account_group, account_name)
key = storage_client.storage_accounts.list_keys(account_group, account_name).keys_property[0].value

# 2. Upload the train split only; the test split stays on your machine for the endpoint test.
# (Where account keys are disabled, pass credential=credential instead of the key: that needs the
# Storage Blob Data Contributor role on the account.)
service = BlobServiceClient(account.primary_endpoints.blob, credential=key)
blob_path = {py_literal(blob_name)}
blob = service.get_blob_client(container=datastore.container_name, blob=blob_path)
with open({py_literal(local_file)}, "rb") as data:
    blob.upload_blob(data, overwrite=True)

# 3. Register it as a data asset at its datastore address; each registration makes a new version.
train_data = ml_client.data.create_or_update(
    Data(
        name={py_literal(asset)},
        path=f"azureml://datastores/{{datastore.name}}/paths/{{blob_path}}",
        type=AssetTypes.URI_FILE,
        description="Train split for the hyperparameter sweep",
    )
)
print(train_data.name, train_data.version, train_data.path)
"""
    )
