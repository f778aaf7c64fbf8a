"""Endpoints on the azure backend: they arrive in a later release (sweeps are in
``core.azure.sweeps``, models in ``core.azure.models``).

Every method first finds the workspace (so a wrong workspace is still a clear ``NotFoundError``),
then says plainly that this step is not on the azure backend yet and what to do instead. Nothing
here returns an empty list to look finished: only what is read from Azure for real is returned
(the workspace's MLflow tracking URI, and the online endpoints when the workspace has none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from core.azure.lookups import MLBase, WorkspaceArg, or_missing
from core.backend import DeployedModel, EndpointInfo, EndpointKeys, Operation
from core.endpoint.defaults import DEFAULT_INSTANCE_TYPE
from core.errors import UserFacingError
from core.naming import validate_name
from core.resources import Kind, Outcome, Resource

_FIX = (
    "Use the local backend for this step (choose it in the sidebar): it follows Azure's rules, and "
    "everything else you built on Azure stays there."
)


class LaterError(UserFacingError):
    """A step the azure backend does not do yet."""


class LaterMixin(MLBase):
    """The slice that comes later (endpoints: issue 17)."""

    def _later(self, workspace: WorkspaceArg, what: str) -> NoReturn:
        self._workspace(workspace)  # a missing workspace is the first thing to fix
        raise LaterError(f"{what} on the azure backend arrive in a later release of this dashboard.", _FIX)

    # -- endpoints ------------------------------------------------------------------------
    def list_endpoints(self, workspace: WorkspaceArg) -> Sequence[EndpointInfo]:
        """The workspace's online endpoints: none is a true empty list (read from Azure); showing
        existing ones (with their health and deployments) arrives in a later release."""
        ref, _ = self._workspace(workspace)
        ml = self._ml(ref.resource_group, ref.name)

        listed: Callable[[], list[Any]] = or_missing(lambda: list(ml.online_endpoints.list()), [])

        found = self.call(f"listing the online endpoints of workspace '{ref.name}'", listed)
        if not found:
            return []
        names = ", ".join(sorted(str(e.name) for e in found))
        raise LaterError(
            f"Workspace '{ref.name}' has online endpoints ({names}); showing and managing them on "
            "the azure backend arrives in a later release of this dashboard.",
            "They are in the inventory (Resources page, where you can delete them with their "
            "workspace), and in Azure ML studio under Endpoints.",
        )

    def deployment_changes(
        self, workspace: WorkspaceArg, endpoint: str, deployment: str, model_name: str, model_version: int
    ) -> list[str]:
        self._later(workspace, "Online endpoints")

    def create_endpoint(self, workspace: WorkspaceArg, name: str, description: str = "") -> Outcome:
        validate_name(Kind.ENDPOINT, name)  # a bad name is wrong whatever the release
        self._later(workspace, "Online endpoints")

    def create_deployment(
        self,
        workspace: WorkspaceArg,
        endpoint: str,
        name: str,
        model_name: str,
        model_version: int,
        instance_count: int = 1,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
    ) -> Outcome:
        validate_name(Kind.ENDPOINT, endpoint)
        validate_name(Kind.DEPLOYMENT, name)
        self._later(workspace, "Online endpoints")

    def get_endpoint(self, workspace: WorkspaceArg, name: str) -> EndpointInfo:
        self._later(workspace, "Online endpoints")

    def deployment_logs(
        self, workspace: WorkspaceArg, endpoint: str, deployment: str, lines: int = 100
    ) -> str:
        self._later(workspace, "Online endpoints")

    def endpoint_keys(self, workspace: WorkspaceArg, name: str) -> EndpointKeys:
        self._later(workspace, "Online endpoints")

    def regenerate_endpoint_key(
        self, workspace: WorkspaceArg, name: str, key_type: str = "primary"
    ) -> EndpointKeys:
        self._later(workspace, "Online endpoints")

    def set_endpoint_traffic(
        self, workspace: WorkspaceArg, name: str, traffic: dict[str, int]
    ) -> EndpointInfo:
        self._later(workspace, "Online endpoints")

    def start_endpoint(self, workspace: WorkspaceArg, name: str) -> EndpointInfo:
        self._later(workspace, "Online endpoints")

    def delete_deployment(self, workspace: WorkspaceArg, endpoint: str, name: str) -> EndpointInfo:
        self._later(workspace, "Online endpoints")

    def delete_endpoint(self, workspace: WorkspaceArg, name: str) -> list[Resource]:
        self._later(workspace, "Online endpoints")

    def deployed_model(self, workspace: WorkspaceArg, endpoint: str, deployment: str) -> DeployedModel:
        self._later(workspace, "Online endpoints")

    def begin_deploy(
        self,
        workspace: WorkspaceArg,
        endpoint: str,
        deployment: str,
        model_name: str,
        model_version: int,
        instance_count: int = 1,
        instance_type: str = DEFAULT_INSTANCE_TYPE,
    ) -> Operation:
        self._later(workspace, "Online endpoints")

    def begin_delete_deployment(self, workspace: WorkspaceArg, endpoint: str, name: str) -> Operation:
        self._later(workspace, "Online endpoints")

    def begin_delete_endpoint(self, workspace: WorkspaceArg, name: str) -> Operation:
        self._later(workspace, "Online endpoints")
