"""The sweep spec: a plain, serialisable description of one hyperparameter sweep.

It maps one to one onto ``command(...)(**space).sweep(...)`` in azure-ai-ml (see
``core.sweep.azure``), and the local engine runs the same object. Its parts (the limits and
the early-termination policies) are here too, with ``to_dict``/``from_dict`` and their JSON
forms. Loading checks only the structure: Azure's rules on the values are in
:mod:`core.sweep.rules` (``validate_spec``, ``warnings_for``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from core.errors import UserFacingError
from core.sweep.space import Choice, Fixed, Param, is_searched, param_from_dict

SPEC_VERSION = 1

Task: TypeAlias = Literal["classification", "regression"]
Sampling: TypeAlias = Literal["random", "grid", "bayesian"]
Goal: TypeAlias = Literal["maximize", "minimize"]

TASKS: tuple[str, ...] = ("classification", "regression")
SAMPLINGS: tuple[str, ...] = ("random", "grid", "bayesian")
GOALS: tuple[str, ...] = ("maximize", "minimize")
METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "f1", "roc_auc", "precision", "recall", "log_loss"),
    "regression": ("r2", "mae", "rmse"),
}
MINIMIZED_METRICS = frozenset({"log_loss", "mae", "rmse"})


def default_metric(task: str) -> str:
    """accuracy for classification, r2 for regression."""
    return METRICS.get(task, METRICS["classification"])[0]


def default_goal(metric: str) -> Goal:
    """Error metrics (log_loss, mae, rmse) are minimised; scores are maximised."""
    return "minimize" if metric in MINIMIZED_METRICS else "maximize"


@dataclass(frozen=True)
class BanditPolicy:
    """Cut trials that fall outside the slack of the best trial (give exactly one slack)."""

    slack_factor: float | None = None
    slack_amount: float | None = None
    evaluation_interval: int = 1
    delay_evaluation: int = 0
    kind: str = field(default="bandit", init=False)


@dataclass(frozen=True)
class MedianStoppingPolicy:
    """Cut trials whose best value is worse than the median of all running averages."""

    evaluation_interval: int = 1
    delay_evaluation: int = 0
    kind: str = field(default="median_stopping", init=False)


@dataclass(frozen=True)
class TruncationSelectionPolicy:
    """Cut the worst ``truncation_percentage`` % of trials at each evaluation interval."""

    truncation_percentage: int = 20
    evaluation_interval: int = 1
    delay_evaluation: int = 0
    kind: str = field(default="truncation_selection", init=False)


Policy: TypeAlias = "BanditPolicy | MedianStoppingPolicy | TruncationSelectionPolicy"
_POLICY_TYPES: dict[str, type[Any]] = {
    "bandit": BanditPolicy,
    "median_stopping": MedianStoppingPolicy,
    "truncation_selection": TruncationSelectionPolicy,
}


@dataclass(frozen=True)
class Limits:
    """When the sweep stops: whichever of max trials or timeout comes first.

    ``max_concurrent_trials=None`` means "as many as the total" (Azure's default); the
    local engine still never runs more than the cluster's worker processes.
    """

    max_total_trials: int = 20
    max_concurrent_trials: int | None = None
    timeout_s: int | None = None
    trial_timeout_s: int | None = None


@dataclass(frozen=True)
class SweepSpec:
    """Everything needed to run a sweep, locally or as an Azure ML SweepJob.

    ``primary_metric`` defaults to the task's first metric and ``goal`` to the metric's
    natural direction, so both are always concrete after construction.
    """

    model_family: str
    task: Task
    space: dict[str, Param]
    sampling: Sampling = "random"
    seed: int | None = None
    policy: Policy | None = None
    limits: Limits = field(default_factory=Limits)
    primary_metric: str = ""
    goal: Goal | None = None
    cv_folds: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "task", str(self.task))
        object.__setattr__(self, "space", dict(self.space))
        if not self.primary_metric:
            object.__setattr__(self, "primary_metric", default_metric(self.task))
        if self.goal is None:
            object.__setattr__(self, "goal", default_goal(self.primary_metric))

    @property
    def resolved_goal(self) -> Goal:
        return self.goal or default_goal(self.primary_metric)

    @property
    def searched(self) -> dict[str, Param]:
        """The hyperparameters that are searched (everything but Fixed)."""
        return {name: p for name, p in self.space.items() if is_searched(p)}

    @property
    def fixed(self) -> dict[str, Fixed]:
        return {name: p for name, p in self.space.items() if isinstance(p, Fixed)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SPEC_VERSION,
            "model_family": self.model_family,
            "task": self.task,
            "space": {name: param.to_dict() for name, param in self.space.items()},
            "sampling": self.sampling,
            "seed": self.seed,
            "policy": policy_to_dict(self.policy),
            "limits": {
                "max_total_trials": self.limits.max_total_trials,
                "max_concurrent_trials": self.limits.max_concurrent_trials,
                "timeout_s": self.limits.timeout_s,
                "trial_timeout_s": self.limits.trial_timeout_s,
            },
            "primary_metric": self.primary_metric,
            "goal": self.resolved_goal,
            "cv_folds": self.cv_folds,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: object) -> SweepSpec:
        """Rebuild a spec saved with ``to_dict``; structural errors raise UserFacingError.

        Values are not validated here (call ``validate_spec``), so a half-edited spec
        can still be loaded and shown with all its problems.
        """
        if not isinstance(data, dict):
            raise UserFacingError("A sweep spec must be a JSON object.", "Save it again from the Sweep page.")
        version = data.get("version", SPEC_VERSION)
        if version != SPEC_VERSION:
            raise UserFacingError(
                f"This sweep spec has version {version!r}; this app reads version {SPEC_VERSION}.",
                "Recreate the sweep on the Sweep page.",
            )
        for key in ("model_family", "task", "space"):
            if key not in data:
                raise UserFacingError(f"The sweep spec has no '{key}'.", "Save it again from the Sweep page.")
        space = data["space"]
        if not isinstance(space, dict):
            raise UserFacingError("'space' must map hyperparameter names to distributions.", "")
        limits = data.get("limits") or {}
        if not isinstance(limits, dict):
            raise UserFacingError("'limits' must be a mapping.", "Example: {max_total_trials: 20}.")
        unknown = set(limits) - {"max_total_trials", "max_concurrent_trials", "timeout_s", "trial_timeout_s"}
        if unknown:
            raise UserFacingError(f"Unknown limits: {', '.join(sorted(unknown))}.", "Remove them.")
        return cls(
            model_family=data["model_family"],
            task=data["task"],
            space={str(name): param_from_dict(p, str(name)) for name, p in space.items()},
            sampling=data.get("sampling", "random"),
            seed=data.get("seed"),
            policy=policy_from_dict(data.get("policy")),
            limits=Limits(**limits),
            primary_metric=data.get("primary_metric") or "",
            goal=data.get("goal"),
            cv_folds=data.get("cv_folds", 5),
        )

    @classmethod
    def from_json(cls, text: str) -> SweepSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserFacingError(
                f"The sweep spec is not valid JSON ({exc.msg}, line {exc.lineno}).", ""
            ) from None
        return cls.from_dict(data)


def policy_to_dict(policy: Policy | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    out: dict[str, Any] = {"type": policy.kind}
    if isinstance(policy, BanditPolicy):
        out.update(slack_factor=policy.slack_factor, slack_amount=policy.slack_amount)
    if isinstance(policy, TruncationSelectionPolicy):
        out["truncation_percentage"] = policy.truncation_percentage
    out.update(evaluation_interval=policy.evaluation_interval, delay_evaluation=policy.delay_evaluation)
    return out


def policy_from_dict(data: object) -> Policy | None:
    if data is None:
        return None
    if not isinstance(data, dict) or data.get("type") not in _POLICY_TYPES:
        raise UserFacingError(
            f"Unknown early-termination policy {data!r}.", f"Use one of {', '.join(_POLICY_TYPES)} or none."
        )
    kwargs = {k: v for k, v in data.items() if k != "type"}
    try:
        policy: Policy = _POLICY_TYPES[data["type"]](**kwargs)
    except TypeError:
        raise UserFacingError(
            f"The {data['type']} policy has unexpected fields: {', '.join(sorted(kwargs))}.",
            "Bandit takes slack_factor or slack_amount; truncation takes truncation_percentage; "
            "all take evaluation_interval and delay_evaluation.",
        ) from None
    return policy


def grid_size(spec: SweepSpec) -> int | None:
    """Number of combinations when every parameter is a Choice or Fixed, else None."""
    size = 1
    for param in spec.space.values():
        if isinstance(param, Choice):
            size *= len(param.values)
        elif not isinstance(param, Fixed):
            return None
    return size
