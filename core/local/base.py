"""What every slice of the local backend shares: the state file, finding a resource by name, the
folder each workspace keeps, and long-running work that is done before the call returns."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.backend import Operation, WorkspaceRef
from core.errors import NotFoundError
from core.local.assets import AssetFolder
from core.local.state import StateFile
from core.resources import PARENT_KIND, Kind, Resource, now
from core.settings import LOCAL_SUBSCRIPTION_ID

if TYPE_CHECKING:
    from core.engine.job import JobStore

WorkspaceArg = WorkspaceRef | str  # see LocalBase._workspace


class LocalBase:
    """The state and lookups the slices (``core.local.resources``, ``storage``, …) build on."""

    def __init__(self, data_dir: Path, subscription_id: str = LOCAL_SUBSCRIPTION_ID) -> None:
        self.data_dir = Path(data_dir)
        self.subscription_id = subscription_id
        self._state = StateFile(self.data_dir)

    # -- lookups ----------------------------------------------------------------------------
    def _require(self, kind: Kind, name: str) -> Resource:
        res = self._state.find(kind, name) if name else None
        if res is None:
            parent = PARENT_KIND[kind]
            where = (
                f" Create it on the Resources page{' (it needs a ' + parent.label + ')' if parent else ''}."
            )
            raise NotFoundError(f"There is no {kind.label} called '{name}'.", where.strip())
        return res

    def _workspace(self, workspace: WorkspaceArg) -> Resource:
        """The workspace a reference names. Workspace names are unique on this backend, so a bare
        name (as older callers and scripts pass) is unambiguous here; a reference's resource group
        must match, as it would on Azure."""
        if isinstance(workspace, str):
            return self._require(Kind.WORKSPACE, workspace)
        ws = self._require(Kind.WORKSPACE, workspace.name)
        if ws.parent != workspace.resource_group:
            raise NotFoundError(
                f"There is no workspace '{workspace.name}' in resource group '{workspace.resource_group}' "
                f"(a workspace of that name is in '{ws.parent}').",
                f"Pick the workspace of resource group '{ws.parent}', or create one in "
                f"'{workspace.resource_group}' on the Resources page.",
            )
        return ws

    def _add(self, kind: Kind, name: str, parent: str | None, props: dict[str, Any]) -> Resource:
        res = Resource(kind=kind, name=name, parent=parent, created_at=now(), properties=props)
        self._state.save_resources([*self._state.resources(), res])
        return res

    def _account_folder(self, name: str) -> Path:
        return self.data_dir / "storage" / name

    def _workspace_folder(self, name: str) -> Path:
        return self.data_dir / "workspaces" / name

    # -- what a workspace keeps, read by several slices ------------------------------------
    def tracking_uri(self, workspace: WorkspaceArg) -> str:
        """The workspace's MLflow store (``SweepsAPI``; the models and endpoints slices use it too)."""
        return str(self._workspace(workspace).properties["tracking_uri"])

    def run_artifact(self, workspace: WorkspaceArg, run_id: str, path: str) -> bytes | None:
        """One artifact of a run, read through MLflow from the workspace's store; None when the
        run (or the artifact) is not there."""
        import tempfile

        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        client = MlflowClient(self.tracking_uri(workspace))
        parent, _, _name = path.strip("/").rpartition("/")
        try:
            listed = {a.path for a in client.list_artifacts(run_id, parent or None)}
        except MlflowException:
            return None  # no such run
        if path.strip("/") not in listed:
            return None
        with tempfile.TemporaryDirectory(prefix="azml-artifact-") as folder:
            local = client.download_artifacts(run_id, path.strip("/"), folder)
            return Path(local).read_bytes()

    def _assets(self, workspace: WorkspaceArg) -> AssetFolder:
        ws = self._workspace(workspace)
        return AssetFolder(self._workspace_folder(ws.name) / "data_assets")

    def _sweeps(self, workspace: WorkspaceArg) -> JobStore:
        from core.engine.job import JobStore

        ws = self._workspace(workspace)
        return JobStore(self._workspace_folder(ws.name) / "sweeps")


def done_at_once(kind: str, target: str, work: Callable[[], Any]) -> Operation:
    """Run ``work`` now and return it as a finished operation; bad input raises, as on Azure."""
    started = time.time()
    result = work()
    return Operation(
        id=f"local-{secrets.token_hex(4)}",
        kind=kind,
        target=target,
        state="succeeded",
        started_at=started,
        status="Succeeded",
        result=result,
        ended_at=time.time(),
    )
