"""Long-running work on Azure: creating a storage account, a workspace or a compute cluster,
deleting a workspace or a resource group. Each takes from tens of seconds to minutes, so a page
starts it and polls it (``poll_operation``).

- The SDK's poller of each operation stays in a process-level registry keyed by ``Operation.id``
  (a rerun, another tab or a new backend object of the same process finds it).
- ``state_dir/operations.json`` keeps what is needed to find the operation again without its
  poller (after a dashboard restart): what it acts on, and for a workspace the ARM deployment
  azure-ai-ml submitted. Without a poller the state comes from the resource itself (its
  ``provisioningState``, or the deployment's, or its absence once deleted).
- ``Operation.status`` is what Azure reports, from the operation ``begin_*`` returns on: the
  resource's own ``provisioningState`` ("Creating", "ResolvingDNS", "Deleting", "Succeeded"…),
  or the ARM deployment's ("Accepted", "Running"…) for a workspace, and while the resource is not
  visible yet the status of Azure's asynchronous operation as the SDK's poller last read it
  ("InProgress"); "Accepted" (Azure took the request) only when nothing else is known.
  A failure becomes ``state="failed"`` with ``error`` a sentence saying what to do.
- Deploying and deleting online endpoints are operations too, in stages; their pollers live in
  :mod:`core.azure.endpoints` and are registered here with :func:`register_poller`.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.azure.lookups import CREATED_TAG, MLBase, is_not_found, or_missing, state_text
from core.backend import Operation, WorkspaceRef
from core.errors import UserFacingError
from core.resources import Outcome, Resource, now

if TYPE_CHECKING:
    pass

CREATE_STORAGE = "create storage account"
CREATE_WORKSPACE = "create workspace"
CREATE_COMPUTE = "create compute cluster"
DELETE_WORKSPACE = "delete workspace"
DELETE_GROUP = "delete resource group"
DEPLOYMENTS_API = "2020-06-01"  # the api-version azure-ai-ml's deployment executor uses
ACCEPTED = "Accepted"  # ARM's word for a request it took, when Azure has told nothing more yet

_LOCK = threading.RLock()
_POLLERS: dict[str, Any] = {}  # Operation.id -> the SDK's LROPoller (this process only)
_FINISHED: dict[str, Operation] = {}  # Operation.id -> its final Operation (the same object on every poll)
_ERRORS: dict[str, UserFacingError] = {}  # Operation.id -> the error of a failed one, to re-raise
# Kinds whose pollers live in another module (its mixin's method name): core.azure.endpoints.
EXTRA_POLLERS: dict[str, str] = {}


def register_poller(kind: str, method: str) -> None:
    """Poll operations of ``kind`` with the backend's method ``method(tracked, poller)``."""
    EXTRA_POLLERS[kind] = method


@dataclass
class Tracked:
    """What ``operations.json`` keeps of one operation."""

    id: str
    kind: str
    target: str
    started_at: float
    context: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "started_at": self.started_at,
            "context": self.context,
        }


