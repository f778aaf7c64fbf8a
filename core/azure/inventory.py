"""The azure backend's inventory and teardown (``ResourcesAPI``, part).

The inventory is what this dashboard knows how to show in the subscription, read from Azure
each time (Azure is the source of truth): resource groups, storage accounts and their blob
containers, workspaces with their environments, compute clusters (with the nodes running now)
and online endpoints with their deployments. Teardown lists what will go before it deletes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core.azure.groups import GroupsMixin
from core.azure.lookups import WorkspaceArg, or_missing
from core.azure.operations import DELETE_GROUP, DELETE_WORKSPACE, OperationsBase
from core.azure.storage import container_resource
from core.azure.workspaces import compute_resource, environment_resource
from core.backend import Operation, WorkspaceRef
from core.resources import Kind, Resource, subtree

_KIND_ORDER = list(Kind)
# The containers a workspace makes in its storage account for itself (its default datastore's
# ``azureml-blobstore-<workspace id>`` and ``azureml``); they go with the workspace.
_SYSTEM_CONTAINER = re.compile(
    r"^azureml(-blobstore-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$"
)


def _iso(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else str(value)


class InventoryMixin(OperationsBase):
    """Everything in the subscription this dashboard shows, and deleting it."""

    def inventory(self) -> list[Resource]:
        found: list[Resource] = []
        found += self._groups_inventory()
        found += self._storage_inventory()
        for ws in self._subscription_workspaces():
            res = self._workspace_resource(ws)
            found.append(res)
            found += self._workspace_children(WorkspaceRef(str(res.parent), res.name))
        return sorted(found, key=lambda r: (_KIND_ORDER.index(r.kind), r.created_at, r.name))

    def _groups_inventory(self) -> list[Resource]:
        client = self.factory.resources()
        groups = self.call(
            "listing the subscription's resource groups", lambda: list(client.resource_groups.list())
        )
        return [GroupsMixin.group_resource(g) for g in groups]

    def _storage_inventory(self) -> list[Resource]:
        client = self.factory.storage()
        accounts = self.call(
            "listing the subscription's storage accounts", lambda: list(client.storage_accounts.list())
        )
        found: list[Resource] = []
        for account in accounts:
            res = GroupsMixin.account_resource(account)
            found.append(res)
            containers = self.call(
                f"listing the blob containers of storage account '{account.name}'",
                lambda rg=res.parent, name=account.name: list(client.blob_containers.list(rg, name)),  # type: ignore[misc]
            )
            found += [
                container_resource(c, res.name)
                for c in containers
                if not _SYSTEM_CONTAINER.match(str(c.name))
            ]
        return found

    def _workspace_children(self, ref: WorkspaceRef) -> list[Resource]:
        ml = self._ml(ref.resource_group, ref.name)
        where = {"resource_group": ref.resource_group}
        found: list[Resource] = []

        def listed(what: str, action: Any) -> list[Any]:
            run: Callable[[], list[Any]] = or_missing(lambda: list(action()), [])

            result: list[Any] = self.call(f"listing the {what} of workspace '{ref.name}'", run)
            return result

        for container in listed("environments", lambda: ml.environments.list()):
            versions = listed(
                f"versions of environment '{container.name}'",
                lambda c=container: ml.environments.list(name=c.name),
            )
            res = environment_resource(str(container.name), ref.name, versions)
            found.append(Resource(res.kind, res.name, res.parent, res.created_at, res.properties | where))
        for compute in listed("compute clusters", lambda: ml.compute.list()):
            if getattr(compute, "type", "").lower() != "amlcompute":
                continue
            nodes = listed(
                f"nodes of compute cluster '{compute.name}'", lambda c=compute: ml.compute.list_nodes(c.name)
            )
            res = compute_resource(compute, ref.name, current_nodes=len(nodes))
            found.append(Resource(res.kind, res.name, res.parent, res.created_at, res.properties | where))
        for endpoint in listed("online endpoints", lambda: ml.online_endpoints.list()):
            props = {
                "scoring_uri": getattr(endpoint, "scoring_uri", "") or "",
                "auth_mode": getattr(endpoint, "auth_mode", "") or "",
                "provisioning_state": getattr(endpoint, "provisioning_state", "") or "",
                "traffic": dict(getattr(endpoint, "traffic", None) or {}),
            }
            found.append(
                Resource(Kind.ENDPOINT, str(endpoint.name), ref.name, _iso(_created(endpoint)), props | where)
            )
            for deployment in listed(
                f"deployments of endpoint '{endpoint.name}'",
                lambda e=endpoint: ml.online_deployments.list(e.name),
            ):
                found.append(
                    Resource(
                        Kind.DEPLOYMENT,
                        str(deployment.name),
                        str(endpoint.name),
                        _iso(_created(deployment)),
                        {
                            "instance_type": getattr(deployment, "instance_type", "") or "",
                            "instance_count": getattr(deployment, "instance_count", None),
                            "model": str(getattr(deployment, "model", "") or ""),
                        }
                        | where,
                    )
                )
        return found

    # -- teardown ---------------------------------------------------------------------------
    def _doomed_workspace(self, ref: WorkspaceRef) -> list[Resource]:
        """The workspace and what lives in it, children first (listed before anything goes)."""
        inventory = [
            r
            for r in self.inventory()
            if r.properties.get("resource_group", ref.resource_group) == ref.resource_group
            and not (r.kind == Kind.WORKSPACE and r.parent != ref.resource_group)
        ]
        root = next(r for r in inventory if r.kind == Kind.WORKSPACE and r.name == ref.name)
        return subtree(inventory, root)

    def begin_delete_workspace(self, workspace: WorkspaceArg, permanently: bool = False) -> Operation:
        """Start deleting a workspace: soft delete (recoverable for 14 days, its name stays taken)
        unless ``permanently``, which purges it and frees the name."""
        ref, _ = self._workspace(workspace)
        doomed = self._doomed_workspace(ref)
        ml = self._ml(ref.resource_group)
        how = "permanently deleting" if permanently else "deleting"
        poller = self.call(
            f"{how} workspace '{ref.name}'",
            lambda: ml.workspaces.begin_delete(
                ref.name, delete_dependent_resources=False, permanently_delete=permanently
            ),
        )
        context = {
            "resource_group": ref.resource_group,
            "workspace": ref.name,
            "permanently": permanently,
            "doomed": [r.to_dict() for r in doomed],
        }
        return self._track(DELETE_WORKSPACE, ref.name, context, poller)

    def delete_workspace(self, workspace: WorkspaceArg, permanently: bool = False) -> list[Resource]:
        """Delete a workspace and wait; returns what went (listed before deleting)."""
        done = self._wait(self.begin_delete_workspace(workspace, permanently=permanently))
        gone: list[Resource] = done.result
        return gone

    def begin_delete_resource_group(self, name: str) -> Operation:
        """Start deleting a resource group with everything in it (workspaces included)."""
        self._group_location(name)
        inventory = self.inventory()
        root = next(r for r in inventory if r.kind == Kind.RESOURCE_GROUP and r.name == name)
        in_group = [r for r in inventory if r.properties.get("resource_group", name) == name]
        doomed = subtree(in_group, root)
        client = self.factory.resources()
        poller = self.call(
            f"deleting resource group '{name}'", lambda: client.resource_groups.begin_delete(name)
        )
        context = {"resource_group": name, "doomed": [r.to_dict() for r in doomed]}
        return self._track(DELETE_GROUP, name, context, poller)

    def delete_resource_group(self, name: str) -> list[Resource]:
        """Delete a resource group and wait; returns what went (listed before deleting)."""
        done = self._wait(self.begin_delete_resource_group(name))
        gone: list[Resource] = done.result
        return gone


def _created(entity: Any) -> Any:
    context = getattr(entity, "creation_context", None)
    return getattr(context, "created_at", None)
