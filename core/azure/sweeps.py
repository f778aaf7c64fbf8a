"""The azure backend's ``SweepsAPI``: sweep jobs on a workspace's compute cluster.

A sweep is an Azure ML sweep job (``command(...)(**search_space).sweep(...)``, built by
:func:`core.sweep.azure.build_sweep_node`) over the data asset, its schema, the environment the
Resources step registered and a slim code snapshot (:mod:`core.azure.snapshot`). Azure keeps
everything: the sweep is the job (its name is the sweep's id and, on Azure, its MLflow run id),
the spec and the dataset ride along as job tags, and the trials are the job's child runs in the
workspace's MLflow. Nothing is kept in this process, so a reload or a restart finds every sweep
again by its job name, and so does a sweep this app did not launch (no spec tag: it says so).

One poll of :meth:`AzureSweepsMixin.sweep_status` makes these REST calls (see
:data:`REST_CALLS_PER_POLL`): the workspace (``workspaces.get``: its MLflow URI), the job
(``jobs.get``), the parent run (MLflow ``runs/get``: its experiment, start and end), the trials
(MLflow ``runs/search`` filtered on ``tags.mlflow.parentRunId``, one call per 1000 trials) and
the cluster's nodes (``computes/listNodes``): 5 requests (measured against the fake in
``tests/azure/test_sweeps.py``), each a quick one, so watching never blocks a rerun; the page polls
every 10 s. A failed job costs one more GET (its raw body holds Azure's error, which azure-ai-ml's
``Job`` drops). Listing the sweeps is the workspace, the jobs (one request per page of Azure's
list) and that GET per failed sweep.

Decisions:

- **Resume**: Azure cannot resume a sweep job (``Capabilities.resume_sweeps`` is False);
  ``resume_sweep`` says so and what to do instead.
- **Close**: an Azure sweep is never "interrupted" (Azure runs it, not this process), so there is
  nothing to close: ``close_sweep`` refuses with a ``ConflictError``, as the local backend does
  for a sweep that was not interrupted.
- **The best model**: every trial logs its model, so the sweep's model is
  ``runs:/<best_child_run_id>/model`` the moment Azure names a best trial. Why not a refit job
  after the sweep, as the local engine refits: Azure runs no step after a sweep, so a refit would
  need this dashboard to be running (and watching) when the sweep ends, and a sweep reviewed days
  later, or launched elsewhere, would have no model. The price is one more fit per trial (about
  1/k of a k-fold trial). The trial also logs its out-of-fold predictions, which the Trials
  page's best-trial panel reads instead of re-training.
- **Early termination**: Azure cancels a trial its policy cuts; the trial's MLflow run then
  ends KILLED while the sweep itself goes on. A KILLED trial of a sweep that was not canceled,
  or one tagged ``early_terminated=true``, counts as early-terminated; the others canceled.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.azure.lookups import WorkspaceArg, arm_name, is_not_found, or_missing, state_text
from core.azure.tracking import TrackingMixin, remember_credential
from core.azure.workspaces import WorkspacesMixin
from core.backend import SweepInfo, SweepProgress, SweepState, TrialRow, WorkspaceRef
from core.errors import ConflictError, NotFoundError, UserFacingError
from core.mlflow_layout import (
    TAG_BEST,
    TAG_DATASET,
    TAG_EARLY_TERMINATED,
    TAG_FAMILY,
    TAG_FOLDS_DONE,
    TAG_GOAL,
    TAG_PARAMS_JSON,
    TAG_PARENT,
    TAG_PRIMARY_METRIC,
    TAG_SAMPLER,
    TAG_SWEEP,
    TAG_SWEEP_SPEC,
    TAG_TASK,
)
from core.resources import now

if TYPE_CHECKING:
    from azure.ai.ml.entities import Workspace
    from mlflow.entities import Run

    from core.sweep.spec import SweepSpec
    from core.trials.oof import TrainingData

TAG_DATASET_VERSION = "dataset_version"
TAG_SCHEMA = "azml.schema"  # the dataset's schema.json, for the page (the file stays the truth)
TAG_SNAPSHOT_BYTES = "azml.snapshot_bytes"
REST_CALLS_PER_POLL = 5  # workspace, job, parent run, trials (per 1000), cluster nodes
TRIALS_PAGE = 1000
JOBS_API = "2024-04-01"  # the Jobs REST API version read for a failed job's error

# Azure's job statuses (JobStatus in the REST spec) as the state a user should see.
AZURE_STATES: dict[str, SweepState] = {
    "NotStarted": "starting",
    "Queued": "starting",
    "Preparing": "starting",
    "Provisioning": "starting",
    "Starting": "starting",
    "Running": "running",
    "Finalizing": "running",
    "CancelRequested": "running",
    "NotResponding": "running",
    "Paused": "running",
    "Completed": "completed",
    "Failed": "failed",
    "Canceled": "canceled",
}
# What a user should know about a status beyond the state.
AZURE_NOTES = {
    "NotStarted": "Azure has the job but has not started it yet.",
    "Queued": "Queued: waiting for the cluster's nodes (a cluster at zero nodes takes minutes to start one).",
    "Preparing": "Preparing: Azure builds or pulls the environment's image (minutes, the first time).",
    "Provisioning": "Provisioning: the cluster is starting nodes.",
    "Starting": "Starting the first trials.",
    "Finalizing": "Finalizing: the last trials are done; Azure is collecting their outputs.",
    "CancelRequested": "Cancel requested: Azure is stopping the running trials; finished ones are kept.",
    "NotResponding": "Azure reports the job is not responding; it may recover. Cancel it if it stays so.",
    "Paused": "Azure reports the job is paused.",
}
MLFLOW_TRIAL_STATUS = {
    "FINISHED": "completed",
    "FAILED": "failed",
    "RUNNING": "running",
    "SCHEDULED": "queued",
}
_TRIAL_SUFFIX = re.compile(r"_(\d+)$")


def job_status(job: Any) -> str:
    """A job's status as Azure spells it ("Running"; the SDK hands back an enum)."""
    return state_text(getattr(job, "status", None), "NotStarted")


