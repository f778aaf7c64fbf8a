"""Online endpoints of one workspace: get-or-create, deploy, keys, traffic, health, delete.

This is what the local backend's endpoint methods call. Names follow Azure's rules
(:func:`core.naming.validate_name`) before anything is created. Auth mode is key: two keys
are generated with :mod:`secrets` when the endpoint is made, and either may be regenerated.

A deployment serves one registered model version. Its MLflow model folder is copied into the
endpoint's folder (Azure copies it into the deployment's container too), so the server does
not depend on the registry afterwards. Adding, changing or deleting a deployment restarts the
endpoint's server on the same port; changing keys or traffic does not (the server re-reads them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.backend.types import EndpointHealth, EndpointInfo, EndpointKeys, Secret
from core.endpoint.model import load_model, signature_of
from core.endpoint.process import health, server_alive, start_server, stop_server
from core.endpoint.records import (
    LOG,
    DeploymentRecord,
    EndpointRecord,
    EndpointStore,
    deployment_resource,
    endpoint_resource,
    generate_keys,
    new_key,
)
from core.endpoint.traffic import checked_traffic
from core.errors import ConflictError, NotFoundError, UserFacingError
from core.naming import validate_name
from core.resources import Kind, Outcome, Resource, now

if TYPE_CHECKING:
    from core.registry import RegisteredVersion

__all__ = ["LocalEndpointInfo", "LocalEndpoints", "endpoint_info", "server_workers"]

KEY_TYPES = ("primary", "secondary")


@dataclass(frozen=True, kw_only=True)
class LocalEndpointInfo(EndpointInfo):
    """The neutral endpoint info, plus the local record it was read from."""

    record: EndpointRecord


def endpoint_info(record: EndpointRecord, found: EndpointHealth) -> LocalEndpointInfo:
    return LocalEndpointInfo(
        name=record.name,
        scoring_uri=record.scoring_uri,
        auth_mode=record.auth_mode,
        traffic=dict(record.traffic),
        deployments=list(record.deployments),
        health=found,
        created_at=record.created_at,
        description=record.description,
        record=record,
    )


def server_workers(deployments: list[DeploymentRecord]) -> int:
    """Worker processes of the endpoint's server: the largest instance count of its deployments,
    at most the machine's cores (each worker is one process using one core)."""
    wanted = max((d.instance_count for d in deployments), default=1)
    return max(1, min(wanted, os.cpu_count() or 1))


