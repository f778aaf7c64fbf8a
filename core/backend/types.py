"""The values every backend returns, whichever it is: nothing here names a process, a folder or
an Azure SDK class. A backend may return a subclass that carries its own details (the local one
adds its runner's pid, for example); pages see only these fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from core.resources import Kind, Resource

SweepState = Literal["starting", "running", "completed", "canceled", "failed", "interrupted", "closed"]
ACTIVE_STATES: frozenset[str] = frozenset({"starting", "running"})


class Secret:
    """A key or a connection string, masked wherever it is printed, formatted or logged.

    ``reveal()`` gives the value, to hand to an SDK or to show on purpose; nothing else does, so
    a secret cannot slip into a log line or a page by accident."""

    __slots__ = ("_connection_string", "_value")

    def __init__(self, value: str, *, connection_string: bool = False) -> None:
        self._value = value
        self._connection_string = connection_string

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        from core.secrets import mask, mask_connection_string

        return mask_connection_string(self._value) if self._connection_string else mask(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __str__(self) -> str:
        return self.masked

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("A Secret is not pickled: it would leave this process unmasked.")


@dataclass(frozen=True, order=True)
class WorkspaceRef:
    """Which workspace: Azure ML workspace names are unique only inside a resource group, so a
    workspace is named by both. Prints as its name, for labels; ``key`` is unique, for caches."""

    resource_group: str
    name: str

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return f"{self.resource_group}/{self.name}"

    @classmethod
    def of(cls, workspace: Resource) -> WorkspaceRef:
        """The reference of a workspace found in an inventory."""
        if workspace.kind != Kind.WORKSPACE or not workspace.parent:
            raise ValueError(
                f"{workspace.kind.value} '{workspace.name}' is not a workspace in a resource group"
            )
        return cls(workspace.parent, workspace.name)


@dataclass(frozen=True)
class BackendInfo:
    name: str
    description: str
    location: str  # where the state lives, in words


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, so that a page offers only that (it never asks for the name)."""

    resume_sweeps: bool  # an interrupted sweep can carry on (Azure cannot resume a sweep job)
    restart_endpoints: bool  # a stopped endpoint can be started again from the page
    long_running_operations: bool  # creates and deletes take minutes and are polled
    billable: bool  # creating resources costs money
    # The walkthrough's later steps, while a backend is being built: a page whose step a backend
    # does not offer yet says so plainly (what the step will do, what it needs) instead of failing.
    sweeps: bool = True  # launch, watch and review sweeps (steps 4 and 5)
    endpoints: bool = True  # register models, deploy and test endpoints (step 6)
    # A sweep's trials run elsewhere, on a code snapshot uploaded with the job (the launch
    # panel says its size), and nothing runs after the sweep: each trial logs its model. The
    # local backend runs the installed code itself and refits the best configuration.
    ships_code: bool = False


# -- sweeps -----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SweepInfo:
    """A sweep as a page shows it. ``state`` is what a user should see: a backend computes
    "interrupted" itself."""

    id: str
    workspace: str
    experiment: str
    dataset: str  # data asset name
    dataset_version: int
    spec: dict[str, Any]  # SweepSpec.to_dict()
    workers: int
    created_at: str
    tracking_uri: str
    schema: dict[str, Any]  # Schema.to_dict() of the dataset
    state: SweepState = "starting"
    run_id: str | None = None  # the MLflow parent run
    started_at: str | None = None
    ended_at: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # completed / failed / early_terminated ...
    best_run_id: str | None = None
    best_value: float | None = None
    best_params: dict[str, Any] | None = None
    model_uri: str | None = None
    message: str = ""
    resumes: int = 0
    cluster: str = ""  # the compute cluster it runs on
    # What a remote backend adds (defaults keep the local one as it was):
    portal_url: str = ""  # the sweep's page in the provider's own UI (Azure ML studio)
    provider_state: str = ""  # the status as the provider spells it ("Queued", "Preparing", ...)
    nodes: int | None = None  # the cluster's nodes up now, when the backend can tell


class TrialRow(TypedDict):
    """One trial of a sweep's live view."""

    number: int
    status: str  # completed / early_terminated / failed / canceled / running / queued
    value: float | None
    started: float | None
    ended: float | None
    worker: int | None
    folds: int
    params: dict[str, Any]


@dataclass(frozen=True)
class SweepProgress:
    """What the live view shows: the sweep, its trials so far, elapsed time and an ETA."""

    job: SweepInfo
    state: SweepState
    trials: list[TrialRow]
    elapsed_s: float
    eta_s: float | None


# -- endpoints --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EndpointHealth:
    """What a health check found: ``healthy``, ``stopped``, ``unresponsive`` or ``no deployment``."""

    state: str
    detail: str
    info: dict[str, Any] = field(default_factory=dict)  # the server's health answer when healthy
    round_trip_ms: float | None = None

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"


@dataclass(frozen=True, kw_only=True)
class DeploymentInfo:
    """A deployment of an online endpoint: which model version it serves, and how."""

    name: str
    model_name: str
    model_version: int
    model_source: str  # the registry's source URI, e.g. models:/m-...
    task: str  # classification / regression
    created_at: str
    instance_count: int = 1
    instance_type: str = "Standard_DS3_v2"
    dataset: str | None = None  # the data asset whose test split this model was held out from
    dataset_version: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    updated_at: str | None = None  # when it last changed model or instances (None in older records)

    @property
    def last_change(self) -> str:
        """When the deployment last changed: its update time, else its creation time."""
        return self.updated_at or self.created_at


@dataclass(frozen=True, kw_only=True)
class EndpointInfo:
    """An endpoint as a page shows it, with what a health check found just now."""

    name: str
    scoring_uri: str
    auth_mode: str
    traffic: dict[str, int]  # deployment -> percent
    deployments: list[DeploymentInfo]
    health: EndpointHealth
    created_at: str
    description: str = ""

    def deployment(self, name: str) -> DeploymentInfo | None:
        return next((d for d in self.deployments if d.name == name), None)


@dataclass(frozen=True)
class EndpointKeys:
    """An endpoint's two keys, each a :class:`Secret`: masked wherever it is printed, so a key
    never lands in a log or a page by accident; ``reveal()`` one only to send a request."""

    primary: Secret
    secondary: Secret

    @classmethod
    def of(cls, primary: str, secondary: str) -> EndpointKeys:
        return cls(Secret(primary), Secret(secondary))


@dataclass(frozen=True)
class DeployedModel:
    """The model files a deployment serves, as the page needs them (never a process or a folder
    the page opens itself)."""

    location: str  # where the MLflow model's files are, for the Azure code snippet
    input_example: dict[str, Any] | None  # MLflow's serving input example, when one was logged


# -- long-running work ------------------------------------------------------------------------
OperationState = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True)
class Operation:
    """A piece of long work a page polls instead of blocking a rerun: creating a workspace, a
    cluster or a deployment, deleting a resource group. On Azure these take minutes; a backend
    that finishes them at once returns an operation that is already done."""

    id: str
    kind: str  # what it does, in words: "create workspace", "delete resource group", ...
    target: str  # the name of what it acts on
    state: OperationState
    started_at: float  # time.time() when it began
    status: str = ""  # the state the backend reports, in its own words ("Creating", "Succeeded")
    result: Any = None  # once succeeded: the Outcome of a create, the deleted resources of a delete
    error: str = ""  # once failed: what went wrong and how to fix it
    ended_at: float | None = None

    @property
    def done(self) -> bool:
        return self.state != "running"

    def elapsed_s(self, now: float) -> float:
        return max(0.0, (self.ended_at or now) - self.started_at)
