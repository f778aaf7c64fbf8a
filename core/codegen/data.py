"""The "Show code" snippet of the Data step: upload the train split, register it as a data asset.

The connection string is read from the environment, never put in the snippet.
"""

from __future__ import annotations

from core.codegen.common import ml_client_code, py_literal


def data_upload_code(
    resource_group: str, workspace: str, subscription_id: str, container: str, blob_name: str, asset: str
) -> str:
    """Upload the train split as a blob, then register it as a versioned uri_file data asset."""
    return (
        f"""\
import os

from azure.storage.blob import BlobServiceClient

# 1. Upload the train split only; the test split stays on your machine for the endpoint test.
service = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
blob = service.get_blob_client(container={py_literal(container)}, blob={py_literal(blob_name)})
with open("train.csv", "rb") as data:
    blob.upload_blob(data, overwrite=True)
print(blob.url)

"""
        + ml_client_code(subscription_id, resource_group, workspace)
        + f"""
# 2. Register it as a data asset; each registration makes a new version.
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data

train_data = ml_client.data.create_or_update(
    Data(
        name={py_literal(asset)},
        path=blob.url,
        type=AssetTypes.URI_FILE,
        description="Train split for the hyperparameter sweep",
    )
)
print(train_data.name, train_data.version)
"""
    )