class LocalEndpoints:
    """The endpoints of workspace ``workspace``, kept under ``folder``."""

    def __init__(self, folder: Path, workspace: str, tracking_uri: str) -> None:
        self.store = EndpointStore(folder)
        self.workspace = workspace
        self.tracking_uri = tracking_uri

    # -- endpoints ---------------------------------------------------------------------------
    def create_endpoint(self, name: str, description: str = "") -> Outcome:
        name = validate_name(Kind.ENDPOINT, name)
        with self.store.locked():
            existing = self.store.load(name)
            if existing is not None:
                return Outcome(endpoint_resource(existing), False, f"Endpoint '{name}' exists already.")
            record = self.store.save(
                EndpointRecord(name=name, workspace=self.workspace, created_at=now(), description=description)
            )
            self.store.set_keys(name, generate_keys())
        return Outcome(
            endpoint_resource(record),
            True,
            f"Created online endpoint '{name}' with key auth. Deploy a model to it to start its server.",
        )

    def get(self, name: str) -> LocalEndpointInfo:
        record = self._require(name)
        return endpoint_info(record, health(record))

    def endpoints(self) -> list[LocalEndpointInfo]:
        return [endpoint_info(r, health(r)) for r in self.store.all()]

    def keys(self, name: str) -> EndpointKeys:
        self._require(name)
        keys = self.store.keys(name)
        if keys is None:
            raise NotFoundError(f"The keys of endpoint '{name}' are missing.", "Regenerate them.")
        return keys

    def regenerate_key(self, name: str, key_type: str = "primary") -> EndpointKeys:
        """A new primary or secondary key; the other keeps working, as on Azure."""
        if key_type not in KEY_TYPES:
            raise UserFacingError(
                f"There is no '{key_type}' key.", "Regenerate the primary or the secondary key."
            )
        with self.store.locked():
            self._require(name)
            old = self.store.keys(name) or generate_keys()
            fresh = EndpointKeys(
                Secret(new_key()) if key_type == "primary" else old.primary,
                Secret(new_key()) if key_type == "secondary" else old.secondary,
            )
            return self.store.set_keys(name, fresh)

    def start(self, name: str) -> LocalEndpointInfo:
        """Start the endpoint's server again (after a reboot, say), on its old port if free."""
        record = self._require(name)
        if not record.deployments:
            raise UserFacingError(
                f"Endpoint '{name}' has no deployment to serve.", "Deploy a model to it first."
            )
        record = start_server(self.store, name)
        return endpoint_info(record, health(record))

    def set_traffic(self, name: str, traffic: dict[str, int]) -> LocalEndpointInfo:
        """Split the traffic between deployments: whole percents that add up to 100."""
        with self.store.locked():
            record = self._require(name)
            clean = checked_traffic(name, traffic, (d.name for d in record.deployments))
            record = self.store.save(record.with_(traffic=clean))
        return endpoint_info(record, health(record))

    def delete(self, name: str) -> list[Resource]:
        """Stop the server and delete the endpoint with its deployments and keys."""
        with self.store.locked():
            record = self._require(name)
            stop_server(record)
            self.store.remove(name)
        deleted = [deployment_resource(record, d) for d in record.deployments]
        return [*deleted, endpoint_resource(record)]

    # -- deployments -------------------------------------------------------------------------
    def check_deployment(
        self, name: str, model_name: str, model_version: int, instance_count: int
    ) -> RegisteredVersion:
        """Refuse a deployment that cannot be made (a bad name or count, a missing model version)
        before anything is created."""
        from core import registry

        validate_name(Kind.DEPLOYMENT, name)
        if not 1 <= int(instance_count) <= 20:
            raise UserFacingError("The instance count must be from 1 to 20.", "Pick a smaller number.")
        return registry.get_version(self.tracking_uri, model_name, model_version)

    def create_deployment(
        self,
        endpoint: str,
        name: str,
        model_name: str,
        model_version: int,
        *,
        instance_count: int = 1,
        instance_type: str = "Standard_DS3_v2",
    ) -> Outcome:
        """Get-or-create a deployment of a registered model version, and (re)start the server.

        The first deployment of an endpoint takes all its traffic; later ones take none until
        the split is changed (as on Azure), but the ``azureml-model-deployment`` header reaches
        them at once. The same name with another model version updates the deployment.
        """
        name = validate_name(Kind.DEPLOYMENT, name)
        version = self.check_deployment(name, model_name, model_version, instance_count)
        record = self._require(endpoint)
        existing = record.deployment(name)
        if existing is not None and (
            existing.model_name,
            existing.model_version,
            existing.instance_count,
        ) == (
            version.name,
            version.version,
            int(instance_count),
        ):
            if not server_alive(record):
                record = start_server(self.store, endpoint)
            return Outcome(
                deployment_resource(record, existing),
                False,
                f"Deployment '{name}' serves {version.name} v{version.version} already.",
            )
        changes = self.changes(endpoint, name, version.name, version.version)
        model_dir = self._copy_model(endpoint, name, version.name, version.version)
        dataset = version.dataset
        deployment = DeploymentRecord(
            name=name,
            model_name=version.name,
            model_version=version.version,
            model_source=version.source,
            model_dir=str(model_dir),
            task=version.task or _task_of(model_dir),
            created_at=existing.created_at if existing else now(),
            instance_count=int(instance_count),
            instance_type=instance_type,
            dataset=dataset[0] if dataset else None,
            dataset_version=dataset[1] if dataset else None,
            metrics=version.metrics,
            updated_at=now(),
        )
        with self.store.locked():
            record = self._require(endpoint)
            others = [d for d in record.deployments if d.name != name]
            deployments = [*others, deployment]
            traffic = dict(record.traffic) if others else {name: 100}
            self.store.save(
                record.with_(deployments=deployments, traffic=traffic, workers=server_workers(deployments))
            )
        try:
            record = start_server(self.store, endpoint)
        except UserFacingError:
            self._restore(endpoint, existing, name)
            raise
        if existing is not None and existing.model_dir != deployment.model_dir:
            shutil.rmtree(Path(existing.model_dir).parent, ignore_errors=True)
        verb = "Updated" if existing else "Created"
        was = f" (it served {existing.model_name} v{existing.model_version})" if existing else ""
        changed = f" Changed: {'; '.join(changes)}." if changes else ""
        return Outcome(
            deployment_resource(record, deployment),
            existing is None,
            f"{verb} deployment '{name}' of {version.name} v{version.version} on endpoint '{endpoint}'"
            f"{was}; its server answers at {record.scoring_uri}.{changed}",
        )

    def changes(self, endpoint: str, name: str, model_name: str, model_version: int) -> list[str]:
        """What deploying this version as ``endpoint``/``name`` would change in what is served, in
        words: the task, the dataset (name and version) and the input columns. Compared with the
        deployment of that name, else with every deployment the endpoint has; [] when none."""
        from core import registry

        record = self.store.load(endpoint)
        if record is None or not record.deployments:
            return []
        version = registry.get_version(self.tracking_uri, model_name, model_version)
        columns = registry.input_columns(self.tracking_uri, version.name, version.version)
        existing = record.deployment(name)
        found = []
        for current in [existing] if existing else record.deployments:
            prefix = "" if current.name == name else f"beside deployment '{current.name}': "
            found += [prefix + c for c in _differences(current, version, columns)]
        return found

    def delete_deployment(self, endpoint: str, name: str) -> LocalEndpointInfo:
        """Remove one deployment; the server restarts without it, or stops if it was the last."""
        with self.store.locked():
            record = self._require(endpoint)
            doomed = record.deployment(name)
            if doomed is None:
                raise NotFoundError(
                    f"Endpoint '{endpoint}' has no deployment '{name}'.", "Pick one of its deployments."
                )
            kept = [d for d in record.deployments if d.name != name]
            traffic = {d: p for d, p in record.traffic.items() if d != name}
            if kept and record.traffic.get(name, 0) > 0:  # Azure refuses this too
                raise ConflictError(
                    f"Deployment '{name}' takes {record.traffic.get(name, 0)}% of the traffic.",
                    "Move its traffic to the other deployments first.",
                )
            if not kept:
                stop_server(record)
            record = self.store.save(
                record.with_(deployments=kept, traffic=traffic, workers=server_workers(kept))
            )
        shutil.rmtree(Path(doomed.model_dir).parent, ignore_errors=True)
        record = start_server(self.store, endpoint) if kept else self._clear_process(endpoint)
        return endpoint_info(record, health(record))

    def log_tail(self, endpoint: str, lines: int = 100) -> str:
        """The last ``lines`` lines of the endpoint's server log ("" before its server first ran)."""
        self._require(endpoint)
        try:
            text = (self.store.path(endpoint) / LOG).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-max(1, int(lines)) :])

    # -- helpers -----------------------------------------------------------------------------
    def _require(self, name: str) -> EndpointRecord:
        record = self.store.load(name)
        if record is None:
            raise NotFoundError(
                f"There is no online endpoint called '{name}' in workspace '{self.workspace}'.",
                "Create it on the Endpoint page.",
            )
        return record

    def _copy_model(self, endpoint: str, deployment: str, model_name: str, version: int) -> Path:
        """Download the registered version into the endpoint folder and check that it loads."""
        from core import registry

        parent = self.store.path(endpoint) / "deployments" / deployment
        parent.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(prefix=f"{model_name}-v{version}-", dir=parent))
        path = Path(registry.download_model(self.tracking_uri, model_name, version, str(target)))
        try:
            signature_of(path)
            load_model(path)
        except UserFacingError:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return path

    def _restore(self, endpoint: str, previous: DeploymentRecord | None, name: str) -> None:
        """After a failed start: put the deployment back as it was (or drop the new one)."""
        with self.store.locked():
            record = self.store.load(endpoint)
            if record is None:
                return
            kept = [d for d in record.deployments if d.name != name] + ([previous] if previous else [])
            traffic = {d: p for d, p in record.traffic.items() if any(k.name == d for k in kept)}
            self.store.save(record.with_(deployments=kept, traffic=traffic, workers=server_workers(kept)))

    def _clear_process(self, endpoint: str) -> EndpointRecord:
        with self.store.locked():
            record = self._require(endpoint)
            return self.store.save(record.with_(instance_id=None, pid=None, started_at=None))


