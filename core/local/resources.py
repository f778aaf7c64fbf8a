"""The local backend's ``ResourcesAPI``: resource groups, storage accounts, workspaces,
environments and clusters as records in ``state.json``, the inventory, and teardown."""

from __future__ import annotations

import shutil
from dataclasses import replace
from typing import Any

from core.backend import BackendInfo, Capabilities, Operation
from core.compute import ComputeSpec, local_worker_count, machine_cores, validate_compute_spec
from core.environments import EnvironmentSpec
from core.errors import ConflictError
from core.local import blobstore, workspace_store
from core.local.base import WorkspaceArg, done_at_once
from core.local.storage import StorageMixin, call_storage, check_reachable, secret_key
from core.locations import validate_location
from core.naming import validate_name
from core.resources import Kind, Outcome, Resource, now, subtree
from core.secrets import parse_connection_string

_KIND_ORDER = list(Kind)


class ResourcesMixin(StorageMixin):
    """The resource tree; it creates and destroys what backs a storage account, hence the base."""

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
                check_reachable(connection_string)
                endpoint = parse_connection_string(connection_string).get("BlobEndpoint", "")
                props |= {"mode": "connection_string", "endpoint": endpoint}
                secret = connection_string
            else:
                folder = self._account_folder(name)
                key = blobstore.new_account_key()
                blobstore.FolderBlobStore.provision(folder, key)
                props |= {"mode": "folder", "endpoint": folder.as_uri()}
                secret = blobstore.folder_connection_string(name, folder, key)
            self._state.set_secret(secret_key(name), secret)
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
        if connection_string and connection_string != self._state.secret(secret_key(existing.name)):
            raise ConflictError(
                f"Storage account '{existing.name}' exists already with other storage behind it.",
                "Choose a new account name for this connection string, or tear the old one down first.",
            )
        return Outcome(existing, False, f"Storage account '{existing.name}' exists already.")

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
    def begin_create_storage_account(
        self, resource_group: str, name: str, connection_string: str | None = None
    ) -> Operation:
        return done_at_once(
            "create storage account",
            name,
            lambda: self.create_storage_account(resource_group, name, connection_string),
        )

    def begin_create_workspace(
        self, resource_group: str, name: str, storage_account: str | None = None
    ) -> Operation:
        return done_at_once(
            "create workspace", name, lambda: self.create_workspace(resource_group, name, storage_account)
        )

    def begin_create_compute(self, workspace: WorkspaceArg, spec: ComputeSpec) -> Operation:
        return done_at_once("create compute cluster", spec.name, lambda: self.create_compute(workspace, spec))

    def begin_delete_workspace(self, workspace: WorkspaceArg, permanently: bool = False) -> Operation:
        """There is no soft delete on this machine: a deleted workspace is gone, its name free."""
        return done_at_once("delete workspace", str(workspace), lambda: self.delete_workspace(workspace))

    def begin_delete_resource_group(self, name: str) -> Operation:
        return done_at_once("delete resource group", name, lambda: self.delete_resource_group(name))

    def poll_operation(self, operation: Operation) -> Operation:
        return operation

    def running_operations(self) -> list[Operation]:
        """Nothing runs on: every operation here is done before its call returns."""
        return []

    def delete_workspace(self, workspace: WorkspaceArg, permanently: bool = False) -> list[Resource]:
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
                call_storage(lambda: store.delete_container(res.name), account)

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
                self._state.set_secret(secret_key(res.name), None)
