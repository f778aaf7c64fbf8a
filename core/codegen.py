"""The "Show code" snippets: Azure SDK code equivalent to each step, with the user's values.

Every snippet is complete Python that can be pasted into a notebook. Secrets are
never put in: they are read from environment variables instead.
"""

from __future__ import annotations

import json

from core.compute import ComputeSpec


def _q(value: str) -> str:
    """A Python string literal in double quotes, the style of the Azure docs."""
    return json.dumps(value)


def _block(text: str) -> str:
    """A multi-line literal that reads like the YAML it holds; falls back to _q if unsafe."""
    if '"""' in text or "\\" in text:
        return _q(text)
    return '"""\\\n' + text + ("" if text.endswith("\n") else "\\n") + '"""'


_CREDENTIAL = """\
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()  # az login, or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET
subscription_id = {subscription_id}
"""

_ML_CLIENT = """\
from azure.ai.ml import MLClient
from azure.identity import DefaultAzureCredential

ml_client = MLClient(
    DefaultAzureCredential(),
    subscription_id={subscription_id},
    resource_group_name={resource_group},
    workspace_name={workspace},
)
"""


def resource_group_code(name: str, location: str, subscription_id: str) -> str:
    return (
        _CREDENTIAL.format(subscription_id=_q(subscription_id))
        + f"""
from azure.mgmt.resource import ResourceManagementClient

resource_client = ResourceManagementClient(credential, subscription_id)
rg = resource_client.resource_groups.create_or_update({_q(name)}, {{"location": {_q(location)}}})
print(rg.name, rg.location)
"""
    )


def storage_account_code(resource_group: str, name: str, location: str, subscription_id: str) -> str:
    return (
        _CREDENTIAL.format(subscription_id=_q(subscription_id))
        + f"""
from azure.mgmt.storage import StorageManagementClient

storage_client = StorageManagementClient(credential, subscription_id)
poller = storage_client.storage_accounts.begin_create(
    {_q(resource_group)},
    {_q(name)},
    {{"location": {_q(location)}, "kind": "StorageV2", "sku": {{"name": "Standard_LRS"}}}},
)
account = poller.result()

keys = storage_client.storage_accounts.list_keys({_q(resource_group)}, {_q(name)})
connection_string = (
    "DefaultEndpointsProtocol=https;AccountName={name};"
    f"AccountKey={{keys.keys[0].value}};EndpointSuffix=core.windows.net"
)  # keep it secret: put it in .env as AZURE_STORAGE_CONNECTION_STRING, never in code
"""
    )


def blob_container_code(container: str) -> str:
    return f"""\
import os

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

# The connection string comes from the environment, never from the notebook itself.
service = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
try:
    service.create_container({_q(container)})
except ResourceExistsError:
    pass  # get-or-create: the container is there already
print([c.name for c in service.list_containers()])
"""


def workspace_code(resource_group: str, name: str, location: str, subscription_id: str) -> str:
    return f"""\
import json

from azure.ai.ml import MLClient
from azure.ai.ml.entities import Workspace
from azure.identity import DefaultAzureCredential

ml_client = MLClient(DefaultAzureCredential(), {_q(subscription_id)}, {_q(resource_group)})
workspace = ml_client.workspaces.begin_create(
    Workspace(name={_q(name)}, location={_q(location)}, display_name={_q(name)})
).result()

# config.json lets MLClient.from_config() find this workspace later.
with open("config.json", "w") as f:
    json.dump(
        {{"subscription_id": {_q(subscription_id)}, "resource_group": {_q(resource_group)},
         "workspace_name": {_q(name)}}},
        f,
    )
print(workspace.mlflow_tracking_uri)
"""


def environment_code(
    resource_group: str, workspace: str, subscription_id: str, name: str, image: str, conda_yaml: str
) -> str:
    return (
        _ML_CLIENT.format(
            subscription_id=_q(subscription_id), resource_group=_q(resource_group), workspace=_q(workspace)
        )
        + f"""
from pathlib import Path

from azure.ai.ml.entities import Environment

Path("conda.yaml").write_text({_block(conda_yaml)})
environment = ml_client.environments.create_or_update(
    Environment(
        name={_q(name)},
        image={_q(image)},
        conda_file="conda.yaml",
        description="scikit-learn + MLflow training environment",
    )
)
print(environment.name, environment.version)
"""
    )


def compute_code(resource_group: str, workspace: str, subscription_id: str, spec: ComputeSpec) -> str:
    return (
        _ML_CLIENT.format(
            subscription_id=_q(subscription_id), resource_group=_q(resource_group), workspace=_q(workspace)
        )
        + f"""
from azure.ai.ml.entities import AmlCompute

cluster = AmlCompute(
    name={_q(spec.name)},
    type="amlcompute",
    size={_q(spec.vm_size)},
    min_instances={spec.min_instances},
    max_instances={spec.max_instances},
    idle_time_before_scale_down={spec.idle_seconds},
    tier="Dedicated",
)
cluster = ml_client.compute.begin_create_or_update(cluster).result()
print(cluster.name, cluster.provisioning_state)
"""
    )


def teardown_code(resource_group: str, workspace: str | None, subscription_id: str) -> str:
    lines = [_CREDENTIAL.format(subscription_id=_q(subscription_id))]
    if workspace:
        lines.append(
            f"""
from azure.ai.ml import MLClient

ml_client = MLClient(credential, subscription_id, {_q(resource_group)}, {_q(workspace)})
# Deletes the workspace only; delete_dependent_resources also removes its storage, key vault, etc.
ml_client.workspaces.begin_delete(
    {_q(workspace)}, delete_dependent_resources=False, permanently_delete=True
).result()
"""
        )
    lines.append(
        f"""
from azure.mgmt.resource import ResourceManagementClient

resource_client = ResourceManagementClient(credential, subscription_id)
# Deletes the resource group and everything in it. This cannot be undone.
resource_client.resource_groups.begin_delete({_q(resource_group)}).result()
"""
    )
    return "".join(lines)


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
blob = service.get_blob_client(container={_q(container)}, blob={_q(blob_name)})
with open("train.csv", "rb") as data:
    blob.upload_blob(data, overwrite=True)
print(blob.url)

"""
        + _ML_CLIENT.format(
            subscription_id=_q(subscription_id), resource_group=_q(resource_group), workspace=_q(workspace)
        )
        + f"""
# 2. Register it as a data asset; each registration makes a new version.
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data

train_data = ml_client.data.create_or_update(
    Data(
        name={_q(asset)},
        path=blob.url,
        type=AssetTypes.URI_FILE,
        description="Train split for the hyperparameter sweep",
    )
)
print(train_data.name, train_data.version)
"""
    )
