"""The local backend: Azure's resource tree mirrored by folders, SQLite and processes.

| Azure object      | local part                                                  |
| ----------------- | ----------------------------------------------------------- |
| resource group    | a record in ``state.json``                                  |
| storage account   | ``storage/<account>/`` or a real account by connection string |
| blob container    | a sub-folder, or a real container (Azurite or Azure)         |
| workspace         | ``workspaces/<name>/mlflow.db``: MLflow tracking + registry  |
| environment       | versioned conda YAML + image under the workspace folder      |
| compute cluster   | a record: max instances = worker processes for sweeps       |
| sweep job         | ``workspaces/<name>/sweeps/<id>.json`` + a runner process    |
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.backend import (
    BackendInfo,
    Capabilities,
    DeployedModel,
    EndpointKeys,
    Operation,
    Secret,
    WorkspaceRef,
)
from core.compute import ComputeSpec, local_worker_count, machine_cores, validate_compute_spec
from core.environments import EnvironmentSpec
from core.errors import ConflictError, NotFoundError, UserFacingError
from core.local import blobstore, workspace_store
from core.local.assets import AssetFolder
from core.local.state import StateFile
from core.locations import validate_location
from core.naming import DATA_ASSET, validate_asset_name, validate_name
from core.resources import PARENT_KIND, BlobInfo, DataAsset, Kind, Outcome, Resource, now, subtree
from core.secrets import parse_connection_string
from core.settings import LOCAL_SUBSCRIPTION_ID, warm_seconds

if TYPE_CHECKING:
    from core.endpoint.service import LocalEndpointInfo, LocalEndpoints
    from core.engine.job import JobStore, SweepJob
    from core.engine.launcher import SweepStatus
    from core.registry import RegisteredVersion
    from core.sweep.spec import SweepSpec
    from core.trials.oof import TrainingData

_KIND_ORDER = list(Kind)
WorkspaceArg = WorkspaceRef | str  # see LocalBackend._workspace


class LocalBackend:
    """Implements ``core.backend.Backend`` on this machine, with state in ``data_dir``."""

    def __init__(self, data_dir: Path, subscription_id: str = LOCAL_SUBSCRIPTION_ID) -> None:
        self.data_dir = Path(data_dir)
        self.subscription_id = subscription_id
        self._state = StateFile(self.data_dir)

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(
            name="local",
            description="Everything runs on this machine: no Azure account, no network.",
            location=str(self.data_dir),
        )

    @property
    def capabilities(self) -> Capabilities:
        """A local runner can carry on after a crash and a local endpoint server can be started
        again; everything is created at once, on this machine, for free."""
        return Capabilities(
            resume_sweeps=True, restart_endpoints=True, long_running_operations=False, billable=False
        )

    # -- resource group -------------------------------------------------------------
    def create_resource_group(self, name: str, location: str) -> Outcome:
        name = validate_name(Kind.RESOURCE_GROUP, name)
        location = validate_location(location)
        with self._state.locked():
            existing = self._state.find(Kind.RESOURCE_GROUP, name)
            if existing:
                if existing.properties["location"] != location:
                    raise ConflictError(
                        f"Resource group '{name}' exists already in {existing.properties['location']}; "
                        "a resource group's location cannot change.",
                        f"Use location {existing.properties['location']}, or choose another name.",
                    )
                return Outcome(existing, False, f"Resource group '{name}' exists already in {location}.")
            res = self._add(Kind.RESOURCE_GROUP, name, None, {"location": location})
        return Outcome(res, True, f"Created resource group '{name}' in {location}.")

    # -- storage account ------------------------------------------------------------
    def create_storage_account(
        self, resource_group: str, name: str, connection_string: str | None = None
    ) -> Outcome:
        name = validate_name(Kind.STORAGE_ACCOUNT, name)
        connection_string = (connection_string or "").strip() or None
        if connection_string:
            blobstore.check_connection_string(connection_string)
        with self._state.locked():
            rg = self._require(Kind.RESOURCE_GROUP, resource_group)
            existing = self._state.find(Kind.STORAGE_ACCOUNT, name)
            if existing:
                return self._existing_account(existing, rg, connection_string)
            props: dict[str, Any] = {"location": rg.properties["location"]}
            if connection_string:
                _check_reachable(connection_string)
                endpoint = parse_connection_string(connection_string).get("BlobEndpoint", "")
                props |= {"mode": "connection_string", "endpoint": endpoint}
                secret = connection_string
            else:
                folder = self._account_folder(name)
                key = blobstore.new_account_key()
                blobstore.FolderBlobStore.provision(folder, key)
                props |= {"mode": "folder", "endpoint": folder.as_uri()}
                secret = blobstore.folder_connection_string(name, folder, key)
            self._state.set_secret(_secret_key(name), secret)
            res = self._add(Kind.STORAGE_ACCOUNT, name, rg.name, props)
        where = "as a local folder" if props["mode"] == "folder" else f"at {props['endpoint']}"
        return Outcome(res, True, f"Created storage account '{name}' {where}.")

    def _existing_account(self, existing: Resource, rg: Resource, connection_string: str | None) -> Outcome:
        if existing.parent != rg.name:
            raise ConflictError(
                f"Storage account name '{existing.name}' is taken by resource group '{existing.parent}'. "
                "Storage account names are unique across all of Azure.",
                "Choose another name.",
            )
        if connection_string and connection_string != self._state.secret(_secret_key(existing.name)):
            raise ConflictError(
                f"Storage account '{existing.name}' exists already with other storage behind it.",
                "Choose a new account name for this connection string, or tear the old one down first.",
            )
        return Outcome(existing, False, f"Storage account '{existing.name}' exists already.")

    def storage_connection_string(self, account: str) -> Secret:
        self._require(Kind.STORAGE_ACCOUNT, account)
        secret = self._state.secret(_secret_key(account))
        if secret is None:
            raise NotFoundError(
                f"The key of storage account '{account}' is missing from {self._state.secrets_path}.",
                "Delete and re-create the storage account.",
            )
        return Secret(secret, connection_string=True)

    def blob_store(self, account: str) -> blobstore.FolderBlobStore | blobstore.AzureBlobStore:
        return blobstore.open_blob_store(self.storage_connection_string(account).reveal())

    # -- blob container -------------------------------------------------------------
    def create_blob_container(self, account: str, name: str) -> Outcome:
        name = validate_name(Kind.BLOB_CONTAINER, name)
        with self._state.locked():
            acct = self._require(Kind.STORAGE_ACCOUNT, account)
            store = self.blob_store(acct.name)
            existing = self._state.find(Kind.BLOB_CONTAINER, name, parent=acct.name)
            made = _call_storage(lambda: store.create_container(name), acct)
            if existing:
                note = ("It was missing from the storage and has been created again.",) if made else ()
                return Outcome(existing, False, f"Blob container '{name}' exists already.", note)
            res = self._add(Kind.BLOB_CONTAINER, name, acct.name, {})
        return Outcome(res, True, f"Created blob container '{name}' in storage account '{acct.name}'.")

    def upload_blob(self, account: str, container: str, name: str, data: bytes) -> BlobInfo:
        acct = self._require_container(account, container)
        store = self.blob_store(acct.name)
        return _call_storage(lambda: store.upload(container, name, data), acct)  # type: ignore[no-any-return]

    def list_blobs(self, account: str, container: str) -> list[BlobInfo]:
        acct = self._require_container(account, container)
        store = self.blob_store(acct.name)
        return _call_storage(lambda: store.list(container), acct)  # type: ignore[no-any-return]

    def download_blob(self, account: str, container: str, name: str) -> bytes:
        acct = self._require_container(account, container)
        store = self.blob_store(acct.name)
        return _call_storage(lambda: store.download(container, name), acct)  # type: ignore[no-any-return]

    def _require_container(self, account: str, container: str) -> Resource:
        acct = self._require(Kind.STORAGE_ACCOUNT, account)
        if self._state.find(Kind.BLOB_CONTAINER, container, parent=acct.name) is None:
            raise NotFoundError(
                f"Storage account '{account}' has no blob container called '{container}'.",
                "Create the container on the Resources page.",
            )
        return acct

    # -- workspace ------------------------------------------------------------------
    def create_workspace(self, resource_group: str, name: str, storage_account: str | None = None) -> Outcome:
        name = validate_name(Kind.WORKSPACE, name)
        with self._state.locked():
            rg = self._require(Kind.RESOURCE_GROUP, resource_group)
            if storage_account:
                acct = self._require(Kind.STORAGE_ACCOUNT, storage_account)
                if acct.parent != rg.name:
                    raise ConflictError(
                        f"Storage account '{acct.name}' is in resource group '{acct.parent}', "
                        f"not '{rg.name}'.",
                        "Pick a storage account from the workspace's own resource group.",
                    )
            existing = self._state.find(Kind.WORKSPACE, name)
            if existing:
                if existing.parent != rg.name:
                    raise ConflictError(
                        f"Workspace '{name}' exists already in resource group '{existing.parent}'.",
                        "Choose another name; on this backend workspace names are unique.",
                    )
                return Outcome(existing, False, f"Workspace '{name}' exists already.")
            folder = self._workspace_folder(name)
            uri = workspace_store.provision_mlflow_store(folder)
            props = {
                "location": rg.properties["location"],
                "storage_account": storage_account or "",
                "tracking_uri": uri,
                "artifact_root": str(workspace_store.artifact_root(folder)),
            }
            res = self._add(Kind.WORKSPACE, name, rg.name, props)
        return Outcome(res, True, f"Created workspace '{name}' with an MLflow store on SQLite.")

    def workspace_config(self, workspace: WorkspaceArg) -> dict[str, str]:
        ws = self._workspace(workspace)
        return {
            "subscription_id": self.subscription_id,
            "resource_group": ws.parent or "",
            "workspace_name": ws.name,
        }

    def tracking_uri(self, workspace: WorkspaceArg) -> str:
        return str(self._workspace(workspace).properties["tracking_uri"])

    # -- data assets ----------------------------------------------------------------
    def _assets(self, workspace: WorkspaceArg) -> AssetFolder:
        ws = self._workspace(workspace)
        return AssetFolder(self._workspace_folder(ws.name) / "data_assets")

    def data_asset_versions(self, workspace: WorkspaceArg, name: str) -> list[DataAsset]:
        return self._assets(workspace).versions(name)

    def list_data_assets(self, workspace: WorkspaceArg) -> list[DataAsset]:
        """The latest version of every data asset, oldest first."""
        return self._assets(workspace).all_latest()

    def next_data_asset_version(self, workspace: WorkspaceArg, name: str) -> int:
        return self._assets(workspace).next_version(name)

    def register_data_asset(
        self, workspace: WorkspaceArg, asset: DataAsset, files: dict[str, bytes]
    ) -> DataAsset:
        """Write a new, immutable version with its files (the held-out split, the schema…)."""
        validate_asset_name(DATA_ASSET, asset.name)
        with self._state.locked():
            folder = self._assets(workspace)
            if asset.version != folder.next_version(asset.name):
                raise ConflictError(
                    f"Data asset '{asset.name}' version {asset.version} exists already.",
                    "Register it again; the next free version is picked for you.",
                )
            return folder.write(asset, files)

    def data_asset_file(self, workspace: WorkspaceArg, name: str, version: int, filename: str) -> bytes:
        return self._assets(workspace).file(name, version, filename).read_bytes()

    # -- environment ----------------------------------------------------------------
    def create_environment(self, workspace: WorkspaceArg, spec: EnvironmentSpec) -> Outcome:
        with self._state.locked():
            ws = self._workspace(workspace)
            existing = self._state.find(Kind.ENVIRONMENT, spec.name, parent=ws.name)
            versions: list[dict[str, Any]] = list(existing.properties["versions"]) if existing else []
            for version in versions:
                if version["fingerprint"] == spec.fingerprint:
                    assert existing is not None
                    return Outcome(
                        existing,
                        False,
                        f"Environment '{spec.name}' version {version['version']} "
                        "has this exact spec already.",
                    )
            number = len(versions) + 1
            folder = self._workspace_folder(ws.name) / "environments" / spec.name / str(number)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "conda.yaml").write_text(spec.conda_yaml, encoding="utf-8")
            versions.append(
                {
                    "version": number,
                    "image": spec.image,
                    "fingerprint": spec.fingerprint,
                    "created_at": now(),
                }
            )
            props = {"versions": versions, "latest_version": number, "image": spec.image}
            if existing:
                res = replace(existing, properties=existing.properties | props)
                self._replace(res)
                return Outcome(res, True, f"Registered environment '{spec.name}' version {number}.")
            res = self._add(Kind.ENVIRONMENT, spec.name, ws.name, props)
        return Outcome(res, True, f"Registered environment '{spec.name}' version {number}.")

    # -- compute --------------------------------------------------------------------
    def create_compute(self, workspace: WorkspaceArg, spec: ComputeSpec) -> Outcome:
        name = validate_name(Kind.COMPUTE, spec.name)
        spec = validate_compute_spec(replace(spec, name=name))
        workers = local_worker_count(spec.max_instances)
        notes: tuple[str, ...] = ()
        if workers < spec.max_instances:
            notes = (
                f"This machine has {machine_cores()} cores, so sweeps on the local backend will use "
                f"{workers} worker processes, not {spec.max_instances}.",
            )
        props = {
            "vm_size": spec.vm_size,
            "min_instances": spec.min_instances,
            "max_instances": spec.max_instances,
            "idle_seconds": spec.idle_seconds,
            "local_workers": workers,
        }
        with self._state.locked():
            ws = self._workspace(workspace)
            existing = self._state.find(Kind.COMPUTE, name, parent=ws.name)
            if existing:
                if existing.properties["vm_size"] != spec.vm_size:
                    raise ConflictError(
                        f"Compute cluster '{name}' exists already with VM size "
                        f"{existing.properties['vm_size']}; Azure cannot change a cluster's VM size.",
                        "Keep that size, or choose another cluster name.",
                    )
                if existing.properties == props:
                    return Outcome(existing, False, f"Compute cluster '{name}' exists already.", notes)
                res = replace(existing, properties=props)
                self._replace(res)
                return Outcome(res, False, f"Updated the scale settings of compute cluster '{name}'.", notes)
            res = self._add(Kind.COMPUTE, name, ws.name, props)
        return Outcome(res, True, f"Created compute cluster '{name}' ({spec.vm_size}).", notes)

    # -- inventory and teardown -----------------------------------------------------
    def inventory(self) -> list[Resource]:
        """Every resource, endpoints and deployments included (they are billable on Azure)."""
        stored = self._state.resources()
        endpoints = [
            r for ws in stored if ws.kind == Kind.WORKSPACE for r in self._endpoint_inventory(ws.name)
        ]
        return sorted([*stored, *endpoints], key=lambda r: (_KIND_ORDER.index(r.kind), r.created_at, r.name))

    def _endpoint_inventory(self, workspace: str) -> list[Resource]:
        from core.endpoint.records import inventory_of

        return inventory_of(self._workspace_folder(workspace) / "endpoints")

    # -- long-running work: on this machine it is done before the call returns ---------------
    def begin_create_workspace(
        self, resource_group: str, name: str, storage_account: str | None = None
    ) -> Operation:
        return _done_at_once(
            "create workspace", name, lambda: self.create_workspace(resource_group, name, storage_account)
        )

    def begin_create_compute(self, workspace: WorkspaceArg, spec: ComputeSpec) -> Operation:
        return _done_at_once(
            "create compute cluster", spec.name, lambda: self.create_compute(workspace, spec)
        )

    def begin_delete_workspace(self, workspace: WorkspaceArg) -> Operation:
        return _done_at_once("delete workspace", str(workspace), lambda: self.delete_workspace(workspace))

    def begin_delete_resource_group(self, name: str) -> Operation:
        return _done_at_once("delete resource group", name, lambda: self.delete_resource_group(name))

    def poll_operation(self, operation: Operation) -> Operation:
        return operation

    def delete_workspace(self, workspace: WorkspaceArg) -> list[Resource]:
        with self._state.locked():
            ws = self._workspace(workspace)
            doomed = subtree(self.inventory(), ws)
            self._forget(doomed)
            self._stop_workspace_processes(ws.name)
            shutil.rmtree(self._workspace_folder(ws.name), ignore_errors=True)
        return doomed

    def delete_resource_group(self, name: str) -> list[Resource]:
        with self._state.locked():
            rg = self._require(Kind.RESOURCE_GROUP, name)
            doomed = subtree(self.inventory(), rg)
            for res in doomed:
                self._destroy_backing(res)
            self._forget(doomed)
        return doomed

    def _destroy_backing(self, res: Resource) -> None:
        """Remove what backs a resource on disk or in a real storage account."""
        if res.kind == Kind.WORKSPACE:
            self._stop_workspace_processes(res.name)
            shutil.rmtree(self._workspace_folder(res.name), ignore_errors=True)
        elif res.kind == Kind.STORAGE_ACCOUNT and res.properties.get("mode") == "folder":
            shutil.rmtree(self._account_folder(res.name), ignore_errors=True)
        elif res.kind == Kind.BLOB_CONTAINER and res.parent:
            account = self._state.find(Kind.STORAGE_ACCOUNT, res.parent)
            if account and account.properties.get("mode") == "connection_string":
                store = self.blob_store(account.name)
                _call_storage(lambda: store.delete_container(res.name), account)

    def _stop_workspace_processes(self, workspace: str) -> None:
        """Stop what runs for a workspace about to be deleted: its sweep runners (with their
        workers) and its endpoint servers. Nothing may keep writing into a deleted folder."""
        import contextlib
        import os
        import signal

        from core.endpoint.process import stop_server
        from core.endpoint.records import EndpointStore
        from core.engine.job import JobStore, runner_alive, stop_sweep_processes

        folder = self._workspace_folder(workspace)
        for job in JobStore(folder / "sweeps").all():
            if job.pid and runner_alive(job.pid, folder / "sweeps"):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(job.pid, signal.SIGKILL)  # the runner leads its session: workers too
        stop_sweep_processes(folder / "sweeps")  # and any orphan of a runner that died before
        for record in EndpointStore(folder / "endpoints").all():
            stop_server(record)

    # -- helpers --------------------------------------------------------------------
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

    def _replace(self, res: Resource) -> None:
        kept = [
            r
            for r in self._state.resources()
            if (r.kind, r.name, r.parent) != (res.kind, res.name, res.parent)
        ]
        self._state.save_resources([*kept, res])

    def _forget(self, doomed: list[Resource]) -> None:
        keys = {(r.kind, r.name, r.parent) for r in doomed}
        self._state.save_resources(
            [r for r in self._state.resources() if (r.kind, r.name, r.parent) not in keys]
        )
        for res in doomed:
            if res.kind == Kind.STORAGE_ACCOUNT:
                self._state.set_secret(_secret_key(res.name), None)

    def _account_folder(self, name: str) -> Path:
        return self.data_dir / "storage" / name

    def _workspace_folder(self, name: str) -> Path:
        return self.data_dir / "workspaces" / name

    # -- sweeps ------------------------------------------------------------------------
    def _sweeps(self, workspace: WorkspaceArg) -> JobStore:
        from core.engine.job import JobStore

        ws = self._workspace(workspace)
        return JobStore(self._workspace_folder(ws.name) / "sweeps")

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

    # -- model registry and online endpoints --------------------------------------------
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
    ) -> Outcome:
        return self._endpoints(workspace).create_deployment(
            endpoint, name, model_name, model_version, instance_count=instance_count
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
    ) -> Operation:
        validate_name(Kind.ENDPOINT, endpoint)  # bad input raises now, before anything is made
        self._endpoints(workspace).check_deployment(deployment, model_name, model_version, instance_count)

        def deploy() -> Outcome:
            self.create_endpoint(workspace, endpoint)
            return self.create_deployment(
                workspace, endpoint, deployment, model_name, model_version, instance_count
            )

        return _done_at_once("deploy", endpoint, deploy)

    def begin_delete_deployment(self, workspace: WorkspaceArg, endpoint: str, name: str) -> Operation:
        return _done_at_once(
            "delete deployment", name, lambda: self.delete_deployment(workspace, endpoint, name)
        )

    def begin_delete_endpoint(self, workspace: WorkspaceArg, name: str) -> Operation:
        return _done_at_once("delete endpoint", name, lambda: self.delete_endpoint(workspace, name))


def _done_at_once(kind: str, target: str, work: Callable[[], Any]) -> Operation:
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


def _secret_key(account: str) -> str:
    return f"storage_account/{account}"


def _check_reachable(connection_string: str) -> None:
    """Fail early, with a clear message, when the blob endpoint does not answer."""
    from azure.core.exceptions import AzureError
    from azure.storage.blob import BlobServiceClient

    try:
        client = BlobServiceClient.from_connection_string(
            connection_string, retry_total=0, connection_timeout=5, read_timeout=10
        )
        client.get_service_properties()
    except (AzureError, ValueError) as exc:
        raise UserFacingError(
            f"Could not reach the blob endpoint in the connection string ({type(exc).__name__}).",
            "Check that Azurite or the storage account is running and that the key is right.",
        ) from None


def _call_storage(action: Any, account: Resource) -> Any:
    from azure.core.exceptions import AzureError

    try:
        return action()
    except AzureError as exc:
        raise UserFacingError(
            f"Storage account '{account.name}' at {account.properties.get('endpoint')} refused the request "
            f"({type(exc).__name__}).",
            "Check that Azurite or the storage account is running.",
        ) from None
