"""Managed online endpoints on the azure backend (``EndpointsAPI``), through azure-ai-ml.

- An endpoint is a ``ManagedOnlineEndpoint`` with key auth; a deployment a no-code MLflow
  ``ManagedOnlineDeployment`` of a registered model version (``azureml:<name>:<version>``).
- Deploying is a polled operation of kind ``deploy`` in three stages, kept in
  ``operations.json`` with the stage reached: get-or-create the endpoint, create (or update) the
  deployment, then give the endpoint's first deployment all its traffic. Without its poller
  (after a reload or a restart) a stage is re-found from the resources' ``provisioningState``.
- Deleting follows Azure's order: the deployment's traffic to 0 (an endpoint update), the
  deployment, then (for an endpoint) the endpoint; each step an operation stage.
- Errors: a name used in the region by someone else is a :class:`NameTakenError` with a free
  name; missing quota names the VM family, the vCPUs :func:`quota_cores` counts and where to ask
  for more; a failed deployment gives Azure's error and its container log's last lines.

Keys are :class:`Secret` values from ``get_keys``: never logged, never in an error.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.azure.lookups import WorkspaceArg, or_missing, state_text
from core.azure.operations import OperationsBase, Tracked, register_poller
from core.backend import (
    DeployedModel,
    DeploymentInfo,
    EndpointHealth,
    EndpointInfo,
    EndpointKeys,
    Operation,
    Secret,
    WorkspaceRef,
)
from core.endpoint.defaults import DEFAULT_INSTANCE_TYPE, INSTANCE_TYPES, quota_cores
from core.endpoint.traffic import checked_traffic
from core.errors import ConflictError, NameTakenError, NotFoundError, UserFacingError
from core.mlflow_layout import VERSION_DATASET, VERSION_DATASET_VERSION, VERSION_METRIC_PREFIX, VERSION_TASK
from core.naming import validate_name
from core.resources import Kind, Outcome, Resource

if TYPE_CHECKING:
    from azure.ai.ml import MLClient

DEPLOY = "deploy"
DELETE_DEPLOYMENT = "delete deployment"
DELETE_ENDPOINT = "delete endpoint"
KEY_TYPES = ("primary", "secondary")
LOG_LINES = 20  # the log lines a failed deployment's error carries
_MODEL_ID = re.compile(r"/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$", re.IGNORECASE)
_QUOTA_PAGE = "https://ml.azure.com/quota"


def vm_family(instance_type: str) -> str:
    """Azure's quota family of a VM size: Standard_DS3_v2 -> "Standard DSv2 Family"."""
    found = re.match(r"Standard_([A-Za-z]+)\d+([a-z]*)_(v\d+)", instance_type)
    if not found:
        return f"{instance_type} family"
    letters, extra, version = found.groups()
    return f"Standard {letters.upper()}{extra.upper()}{version} Family"


def _iso(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else str(value)


def _model_ref(model: Any) -> tuple[str, int] | None:
    """(name, version) of a deployment's model (an ARM id, or ``azureml:name:version``)."""
    text = str(getattr(model, "id", None) or model or "")
    found = _MODEL_ID.search(text)
    if found is not None and found["version"].isdigit():
        return found["name"], int(found["version"])
    if text.startswith("azureml:") and text.count(":") == 2:
        _, name, version = text.split(":")
        return (name, int(version)) if version.isdigit() else None
    return None


def _log_tail(text: str, lines: int = 6) -> str:
    """A log's last lines, after the first error line it has (the cause, before what followed)."""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in kept if re.match(r"^([a-z_]\w*\.)*[A-Z][a-z]\w*: ", line)]  # Python's
    last = kept[-lines:]
    first = [errors[0]] if errors and errors[0] not in last else []
    return " | ".join(first + last)


def _error_text(exc: BaseException) -> str:
    """Azure's message with its inner details (the inferencing service says what is wrong there)."""
    parts = [str(exc)]
    error = getattr(exc, "error", None)
    for detail in getattr(error, "details", None) or []:
        parts.append(str(getattr(detail, "message", "") or ""))
    return " ".join(p for p in parts if p)