class OperationsBase(MLBase):
    """Starting, recording and polling long-running operations."""

    # -- the record in state_dir -------------------------------------------------------------
    @property
    def _operations_file(self) -> Path:
        return self.state_dir / "operations.json"

    def _load_tracked(self) -> list[Tracked]:
        try:
            data = json.loads(self._operations_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return []
        return [Tracked(**item) for item in data if isinstance(item, dict)]

    def _save_tracked(self, tracked: list[Tracked]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._operations_file.with_suffix(".tmp")
        tmp.write_text(json.dumps([t.to_dict() for t in tracked], indent=2), encoding="utf-8")
        tmp.replace(self._operations_file)

    def _track(self, kind: str, target: str, context: dict[str, Any], poller: Any = None) -> Operation:
        tracked = Tracked(uuid.uuid4().hex, kind, target, time.time(), context)
        with _LOCK:
            if poller is not None:
                _POLLERS[tracked.id] = poller
            self._save_tracked([*self._load_tracked(), tracked])
        return self._poll_tracked(tracked)  # the state Azure reports from the first answer on

    def _tracked_for(self, kind: str, target: str, **context: Any) -> Tracked | None:
        """The running operation of ``kind`` on ``target`` whose context has these values."""
        for tracked in self._load_tracked():
            if (
                tracked.kind == kind
                and tracked.target == target
                and all(tracked.context.get(k) == v for k, v in context.items())
            ):
                return tracked
        return None

    def _update_tracked(self, tracked: Tracked, poller: Any = None) -> None:
        """Save a tracked operation's new context (its next stage), with that stage's poller."""
        with _LOCK:
            if poller is not None:
                _POLLERS[tracked.id] = poller
            kept = [tracked if t.id == tracked.id else t for t in self._load_tracked()]
            self._save_tracked(kept)

    def _forget_tracked(self, op_id: str) -> None:
        with _LOCK:
            self._save_tracked([t for t in self._load_tracked() if t.id != op_id])
            _POLLERS.pop(op_id, None)

    @staticmethod
    def _operation_of(tracked: Tracked, state: str, **fields: Any) -> Operation:
        return Operation(
            id=tracked.id,
            kind=tracked.kind,
            target=tracked.target,
            state=state,  # type: ignore[arg-type]
            started_at=tracked.started_at,
            **fields,
        )

    @staticmethod
    def _done_at_once(kind: str, target: str, result: Any, status: str = "Succeeded") -> Operation:
        """An operation with nothing to wait for (the resource existed already)."""
        started = time.time()
        op = Operation(
            id=uuid.uuid4().hex,
            kind=kind,
            target=target,
            state="succeeded",
            started_at=started,
            status=status,
            result=result,
            ended_at=started,
        )
        with _LOCK:
            _FINISHED[op.id] = op
        return op

    # -- the Protocol's view ----------------------------------------------------------------
    def running_operations(self) -> list[Operation]:
        """The operations this backend started that are not finished, as Azure reports them now."""
        found = []
        for tracked in self._load_tracked():
            op = self._poll_tracked(tracked)
            if not op.done:
                found.append(op)
        return found

    def poll_operation(self, operation: Operation) -> Operation:
        """The operation as it stands now; once done, the same object on every later poll."""
        with _LOCK:
            finished = _FINISHED.get(operation.id)
        if finished is not None:
            return finished
        tracked = next((t for t in self._load_tracked() if t.id == operation.id), None)
        if tracked is None:
            return (
                operation
                if operation.done
                else replace(
                    operation,
                    state="failed",
                    error="This operation is no longer known to the dashboard; "
                    "check the resource in the inventory.",
                    ended_at=time.time(),
                )
            )
        return self._poll_tracked(tracked)

    def _wait(self, operation: Operation, timeout: float = 3600) -> Operation:
        """Poll until done (the synchronous creates and deletes); a failure raises its error."""
        deadline = time.monotonic() + timeout
        pause = self.factory.polling_interval if self.factory.polling_interval is not None else 2.0
        while not operation.done:
            if time.monotonic() > deadline:
                raise UserFacingError(
                    f"Azure is still working on '{operation.kind} {operation.target}' "
                    f"({operation.status}) after {timeout / 60:.0f} minutes.",
                    "Follow it on the Resources page; it carries on in Azure.",
                )
            with _LOCK:
                poller = _POLLERS.get(operation.id)
            if poller is not None and not poller.done():  # back as soon as the SDK's poller is
                with contextlib.suppress(Exception):  # its failure is read by the next poll
                    poller.wait(min(pause, 2.0))
            else:
                time.sleep(min(pause, 2.0))
            operation = self.poll_operation(operation)
        if operation.state == "failed":
            with _LOCK:
                error = _ERRORS.get(operation.id)
            raise error if error is not None else UserFacingError(operation.error)
        return operation

    def _poll_tracked(self, tracked: Tracked) -> Operation:
        with _LOCK:
            finished = _FINISHED.get(tracked.id)
            poller = _POLLERS.get(tracked.id)
        if finished is not None:
            return finished
        pollers = {
            CREATE_STORAGE: self._storage_created,
            CREATE_WORKSPACE: self._workspace_created,
            CREATE_COMPUTE: self._compute_created,
            DELETE_WORKSPACE: self._workspace_deleted,
            DELETE_GROUP: self._group_deleted,
        }
        # only this kind's method: a backend composed of fewer mixins has no other registered one
        poll = pollers.get(tracked.kind) or getattr(self, EXTRA_POLLERS[tracked.kind])
        try:
            state, status, result = poll(tracked, poller)
        except UserFacingError as exc:
            state, status, result = "failed", "Failed", exc
        if state == "running":
            return self._operation_of(tracked, "running", status=status)
        ended = time.time()
        if state == "failed":
            error = result if isinstance(result, UserFacingError) else UserFacingError(str(result))
            text = f"{error.problem} {error.fix}".strip() if error.fix else error.problem
            op = self._operation_of(tracked, "failed", status=status, error=text, ended_at=ended)
            with _LOCK:
                _ERRORS[tracked.id] = error
        else:
            op = self._operation_of(tracked, "succeeded", status=status, result=result, ended_at=ended)
        with _LOCK:
            _FINISHED[tracked.id] = op
        self._forget_tracked(tracked.id)
        return op

    @staticmethod
    def _poller_status(poller: Any, default: str = ACCEPTED) -> str:
        """The status of Azure's asynchronous operation as the SDK's poller last read it
        ("InProgress", "Succeeded"…), or ``default`` without a poller (after a restart)."""
        if poller is None:
            return default
        try:
            return state_text(poller.status(), default)
        except Exception:  # noqa: BLE001 - a poller without a readable status: say what is known
            return default

    @staticmethod
    def _poller_failure(poller: Any, doing: str) -> UserFacingError | None:
        """The poller's error once it is done (None while it runs or when it succeeded)."""
        if poller is None or not poller.done():
            return None
        try:
            poller.result(timeout=0)
        except Exception as exc:  # noqa: BLE001 - explain() re-raises what it does not know
            from core.azure.errors import explain

            return explain(exc, doing=doing)
        return None

    # -- create storage account ---------------------------------------------------------------
    def _storage_created(self, tracked: Tracked, poller: Any) -> tuple[str, str, Any]:
        """The account's ``provisioningState`` ("Creating", "ResolvingDNS", "Succeeded"); before
        the account is visible, the status of Azure's operation."""
        from core.azure.groups import GroupsMixin

        ctx = tracked.context
        rg, name = ctx["resource_group"], ctx["account"]
        doing = f"creating storage account '{name}' in resource group '{rg}'"
        failure = self._poller_failure(poller, doing)
        if failure is not None:
            return "failed", "Failed", failure
        storage = self.factory.storage()

        get = or_missing(lambda: storage.storage_accounts.get_properties(rg, name), None)

        account = self.call(f"reading storage account '{name}'", get)
        if account is None:
            return "running", self._poller_status(poller), None
        state = state_text(account.provisioning_state, self._poller_status(poller))
        if state == "Failed":
            return (
                "failed",
                state,
                UserFacingError(
                    f"Azure could not create storage account '{name}' (its provisioning state is Failed).",
                    "Delete it on the Teardown page (or in the portal), then create it again; "
                    "if it fails again, try another region for the resource group.",
                ),
            )
        if state != "Succeeded":
            return "running", state, None
        res = GroupsMixin.account_resource(account)
        message = (
            f"Created storage account '{name}' in {res.properties['location']} "
            "(StorageV2, Standard_LRS, HTTPS only, TLS 1.2)."
        )
        return "succeeded", state, Outcome(res, True, message)

    # -- create workspace -------------------------------------------------------------------
    def _begin_workspace(self, resource_group: str, name: str, storage_account: str | None) -> Operation:
        """Get or start creating a workspace through ``MLClient.workspaces.begin_create`` (an ARM
        deployment of azure-ai-ml's workspace template)."""
        from azure.ai.ml.entities import Workspace

        from core.naming import validate_name
        from core.resources import Kind

        name = validate_name(Kind.WORKSPACE, name)
        location = self._group_location(resource_group)
        account_id = self._account_id(resource_group, storage_account) if storage_account else None
        ref = WorkspaceRef(resource_group, name)
        existing = self._find_workspace(ref)
        if existing is not None:
            res = self._workspace_resource(existing, resource_group)
            outcome = Outcome(
                res, False, f"Workspace '{name}' exists already in {res.properties['location']}."
            )
            return self._done_at_once(CREATE_WORKSPACE, name, outcome)
        before = self._deployment_names(resource_group)
        # A new MLClient: building one makes its cloud azure-ai-ml's cloud for the process, which
        # is where the ARM-deployment executor behind begin_create sends the template.
        ml = self.factory.ml(resource_group)
        entity = Workspace(
            name=name,
            location=location,
            storage_account=account_id,
            tags={CREATED_TAG: now()},
        )
        poller = self.call(
            f"creating workspace '{name}' in resource group '{resource_group}'",
            lambda: ml.workspaces.begin_create(entity),
        )
        started = [n for n in self._deployment_names(resource_group) if n not in before]
        pattern = re.compile(rf"^{re.escape(name)}-\d+$")
        deployment = next((n for n in started if pattern.match(n)), started[0] if started else "")
        context = {
            "resource_group": resource_group,
            "workspace": name,
            "deployment": deployment,
            "location": location,
        }
        return self._track(CREATE_WORKSPACE, name, context, poller)

    def _find_workspace(self, ref: WorkspaceRef) -> Any:
        ml = self._ml(ref.resource_group)

        get = or_missing(lambda: ml.workspaces.get(ref.name), None)

        return self.call(f"reading workspace '{ref.name}'", get)

    def _deployment_path(self, resource_group: str, name: str = "") -> str:
        path = f"{self.rg_id(resource_group)}/providers/Microsoft.Resources/deployments"
        return f"{path}/{name}" if name else path

    def _deployment_names(self, resource_group: str) -> list[str]:
        """The resource group's template deployments (azure-ai-ml submits one per workspace)."""
        listed = self._arm_get(
            self._deployment_path(resource_group),
            DEPLOYMENTS_API,
            f"listing the deployments of resource group '{resource_group}'",
        )
        return [str(d.get("name")) for d in (listed or {}).get("value", [])]

    def _account_id(self, resource_group: str, account: str) -> str:
        """The ARM id of a storage account of the resource group (NotFoundError when missing)."""
        from core.errors import NotFoundError

        client = self.factory.storage()

        def get() -> Any:
            try:
                return client.storage_accounts.get_properties(resource_group, account)
            except Exception as exc:
                if is_not_found(exc):
                    raise NotFoundError(
                        f"There is no storage account called '{account}' in resource group "
                        f"'{resource_group}'.",
                        "Create it first on the Resources page, or pick a storage account of the "
                        "workspace's own resource group.",
                    ) from None
                raise

        found = self.call(f"reading storage account '{account}'", get)
        return str(found.id)

    def _workspace_created(self, tracked: Tracked, poller: Any) -> tuple[str, str, Any]:
        ctx = tracked.context
        rg, name, deployment = ctx["resource_group"], ctx["workspace"], ctx.get("deployment", "")
        doing = f"creating workspace '{name}' in resource group '{rg}'"
        status = self._poller_status(poller)
        if deployment:
            dep = self._arm_get(self._deployment_path(rg, deployment), DEPLOYMENTS_API, doing) or {}
            props = dep.get("properties") or {}
            status = state_text(props.get("provisioningState"), status)
            if status == "Failed":
                return "failed", status, _deployment_error(props.get("error") or {}, doing, name)
            if status not in ("Succeeded",):
                return "running", status, None
        found = self._find_workspace(WorkspaceRef(rg, name))
        if found is None:
            return "running", status, None
        res = self._workspace_resource(found, rg)
        message = (
            f"Created workspace '{name}' in {res.properties['location']}, with its MLflow tracking server."
        )
        return "succeeded", "Succeeded", Outcome(res, True, message)

    # -- create compute ---------------------------------------------------------------------
    def _compute_created(self, tracked: Tracked, poller: Any) -> tuple[str, str, Any]:
        ctx = tracked.context
        ref = WorkspaceRef(ctx["resource_group"], ctx["workspace"])
        name = ctx["compute"]
        doing = f"creating compute cluster '{name}' in workspace '{ref.name}'"
        failure = self._poller_failure(poller, doing)
        if failure is not None:
            return "failed", "Failed", failure
        ml = self._ml(ref.resource_group, ref.name)

        get = or_missing(lambda: ml.compute.get(name), None)

        found = self.call(doing, get)
        if found is None:
            return "running", self._poller_status(poller), None
        state = state_text(found.provisioning_state, self._poller_status(poller))
        if state == "Failed":
            errors = getattr(found, "provisioning_errors", None) or "no details"
            return (
                "failed",
                state,
                UserFacingError(
                    f"Azure could not create compute cluster '{name}' ({errors}).",
                    "Check the VM size and your quota for it in this region (Usage + quotas), "
                    "then try again.",
                ),
            )
        if state != "Succeeded":
            return "running", state, None
        from core.azure.workspaces import compute_resource

        res = compute_resource(found, ref.name)
        verb = "Updated the scale settings of" if ctx.get("update") else "Created"
        message = f"{verb} compute cluster '{name}' ({res.properties['vm_size']})."
        return "succeeded", state, Outcome(res, not ctx.get("update"), message)

    # -- delete workspace -------------------------------------------------------------------
    def _workspace_deleted(self, tracked: Tracked, poller: Any) -> tuple[str, str, Any]:
        ctx = tracked.context
        ref = WorkspaceRef(ctx["resource_group"], ctx["workspace"])
        doomed = [Resource.from_dict(d) for d in ctx.get("doomed", [])]
        failure = self._poller_failure(poller, f"deleting workspace '{ref.name}'")
        if failure is not None:
            return "failed", "Failed", failure
        if poller is not None and poller.done():
            return "succeeded", "Deleted", doomed
        found = self._find_workspace(ref)
        if found is None:
            return "succeeded", "Deleted", doomed
        return "running", state_text(getattr(found, "provisioning_state", None), "Deleting"), None

    # -- delete resource group ----------------------------------------------------------------
    def _group_deleted(self, tracked: Tracked, poller: Any) -> tuple[str, str, Any]:
        rg = tracked.context["resource_group"]
        doomed = [Resource.from_dict(d) for d in tracked.context.get("doomed", [])]
        failure = self._poller_failure(poller, f"deleting resource group '{rg}'")
        if failure is not None:
            return "failed", "Failed", failure
        if poller is not None and poller.done():
            return "succeeded", "Deleted", doomed
        client = self.factory.resources()

        get = or_missing(lambda: client.resource_groups.get(rg), None)

        group = self.call(f"reading resource group '{rg}'", get)
        if group is None:
            return "succeeded", "Deleted", doomed
        state = state_text(getattr(group.properties, "provisioning_state", None), "Deleting")
        return "running", state, None


def _deployment_error(error: dict[str, Any], doing: str, workspace: str) -> UserFacingError:
    """The user-facing error of a failed workspace deployment (Azure's innermost message)."""
    from core.errors import ConflictError

    details = list(error.get("details") or [])
    inner = details[0] if details else error
    code = str(inner.get("code") or "")
    message = str(inner.get("message") or "the deployment failed")
    what = doing[:1].upper() + doing[1:]
    if "soft-deleted" in message.lower() or "softdeleted" in code.lower():
        return ConflictError(
            f"{what} failed: the name '{workspace}' is still held by a soft-deleted workspace "
            "(Azure keeps a deleted workspace for 14 days so it can be recovered).",
            "Choose another name, or free this one: in the Azure portal, Azure Machine Learning → "
            "Recently deleted, Permanently delete it (or Recover it to use it again). To free a "
            "name at once, delete a workspace with 'permanently' ticked.",
        )
    if code == "ResourceNotFound":
        return UserFacingError(
            f"{what} failed: Azure answered {code}: {message}",
            "Check that the storage account exists in the workspace's resource group, then try again.",
        )
    return UserFacingError(
        f"{what} failed: Azure answered {code or 'an error'}: {message}",
        "Check the values against Azure's message, then try again.",
    )
