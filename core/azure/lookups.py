"""What the Azure Machine Learning slices (workspaces, inventory, data assets, later) share:
finding a resource group and a workspace, one ``MLClient`` per workspace, and a workspace as a
``core.resources.Resource``.

A workspace is named by a :class:`~core.backend.WorkspaceRef` (resource group and name). A bare
name (as older callers pass) is looked up across the subscription and must be unambiguous.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from core.azure.base import AzureBase
from core.backend import WorkspaceRef
from core.errors import NotFoundError, UserFacingError
from core.resources import Kind, Resource

if TYPE_CHECKING:
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import Workspace

WorkspaceArg = WorkspaceRef | str
T = TypeVar("T")
M = TypeVar("M")
ML_PROVIDER = "Microsoft.MachineLearningServices"
CREATED_TAG = "created-at"  # when this dashboard created it (as core.azure.groups tags a group)


def is_not_found(exc: BaseException) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    return isinstance(exc, ResourceNotFoundError) or getattr(exc, "status_code", None) == 404


def or_missing(action: Callable[[], T], missing: M) -> Callable[[], T | M]:
    """``action`` as a call that gives ``missing`` (None, or an empty list) where Azure answers
    404: what is looked for does not exist (yet, or any more). Other failures go on up, to be
    explained by ``AzureBase.call``."""

    def run() -> T | M:
        try:
            return action()
        except Exception as exc:
            if is_not_found(exc):
                return missing
            raise

    return run


def state_text(value: Any, default: str = "") -> str:
    """A provisioning state as Azure spells it (the SDK hands some back as enums)."""
    if value is None or value == "":
        return default
    return str(getattr(value, "value", value))


def arm_name(resource_id: str | None) -> str:
    """The last segment of an ARM id (a storage account's name from its id)."""
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def arm_group(resource_id: str | None) -> str:
    parts = (resource_id or "").split("/")
    return parts[4] if len(parts) > 4 else ""


class MLBase(AzureBase):
    """Lookups of resource groups and workspaces, with this dashboard's messages."""

    _ml_clients: dict[tuple[str | None, str | None], MLClient]

    def _ml(self, resource_group: str | None = None, workspace: str | None = None) -> MLClient:
        """One ``MLClient`` per (resource group, workspace): building one builds a dozen clients."""
        cache = self.__dict__.setdefault("_ml_clients", {})
        key = (resource_group, workspace)
        if key not in cache:
            cache[key] = self.factory.ml(resource_group, workspace)
        client: MLClient = cache[key]
        return client

    def _arm_get(self, path: str, api_version: str, doing: str) -> dict[str, Any] | None:
        """GET an ARM path through the resource client's own pipeline (``send_request``): for
        what azure-mgmt-resource 26 has no operation class for (template deployments). None on 404."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        client = self.factory.resources()
        sep = "&" if "?" in path else "?"

        def get() -> dict[str, Any] | None:
            response = client.send_request(HttpRequest("GET", f"{path}{sep}api-version={api_version}"))
            if response.status_code == 404:
                return None
            if response.status_code >= 400:
                raise HttpResponseError(response=response, error_format=ARMErrorFormat)
            body: dict[str, Any] = response.json()
            return body

        return self.call(doing, get)

    # -- resource groups ------------------------------------------------------------------
    def _group_location(self, resource_group: str) -> str:
        """The location of a resource group; NotFoundError (with the fix) when there is none."""
        client = self.factory.resources()

        def get() -> Any:
            try:
                return client.resource_groups.get(resource_group)
            except Exception as exc:
                if is_not_found(exc):
                    raise NotFoundError(
                        f"There is no resource group called '{resource_group}'.",
                        "Create it on the Resources page.",
                    ) from None
                raise

        group = self.call(f"reading resource group '{resource_group}'", get)
        return str(group.location)

    # -- workspaces -----------------------------------------------------------------------
    def _subscription_workspaces(self) -> list[Workspace]:
        ml = self._ml()
        return self.call(
            "listing the subscription's workspaces",
            lambda: list(ml.workspaces.list(scope="subscription")),
        )

    def _workspace_ref(self, workspace: WorkspaceArg) -> WorkspaceRef:
        """A reference for a bare name: the one workspace of that name in the subscription."""
        if isinstance(workspace, WorkspaceRef):
            return workspace
        found = [w for w in self._subscription_workspaces() if w.name == workspace]
        if not found:
            raise NotFoundError(
                f"There is no workspace called '{workspace}'.",
                "Create it on the Resources page (it needs a resource group).",
            )
        if len(found) > 1:
            groups = ", ".join(sorted(str(w.resource_group) for w in found))
            raise UserFacingError(
                f"There are several workspaces called '{workspace}' (in resource groups {groups}).",
                "Pick the workspace together with its resource group.",
            )
        return WorkspaceRef(str(found[0].resource_group), workspace)

    def _workspace(self, workspace: WorkspaceArg) -> tuple[WorkspaceRef, Workspace]:
        """The workspace a reference names, as Azure has it; NotFoundError says what exists."""
        ref = self._workspace_ref(workspace)
        ml = self._ml(ref.resource_group)
        doing = f"reading workspace '{ref.name}' in resource group '{ref.resource_group}'"

        def get() -> Workspace | None:
            try:
                found: Workspace | None = ml.workspaces.get(ref.name)
                return found
            except Exception as exc:
                if is_not_found(exc):
                    return None
                raise

        found = self.call(doing, get)
        if found is None:
            raise self._workspace_missing(ref)
        return ref, found

    def _workspace_missing(self, ref: WorkspaceRef) -> NotFoundError:
        elsewhere = sorted(
            str(w.resource_group) for w in self._subscription_workspaces() if w.name == ref.name
        )
        if elsewhere:
            return NotFoundError(
                f"There is no workspace '{ref.name}' in resource group '{ref.resource_group}' "
                f"(a workspace of that name is in '{elsewhere[0]}').",
                f"Pick the workspace of resource group '{elsewhere[0]}', or create one in "
                f"'{ref.resource_group}' on the Resources page.",
            )
        return NotFoundError(
            f"There is no workspace called '{ref.name}'.",
            "Create it on the Resources page (it needs a resource group).",
        )

    def _workspace_resource(self, ws: Workspace, resource_group: str | None = None) -> Resource:
        rg = resource_group or str(ws.resource_group)
        tags = dict(ws.tags or {})
        props: dict[str, Any] = {
            "location": ws.location or "",
            "storage_account": arm_name(ws.storage_account),
            "tracking_uri": ws.mlflow_tracking_uri or "",
            "discovery_url": ws.discovery_url or "",
            "studio_url": self.factory.cloud.studio_url(self.subscription_id, rg, str(ws.name)),
            "id": ws.id or "",
        }
        return Resource(Kind.WORKSPACE, str(ws.name), rg, tags.get(CREATED_TAG, ""), props)