class AzureEndpointsMixin(OperationsBase):
    """Online endpoints, deployments, keys, traffic and logs of a workspace on Azure."""

    # -- lookups -------------------------------------------------------------------------------
    def _ml_of(self, workspace: WorkspaceArg) -> tuple[WorkspaceRef, MLClient]:
        ref, _ = self._workspace(workspace)
        return ref, self._ml(ref.resource_group, ref.name)

    def _find_endpoint(self, ml: MLClient, name: str) -> Any:
        getter = or_missing(lambda: ml.online_endpoints.get(name), None)
        return self.call(f"reading online endpoint '{name}'", getter)

    def _require_endpoint(self, ref: WorkspaceRef, ml: MLClient, name: str) -> Any:
        found = self._find_endpoint(ml, name)
        if found is None:
            raise NotFoundError(
                f"There is no online endpoint called '{name}' in workspace '{ref.name}'.",
                "Create it on the Endpoint page.",
            )
        return found

    def _deployments(self, ml: MLClient, endpoint: str) -> list[Any]:
        listed: Callable[[], list[Any]] = or_missing(lambda: list(ml.online_deployments.list(endpoint)), [])
        return self.call(f"listing the deployments of endpoint '{endpoint}'", listed)

    def _find_deployment(self, ml: MLClient, endpoint: str, name: str) -> Any:
        getter = or_missing(lambda: ml.online_deployments.get(name, endpoint), None)
        return self.call(f"reading deployment '{name}' of endpoint '{endpoint}'", getter)

    def _model_version(self, ml: MLClient, name: str, version: int) -> Any:
        """The registered model version; NotFoundError (as the local registry says it) if none."""
        getter = or_missing(lambda: ml.models.get(name, version=str(version)), None)
        found = self.call(f"reading version {version} of model '{name}'", getter)
        if found is None:
            raise NotFoundError(
                f"The registry has no version {version} of model '{name}'.", "Pick a registered version."
            )
        return found

    # -- neutral values -------------------------------------------------------------------------
    def _deployment_info(self, ml: MLClient, deployment: Any, cache: dict[Any, Any]) -> DeploymentInfo:
        ref = _model_ref(deployment.model)
        name, version = ref if ref is not None else (str(deployment.model or ""), 0)
        model = None
        if ref is not None:
            if ref not in cache:
                cache[ref] = or_missing(lambda: ml.models.get(name, version=str(version)), None)()
            model = cache[ref]
        tags = dict(getattr(model, "tags", None) or {})
        metrics = {}
        for key, value in tags.items():
            if key.startswith(VERSION_METRIC_PREFIX):
                try:
                    metrics[key.removeprefix(VERSION_METRIC_PREFIX)] = float(value)
                except ValueError:
                    continue
        dataset_version = tags.get(VERSION_DATASET_VERSION, "")
        context = getattr(deployment, "creation_context", None)
        created = _iso(getattr(context, "created_at", None))
        modified = _iso(getattr(context, "last_modified_at", None))
        return DeploymentInfo(
            name=str(deployment.name),
            model_name=name,
            model_version=version,
            model_source=str(getattr(model, "path", None) or deployment.model or ""),
            task=tags.get(VERSION_TASK, ""),
            created_at=created,
            instance_count=int(getattr(deployment, "instance_count", None) or 1),
            instance_type=str(getattr(deployment, "instance_type", None) or DEFAULT_INSTANCE_TYPE),
            dataset=tags.get(VERSION_DATASET) or None,
            dataset_version=int(dataset_version) if dataset_version.isdigit() else None,
            metrics=metrics,
            updated_at=modified or None,
        )

    def _endpoint_info(self, ml: MLClient, endpoint: Any) -> EndpointInfo:
        cache: dict[Any, Any] = {}
        deployments = self._deployments(ml, str(endpoint.name))
        infos = [self._deployment_info(ml, d, cache) for d in deployments]
        traffic = {str(k): int(v) for k, v in (endpoint.traffic or {}).items() if int(v) > 0}
        props = dict(getattr(endpoint, "properties", None) or {})
        return EndpointInfo(
            name=str(endpoint.name),
            scoring_uri=str(endpoint.scoring_uri or ""),
            auth_mode=str(endpoint.auth_mode or "key").lower(),
            traffic=traffic,
            deployments=infos,
            health=self._health(endpoint, deployments, traffic),
            created_at=str(props.get("createdAt") or ""),
            description=str(endpoint.description or ""),
        )

    @staticmethod
    def _health(endpoint: Any, deployments: list[Any], traffic: dict[str, int]) -> EndpointHealth:
        """Azure's provisioning states, then a quick probe of the scoring URI."""
        if not deployments:
            return EndpointHealth("no deployment", "The endpoint has no deployment yet.")
        state = state_text(endpoint.provisioning_state, "Unknown")
        if state != "Succeeded":
            return EndpointHealth("unresponsive", f"Azure reports the endpoint as {state}.")
        serving = [d for d in deployments if traffic.get(str(d.name), 0) > 0] or deployments
        states = {str(d.name): state_text(d.provisioning_state, "Unknown") for d in serving}
        if all(s != "Succeeded" for s in states.values()):
            said = ", ".join(f"'{n}' {s}" for n, s in states.items())
            return EndpointHealth("unresponsive", f"No deployment is ready yet ({said}).")
        return _probe(str(endpoint.scoring_uri or ""))

    @staticmethod
    def _endpoint_resource(ref: WorkspaceRef, endpoint: Any) -> Resource:
        props = dict(getattr(endpoint, "properties", None) or {})
        return Resource(
            Kind.ENDPOINT,
            str(endpoint.name),
            ref.name,
            str(props.get("createdAt") or ""),
            {"auth_mode": "key", "scoring_uri": str(endpoint.scoring_uri or ""), "traffic": {}},
        )

    @staticmethod
    def _deployment_resource(endpoint: str, deployment: Any, traffic: int = 0) -> Resource:
        context = getattr(deployment, "creation_context", None)
        return Resource(
            Kind.DEPLOYMENT,
            str(deployment.name),
            endpoint,
            _iso(getattr(context, "created_at", None)),
            {
                "model": str(deployment.model or ""),
                "instance_count": int(getattr(deployment, "instance_count", None) or 1),
                "instance_type": str(getattr(deployment, "instance_type", None) or ""),
                "traffic": traffic,
            },
        )

    # -- reading ----------------------------------------------------------------------------------
    def list_endpoints(self, workspace: WorkspaceArg) -> list[EndpointInfo]:
        ref, ml = self._ml_of(workspace)
        listed: Callable[[], list[Any]] = or_missing(lambda: list(ml.online_endpoints.list()), [])
        found = self.call(f"listing the online endpoints of workspace '{ref.name}'", listed)
        return [self._endpoint_info(ml, e) for e in found]

    def get_endpoint(self, workspace: WorkspaceArg, name: str) -> EndpointInfo:
        ref, ml = self._ml_of(workspace)
        return self._endpoint_info(ml, self._require_endpoint(ref, ml, name))

    def endpoint_keys(self, workspace: WorkspaceArg, name: str) -> EndpointKeys:
        ref, ml = self._ml_of(workspace)
        self._require_endpoint(ref, ml, name)
        found = self.call(
            f"reading the keys of endpoint '{name}'", lambda: ml.online_endpoints.get_keys(name)
        )
        return EndpointKeys(Secret(str(found.primary_key)), Secret(str(found.secondary_key)))

    def regenerate_endpoint_key(
        self, workspace: WorkspaceArg, name: str, key_type: str = "primary"
    ) -> EndpointKeys:
        """A new primary or secondary key (an Azure operation, waited for); the other keeps working."""
        if key_type not in KEY_TYPES:
            raise UserFacingError(
                f"There is no '{key_type}' key.", "Regenerate the primary or the secondary key."
            )
        ref, ml = self._ml_of(workspace)
        self._require_endpoint(ref, ml, name)
        doing = f"regenerating the {key_type} key of endpoint '{name}'"
        poller = self.call(doing, lambda: ml.online_endpoints.begin_regenerate_keys(name, key_type=key_type))
        self.call(doing, poller.result)
        return self.endpoint_keys(ref, name)

    def deployment_logs(
        self, workspace: WorkspaceArg, endpoint: str, deployment: str, lines: int = 100
    ) -> str:
        """The last lines of the deployment's inference-server container log (``get_logs``)."""
        ref, ml = self._ml_of(workspace)
        self._require_endpoint(ref, ml, endpoint)
        self._require_deployment(ml, endpoint, deployment)
        text = self.call(
            f"reading the logs of deployment '{deployment}'",
            lambda: ml.online_deployments.get_logs(deployment, endpoint, lines=max(1, int(lines))),
        )
        return str(text or "")

    def _require_deployment(self, ml: MLClient, endpoint: str, name: str) -> Any:
        found = self._find_deployment(ml, endpoint, name)
        if found is None:
            raise NotFoundError(
                f"Endpoint '{endpoint}' has no deployment '{name}'.", "Pick one from the list."
            )
        return found

    def deployed_model(self, workspace: WorkspaceArg, endpoint: str, deployment: str) -> DeployedModel:
        """Where the model's files are (its registered version's path), and its input example
        when the workspace's MLflow artifacts have one (``serving_input_example.json``)."""
        import json

        ref, ml = self._ml_of(workspace)
        self._require_endpoint(ref, ml, endpoint)
        found = self._require_deployment(ml, endpoint, deployment)
        model_ref = _model_ref(found.model)
        model = self._model_version(ml, *model_ref) if model_ref else None
        location = str(getattr(model, "path", None) or found.model or "")
        example = None
        run = getattr(model, "job_name", None) or (getattr(model, "tags", None) or {}).get("trial_run_id")
        if run:
            try:
                raw = self.run_artifact(ref, str(run), "model/serving_input_example.json")  # type: ignore[attr-defined]
                example = json.loads(raw) if raw else None
            except (UserFacingError, ValueError):
                example = None
        return DeployedModel(location=location, input_example=example)

    def deployment_changes(
        self, workspace: WorkspaceArg, endpoint: str, deployment: str, model_name: str, model_version: int
    ) -> list[str]:
        """What deploying this version would change in what the endpoint serves (task, dataset,
        input columns), compared with the deployment of that name, else with every deployment;
        [] when the endpoint has none. Columns come from each model's MLmodel signature."""
        ref, ml = self._ml_of(workspace)
        if self._find_endpoint(ml, endpoint) is None:
            return []
        current = self._deployments(ml, endpoint)
        if not current:
            return []
        version = self._model_version(ml, model_name, model_version)
        tags = dict(version.tags or {})
        task, dataset = tags.get(VERSION_TASK, ""), tags.get(VERSION_DATASET)
        new = f"{dataset} v{tags.get(VERSION_DATASET_VERSION, '')}" if dataset else None
        columns = self._input_columns(ref, version)
        cache: dict[Any, Any] = {}
        same = [d for d in current if str(d.name) == deployment]
        found = []
        for raw in same or current:
            info = self._deployment_info(ml, raw, cache)
            prefix = "" if info.name == deployment else f"beside deployment '{info.name}': "
            if task and info.task and task != info.task:
                found.append(f"{prefix}the task changes from {info.task} to {task}")
            old = f"{info.dataset} v{info.dataset_version}" if info.dataset else None
            if old != new:
                found.append(
                    f"{prefix}the dataset changes from {old or 'an unnamed dataset'} "
                    f"to {new or 'an unnamed dataset'}"
                )
            ref_of = _model_ref(raw.model)
            before = self._input_columns(ref, cache.get(ref_of)) if ref_of else None
            if columns is not None and before is not None and set(columns) != set(before):
                gone, added = sorted(set(before) - set(columns)), sorted(set(columns) - set(before))
                parts = [f"{', '.join(map(repr, gone))} no longer an input"] if gone else []
                parts += [f"{', '.join(map(repr, added))} now an input"] if added else []
                found.append(f"{prefix}the input columns change: " + "; ".join(parts))
        return found

    def _input_columns(self, ref: WorkspaceRef, model: Any) -> list[str] | None:
        """The input columns of a registered model's MLmodel signature (None when unreadable)."""
        import json

        import yaml

        run = getattr(model, "job_name", None)
        if not run:
            return None
        try:
            raw = self.run_artifact(ref, str(run), "model/MLmodel")  # type: ignore[attr-defined]
            inputs = json.loads((yaml.safe_load(raw or b"") or {})["signature"]["inputs"])
            return [str(c["name"]) for c in inputs if "name" in c]
        except (UserFacingError, ValueError, KeyError, TypeError, yaml.YAMLError):
            return None

    def start_endpoint(self, workspace: WorkspaceArg, name: str) -> EndpointInfo:
        ref, ml = self._ml_of(workspace)
        self._require_endpoint(ref, ml, name)
        raise UserFacingError(
            f"Azure runs endpoint '{name}' itself: there is nothing to start by hand.",
            "If it is unhealthy, read its deployment's logs, or deploy the model again.",
        )

    # -- creating ---------------------------------------------------------------------------------
    def create_endpoint(self, workspace: WorkspaceArg, name: str, description: str = "") -> Outcome:
        name = validate_name(Kind.ENDPOINT, name)
        ref, ml = self._ml_of(workspace)
        existing = self._find_endpoint(ml, name)
        if existing is not None:
            return Outcome(
                self._endpoint_resource(ref, existing), False, f"Endpoint '{name}' exists already."
            )
        poller = self._put_endpoint(ref, ml, name, description)
        made = self.call(f"creating online endpoint '{name}'", poller.result)
        return Outcome(
            self._endpoint_resource(ref, made),
            True,
            f"Created online endpoint '{name}' with key auth. Deploy a model to it; it is billed "
            "per instance-hour once it has a deployment.",
        )

    def _put_endpoint(self, ref: WorkspaceRef, ml: MLClient, name: str, description: str = "") -> Any:
        """Start creating the endpoint; a name used in the region is a NameTakenError."""
        from azure.ai.ml.entities import ManagedOnlineEndpoint

        entity = ManagedOnlineEndpoint(name=name, auth_mode="key", description=description or None)
        try:
            return ml.online_endpoints.begin_create_or_update(entity)
        except Exception as exc:  # noqa: BLE001 - a taken name is named; others are explained
            if "already an endpoint with this name" in _error_text(exc):
                free = self._free_endpoint_name(ml, name)
                raise NameTakenError(
                    f"The endpoint name '{name}' is already used in this region (endpoint names are "
                    "unique per Azure region, across all subscriptions).",
                    f"Choose another name, for example '{free}'.",
                    suggestion=free,
                ) from None
            from core.azure.errors import explain

            raise explain(exc, doing=f"creating online endpoint '{name}'") from None

    def _free_endpoint_name(self, ml: MLClient, name: str) -> str:
        """A name not used by the workspace's endpoints: the name with a short random suffix."""
        listed: Callable[[], list[str]] = or_missing(
            lambda: [str(e.name) for e in ml.online_endpoints.list()], []
        )
        used = set(self.call("listing the online endpoints", listed))
        while True:
            suffix = secrets.token_hex(2)
            free = f"{name[: 32 - len(suffix) - 1].rstrip('-')}-{suffix}"
            if free not in used:
                return validate_name(Kind.ENDPOINT, free)

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
        operation = self._begin_deploy(
            workspace, endpoint, name, model_name, model_version, instance_count, instance_type, False
        )
        result: Outcome = self._wait(operation).result
        return result

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
        return self._begin_deploy(
            workspace, endpoint, deployment, model_name, model_version, instance_count, instance_type, True
        )

    def _begin_deploy(
        self,
        workspace: WorkspaceArg,
        endpoint: str,
        deployment: str,
        model_name: str,
        model_version: int,
        instance_count: int,
        instance_type: str,
        make_endpoint: bool,
    ) -> Operation:
        endpoint = validate_name(Kind.ENDPOINT, endpoint)
        deployment = validate_name(Kind.DEPLOYMENT, deployment)
        if not 1 <= int(instance_count) <= 20:
            raise UserFacingError("The instance count must be from 1 to 20.", "Pick a smaller number.")
        if instance_type not in INSTANCE_TYPES:
            raise UserFacingError(
                f"'{instance_type}' is not an instance type a managed deployment here can use.",
                f"Pick one of {', '.join(INSTANCE_TYPES)}.",
            )
        ref, ml = self._ml_of(workspace)
        found = self._find_endpoint(ml, endpoint)
        if found is None and not make_endpoint:
            self._require_endpoint(ref, ml, endpoint)
        version = self._model_version(ml, model_name, model_version)
        existing = self._find_deployment(ml, endpoint, deployment) if found is not None else None
        if existing is not None and (
            _model_ref(existing.model) == (model_name, int(model_version))
            and int(existing.instance_count or 1) == int(instance_count)
            and state_text(existing.provisioning_state) == "Succeeded"
        ):
            outcome = Outcome(
                self._deployment_resource(endpoint, existing),
                False,
                f"Deployment '{deployment}' serves {model_name} v{model_version} already.",
            )
            return self._done_at_once(DEPLOY, endpoint, outcome)
        context = {
            "resource_group": ref.resource_group,
            "workspace": ref.name,
            "endpoint": endpoint,
            "deployment": deployment,
            "model": str(version.name),
            "version": int(model_version),
            "count": int(instance_count),
            "instance_type": instance_type,
            "update": existing is not None,
            "stage": "endpoint",
        }
        poller = None
        if found is None:
            poller = self._put_endpoint(ref, ml, endpoint)
        else:
            context["stage"] = "deployment"
            poller = self._put_deployment(ml, context)
        return self._track(DEPLOY, endpoint, context, poller)

    def _put_deployment(self, ml: MLClient, ctx: dict[str, Any]) -> Any:
        from azure.ai.ml.entities import ManagedOnlineDeployment

        entity = ManagedOnlineDeployment(
            name=ctx["deployment"],
            endpoint_name=ctx["endpoint"],
            model=f"azureml:{ctx['model']}:{ctx['version']}",
            instance_type=ctx["instance_type"],
            instance_count=ctx["count"],
        )
        try:
            return ml.online_deployments.begin_create_or_update(entity)
        except Exception as exc:  # noqa: BLE001 - quota is named; others are explained
            raise self._deploy_error(exc, ctx) from None

    def _deploy_error(self, exc: BaseException, ctx: dict[str, Any]) -> UserFacingError:
        from core.azure.errors import AzureQuotaError, explain

        text = _error_text(exc)
        doing = f"deploying '{ctx['deployment']}' to endpoint '{ctx['endpoint']}'"
        if "quota" in text.lower():
            size, count = ctx["instance_type"], int(ctx["count"])
            said = re.search(r"Not enough quota available[^\"\]]*?Additional needed: \d+", text)
            return AzureQuotaError(
                f"Deploying '{ctx['deployment']}' failed: the subscription has not enough "
                f"{vm_family(size)} vCPU quota for {count} x {size}. A deployment of it needs about "
                f"{quota_cores(size, count)} vCPUs of that family's quota (its cores plus the ~20 % "
                f"Azure keeps spare for upgrades). Azure said: {said.group(0) if said else 'OutOfQuota'}.",
                f"Request more {vm_family(size)} quota for managed online endpoints in Azure ML studio "
                f"({_QUOTA_PAGE}, or the portal's Usage + quotas), pick a smaller instance type or "
                "count, or delete deployments you no longer need; then deploy again.",
                code="OutOfQuota",
                status=getattr(exc, "status_code", None),
            )
        return explain(exc, doing=doing)

    def _put_traffic(self, ml: MLClient, endpoint: str, traffic: dict[str, int]) -> Any:
        """Start an endpoint update that sets its traffic split (Azure strips the zeros)."""
        found = ml.online_endpoints.get(endpoint)
        found.traffic = dict(traffic)
        return self.call(
            f"setting the traffic of endpoint '{endpoint}'",
            lambda: ml.online_endpoints.begin_create_or_update(found),
        )

    def _deploy_progress(self, tracked: Tracked, poller: Any) -> tuple[str, str, Any]:
        """Stage by stage: the endpoint, the deployment, the first deployment's traffic."""
        ctx = tracked.context
        ref = WorkspaceRef(ctx["resource_group"], ctx["workspace"])
        ml = self._ml(ref.resource_group, ref.name)
        endpoint, deployment = ctx["endpoint"], ctx["deployment"]
        stage = ctx.get("stage", "endpoint")
        if stage == "endpoint":
            failure = self._poller_failure(poller, f"creating online endpoint '{endpoint}'")
            if failure is not None:
                return "failed", "Failed", failure
            found = self._find_endpoint(ml, endpoint)
            state = state_text(getattr(found, "provisioning_state", None), self._poller_status(poller))
            if found is None or state not in ("Succeeded", "Failed"):
                return "running", f"{state} (creating endpoint '{endpoint}')", None
            if state == "Failed":
                return (
                    "failed",
                    state,
                    UserFacingError(
                        f"Azure could not create endpoint '{endpoint}' (its provisioning state is Failed).",
                        "Delete it on the Endpoint page and deploy again.",
                    ),
                )
            if not self._advance_stage(tracked, "endpoint", "deployment"):
                return "running", f"Creating (deployment '{deployment}')", None
            try:
                next_poller = self._put_deployment(ml, ctx)
            except UserFacingError as exc:
                return "failed", "Failed", exc
            self._update_tracked(tracked, next_poller)
            return "running", f"Creating (deployment '{deployment}')", None
        if stage == "deployment":
            found = self._find_deployment(ml, endpoint, deployment)
            state = state_text(getattr(found, "provisioning_state", None), self._poller_status(poller))
            failed = (
                poller is not None and poller.done() and self._poller_failure(poller, "deploying") is not None
            )
            if state == "Failed" or failed:
                return "failed", "Failed", self._failed_deployment(ml, ctx, poller)
            if found is None or state != "Succeeded":
                return "running", f"{state} (deployment '{deployment}')", None
            current = self._find_endpoint(ml, endpoint)
            traffic = {k: int(v) for k, v in (getattr(current, "traffic", None) or {}).items() if int(v) > 0}
            if traffic:
                return "succeeded", "Succeeded", self._deploy_outcome(ref, ml, ctx, found, traffic)
            if self._advance_stage(tracked, "deployment", "traffic"):
                self._update_tracked(tracked, self._put_traffic(ml, endpoint, {deployment: 100}))
            return "running", f"Updating (all traffic to '{deployment}')", None
        # stage traffic
        failure = self._poller_failure(poller, f"setting the traffic of endpoint '{endpoint}'")
        if failure is not None:
            return "failed", "Failed", failure
        current = self._find_endpoint(ml, endpoint)
        state = state_text(getattr(current, "provisioning_state", None), "Updating")
        traffic = {k: int(v) for k, v in (getattr(current, "traffic", None) or {}).items() if int(v) > 0}
        if current is not None and state == "Succeeded" and traffic.get(deployment):
            found = self._find_deployment(ml, endpoint, deployment)
            return "succeeded", "Succeeded", self._deploy_outcome(ref, ml, ctx, found, traffic)
        if poller is None and current is not None and state == "Succeeded":  # a restart lost the update
            self._update_tracked(tracked, self._put_traffic(ml, endpoint, {deployment: 100}))
        return "running", f"{state} (all traffic to '{deployment}')", None

    def _advance_stage(self, tracked: Tracked, old: str, new: str) -> bool:
        """Move the operation from stage ``old`` to ``new`` in operations.json, unless another poll
        (a rerun, another tab) did it first: only one of them starts the next stage's request."""
        from core.azure.operations import _LOCK

        with _LOCK:
            saved = next((t for t in self._load_tracked() if t.id == tracked.id), None)
            if saved is None or saved.context.get("stage") != old:
                return False
            tracked.context["stage"] = new
            self._update_tracked(tracked)
            return True

    def _deploy_outcome(
        self, ref: WorkspaceRef, ml: MLClient, ctx: dict[str, Any], found: Any, traffic: dict[str, int]
    ) -> Outcome:
        endpoint = self._find_endpoint(ml, ctx["endpoint"])
        verb = "Updated" if ctx.get("update") else "Created"
        return Outcome(
            self._deployment_resource(ctx["endpoint"], found, traffic.get(ctx["deployment"], 0)),
            not ctx.get("update"),
            f"{verb} deployment '{ctx['deployment']}' of {ctx['model']} v{ctx['version']} on endpoint "
            f"'{ctx['endpoint']}' ({ctx['count']} x {ctx['instance_type']}, billed per instance-hour); "
            f"it answers at {getattr(endpoint, 'scoring_uri', '')}.",
        )

    def _failed_deployment(self, ml: MLClient, ctx: dict[str, Any], poller: Any) -> UserFacingError:
        """Azure's error of a failed deployment, with the last lines of its container log."""
        reason = "its provisioning state is Failed"
        if poller is not None:
            with contextlib.suppress(Exception):
                poller.wait(10)  # Azure's error comes with the operation's end, just after the state
        if poller is not None and poller.done():
            try:
                poller.result(timeout=0)
            except Exception as exc:  # noqa: BLE001 - its text is what Azure said
                if "quota" in _error_text(exc).lower():
                    return self._deploy_error(exc, ctx)
                error = getattr(exc, "error", None)
                said = str(getattr(error, "message", None) or exc).splitlines()[0]
                code = str(getattr(error, "code", None) or "")
                reason = f"Azure answered {code}: {said}" if code else said
        try:
            text = ml.online_deployments.get_logs(ctx["deployment"], ctx["endpoint"], lines=LOG_LINES * 10)
        except Exception:  # noqa: BLE001 - no logs is said, not raised
            text = ""
        tail = _log_tail(str(text or ""))
        return UserFacingError(
            f"Deployment '{ctx['deployment']}' of endpoint '{ctx['endpoint']}' failed: {reason}. "
            f"Last lines of its log: {tail or '(no log)'}",
            "Read the deployment's logs on the Endpoint page, fix the model, then delete the failed "
            "deployment and deploy again.",
        )

    # -- traffic ----------------------------------------------------------------------------------
    def set_endpoint_traffic(
        self, workspace: WorkspaceArg, name: str, traffic: dict[str, int]
    ) -> EndpointInfo:
        """Split the traffic between deployments: whole percents that add up to 100."""
        ref, ml = self._ml_of(workspace)
        self._require_endpoint(ref, ml, name)
        clean = checked_traffic(name, traffic, (str(d.name) for d in self._deployments(ml, name)))
        poller = self._put_traffic(ml, name, clean)
        self.call(f"setting the traffic of endpoint '{name}'", poller.result)
        return self.get_endpoint(ref, name)

    # -- deleting ---------------------------------------------------------------------------------
    def delete_deployment(self, workspace: WorkspaceArg, endpoint: str, name: str) -> EndpointInfo:
        result: EndpointInfo = self._wait(self.begin_delete_deployment(workspace, endpoint, name)).result
        return result

    def delete_endpoint(self, workspace: WorkspaceArg, name: str) -> list[Resource]:
        result: list[Resource] = self._wait(self.begin_delete_endpoint(workspace, name)).result
        return result

    def begin_delete_deployment(self, workspace: WorkspaceArg, endpoint: str, name: str) -> Operation:
        """Traffic to 0 (when it is the last deployment with traffic), then the deployment."""
        ref, ml = self._ml_of(workspace)
        found = self._require_endpoint(ref, ml, endpoint)
        self._require_deployment(ml, endpoint, name)
        traffic = {k: int(v) for k, v in (found.traffic or {}).items() if int(v) > 0}
        others = [str(d.name) for d in self._deployments(ml, endpoint) if str(d.name) != name]
        if others and traffic.get(name, 0) > 0:
            raise ConflictError(
                f"Deployment '{name}' takes {traffic.get(name, 0)}% of the traffic.",
                "Move its traffic to the other deployments first.",
            )
        context = {
            "resource_group": ref.resource_group,
            "workspace": ref.name,
            "endpoint": endpoint,
            "deployments": [name],
            "delete_endpoint": False,
        }
        return self._begin_deletes(DELETE_DEPLOYMENT, name, ml, context, traffic)

    def begin_delete_endpoint(self, workspace: WorkspaceArg, name: str) -> Operation:
        """Traffic to 0, each deployment, then the endpoint (Azure's order)."""
        ref, ml = self._ml_of(workspace)
        found = self._require_endpoint(ref, ml, name)
        deployments = self._deployments(ml, name)
        traffic = {k: int(v) for k, v in (found.traffic or {}).items() if int(v) > 0}
        context = {
            "resource_group": ref.resource_group,
            "workspace": ref.name,
            "endpoint": name,
            "deployments": [str(d.name) for d in deployments],
            "delete_endpoint": True,
            "doomed": [self._deployment_resource(name, d).to_dict() for d in deployments]
            + [self._endpoint_resource(ref, found).to_dict()],
        }
        return self._begin_deletes(DELETE_ENDPOINT, name, ml, context, traffic)

    def _begin_deletes(
        self, kind: str, target: str, ml: MLClient, context: dict[str, Any], traffic: dict[str, int]
    ) -> Operation:
        endpoint = context["endpoint"]
        if any(traffic.get(d, 0) for d in context["deployments"]):
            kept = {d: p for d, p in traffic.items() if d not in context["deployments"]}
            context["stage"] = "traffic"
            return self._track(kind, target, context, self._put_traffic(ml, endpoint, kept))
        return self._track(kind, target, context, self._next_delete(ml, context))

    def _next_delete(self, ml: MLClient, ctx: dict[str, Any]) -> Any:
        """Start the next delete of the plan (a deployment, else the endpoint); None when done."""
        endpoint = ctx["endpoint"]
        if ctx["deployments"]:
            name = ctx["deployments"][0]
            ctx["stage"] = f"deployment:{name}"
            return self.call(
                f"deleting deployment '{name}' of endpoint '{endpoint}'",
                lambda: ml.online_deployments.begin_delete(name, endpoint),
            )
        if ctx["delete_endpoint"]:
            ctx["stage"] = "endpoint"
            return self.call(
                f"deleting online endpoint '{endpoint}'", lambda: ml.online_endpoints.begin_delete(endpoint)
            )
        ctx["stage"] = "done"
        return None

    def _delete_progress(self, tracked: Tracked, poller: Any) -> tuple[str, str, Any]:
        ctx = tracked.context
        ref = WorkspaceRef(ctx["resource_group"], ctx["workspace"])
        ml = self._ml(ref.resource_group, ref.name)
        endpoint, stage = ctx["endpoint"], ctx.get("stage", "")
        failure = self._poller_failure(poller, f"deleting from endpoint '{endpoint}'")
        if failure is not None:
            return "failed", "Failed", failure
        if stage == "traffic":
            current = self._find_endpoint(ml, endpoint)
            state = state_text(getattr(current, "provisioning_state", None), "Updating")
            share = sum(int((getattr(current, "traffic", None) or {}).get(d, 0)) for d in ctx["deployments"])
            if current is not None and (state != "Succeeded" or share):
                return "running", f"{state} (traffic to 0)", None
            self._update_tracked(tracked, self._next_delete(ml, ctx))
            return "running", f"Deleting ({ctx['stage']})", None
        if stage.startswith("deployment:"):
            name = stage.split(":", 1)[1]
            found = self._find_deployment(ml, endpoint, name) if self._find_endpoint(ml, endpoint) else None
            if found is not None:
                return (
                    "running",
                    f"{state_text(found.provisioning_state, 'Deleting')} (deployment '{name}')",
                    None,
                )
            ctx["deployments"] = ctx["deployments"][1:]
            self._update_tracked(tracked, self._next_delete(ml, ctx))
            if ctx["stage"] != "done":
                return "running", f"Deleting ({ctx['stage']})", None
        if ctx.get("stage") == "endpoint":
            found = self._find_endpoint(ml, endpoint)
            if found is not None:
                return "running", f"{state_text(found.provisioning_state, 'Deleting')} (endpoint)", None
            return "succeeded", "Deleted", [Resource.from_dict(d) for d in ctx.get("doomed", [])]
        left = self._find_endpoint(ml, endpoint)
        if left is None:
            return "failed", "Failed", NotFoundError(f"Endpoint '{endpoint}' is gone.")
        return "succeeded", "Deleted", self._endpoint_info(ml, left)


register_poller(DEPLOY, "_deploy_progress")
register_poller(DELETE_DEPLOYMENT, "_delete_progress")
register_poller(DELETE_ENDPOINT, "_delete_progress")


def _probe(uri: str, timeout: float = 3.0) -> EndpointHealth:
    """Ask the scoring URI's host for anything: an HTTP answer (even 401) means it is up."""
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    if not uri:
        return EndpointHealth("unresponsive", "Azure has not given the endpoint a scoring URI yet.")
    parts = urlsplit(uri)
    started = time.perf_counter()
    try:
        urllib.request.urlopen(f"{parts.scheme}://{parts.netloc}/", timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError:
        pass  # it answered, with an error status (no key): it is up
    except (urllib.error.URLError, OSError) as exc:
        return EndpointHealth("unresponsive", f"The scoring URI did not answer ({type(exc).__name__}).")
    elapsed = (time.perf_counter() - started) * 1000
    return EndpointHealth("healthy", f"Azure reports it Succeeded and {parts.netloc} answers.", {}, elapsed)
