"""The local backend's ``SweepsAPI``: sweep job records and their detached runner processes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import NotFoundError
from core.local.base import LocalBase, WorkspaceArg
from core.resources import Kind
from core.settings import warm_seconds

if TYPE_CHECKING:
    from core.engine.job import SweepJob
    from core.engine.launcher import SweepStatus
    from core.sweep.spec import SweepSpec
    from core.trials.oof import TrainingData


class SweepsMixin(LocalBase):
    """Launch, list, watch, cancel, resume and close sweeps on a cluster's worker processes."""

    def launch_sweep(
        self,
        workspace: WorkspaceArg,
        cluster: str,
        dataset: str,
        version: int,
        spec: SweepSpec,
        experiment: str,
    ) -> SweepJob:
        """Run ``spec`` on the cluster's worker processes over a stored dataset's train split."""
        from core.engine.launcher import launch_sweep

        ws = self._workspace(workspace)
        compute = self._state.find(Kind.COMPUTE, cluster, parent=ws.name)
        if compute is None:
            elsewhere = self._state.find(Kind.COMPUTE, cluster)
            raise NotFoundError(
                f"Compute cluster '{cluster}' belongs to workspace '{elsewhere.parent}', not '{ws.name}'."
                if elsewhere
                else f"There is no compute cluster called '{cluster}' in workspace '{ws.name}'.",
                "Pick a cluster of this workspace, or create one on the Resources page.",
            )
        assets = self._assets(workspace)
        train_csv = assets.file(dataset, version, "train.csv")
        import json

        schema = json.loads(assets.file(dataset, version, "schema.json").read_text())
        return launch_sweep(
            self._sweeps(workspace),
            workspace=ws.name,
            experiment=experiment,
            dataset=dataset,
            dataset_version=version,
            spec=spec,
            workers=int(compute.properties["local_workers"]),
            tracking_uri=self.tracking_uri(workspace),
            train_csv=train_csv,
            schema=schema,
            cluster=cluster,
            warm_s=warm_seconds(float(compute.properties.get("idle_seconds", 0))),
        )

    def list_sweeps(self, workspace: WorkspaceArg) -> list[SweepJob]:
        from core.engine.job import effective_state

        return [job.with_(state=effective_state(job)) for job in self._sweeps(workspace).all()]

    def sweep_training_data(self, workspace: WorkspaceArg, sweep_id: str) -> TrainingData | None:
        from core.trials.oof import training_data_from_job

        job = self._sweeps(workspace).load(sweep_id)
        if job is None or not Path(job.train_csv).exists():
            return None
        return training_data_from_job(job)

    def sweep_status(self, workspace: WorkspaceArg, sweep_id: str) -> SweepStatus:
        from core.engine.launcher import sweep_status

        return sweep_status(self._sweeps(workspace), sweep_id)

    def cancel_sweep(self, workspace: WorkspaceArg, sweep_id: str) -> SweepJob:
        from core.engine.launcher import cancel_sweep

        return cancel_sweep(self._sweeps(workspace), sweep_id)

    def resume_sweep(self, workspace: WorkspaceArg, sweep_id: str) -> SweepJob:
        from core.engine.launcher import resume_sweep

        return resume_sweep(self._sweeps(workspace), sweep_id)

    def close_sweep(self, workspace: WorkspaceArg, sweep_id: str) -> SweepJob:
        from core.engine.launcher import close_sweep

        return close_sweep(self._sweeps(workspace), sweep_id)
