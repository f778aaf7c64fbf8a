"""The azure backend's workspaces, environments and compute clusters (``ResourcesAPI``, part).

Every create is get-or-create, as on the local backend: names are checked first
(``core.naming``), an existing resource is found and returned with ``created=False``, and what
Azure cannot change (a cluster's VM size) is a ``ConflictError`` with the fix.

- A workspace is created by ``MLClient.workspaces.begin_create`` (azure-ai-ml's ARM template:
  the workspace, a key vault and Application Insights) in the resource group's location, on the
  given storage account; it takes minutes, so ``begin_create_workspace`` returns an
  ``Operation`` (``core.azure.operations``) and ``create_workspace`` waits for it.
- An environment version is an image plus a conda file; its fingerprint is kept as a tag, so
  the same spec makes no new version.
- A compute cluster is an ``AmlCompute`` (size, min/max nodes, idle seconds before scale-down).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.azure.lookups import WorkspaceArg, or_missing, state_text
from core.azure.operations import CREATE_COMPUTE, OperationsBase
from core.backend import Operation, WorkspaceRef
from core.compute import ComputeSpec, validate_compute_spec
from core.environments import EnvironmentSpec
from core.errors import ConflictError
from core.naming import validate_name
from core.resources import Kind, Outcome, Resource

if TYPE_CHECKING:
    from azure.ai.ml.entities import AmlCompute, Environment

FINGERPRINT_TAG = "fingerprint"


def compute_resource(compute: Any, workspace: str, current_nodes: int | None = None) -> Resource:
    """A cluster as the inventory shows it: size, scale settings, and the nodes it has now."""
    props: dict[str, Any] = {
        "vm_size": compute.size,
        "min_instances": int(compute.min_instances or 0),
        "max_instances": int(compute.max_instances or 0),
        "idle_seconds": int(compute.idle_time_before_scale_down or 0),
        "provisioning_state": state_text(compute.provisioning_state),
        "location": compute.location or "",
    }
    if current_nodes is not None:
        props["current_nodes"] = current_nodes
    return Resource(Kind.COMPUTE, str(compute.name), workspace, str(compute.created_on or ""), props)


def environment_resource(name: str, workspace: str, versions: list[Environment]) -> Resource:
    """An environment with its versions (oldest first), as the local backend records one."""
    rows = sorted(versions, key=lambda e: _number(e.version))
    listed = [
        {
            "version": _number(e.version) or e.version,
            "image": e.image or "",
            "fingerprint": (e.tags or {}).get(FINGERPRINT_TAG, ""),
            "created_at": _created(e),
        }
        for e in rows
    ]
    latest = listed[-1] if listed else {}
    props = {"versions": listed, "latest_version": latest.get("version"), "image": latest.get("image", "")}
    return Resource(Kind.ENVIRONMENT, name, workspace, listed[0]["created_at"] if listed else "", props)


def _number(version: Any) -> int:
    return int(str(version)) if str(version).isdigit() else 0


def _created(entity: Any) -> str:
    context = getattr(entity, "creation_context", None)
    created = getattr(context, "created_at", None)
    if created is None:
        return ""
    return created.isoformat(timespec="seconds") if hasattr(created, "isoformat") else str(created)


class WorkspacesMixin(OperationsBase):
    """Workspaces, environments and compute clusters of the subscription."""

    # -- workspace ------------------------------------------------------------------------
    def create_workspace(self, resource_group: str, name: str, storage_account: str | None = None) -> Outcome:
        """Get or create a workspace (waits for Azure: a few minutes for a new one)."""
        done = self._wait(self.begin_create_workspace(resource_group, name, storage_account))
        outcome: Outcome = done.result
        return outcome

    def begin_create_workspace(
        self, resource_group: str, name: str, storage_account: str | None = None
    ) -> Operation:
        return self._begin_workspace(resource_group, name, storage_account)

    def workspace_config(self, workspace: WorkspaceArg) -> dict[str, str]:
        """What a ``config.json`` holds (``MLClient.from_config`` reads it)."""
        ref, _ = self._workspace(workspace)
        return {
            "subscription_id": self.subscription_id,
            "resource_group": ref.resource_group,
            "workspace_name": ref.name,
        }

    def studio_url(self, workspace: WorkspaceArg) -> str:
        """The workspace's page in Azure ML studio."""
        ref = self._workspace_ref(workspace)
        return self.factory.cloud.studio_url(self.subscription_id, ref.resource_group, ref.name)

    # -- environment ------------------------------------------------------------------------
    def create_environment(self, workspace: WorkspaceArg, spec: EnvironmentSpec) -> Outcome:
        from azure.ai.ml.entities import Environment

        ref, _ = self._workspace(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        versions = self._environment_versions(ref, spec.name)
        for version in versions:
            if (version.tags or {}).get(FINGERPRINT_TAG) == spec.fingerprint:
                return Outcome(
                    environment_resource(spec.name, ref.name, versions),
                    False,
                    f"Environment '{spec.name}' version {version.version} has this exact spec already.",
                )
        number = 1 + max((_number(v.version) for v in versions), default=0)
        entity = Environment(
            name=spec.name,
            version=str(number),
            image=spec.image,
            conda_file=spec.conda,
            tags={FINGERPRINT_TAG: spec.fingerprint},
            description="Registered by the Azure ML walkthrough dashboard.",
        )
        made = self.call(
            f"registering environment '{spec.name}' version {number}",
            lambda: ml.environments.create_or_update(entity),
        )
        res = environment_resource(spec.name, ref.name, [*versions, made])
        return Outcome(res, True, f"Registered environment '{spec.name}' version {number}.")

    def _environment_versions(self, ref: WorkspaceRef, name: str) -> list[Environment]:
        ml = self._ml(ref.resource_group, ref.name)

        listed: Callable[[], list[Environment]] = or_missing(
            lambda: list(ml.environments.list(name=name)), []
        )

        return self.call(f"listing the versions of environment '{name}'", listed)

    # -- compute ------------------------------------------------------------------------------
    def create_compute(self, workspace: WorkspaceArg, spec: ComputeSpec) -> Outcome:
        """Get or create a cluster (waits for Azure); a new scale setting updates it."""
        done = self._wait(self.begin_create_compute(workspace, spec))
        outcome: Outcome = done.result
        return outcome

    def begin_create_compute(self, workspace: WorkspaceArg, spec: ComputeSpec) -> Operation:
        from azure.ai.ml.entities import AmlCompute

        name = validate_name(Kind.COMPUTE, spec.name)
        spec = validate_compute_spec(
            ComputeSpec(name, spec.vm_size, spec.min_instances, spec.max_instances, spec.idle_seconds)
        )
        ref, _ = self._workspace(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        existing = self._find_compute(ref, name)
        update = False
        if existing is not None:
            if str(existing.size or "").lower() != spec.vm_size.lower():
                raise ConflictError(
                    f"Compute cluster '{name}' exists already with VM size {existing.size}; Azure "
                    "cannot change a cluster's VM size.",
                    "Keep that size, or choose another cluster name.",
                )
            same = (
                int(existing.min_instances or 0) == spec.min_instances
                and int(existing.max_instances or 0) == spec.max_instances
                and int(existing.idle_time_before_scale_down or 0) == spec.idle_seconds
            )
            if same and state_text(existing.provisioning_state) == "Succeeded":
                outcome = Outcome(
                    compute_resource(existing, ref.name), False, f"Compute cluster '{name}' exists already."
                )
                return self._done_at_once(CREATE_COMPUTE, name, outcome)
            update = not same
        entity: AmlCompute = AmlCompute(
            name=name,
            size=spec.vm_size,
            min_instances=spec.min_instances,
            max_instances=spec.max_instances,
            idle_time_before_scale_down=spec.idle_seconds,
            tier="dedicated",
        )
        doing = f"creating compute cluster '{name}' ({spec.vm_size}) in workspace '{ref.name}'"
        poller = self.call(doing, lambda: ml.compute.begin_create_or_update(entity))
        context = {
            "resource_group": ref.resource_group,
            "workspace": ref.name,
            "compute": name,
            "update": update or existing is not None,
        }
        return self._track(CREATE_COMPUTE, name, context, poller)

    def _find_compute(self, ref: WorkspaceRef, name: str) -> Any:
        ml = self._ml(ref.resource_group, ref.name)

        get = or_missing(lambda: ml.compute.get(name), None)

        return self.call(f"reading compute cluster '{name}'", get)
