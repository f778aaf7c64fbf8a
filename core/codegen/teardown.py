"""The "Show code" snippet of the Teardown step: delete the workspace, then the resource group."""

from __future__ import annotations

from core.azure.cloud import AzureCloud
from core.codegen.common import credential_code, management_client, ml_client_call, py_literal


def teardown_code(
    resource_group: str,
    workspace: str | None,
    subscription_id: str,
    cloud: AzureCloud | None = None,
    *,
    permanently_delete: bool = True,
) -> str:
    """Delete ``workspace`` (when given; purged when ``permanently_delete``), then the resource group."""
    lines = [credential_code(subscription_id, cloud)]
    if workspace:
        client = ml_client_call(
            "credential", "subscription_id", resource_group, workspace, cloud, keywords=False
        )
        purge = (
            "# permanently_delete purges it at once, so its name can be used again right away.\n"
            if permanently_delete
            else "# Without permanently_delete it stays soft-deleted (recoverable) for 14 days.\n"
        )
        lines.append(
            f"""
from azure.ai.ml import MLClient

ml_client = {client}
# Deletes the workspace only; delete_dependent_resources also removes its storage, key vault, etc.
{purge}ml_client.workspaces.begin_delete(
    {py_literal(workspace)}, delete_dependent_resources=False, permanently_delete={permanently_delete!r}
).result()
"""
        )
    lines.append(
        """
from azure.mgmt.resource.resources import ResourceManagementClient

"""
        + management_client("resource_client", "ResourceManagementClient", cloud)
        + f"""\
# Deletes the resource group and everything in it. This cannot be undone.
resource_client.resource_groups.begin_delete({py_literal(resource_group)}).result()
print("deleted", {py_literal(resource_group)})
"""
    )
    return "".join(lines)
