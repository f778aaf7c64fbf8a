"""Azure's rules for a sweep spec: the ones its docs state but its SDK does not check.

``validate_spec`` lists every rule a :class:`~core.sweep.spec.SweepSpec` breaks (grid takes
Choice only, bayesian takes Choice/Uniform/QUniform only, limits 1-1000, ...), each with its
field path and a fix; ``check_spec`` raises :class:`SpecError` with all of them;
``warnings_for`` lists what is legal but probably not what the user meant.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from core.errors import UserFacingError
from core.sweep.space import (
    Choice,
    Fixed,
    LogUniform,
    Normal,
    Param,
    QLogUniform,
    QUniform,
    SpecProblem,
    Uniform,
)
from core.sweep.spec import (
    GOALS,
    METRICS,
    SAMPLINGS,
    TASKS,
    BanditPolicy,
    Limits,
    Policy,
    SweepSpec,
    TruncationSelectionPolicy,
    default_goal,
    grid_size,
)

if TYPE_CHECKING:
    from core.train.params import ParamSpec

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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


def word_list(words: Sequence[str], last: str = "and") -> str:
    """Words as a sentence lists them: "A", "A or B", "A, B or C"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


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
            names = word_list([t.__name__ for t in allowed if t is not Fixed], "or")
            out.append(
                SpecProblem(
                    path,
                    f"{spec.sampling.capitalize()} sampling takes only {names} (or a fixed value), but "
                    f"'{name}' is {type(param).__name__}. Change it to {names}, or use random sampling.",
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


def bound_warnings(space: Mapping[str, Param], params: Mapping[str, ParamSpec]) -> list[SpecProblem]:
    """Normal is unbounded: on a hyperparameter with a lower bound (C, gamma, alpha > 0) some
    draws fall below it and those trials fail. Says how many, and what to use instead."""
    out: list[SpecProblem] = []
    for name, param in space.items():
        spec = params.get(name)
        if not isinstance(param, Normal) or spec is None or spec.minimum is None or param.sigma <= 0:
            continue
        bound = f"above {spec.minimum:g}" if spec.exclusive_minimum else f"at least {spec.minimum:g}"
        share = NormalDist(param.mu, param.sigma).cdf(spec.minimum)
        fix = (
            "LogUniform (a positive scale, searched evenly per decade)"
            if spec.exclusive_minimum and spec.minimum == 0
            else f"Uniform from {spec.minimum:g}"
        )
        out.append(
            SpecProblem(
                f"space.{name}",
                f"{name} must be {bound}, but Normal is unbounded: about {share:.0%} of its draws "
                f"(μ={param.mu:g}, σ={param.sigma:g}) fall outside, and those trials fail. "
                f"Use {fix} instead.",
            )
        )
    return out
