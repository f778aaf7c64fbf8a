"""The "Show code" snippet of the Teardown step: delete the workspace, then the resource group."""

from __future__ import annotations

from core.codegen.common import credential_code, py_literal


def teardown_code(resource_group: str, workspace: str | None, subscription_id: str) -> str:
    lines = [credential_code(subscription_id)]
    if workspace:
        lines.append(
            f"""
from azure.ai.ml import MLClient

ml_client = MLClient(credential, subscription_id, {py_literal(resource_group)}, {py_literal(workspace)})
# Deletes the workspace only; delete_dependent_resources also removes its storage, key vault, etc.
ml_client.workspaces.begin_delete(
    {py_literal(workspace)}, delete_dependent_resources=False, permanently_delete=True
).result()
"""
        )
    lines.append(
        f"""
from azure.mgmt.resource import ResourceManagementClient

resource_client = ResourceManagementClient(credential, subscription_id)
# Deletes the resource group and everything in it. This cannot be undone.
resource_client.resource_groups.begin_delete({py_literal(resource_group)}).result()
"""
    )
    return "".join(lines)
