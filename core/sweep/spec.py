"""The sweep spec: a plain, serialisable description of one hyperparameter sweep.

It maps one to one onto ``command(...)(**space).sweep(...)`` in azure-ai-ml (see
``core.sweep.azure``), and the local engine runs the same object. ``validate_spec``
enforces the rules that Azure documents but its SDK does not check (grid takes Choice
only, bayesian takes Choice/Uniform/QUniform only, limits 1-1000, ...);
``warnings_for`` lists what is legal but probably not what the user meant.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from core.errors import UserFacingError
from core.sweep.space import (
    Choice,
    Fixed,
    LogUniform,
    Param,
    QLogUniform,
    QUniform,
    SpecProblem,
    Uniform,
    is_searched,
    param_from_dict,
)

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

# Which parameter types each sampling accepts (Azure's docs); Fixed is always fine.
ALLOWED_TYPES: dict[str, tuple[type[Any], ...]] = {
    "grid": (Choice, Fixed),
    "bayesian": (Choice, Uniform, QUniform, Fixed),
}
LIMIT_MIN, LIMIT_MAX = 1, 1000
AZURE_MIN_TIMEOUT_S = 60
BAYESIAN_TRIALS_PER_PARAM = 20
# Names the trial command uses for its own inputs, so a hyperparameter cannot take them.
RESERVED_NAMES = frozenset({"train_data"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


def _space_problems(spec: SweepSpec) -> list[SpecProblem]:
    out: list[SpecProblem] = []
    if not spec.searched:
        out.append(
            SpecProblem("space", "Nothing is searched. Make at least one hyperparameter a distribution.")
        )
    allowed = ALLOWED_TYPES.get(spec.sampling)
    for name, param in spec.space.items():
        path = f"space.{name}"
        if not _NAME.match(name) or keyword.iskeyword(name):
            out.append(
                SpecProblem(
                    path, f"'{name}' is not a usable name. Use letters, digits and _, starting with a letter."
                )
            )
        elif name in RESERVED_NAMES:
            out.append(
                SpecProblem(path, f"'{name}' is used by the training command. Rename the hyperparameter.")
            )
        out.extend(param.problems(path))
        if allowed is not None and not isinstance(param, allowed):
            names = " and ".join(t.__name__ for t in allowed if t is not Fixed)
            out.append(
                SpecProblem(
                    path,
                    f"{spec.sampling.capitalize()} sampling takes only {names}, but '{name}' is "
                    f"{type(param).__name__}. Change it to {names}, or use random sampling.",
                )
            )
    return out


def _policy_problems(policy: Policy | None) -> list[SpecProblem]:
    if policy is None:
        return []
    out = []
    if not _is_int(policy.evaluation_interval) or policy.evaluation_interval < 1:
        out.append(
            SpecProblem(
                "policy.evaluation_interval", "evaluation_interval must be a whole number of at least 1."
            )
        )
    if not _is_int(policy.delay_evaluation) or policy.delay_evaluation < 0:
        out.append(
            SpecProblem("policy.delay_evaluation", "delay_evaluation must be a whole number, 0 or more.")
        )
    if isinstance(policy, BanditPolicy):
        given = [v for v in (policy.slack_factor, policy.slack_amount) if v is not None]
        if len(given) != 1:
            out.append(
                SpecProblem(
                    "policy",
                    "A bandit policy needs exactly one of slack_factor (a ratio, e.g. 0.1) or "
                    "slack_amount (an absolute margin, e.g. 0.02). Fill in one and clear the other.",
                )
            )
        for label, value in (("slack_factor", policy.slack_factor), ("slack_amount", policy.slack_amount)):
            if value is not None and not _positive_number(value):
                out.append(SpecProblem(f"policy.{label}", f"{label} must be above 0, not {value!r}."))
    if isinstance(policy, TruncationSelectionPolicy) and (
        not _is_int(policy.truncation_percentage) or not 1 <= policy.truncation_percentage <= 99
    ):
        out.append(
            SpecProblem(
                "policy.truncation_percentage",
                "truncation_percentage must be a whole number from 1 to 99, "
                f"not {policy.truncation_percentage!r}.",
            )
        )
    return out


def _limit_problems(limits: Limits, max_instances: int | None) -> list[SpecProblem]:
    out = []
    total, concurrent = limits.max_total_trials, limits.max_concurrent_trials
    for label, value in (("max_total_trials", total), ("max_concurrent_trials", concurrent)):
        if value is None and label == "max_concurrent_trials":
            continue
        if not _is_int(value) or not LIMIT_MIN <= value <= LIMIT_MAX:  # type: ignore[operator]
            out.append(
                SpecProblem(
                    f"limits.{label}", f"{label} must be a whole number from 1 to 1000, not {value!r}."
                )
            )
    if _is_int(total) and _is_int(concurrent) and concurrent > total:  # type: ignore[operator]
        out.append(
            SpecProblem(
                "limits.max_concurrent_trials",
                f"max_concurrent_trials ({concurrent}) is above max_total_trials ({total}). "
                f"Lower it to {total}.",
            )
        )
    if max_instances is not None and isinstance(concurrent, int) and concurrent > max_instances:
        out.append(
            SpecProblem(
                "limits.max_concurrent_trials",
                f"max_concurrent_trials ({concurrent}) is above the cluster's max instances "
                f"({max_instances}). Lower it to {max_instances}, or give the cluster more instances.",
            )
        )
    for label, value in (("timeout_s", limits.timeout_s), ("trial_timeout_s", limits.trial_timeout_s)):
        if value is not None and (not _is_int(value) or value < 1):
            out.append(
                SpecProblem(
                    f"limits.{label}", f"{label} must be a whole number of seconds (1 or more), or empty."
                )
            )
    return out


def _metric_problems(spec: SweepSpec) -> list[SpecProblem]:
    if spec.task not in TASKS:
        return [SpecProblem("task", f"task must be classification or regression, not {spec.task!r}.")]
    metrics = METRICS[spec.task]
    out = []
    if spec.primary_metric not in metrics:
        out.append(
            SpecProblem(
                "primary_metric",
                f"'{spec.primary_metric}' is not a {spec.task} metric. Pick one of {', '.join(metrics)}.",
            )
        )
    elif spec.goal not in GOALS:
        out.append(SpecProblem("goal", f"goal must be maximize or minimize, not {spec.goal!r}."))
    elif spec.goal != default_goal(spec.primary_metric):
        natural = default_goal(spec.primary_metric)
        out.append(
            SpecProblem(
                "goal",
                f"{spec.primary_metric} should be {natural}d, not {spec.goal}d. Set the goal to {natural}.",
            )
        )
    return out


def validate_spec(spec: SweepSpec, max_instances: int | None = None) -> list[SpecProblem]:
    """Every rule the spec breaks, each with its field path and a fix; empty when valid.

    ``max_instances`` is the compute cluster's maximum node count, if known.
    """
    out: list[SpecProblem] = []
    if not isinstance(spec.model_family, str) or not spec.model_family.strip():
        out.append(SpecProblem("model_family", "Pick a model family."))
    if spec.sampling not in SAMPLINGS:
        out.append(
            SpecProblem("sampling", f"sampling must be random, grid or bayesian, not {spec.sampling!r}.")
        )
    out.extend(_metric_problems(spec))
    out.extend(_space_problems(spec))
    out.extend(_policy_problems(spec.policy))
    out.extend(_limit_problems(spec.limits, max_instances))
    if spec.seed is not None and (not _is_int(spec.seed) or not 0 <= spec.seed < 2**31):
        out.append(SpecProblem("seed", "seed must be a whole number from 0 to 2147483647, or empty."))
    if not _is_int(spec.cv_folds) or not 2 <= spec.cv_folds <= 20:
        out.append(
            SpecProblem("cv_folds", f"cv_folds must be a whole number from 2 to 20, not {spec.cv_folds!r}.")
        )
    return out


def warnings_for(spec: SweepSpec) -> list[SpecProblem]:
    """Legal choices worth a second look: shown as warnings, they never block a launch."""
    out: list[SpecProblem] = []
    total = spec.limits.max_total_trials
    if spec.sampling == "bayesian":
        wanted = BAYESIAN_TRIALS_PER_PARAM * len(spec.searched)
        if _is_int(total) and total < wanted:
            out.append(
                SpecProblem(
                    "limits.max_total_trials",
                    f"Bayesian sampling works best with at least 20 trials per searched hyperparameter: "
                    f"{wanted} here, not {total}. Raise max_total_trials or search fewer hyperparameters.",
                )
            )
        if spec.policy is not None:
            out.append(
                SpecProblem(
                    "policy",
                    "Azure's v1 docs say bayesian sampling takes no early-termination policy; this is "
                    "unconfirmed for v2, so Azure may reject or ignore it. The local engine applies it.",
                )
            )
    size = grid_size(spec)
    if spec.sampling == "grid" and size is not None and _is_int(total):
        if total > size:
            out.append(
                SpecProblem(
                    "limits.max_total_trials",
                    f"The grid has {size} combinations, so only {size} trials will run, not {total}.",
                )
            )
        elif total < size:
            out.append(
                SpecProblem(
                    "limits.max_total_trials",
                    f"The grid has {size} combinations but only {total} trials will run; "
                    f"raise max_total_trials to {size} to try them all.",
                )
            )
    for label, value in (
        ("timeout_s", spec.limits.timeout_s),
        ("trial_timeout_s", spec.limits.trial_timeout_s),
    ):
        if _is_int(value) and 1 <= value < AZURE_MIN_TIMEOUT_S:  # type: ignore[operator]
            out.append(
                SpecProblem(f"limits.{label}", f"On Azure, {label} values under 60 s are raised to 60 s.")
            )
    for name, param in spec.space.items():
        if isinstance(param, LogUniform | QLogUniform) and 0 <= param.max_value - param.min_value < math.log(
            10
        ):
            out.append(
                SpecProblem(
                    f"space.{name}",
                    f"{type(param).__name__} bounds are natural-log exponents: this one spans "
                    f"e^{param.min_value:g} to e^{param.max_value:g} ({math.exp(param.min_value):.4g} to "
                    f"{math.exp(param.max_value):.4g}), less than one decade. For values from a to b, "
                    "enter ln(a) and ln(b), e.g. -6.91 and -2.30 for 0.001 to 0.1.",
                )
            )
    return out


class SpecError(UserFacingError):
    """A spec that breaks one or more rules; ``problems`` lists them all."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = problems
        first = problems[0]
        more = (
            f" ({len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
            if len(problems) > 1
            else ""
        )
        super().__init__(f"The sweep settings are not valid: {first}{more}", "Fix them on the Sweep page.")


def check_spec(spec: SweepSpec, max_instances: int | None = None) -> SweepSpec:
    """Return the spec when valid, else raise SpecError with every problem."""
    problems = validate_spec(spec, max_instances)
    if problems:
        raise SpecError(problems)
    return spec
