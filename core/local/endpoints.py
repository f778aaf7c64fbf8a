"""The local backend's ``EndpointsAPI``: online endpoints served by local server processes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.backend import DeployedModel, EndpointKeys, Operation
from core.endpoint.defaults import DEFAULT_INSTANCE_TYPE
from core.errors import NotFoundError
from core.local.base import LocalBase, WorkspaceArg, done_at_once
from core.naming import validate_name
from core.resources import Kind, Outcome, Resource

if TYPE_CHECKING:
    from core.endpoint.service import LocalEndpointInfo, LocalEndpoints


class EndpointsMixin(LocalBase):
    """Endpoints, deployments, keys and traffic; deploying and deleting are done at once here."""

    def deployment_changes(
        self, workspace: WorkspaceArg, endpoint: str, deployment: str, model_name: str, model_version: int
    ) -> list[str]:
        """What deploying this version would change in what the endpoint serves, in words."""
        return self._endpoints(workspace).changes(endpoint, deployment, model_name, model_version)

    def _endpoints(self, workspace: WorkspaceArg) -> LocalEndpoints:
        from core.endpoint.service import LocalEndpoints

        ws = self._workspace(workspace)
        folder = self._workspace_folder(ws.name) / "endpoints"
        return LocalEndpoints(folder, ws.name, self.tracking_uri(ws.name))

    def create_endpoint(self, workspace: WorkspaceArg, name: str, description: str = "") -> Outcome:
        return self._endpoints(workspace).create_endpoint(name, description)

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
        return self._endpoints(workspace).create_deployment(
            endpoint,
            name,
            model_name,
            model_version,
            instance_count=instance_count,
            instance_type=instance_type,
        )

    def list_endpoints(self, workspace: WorkspaceArg) -> list[LocalEndpointInfo]:
        return self._endpoints(workspace).endpoints()

    def get_endpoint(self, workspace: WorkspaceArg, name: str) -> LocalEndpointInfo:
        return self._endpoints(workspace).get(name)

    def deployed_model(self, workspace: WorkspaceArg, endpoint: str, deployment: str) -> DeployedModel:
        import json

        record = self.get_endpoint(workspace, endpoint).record.deployment(deployment)
        if record is None:
            raise NotFoundError(
                f"Endpoint '{endpoint}' has no deployment '{deployment}'.", "Pick one from the list."
            )
        try:
            example = json.loads((Path(record.model_dir) / "serving_input_example.json").read_text())
        except (OSError, ValueError):
            example = None
        return DeployedModel(location=record.model_dir, input_example=example)

    def deployment_logs(
        self, workspace: WorkspaceArg, endpoint: str, deployment: str, lines: int = 100
    ) -> str:
        """The tail of the endpoint's server log (one server serves all its deployments here)."""
        info = self.get_endpoint(workspace, endpoint)
        if info.deployment(deployment) is None:
            raise NotFoundError(
                f"Endpoint '{endpoint}' has no deployment '{deployment}'.", "Pick one from the list."
            )
        return self._endpoints(workspace).log_tail(endpoint, lines)

    def endpoint_keys(self, workspace: WorkspaceArg, name: str) -> EndpointKeys:
        return self._endpoints(workspace).keys(name)

    def regenerate_endpoint_key(
        self, workspace: WorkspaceArg, name: str, key_type: str = "primary"
    ) -> EndpointKeys:
        return self._endpoints(workspace).regenerate_key(name, key_type)

    def set_endpoint_traffic(
        self, workspace: WorkspaceArg, name: str, traffic: dict[str, int]
    ) -> LocalEndpointInfo:
        return self._endpoints(workspace).set_traffic(name, traffic)

    def start_endpoint(self, workspace: WorkspaceArg, name: str) -> LocalEndpointInfo:
        return self._endpoints(workspace).start(name)

    def delete_deployment(self, workspace: WorkspaceArg, endpoint: str, name: str) -> LocalEndpointInfo:
        return self._endpoints(workspace).delete_deployment(endpoint, name)

    def delete_endpoint(self, workspace: WorkspaceArg, name: str) -> list[Resource]:
        return self._endpoints(workspace).delete(name)

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
        validate_name(Kind.ENDPOINT, endpoint)  # bad input raises now, before anything is made
        self._endpoints(workspace).check_deployment(deployment, model_name, model_version, instance_count)

        def deploy() -> Outcome:
            self.create_endpoint(workspace, endpoint)
            return self.create_deployment(
                workspace, endpoint, deployment, model_name, model_version, instance_count, instance_type
            )

        return done_at_once("deploy", endpoint, deploy)

    def begin_delete_deployment(self, workspace: WorkspaceArg, endpoint: str, name: str) -> Operation:
        return done_at_once(
            "delete deployment", name, lambda: self.delete_deployment(workspace, endpoint, name)
        )

    def begin_delete_endpoint(self, workspace: WorkspaceArg, name: str) -> Operation:
        return done_at_once("delete endpoint", name, lambda: self.delete_endpoint(workspace, name))