def sweep_state(status: str | None) -> SweepState:
    """The state a user should see for an Azure job status (an unknown one reads as starting)."""
    return AZURE_STATES.get(str(status or "NotStarted"), "starting")


def trial_status(run: Run, sweep_canceled: bool) -> str:
    """A child run's MLflow status as a ``TrialRow`` status: a KILLED trial of a sweep that
    went on was cut by the early-termination policy."""
    status = str(run.info.status)
    if status != "KILLED":
        return MLFLOW_TRIAL_STATUS.get(status, "running")
    if run.data.tags.get(TAG_EARLY_TERMINATED) == "true" or not sweep_canceled:
        return "early_terminated"
    return "canceled"


def trial_number(run_id: str, fallback: int) -> int:
    """Azure names a sweep's trials ``<sweep>_<n>``; a run named otherwise gets its rank."""
    found = _TRIAL_SUFFIX.search(run_id)
    return int(found.group(1)) if found else fallback


def studio_job_url(studio: str, subscription_id: str, resource_group: str, workspace: str, job: str) -> str:
    """The job's page in Azure ML studio."""
    wsid = (
        f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
    )
    return f"{studio.rstrip('/')}/runs/{job}?wsid={wsid}"


def _iso(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _command_option(command: str, option: str) -> str | None:
    found = re.search(rf"--{option}\s+(\S+)", command or "")
    return found.group(1).strip("'\"") if found else None


def foreign_spec(job: Any) -> dict[str, Any]:
    """What the page needs of a sweep this app did not launch, read from the job itself."""
    objective = getattr(job, "objective", None)
    limits = getattr(job, "limits", None)
    sampling = getattr(job, "sampling_algorithm", None)
    sampling = getattr(sampling, "type", sampling)
    command = str(getattr(getattr(job, "trial", None), "command", "") or "")
    goal = str(getattr(objective, "goal", "") or "maximize").lower()
    folds = _command_option(command, "cv_folds")
    return {
        "model_family": _command_option(command, "model_family") or "unknown",
        "task": _command_option(command, "task") or "",
        "space": {},
        "sampling": str(getattr(sampling, "value", sampling) or "unknown").lower(),
        "seed": None,
        "policy": None,
        "limits": {
            "max_total_trials": int(getattr(limits, "max_total_trials", 0) or 0),
            "max_concurrent_trials": int(getattr(limits, "max_concurrent_trials", 0) or 0) or None,
            "timeout_s": getattr(limits, "timeout", None),
            "trial_timeout_s": getattr(limits, "trial_timeout", None),
        },
        "primary_metric": str(getattr(objective, "primary_metric", "") or ""),
        "goal": "minimize" if goal.startswith("min") else "maximize",
        "cv_folds": int(folds) if folds and folds.isdigit() else 0,
    }


class AzureSweepsMixin(WorkspacesMixin, TrackingMixin):
    """Launch, list, watch and cancel sweep jobs; trials come from the workspace's MLflow (it
    reads the environments, the data assets and MLflow through their own slices)."""

    # -- launching ------------------------------------------------------------------------
    def launch_sweep(
        self,
        workspace: WorkspaceArg,
        cluster: str,
        dataset: str,
        version: int,
        spec: SweepSpec,
        experiment: str,
    ) -> SweepInfo:
        """Check what the job needs (Azure checks the cluster only when the job is submitted),
        build the code snapshot and submit the sweep job."""
        from core.engine.launcher import new_sweep_id
        from core.sweep.rules import check_spec

        ref, ws = self._workspace(workspace)
        compute = self._require_cluster(ref, cluster)
        check_spec(spec, max_instances=int(compute.max_instances or 0) or None)
        data_path = str(self._data_version(ref, dataset, version)[1].path)
        schema = json.loads(self.data_asset_file(ref, dataset, version, "schema.json"))
        environment = self._sweep_environment(ref)
        name = new_sweep_id(spec.model_family).replace("-", "_")
        with tempfile.TemporaryDirectory(prefix="azml-snapshot-") as folder:
            from core.azure.snapshot import build_code_snapshot

            snapshot = build_code_snapshot(Path(folder) / "code")
            job = self._sweep_job(
                spec, name, environment, cluster, data_path, experiment, dataset, version, snapshot.path
            )
            job.tags = self._launch_tags(spec, dataset, version, schema, snapshot.size_bytes)
            ml = self._ml(ref.resource_group, ref.name)
            created = self.call(
                f"submitting sweep '{name}' to compute cluster '{cluster}' of workspace '{ref.name}'",
                lambda: ml.jobs.create_or_update(job),
            )
        info = self._info(ref, ws, created, nodes=None)
        size = _size_text(snapshot.size_bytes)
        message = (
            f"Submitted to Azure: {len(snapshot.files)} files of code ({size}) and "
            f"{spec.limits.max_total_trials} trials on cluster '{cluster}'."
        )
        return _with(info, message=message)

    def _require_cluster(self, ref: WorkspaceRef, cluster: str) -> Any:
        ml = self._ml(ref.resource_group, ref.name)
        found = self.call(
            f"reading compute cluster '{cluster}'", or_missing(lambda: ml.compute.get(cluster), None)
        )
        if found is None:
            raise NotFoundError(
                f"There is no compute cluster called '{cluster}' in workspace '{ref.name}'.",
                "Pick a cluster of this workspace, or create one on the Resources page.",
            )
        return found

    def _sweep_environment(self, ref: WorkspaceRef) -> str:
        """The newest version of the environment the Resources step registered (its default
        name first, else the workspace's only custom environment), as ``name:version``."""
        from core.environments import DEFAULT_ENVIRONMENT_NAME

        ml = self._ml(ref.resource_group, ref.name)
        listed: Callable[[], list[Any]] = or_missing(lambda: list(ml.environments.list()), [])
        found = self.call(f"listing the environments of workspace '{ref.name}'", listed)
        custom = sorted(str(e.name) for e in found if not str(e.name).startswith("AzureML-"))
        name = (
            DEFAULT_ENVIRONMENT_NAME
            if DEFAULT_ENVIRONMENT_NAME in custom
            else (custom[0] if len(custom) == 1 else "")
        )
        if not name:
            raise NotFoundError(
                f"Workspace '{ref.name}' has "
                + (f"several environments ({', '.join(custom)})" if custom else "no environment of yours")
                + f", so the sweep cannot tell which image to run (it looks for "
                f"'{DEFAULT_ENVIRONMENT_NAME}').",
                f"Register the environment '{DEFAULT_ENVIRONMENT_NAME}' on the Resources page.",
            )
        versions = self._environment_versions(ref, name)
        numbers = sorted(int(str(v.version)) for v in versions if str(v.version).isdigit())
        if not numbers:
            raise NotFoundError(
                f"Environment '{name}' of workspace '{ref.name}' has no version.",
                "Register it again on the Resources page.",
            )
        return f"{name}:{numbers[-1]}"

    @staticmethod
    def _sweep_job(
        spec: SweepSpec,
        name: str,
        environment: str,
        cluster: str,
        data_path: str,
        experiment: str,
        dataset: str,
        version: int,
        code: Path | None = None,
    ) -> Any:
        """The SweepJob; ``code`` is the snapshot folder the trials run (never the repository)."""
        from core.sweep.azure import build_sweep_node

        schema_path = data_path.rsplit("/", 1)[0] + "/schema.json"
        node = build_sweep_node(
            spec,
            environment=environment,
            compute=cluster,
            data=data_path,
            schema=schema_path,
            code=str(code) if code is not None else ".",
            experiment_name=experiment,
            display_name=f"{spec.model_family} sweep on {dataset} v{version}",
        )
        job = node._to_job()
        job.name = name
        return job

    @staticmethod
    def _launch_tags(
        spec: SweepSpec, dataset: str, version: int, schema: dict[str, Any], snapshot_bytes: int
    ) -> dict[str, str]:
        """The job's tags (Azure copies them onto the parent MLflow run, where the Trials page
        reads them): what this app needs to show the sweep again after a restart."""
        return {
            TAG_SWEEP: "true",
            TAG_SWEEP_SPEC: json.dumps(spec.to_dict()),
            TAG_DATASET: dataset,
            TAG_DATASET_VERSION: str(version),
            TAG_SCHEMA: json.dumps(schema),
            TAG_SNAPSHOT_BYTES: str(snapshot_bytes),
            TAG_FAMILY: spec.model_family,
            TAG_TASK: spec.task,
            TAG_PRIMARY_METRIC: spec.primary_metric,
            TAG_GOAL: spec.resolved_goal,
            TAG_SAMPLER: spec.sampling,
        }

    # -- reading --------------------------------------------------------------------------
    def list_sweeps(self, workspace: WorkspaceArg) -> list[SweepInfo]:
        """The workspace's sweep jobs, oldest first, whoever launched them."""
        ref, ws = self._workspace(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        jobs = self.call(
            f"listing the jobs of workspace '{ref.name}'",
            lambda: [j for j in ml.jobs.list() if str(getattr(j, "type", "")).lower() == "sweep"],
        )
        return sorted((self._info(ref, ws, j, nodes=None) for j in jobs), key=lambda s: s.created_at)

    def sweep_status(self, workspace: WorkspaceArg, sweep_id: str) -> SweepProgress:
        """One quick poll: the job, its trials from the workspace's MLflow and the cluster's nodes."""
        ref, ws = self._workspace(workspace)
        job = self._sweep(ref, sweep_id)
        info = self._info(ref, ws, job, nodes=self._nodes(ref, _cluster_of(job)))
        trials, run_ids, parent, problem = self._trials(info)
        state = info.state
        start = _epoch(info.started_at) or _ms_seconds(parent.info.start_time if parent else None)
        start = start or min((t["started"] for t in trials if t["started"]), default=None)
        start = start or _epoch(info.created_at) or time.time()
        end = _epoch(info.ended_at) if state not in ("starting", "running") else None
        if end is None and state not in ("starting", "running"):
            end = _ms_seconds(parent.info.end_time if parent else None) or max(
                (t["ended"] for t in trials if t["ended"]), default=time.time()
            )
        elapsed = max(0.0, (end or time.time()) - start)
        info = self._with_trials(info, trials, run_ids, problem, start, end)
        eta = _eta(info, trials, elapsed) if state == "running" else None
        return SweepProgress(info, state, trials, elapsed, eta)

    def _sweep(self, ref: WorkspaceRef, sweep_id: str) -> Any:
        ml = self._ml(ref.resource_group, ref.name)
        job = self.call(f"reading sweep '{sweep_id}'", or_missing(lambda: ml.jobs.get(sweep_id), None))
        if job is None:
            raise NotFoundError(
                f"There is no sweep '{sweep_id}' in workspace '{ref.name}'.", "Pick one from the list."
            )
        if str(getattr(job, "type", "")).lower() != "sweep":
            raise NotFoundError(
                f"There is no sweep '{sweep_id}' in workspace '{ref.name}': that job is a "
                f"{getattr(job, 'type', 'other')} job.",
                "Pick a sweep from the list.",
            )
        return job

    def _nodes(self, ref: WorkspaceRef, cluster: str) -> int | None:
        """The nodes the cluster has up now (as the inventory counts them); None when unknown."""
        if not cluster:
            return None
        ml = self._ml(ref.resource_group, ref.name)
        listed = or_missing(lambda: list(ml.compute.list_nodes(cluster)), None)
        nodes = self.call(f"listing the nodes of compute cluster '{cluster}'", listed)
        return None if nodes is None else len(nodes)

    def _info(self, ref: WorkspaceRef, ws: Workspace, job: Any, nodes: int | None) -> SweepInfo:
        """A sweep job as the pages see it."""
        tags = dict(getattr(job, "tags", None) or {})
        props = dict(getattr(job, "properties", None) or {})
        status = job_status(job)
        spec_text = tags.get(TAG_SWEEP_SPEC)
        ours = bool(spec_text)
        spec = json.loads(spec_text) if spec_text else foreign_spec(job)
        try:
            schema = json.loads(tags.get(TAG_SCHEMA) or "{}")
        except ValueError:
            schema = {}
        context = getattr(job, "creation_context", None)
        created = _iso(getattr(context, "created_at", None)) or props.get("StartTimeUtc", "") or now()
        version = tags.get(TAG_DATASET_VERSION, "")
        notes = [AZURE_NOTES.get(status, "")]
        if not ours:
            notes.append(
                "Launched outside this app: its spec, dataset and schema are not known here "
                "(only what the job itself says)."
            )
        notes.append(self._failure_note(ref, str(job.name)) if status == "Failed" else "")
        if tags.get(TAG_SNAPSHOT_BYTES, "").isdigit():
            notes.append(f"Code snapshot: {_size_text(int(tags[TAG_SNAPSHOT_BYTES]))}.")
        best = props.get(TAG_BEST) or None
        limits = spec.get("limits") or {}
        uri = str(ws.mlflow_tracking_uri or "")
        if uri:  # a page may open the sweep's runs with this URI: they sign in as this backend does
            remember_credential(uri, self.factory.credential, self.factory.cloud.scope)
        studio = self.factory.cloud.studio
        return SweepInfo(
            id=str(job.name),
            workspace=ref.name,
            experiment=str(getattr(job, "experiment_name", "") or ""),
            dataset=tags.get(TAG_DATASET, ""),
            dataset_version=int(version) if version.isdigit() else 0,
            spec=spec,
            workers=int(limits.get("max_concurrent_trials") or 1),
            created_at=created,
            tracking_uri=uri,
            schema=schema,
            state=sweep_state(status),
            run_id=str(job.name),
            started_at=props.get("StartTimeUtc") or None,
            ended_at=props.get("EndTimeUtc") or None,
            best_run_id=best,
            best_value=_score(props) if best else None,
            model_uri=f"runs:/{best}/model" if best else None,
            message=" ".join(n for n in notes if n),
            cluster=_cluster_of(job),
            portal_url=str(getattr(job, "studio_url", "") or "")
            or studio_job_url(studio, self.subscription_id, ref.resource_group, ref.name, str(job.name)),
            provider_state=status,
            nodes=nodes,
        )

    def _failure_note(self, ref: WorkspaceRef, name: str) -> str:
        """Why a job failed, in Azure's words: one more GET, of the job's raw body (azure-ai-ml's
        Job drops the error), made only for a failed job."""
        path = (
            f"{self.rg_id(ref.resource_group)}/providers/Microsoft.MachineLearningServices/"
            f"workspaces/{ref.name}/jobs/{name}"
        )
        said = failure_text(self._arm_get(path, JOBS_API, f"reading why sweep '{name}' failed"))
        if not said:
            return "Azure reports the job failed; its logs are in Azure ML studio."
        return f"Azure says: {said}"

    def _trials(self, info: SweepInfo) -> tuple[list[TrialRow], dict[int, str], Run | None, str]:
        """The sweep's child runs in the workspace's MLflow (paged), as rows; a problem reading
        them is said, not raised: the job's own state still shows."""
        from core.trials.store import client, describe_failure

        if not info.tracking_uri:
            return [], {}, None, "The workspace reports no MLflow tracking URI, so its trials cannot be read."
        try:
            mlflow = client(info.tracking_uri)
            parent = _parent_run(mlflow, info.id)
            if parent is None:
                return [], {}, None, ""
            runs = _child_runs(mlflow, parent.info.experiment_id, info.id)
        except UserFacingError as exc:
            return [], {}, None, f"Its trials could not be read: {exc.problem}"
        except Exception as exc:  # noqa: BLE001 - MLflow's REST and network failures
            problem = describe_failure(info.tracking_uri, exc).problem
            return [], {}, None, f"Its trials could not be read: {problem}"
        canceled = info.provider_state in ("Canceled", "CancelRequested")
        ordered = _by_start(runs)
        rows = [_trial_row(run, i, info.spec, canceled) for i, run in enumerate(ordered)]
        run_ids = {row["number"]: run.info.run_id for row, run in zip(rows, ordered, strict=True)}
        return sorted(rows, key=lambda r: r["number"]), run_ids, parent, ""

    @staticmethod
    def _with_trials(
        info: SweepInfo,
        trials: list[TrialRow],
        run_ids: dict[int, str],
        problem: str,
        start: float,
        end: float | None,
    ) -> SweepInfo:
        counts: dict[str, int] = {}
        for trial in trials:
            counts[trial["status"]] = counts.get(trial["status"], 0) + 1
        spec = info.spec
        maximize = spec.get("goal", "maximize") != "minimize"
        named = next((n for n, run_id in run_ids.items() if run_id == info.best_run_id), None)
        best_row = _best(trials, maximize, named)
        best_id = info.best_run_id or (run_ids.get(best_row["number"]) if best_row else None)
        from datetime import UTC

        return _with(
            info,
            counts=counts,
            best_value=best_row["value"] if best_row else None,
            best_params=dict(best_row["params"]) if best_row else None,
            best_run_id=best_id,
            model_uri=f"runs:/{best_id}/model" if best_id else None,
            started_at=info.started_at or datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds"),
            ended_at=info.ended_at
            or (datetime.fromtimestamp(end, UTC).isoformat(timespec="seconds") if end else None),
            message=" ".join(m for m in (info.message, problem) if m),
        )

    def sweep_training_data(self, workspace: WorkspaceArg, sweep_id: str) -> TrainingData | None:
        """The data asset's train split and schema with the sweep's setup; None for a sweep this
        app did not launch, or when the data asset version is gone."""
        from core.train.setup import TrialSetup
        from core.trials.oof import TrainingData

        ref, ws = self._workspace(workspace)
        info = self._info(ref, ws, self._sweep(ref, sweep_id), nodes=None)
        if not info.dataset or not info.dataset_version or not info.spec.get("cv_folds"):
            return None
        try:
            train = self.data_asset_file(ref, info.dataset, info.dataset_version, "train.csv")
            schema = json.loads(self.data_asset_file(ref, info.dataset, info.dataset_version, "schema.json"))
        except NotFoundError:
            return None
        spec = info.spec
        setup = TrialSetup(
            schema=schema,
            family=str(spec["model_family"]),
            primary_metric=str(spec["primary_metric"]),
            folds=int(spec.get("cv_folds") or 5),
            seed=int(spec.get("seed") or 0),
        )
        return TrainingData(train_csv=train, setup=setup)

    # -- controls -------------------------------------------------------------------------
    def cancel_sweep(self, workspace: WorkspaceArg, sweep_id: str) -> SweepInfo:
        """Ask Azure to cancel the job: running trials stop, finished ones are kept."""
        ref, ws = self._workspace(workspace)
        job = self._sweep(ref, sweep_id)
        status = job_status(job)
        if sweep_state(status) not in ("starting", "running") or status == "CancelRequested":
            raise ConflictError(
                f"Sweep '{sweep_id}' is not running (Azure reports {status}).",
                "Only a running sweep can be canceled.",
            )
        ml = self._ml(ref.resource_group, ref.name)
        self.call(f"canceling sweep '{sweep_id}'", lambda: ml.jobs.begin_cancel(sweep_id))
        info = self._info(ref, ws, self._sweep(ref, sweep_id), nodes=None)
        return _with(
            info, message="Cancel requested: Azure stops the running trials; finished ones are kept."
        )

    def resume_sweep(self, workspace: WorkspaceArg, sweep_id: str) -> SweepInfo:
        ref, _ = self._workspace(workspace)
        self._sweep(ref, sweep_id)  # an unknown sweep is named first
        raise UserFacingError(
            f"Azure cannot resume a sweep job, so sweep '{sweep_id}' cannot carry on.",
            "Launch a new sweep with the same settings on the Sweep page; the finished trials of this "
            "one stay in the workspace's MLflow to review on the Trials page.",
        )

    def close_sweep(self, workspace: WorkspaceArg, sweep_id: str) -> SweepInfo:
        """Nothing to close on Azure: Azure runs the sweep job and always ends it itself."""
        ref, _ = self._workspace(workspace)
        job = self._sweep(ref, sweep_id)
        raise ConflictError(
            f"Sweep '{sweep_id}' was not interrupted (Azure reports {job_status(job)}): Azure runs the sweep "
            "job itself and ends it, so there is nothing to close.",
            "Cancel a running sweep instead; a finished one needs nothing.",
        )


# -- helpers ----------------------------------------------------------------------------------
def _with(info: SweepInfo, **changes: Any) -> SweepInfo:
    from dataclasses import replace

    return replace(info, **changes)


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _cluster_of(job: Any) -> str:
    return arm_name(str(getattr(job, "compute", "") or "").removeprefix("azureml:"))


def failure_text(body: Mapping[str, Any] | None) -> str:
    """Azure's own words on a failed job (an image build, a quota) from the job's REST body
    (``properties.error``: code, message), when it gave them."""
    error = ((body or {}).get("properties") or {}).get("error") or {}
    if not isinstance(error, Mapping):
        return str(error)[:400]
    code, message = str(error.get("code") or ""), str(error.get("message") or "").strip()
    return f"{message[:400]} ({code})" if message and code else message[:400]


def _ms_seconds(ms: int | None) -> float | None:
    return ms / 1000 if ms else None


def _parent_run(mlflow: Any, run_id: str) -> Run | None:
    from mlflow.exceptions import MlflowException

    try:
        run: Run = mlflow.get_run(run_id)
    except MlflowException as exc:
        if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST" or is_not_found(exc):
            return None  # Azure has not created the run yet
        raise
    return run


def _child_runs(mlflow: Any, experiment_id: str, parent_id: str) -> list[Run]:
    """Every trial, one request per page of ``TRIALS_PAGE`` runs."""
    runs: list[Run] = []
    token: str | None = None
    while True:
        page = mlflow.search_runs(
            [experiment_id],
            filter_string=f"tags.`{TAG_PARENT}` = '{parent_id}'",
            max_results=TRIALS_PAGE,
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _by_start(runs: Sequence[Run]) -> list[Run]:
    return sorted(runs, key=lambda r: (r.info.start_time or 0, r.info.run_id))


def _trial_row(run: Run, rank: int, spec: Mapping[str, Any], sweep_canceled: bool) -> TrialRow:
    from core.sweep.azure import decode_params

    tags = run.data.tags
    metric = str(spec.get("primary_metric") or "")
    value = run.data.metrics.get(metric) if metric else None
    status = trial_status(run, sweep_canceled)
    try:
        params = json.loads(tags[TAG_PARAMS_JSON]) if TAG_PARAMS_JSON in tags else None
    except ValueError:
        params = None
    if not isinstance(params, dict):
        params = dict(decode_params(dict(run.data.params), _space(spec)))
    folds = tags.get(TAG_FOLDS_DONE, "")
    return TrialRow(
        number=trial_number(run.info.run_id, rank),
        status=status,
        value=float(value) if value is not None and status == "completed" else None,
        started=_ms_seconds(run.info.start_time),
        ended=_ms_seconds(run.info.end_time),
        worker=None,
        folds=int(folds) if folds.isdigit() else int(spec.get("cv_folds") or 0),
        params=params,
    )


def _space(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    from core.sweep.space import param_from_dict

    try:
        return {name: param_from_dict(p) for name, p in dict(spec.get("space") or {}).items()}
    except Exception:  # noqa: BLE001 - a foreign or older spec: guess the types
        return None


def _best(trials: list[TrialRow], maximize: bool, named: int | None) -> TrialRow | None:
    """The trial Azure named best (by number), else the best completed value so far."""
    done = [t for t in trials if t["status"] == "completed" and t["value"] is not None]
    found = next((t for t in done if t["number"] == named), None)
    if found is not None:
        return found
    if not done:
        return None
    key: Callable[[TrialRow], float] = lambda t: float(t["value"] or 0.0)  # noqa: E731
    return max(done, key=key) if maximize else min(done, key=key)


def _eta(info: SweepInfo, trials: list[TrialRow], elapsed: float) -> float | None:
    """Seconds left from the pace so far (trials finished per second of wall time)."""
    done = sum(1 for t in trials if t["status"] not in ("running", "queued"))
    total = int((info.spec.get("limits") or {}).get("max_total_trials") or 0)
    if done == 0 or elapsed <= 0 or total <= 0:
        return None
    eta = max(0, total - done) * elapsed / done
    timeout = (info.spec.get("limits") or {}).get("timeout_s")
    return min(eta, max(0.0, float(timeout) - elapsed)) if timeout else eta


def _score(props: dict[str, Any]) -> float | None:
    """The best trial's primary-metric value, which Azure keeps beside ``best_child_run_id`` as
    ``score`` (text), so a list of sweeps shows each one's best without reading its trials."""
    try:
        value = float(props.get("score", ""))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


__all__ = [
    "AZURE_STATES",
    "REST_CALLS_PER_POLL",
    "TAG_SWEEP_SPEC",
    "AzureSweepsMixin",
    "failure_text",
    "foreign_spec",
    "studio_job_url",
    "sweep_state",
    "trial_number",
    "trial_status",
]