def _differences(
    current: DeploymentRecord, version: RegisteredVersion, columns: list[str] | None
) -> list[str]:
    found = []
    if version.task and current.task and version.task != current.task:
        found.append(f"the task changes from {current.task} to {version.task}")
    old = f"{current.dataset} v{current.dataset_version}" if current.dataset else None
    new = f"{version.dataset[0]} v{version.dataset[1]}" if version.dataset else None
    if old != new:
        found.append(
            f"the dataset changes from {old or 'an unnamed dataset'} to {new or 'an unnamed dataset'}"
        )
    try:
        before = [c.name for c in signature_of(Path(current.model_dir))]
    except (UserFacingError, OSError):
        before = None
    if columns is not None and before is not None and set(columns) != set(before):
        gone, added = sorted(set(before) - set(columns)), sorted(set(columns) - set(before))
        parts = [f"{_quoted(gone)} no longer an input"] if gone else []
        parts += [f"{_quoted(added)} now an input"] if added else []
        found.append("the input columns change: " + "; ".join(parts))
    return found


def _quoted(names: list[str]) -> str:
    more = f" and {len(names) - 6} more" if len(names) > 6 else ""
    return ", ".join(repr(n) for n in names[:6]) + more


def _task_of(model_dir: Path) -> str:
    model = load_model(model_dir)
    return (
        "classification" if hasattr(model, "predict_proba") and hasattr(model, "classes_") else "regression"
    )
