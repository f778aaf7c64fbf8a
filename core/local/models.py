"""The local backend's ``ModelsAPI``: the workspace's MLflow model registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import NotFoundError
from core.local.base import LocalBase, WorkspaceArg

if TYPE_CHECKING:
    from core.registry import RegisteredVersion


class ModelsMixin(LocalBase):
    """Registered versions, their tags and the champion alias."""

    def register_model(
        self,
        workspace: WorkspaceArg,
        sweep_id: str,
        trial_number: int | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> RegisteredVersion:
        """Register a finished sweep's model (default: its best trial) in the workspace registry,
        as a new version with the alias ``champion``."""
        from core.registry import register_sweep_model

        job = self._sweeps(workspace).load(sweep_id)
        if job is None:
            raise NotFoundError(
                f"There is no sweep '{sweep_id}' in workspace '{workspace}'.", "Pick a sweep."
            )
        from core.engine.job import effective_state

        job = job.with_(state=effective_state(job))
        return register_sweep_model(
            self.tracking_uri(workspace), job, trial_number=trial_number, name=name, description=description
        )

    def registered_models(self, workspace: WorkspaceArg) -> list[str]:
        from core.registry import list_models

        return list_models(self.tracking_uri(workspace))

    def model_versions(self, workspace: WorkspaceArg, name: str) -> list[RegisteredVersion]:
        from core.registry import model_versions

        return model_versions(self.tracking_uri(workspace), name)

    def newest_model(self, workspace: WorkspaceArg) -> str | None:
        from core.registry import newest_model

        return newest_model(self.tracking_uri(workspace))

    def set_model_alias(
        self, workspace: WorkspaceArg, name: str, version: int, alias: str = "champion"
    ) -> RegisteredVersion:
        from core.registry import set_alias

        return set_alias(self.tracking_uri(workspace), name, version, alias)

    def set_model_version_tag(
        self, workspace: WorkspaceArg, name: str, version: int, key: str, value: str
    ) -> RegisteredVersion:
        from core.registry import set_version_tag

        return set_version_tag(self.tracking_uri(workspace), name, version, key, value)
