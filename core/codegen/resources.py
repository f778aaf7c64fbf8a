"""The "Show code" snippets of the Resources step: resource group, storage, workspace, environment, cluster.

Every snippet is complete Python that can be pasted into a notebook, written for today's SDKs
(azure-mgmt-resource 26, azure-mgmt-storage 25, azure-storage-blob 12, azure-ai-ml 1.35) and
the product's cloud setting (``cloud``; None is the public Azure cloud). Secrets are never put
in: they are read from environment variables instead.
"""

from __future__ import annotations

from core.azure.cloud import AzureCloud
from core.codegen.common import (
    credential_code,
    management_client,
    ml_client_call,
    ml_client_code,
    py_literal,
    text_block,
)
from core.compute import ComputeSpec

CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING"


def resource_group_code(
    name: str, location: str, subscription_id: str, cloud: AzureCloud | None = None
) -> str:
    """Create (or update) a resource group with azure-mgmt-resource."""
    where = f'{{"location": {py_literal(location)}}}'
    return (
        credential_code(subscription_id, cloud)
        + """
from azure.mgmt.resource.resources import ResourceManagementClient

"""
        + management_client("resource_client", "ResourceManagementClient", cloud)
        + f"""\
rg = resource_client.resource_groups.create_or_update({py_literal(name)}, {where})
print(rg.name, rg.location)
"""
    )


def storage_account_code(
    resource_group: str, name: str, location: str, subscription_id: str, cloud: AzureCloud | None = None
) -> str:
    """Get or create a storage account the way the dashboard does, then its connection string."""
    group, account = py_literal(resource_group), py_literal(name)
    return (
        credential_code(subscription_id, cloud)
        + """
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import (
    Sku,
    StorageAccountCheckNameAvailabilityParameters,
    StorageAccountCreateParameters,
)

"""
        + management_client("storage_client", "StorageManagementClient", cloud)
        + f"""\
# Account names are unique across all of Azure: check the name first.
availability = storage_client.storage_accounts.check_name_availability(
    StorageAccountCheckNameAvailabilityParameters(name={account}, type="Microsoft.Storage/storageAccounts")
)
if availability.name_available:
    account = storage_client.storage_accounts.begin_create(
        {group},
        {account},
        StorageAccountCreateParameters(
            location={py_literal(location)},
            kind="StorageV2",
            sku=Sku(name="Standard_LRS"),
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
        ),
    ).result()
else:
    # Taken: this reads it if it is yours (in this resource group), and fails if it is not.
    print(availability.reason, availability.message)
    account = storage_client.storage_accounts.get_properties({group}, {account})

keys = storage_client.storage_accounts.list_keys({group}, {account})
connection_string = (
    f"DefaultEndpointsProtocol=https;AccountName={{account.name}};"
    f"AccountKey={{keys.keys_property[0].value}};BlobEndpoint={{account.primary_endpoints.blob}}"
)  # keep it secret: put it in .env as {CONNECTION_STRING_ENV}, never in code
print(account.name, account.primary_endpoints.blob)
"""
    )


def blob_container_code(container: str) -> str:
    """Get or create a blob container with azure-storage-blob (the cloud is in the connection string)."""
    return f"""\
import os

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

# The connection string comes from the environment, never from the notebook itself.
service = BlobServiceClient.from_connection_string(os.environ[{py_literal(CONNECTION_STRING_ENV)}])
try:
    service.create_container({py_literal(container)})
except ResourceExistsError:
    pass  # get-or-create: the container is there already
print([c.name for c in service.list_containers()])
"""


def workspace_code(
    resource_group: str, name: str, location: str, subscription_id: str, cloud: AzureCloud | None = None
) -> str:
    """Create a workspace with azure-ai-ml, then write the config.json that finds it again."""
    client = ml_client_call("credential", "subscription_id", resource_group, None, cloud)
    return (
        credential_code(subscription_id, cloud)
        + f"""
import json

from azure.ai.ml import MLClient
from azure.ai.ml.entities import Workspace

ml_client = {client}
# Creates the workspace and its storage account, key vault and Application Insights (minutes).
workspace = ml_client.workspaces.begin_create(
    Workspace(name={py_literal(name)}, location={py_literal(location)}, display_name={py_literal(name)})
).result()

# config.json lets MLClient.from_config() find this workspace later.
with open("config.json", "w") as f:
    json.dump(
        {{"subscription_id": subscription_id, "resource_group": {py_literal(resource_group)},
         "workspace_name": {py_literal(name)}}},
        f,
    )
print(workspace.name, workspace.mlflow_tracking_uri)
"""
    )


def environment_code(
    resource_group: str,
    workspace: str,
    subscription_id: str,
    name: str,
    image: str,
    conda_yaml: str,
    cloud: AzureCloud | None = None,
) -> str:
    """Register an environment (a conda spec on a base image) with azure-ai-ml."""
    return (
        ml_client_code(subscription_id, resource_group, workspace, cloud=cloud)
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


def compute_code(
    resource_group: str,
    workspace: str,
    subscription_id: str,
    spec: ComputeSpec,
    cloud: AzureCloud | None = None,
) -> str:
    """Create a compute cluster (AmlCompute) with azure-ai-ml."""
    return (
        ml_client_code(subscription_id, resource_group, workspace, cloud=cloud)
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
