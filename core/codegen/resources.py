"""The "Show code" snippets of the Resources step: resource group, storage, workspace, environment, cluster.

Every snippet is complete Python that can be pasted into a notebook. Secrets are
never put in: they are read from environment variables instead.
"""

from __future__ import annotations

from core.codegen.common import credential_code, ml_client_code, py_literal, text_block
from core.compute import ComputeSpec


def resource_group_code(name: str, location: str, subscription_id: str) -> str:
    where = f'{{"location": {py_literal(location)}}}'
    return (
        credential_code(subscription_id)
        + f"""
from azure.mgmt.resource import ResourceManagementClient

resource_client = ResourceManagementClient(credential, subscription_id)
rg = resource_client.resource_groups.create_or_update({py_literal(name)}, {where})
print(rg.name, rg.location)
"""
    )


def storage_account_code(resource_group: str, name: str, location: str, subscription_id: str) -> str:
    return (
        credential_code(subscription_id)
        + f"""
from azure.mgmt.storage import StorageManagementClient

storage_client = StorageManagementClient(credential, subscription_id)
poller = storage_client.storage_accounts.begin_create(
    {py_literal(resource_group)},
    {py_literal(name)},
    {{"location": {py_literal(location)}, "kind": "StorageV2", "sku": {{"name": "Standard_LRS"}}}},
)
account = poller.result()

keys = storage_client.storage_accounts.list_keys({py_literal(resource_group)}, {py_literal(name)})
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
    service.create_container({py_literal(container)})
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

ml_client = MLClient(DefaultAzureCredential(), {py_literal(subscription_id)}, {py_literal(resource_group)})
workspace = ml_client.workspaces.begin_create(
    Workspace(name={py_literal(name)}, location={py_literal(location)}, display_name={py_literal(name)})
).result()

# config.json lets MLClient.from_config() find this workspace later.
with open("config.json", "w") as f:
    json.dump(
        {{"subscription_id": {py_literal(subscription_id)}, "resource_group": {py_literal(resource_group)},
         "workspace_name": {py_literal(name)}}},
        f,
    )
print(workspace.mlflow_tracking_uri)
"""


def environment_code(
    resource_group: str, workspace: str, subscription_id: str, name: str, image: str, conda_yaml: str
) -> str:
    return (
        ml_client_code(subscription_id, resource_group, workspace)
        + f"""
from pathlib import Path

from azure.ai.ml.entities import Environment

Path("conda.yaml").write_text({text_block(conda_yaml)})
environment = ml_client.environments.create_or_update(
    Environment(
        name={py_literal(name)},
        image={py_literal(image)},
        conda_file="conda.yaml",
        description="scikit-learn + MLflow training environment",
    )
)
print(environment.name, environment.version)
"""
    )


def compute_code(resource_group: str, workspace: str, subscription_id: str, spec: ComputeSpec) -> str:
    return (
        ml_client_code(subscription_id, resource_group, workspace)
        + f"""
from azure.ai.ml.entities import AmlCompute

cluster = AmlCompute(
    name={py_literal(spec.name)},
    type="amlcompute",
    size={py_literal(spec.vm_size)},
    min_instances={spec.min_instances},
    max_instances={spec.max_instances},
    idle_time_before_scale_down={spec.idle_seconds},
    tier="Dedicated",
)
cluster = ml_client.compute.begin_create_or_update(cluster).result()
print(cluster.name, cluster.provisioning_state)
"""
    )
