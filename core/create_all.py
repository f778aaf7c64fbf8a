"""The Resources step's "Create all with these defaults": the six objects in order, with the
tutorial's names, each get-or-create, stopping at the first failure and keeping what was made.

Long creates (storage account, workspace, cluster) go through the backend's operations and are
polled, so the caller can say how each is going (Azure takes minutes for them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core import defaults
from core.backend import Backend, Operation, WorkspaceRef
from core.compute import DEFAULT_VM_SIZE, ComputeSpec, machine_cores
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import UserFacingError
from core.resources import RESOURCE_STEP_KINDS, Kind, Outcome
from core.secrets import mask_connection_string

# (step index, what is happening now): called before each step and at each poll of a long one.
Report = Callable[[int, str], None]
POLL_S = 3.0  # how often a long create is polled once it is under way (Azure finishes in minutes)
FIRST_POLL_S = 0.5  # the first polls come sooner (0.5, 1, 2 s): a quick create is not kept waiting


def default_compute() -> ComputeSpec:
    """The cluster the compute form offers by default (at most 2 workers, as many as cores)."""
    return ComputeSpec(defaults.COMPUTE_CLUSTER, DEFAULT_VM_SIZE, 0, min(2, machine_cores()) or 1, 120)


def default_names() -> dict[Kind, str]:
    """What each of the six is called with the tutorial's defaults, in the step's order."""
    env = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE).name
    names = {
        Kind.RESOURCE_GROUP: defaults.RESOURCE_GROUP,
        Kind.STORAGE_ACCOUNT: defaults.STORAGE_ACCOUNT,
        Kind.BLOB_CONTAINER: defaults.BLOB_CONTAINER,
        Kind.WORKSPACE: defaults.WORKSPACE,
        Kind.ENVIRONMENT: env,
        Kind.COMPUTE: defaults.COMPUTE_CLUSTER,
    }
    return {kind: names[kind] for kind in RESOURCE_STEP_KINDS}


@dataclass(frozen=True)
class CreateAllResult:
    """What the run made or found (in order), and where it stopped if it did."""

    outcomes: list[Outcome]
    failed: Kind | None = None
    error: str = ""

    @property
    def workspace(self) -> WorkspaceRef | None:
        ws = next((o.resource for o in self.outcomes if o.resource.kind == Kind.WORKSPACE), None)
        return WorkspaceRef.of(ws) if ws else None

    def summary(self) -> str:
        """One message for the page: every step's result, or where and why it stopped."""
        made = sum(o.created for o in self.outcomes)
        if self.failed is None:
            return (
                f"All six resources are ready: {made} created, {len(self.outcomes) - made} existed already."
            )
        names = default_names()
        step = RESOURCE_STEP_KINDS.index(self.failed) + 1
        kept = (
            "Kept what was made before it: "
            + ", ".join(f"{o.resource.kind.label} '{o.resource.name}'" for o in self.outcomes)
            + ". "
            if self.outcomes
            else "Nothing was created. "
        )
        return (
            f"Stopped at step {step} of 6, the {self.failed.label} '{names[self.failed]}': {self.error} "
            + kept
            + "Fix the cause (or use the step's own form below with another name), then press the button "
            "again: what exists is reused."
        )


def create_all_with_defaults(
    backend: Backend,
    report: Report,
    *,
    poll_s: float = POLL_S,
    sleep: Callable[[float], None] = time.sleep,
) -> CreateAllResult:
    """Get or create the six resources in order; stop at the first failure (never raises for a
    refused or failed step: the result says which one and why)."""
    names = default_names()
    rg, sa, ws = names[Kind.RESOURCE_GROUP], names[Kind.STORAGE_ACCOUNT], names[Kind.WORKSPACE]
    workspace = WorkspaceRef(rg, ws)
    environment = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)

    def wait(index: int, begin: Callable[[], Operation]) -> Outcome:
        operation = begin()
        started, polls = time.time(), 0
        while not operation.done:
            report(
                index, f"Azure says: {operation.status or 'running'} · {time.time() - started:.0f} s so far"
            )
            sleep(min(poll_s, FIRST_POLL_S * 2**polls))
            polls += 1
            operation = backend.poll_operation(operation)
        if operation.state == "failed":
            raise UserFacingError(operation.error or f"'{operation.kind}' failed.")
        if not isinstance(operation.result, Outcome):
            raise UserFacingError(f"'{operation.kind}' finished without saying what it made.")
        return operation.result

    steps: list[tuple[Kind, Callable[[int], Outcome]]] = [
        (Kind.RESOURCE_GROUP, lambda i: backend.create_resource_group(rg, defaults.LOCATION)),
        (Kind.STORAGE_ACCOUNT, lambda i: wait(i, lambda: backend.begin_create_storage_account(rg, sa))),
        (Kind.BLOB_CONTAINER, lambda i: backend.create_blob_container(sa, names[Kind.BLOB_CONTAINER])),
        (Kind.WORKSPACE, lambda i: wait(i, lambda: backend.begin_create_workspace(rg, ws, sa))),
        (Kind.ENVIRONMENT, lambda i: backend.create_environment(workspace, environment)),
        (Kind.COMPUTE, lambda i: wait(i, lambda: backend.begin_create_compute(workspace, default_compute()))),
    ]
    outcomes: list[Outcome] = []
    for index, (kind, step) in enumerate(steps):
        report(index, f"{_verb(kind)} {kind.label} '{names[kind]}'…")
        try:
            outcomes.append(step(index))
        except UserFacingError as exc:
            return CreateAllResult(outcomes, kind, str(exc))
        except Exception as exc:  # unexpected: say what it was, calmly, without secrets
            text = mask_connection_string(f"{type(exc).__name__}: {exc}")[:300]
            return CreateAllResult(outcomes, kind, f"something unexpected went wrong ({text}).")
    return CreateAllResult(outcomes)


def _verb(kind: Kind) -> str:
    return "Registering" if kind == Kind.ENVIRONMENT else "Creating"
