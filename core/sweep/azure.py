"""Translate a SweepSpec into azure-ai-ml objects and a CLI YAML.

Everything here works offline: no credentials, no network. ``azure.ai.ml`` is imported
lazily because it takes seconds to import. The Python snippet the Sweep page shows is
built from these pieces in :mod:`core.codegen.sweep`.

Azure sweeps cannot carry ``None`` (nor booleans: the sweep-job schema rejects them in a
Choice), so values are sent as text: ``None`` becomes ``"None"`` and ``True``/``False``
become ``"True"``/``"False"``. A Choice whose values would then mix types (``[4, 8,
"None"]``) is sent entirely as text (``["4", "8", "None"]``) so each input keeps one type.
The training script turns them back with :func:`decode_params`, which is exact when it is
given the spec's space and a best guess (``"None"`` -> None, ``"4"`` -> 4) without it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

import yaml

from core.sweep.space import (
    Choice,
    Fixed,
    LogUniform,
    Normal,
    Param,
    QLogUniform,
    QUniform,
    Randint,
    Scalar,
    Uniform,
    value_text,
)
from core.sweep.spec import BanditPolicy, Policy, SweepSpec, TruncationSelectionPolicy

NONE_TEXT = "None"
TRAIN_DATA_INPUT = "train_data"
SCHEMA_INPUT = "schema"  # the Data page's typing (schema.json), so Azure trials use it too
DEFAULT_ENTRY = "python -m core.train"
SWEEP_SCHEMA = "https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json"
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

AzureValue = int | float | str


# --- values -----------------------------------------------------------------------------


def azure_value(value: Scalar) -> AzureValue:
    """A value as an Azure sweep can carry it: None and booleans become text."""
    if value is None or isinstance(value, bool):
        return str(value)
    return value


def azure_choice_values(values: tuple[Scalar, ...]) -> list[AzureValue]:
    """Choice values for Azure; all text when they would otherwise mix text and numbers."""
    encoded = [azure_value(v) for v in values]
    if any(isinstance(v, str) for v in encoded) and not all(isinstance(v, str) for v in encoded):
        return [value_text(v) for v in values]
    return encoded


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _guess(text: str) -> Scalar:
    if text == NONE_TEXT:
        return None
    if text in ("True", "False"):
        return text == "True"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def decode_param_value(name: str, value: object, space: Mapping[str, Param] | None = None) -> Scalar:
    """Turn a value received by the training script back into the spec's value.

    With ``space``, a Choice or Fixed value is matched to the original by its text, so a
    string choice ``"10"`` stays a string; without it the text is guessed.
    """
    param = space.get(name) if space is not None else None
    if isinstance(param, Choice | Fixed):
        options = param.values if isinstance(param, Choice) else (param.value,)
        for option in options:
            if type(option) is type(value) and option == value:
                return option
        for option in options:
            if value_text(option) == str(value):
                return option
        number = _guess(value) if isinstance(value, str) else value
        for option in options:  # numbers written differently: "1e-05" vs "0.00001"
            if _is_number(option) and _is_number(number) and float(option) == float(number):  # type: ignore[arg-type]
                return option
    if not isinstance(value, str):
        return value  # type: ignore[return-value]
    if isinstance(param, Randint) or (isinstance(param, QUniform | QLogUniform) and isinstance(param.q, int)):
        return int(float(value))
    if isinstance(param, Uniform | LogUniform | QUniform | QLogUniform | Normal):
        return float(value)
    return _guess(value)


def decode_params(
    params: Mapping[str, object], space: Mapping[str, Param] | None = None
) -> dict[str, Scalar]:
    """``decode_param_value`` for every entry."""
    return {name: decode_param_value(name, value, space) for name, value in params.items()}


# --- azure-ai-ml objects -----------------------------------------------------------------


def to_azure_distribution(param: Param) -> Any:
    """The ``azure.ai.ml.sweep`` object for a searched parameter."""
    from azure.ai.ml import sweep

    if isinstance(param, Choice):
        values: list[Any] = azure_choice_values(param.values)
        return sweep.Choice(values=values)
    if isinstance(param, Uniform):
        return sweep.Uniform(min_value=param.min_value, max_value=param.max_value)
    if isinstance(param, LogUniform):
        return sweep.LogUniform(min_value=param.min_value, max_value=param.max_value)
    if isinstance(param, QUniform):
        q: Any = param.q  # the SDK types q as int; its YAML schema accepts floats too
        return sweep.QUniform(min_value=param.min_value, max_value=param.max_value, q=q)
    if isinstance(param, QLogUniform):
        q = param.q
        return sweep.QLogUniform(min_value=param.min_value, max_value=param.max_value, q=q)
    if isinstance(param, Normal):
        return sweep.Normal(mu=param.mu, sigma=param.sigma)
    if isinstance(param, Randint):
        return sweep.Randint(upper=param.upper)
    raise TypeError(f"{param!r} is not searched; pass it as an input")


def azure_search_space(spec: SweepSpec) -> dict[str, Any]:
    return {name: to_azure_distribution(p) for name, p in spec.searched.items()}


def azure_fixed_inputs(spec: SweepSpec) -> dict[str, AzureValue]:
    return {name: azure_value(p.value) for name, p in spec.fixed.items()}


def policy_kwargs(policy: Policy) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if isinstance(policy, BanditPolicy):
        if policy.slack_factor is not None:
            kwargs["slack_factor"] = policy.slack_factor
        if policy.slack_amount is not None:
            kwargs["slack_amount"] = policy.slack_amount
    if isinstance(policy, TruncationSelectionPolicy):
        kwargs["truncation_percentage"] = policy.truncation_percentage
    kwargs["evaluation_interval"] = policy.evaluation_interval
    kwargs["delay_evaluation"] = policy.delay_evaluation
    return kwargs


POLICY_CLASSES = {
    "bandit": "BanditPolicy",
    "median_stopping": "MedianStoppingPolicy",
    "truncation_selection": "TruncationSelectionPolicy",
}


def azure_policy(policy: Policy | None) -> Any:
    """The ``azure.ai.ml.sweep`` early-termination policy, or None."""
    if policy is None:
        return None
    from azure.ai.ml import sweep

    return getattr(sweep, POLICY_CLASSES[policy.kind])(**policy_kwargs(policy))


def azure_sampling(spec: SweepSpec) -> Any:
    """``"grid"``/``"bayesian"``, or a seeded RandomSamplingAlgorithm for random."""
    if spec.sampling == "random" and spec.seed is not None:
        from azure.ai.ml.sweep import RandomSamplingAlgorithm

        return RandomSamplingAlgorithm(seed=spec.seed, rule="random")
    return spec.sampling


def azure_limits(spec: SweepSpec) -> dict[str, Any]:
    """Keyword arguments for ``.sweep(...)``: only the limits that are set."""
    limits = {
        "max_total_trials": spec.limits.max_total_trials,
        "max_concurrent_trials": spec.limits.max_concurrent_trials,
        "timeout": spec.limits.timeout_s,
        "trial_timeout": spec.limits.trial_timeout_s,
    }
    return {key: value for key, value in limits.items() if value is not None}


def trial_command(
    spec: SweepSpec, entry: str = DEFAULT_ENTRY, yaml_style: bool = False, schema: bool = False
) -> str:
    """The trial's command line. The builder form uses ``${{inputs.x}}`` for everything
    (azure-ai-ml rewrites searched ones); the YAML form uses ``${{search_space.x}}``.
    With ``schema``, the Data page's column typing goes along as the ``schema`` input."""
    return " ".join(command_parts(spec, entry, yaml_style, schema))


def command_parts(spec: SweepSpec, entry: str, yaml_style: bool, schema: bool = False) -> list[str]:
    parts = [
        entry,
        f"--{TRAIN_DATA_INPUT} ${{{{inputs.{TRAIN_DATA_INPUT}}}}}",
        *([f"--{SCHEMA_INPUT} ${{{{inputs.{SCHEMA_INPUT}}}}}"] if schema else []),
        f"--model_family {shlex.quote(spec.model_family)}",
        f"--task {spec.task}",
        f"--primary_metric {spec.primary_metric}",
        f"--cv_folds {spec.cv_folds}",
    ]
    if spec.seed is not None:
        parts.append(f"--seed {spec.seed}")
    for name, param in spec.space.items():
        scope = "search_space" if yaml_style and not isinstance(param, Fixed) else "inputs"
        parts.append(f"--{name} ${{{{{scope}.{name}}}}}")
    return parts


def input_placeholder(param: Param) -> AzureValue:
    """A default for a searched input; it fixes the input's type in the trial component."""
    if isinstance(param, Choice):
        return azure_choice_values(param.values)[0]
    if isinstance(param, Uniform | LogUniform | QUniform | QLogUniform):
        return param.min_value
    if isinstance(param, Normal):
        return param.mu
    if isinstance(param, Randint):
        return 0
    return azure_value(param.value)


def strip_azureml(ref: str) -> str:
    return ref[len("azureml:") :] if ref.startswith("azureml:") else ref


def asset_ref(ref: str) -> str:
    """``heart:1`` -> ``azureml:heart:1``; URLs and ``azureml:`` references are kept."""
    return ref if ref.startswith("azureml:") or "://" in ref else f"azureml:{ref}"


def build_sweep_node(
    spec: SweepSpec,
    *,
    environment: str,
    compute: str,
    data: str,
    schema: str | None = None,
    code: str = ".",
    entry: str = DEFAULT_ENTRY,
    experiment_name: str | None = None,
    display_name: str | None = None,
) -> Any:
    """``command(...)(**search_space).sweep(...)``: the azure-ai-ml Sweep node, offline.

    ``environment`` is ``name@latest`` or ``name:version``; ``data`` a data asset
    (``heart:1``) or URI; ``code`` the folder uploaded with the job. ``node._to_job()``
    gives the SweepJob.
    """
    from azure.ai.ml import Input, command

    inputs: dict[str, Any] = {TRAIN_DATA_INPUT: Input(type="uri_file", path=asset_ref(data))}
    if schema:
        inputs[SCHEMA_INPUT] = Input(type="uri_file", path=schema)
    inputs.update({name: input_placeholder(p) for name, p in spec.space.items()})
    job = command(
        code=code,
        command=trial_command(spec, entry, schema=bool(schema)),
        inputs=inputs,
        environment=strip_azureml(environment),
        compute=strip_azureml(compute),
        experiment_name=experiment_name,
        display_name=display_name,
    )
    node = job(**azure_search_space(spec)).sweep(
        compute=strip_azureml(compute),
        sampling_algorithm=azure_sampling(spec),
        primary_metric=spec.primary_metric,
        goal=spec.resolved_goal,
        early_termination_policy=azure_policy(spec.policy),
        **azure_limits(spec),
    )
    # .sweep() does not carry these over from the command
    if experiment_name:
        node.experiment_name = experiment_name
    if display_name:
        node.display_name = display_name
    return node


# --- the CLI's YAML --------------------------------------------------------------------


def distribution_dict(param: Param) -> dict[str, Any]:
    out = param.to_dict()
    if isinstance(param, Choice):
        out["values"] = azure_choice_values(param.values)
    return out


def sweep_job_dict(
    spec: SweepSpec,
    *,
    environment: str,
    compute: str,
    data: str,
    schema: str | None = None,
    code: str = ".",
    entry: str = DEFAULT_ENTRY,
    experiment_name: str | None = None,
    display_name: str | None = None,
) -> dict[str, Any]:
    """The CLI-style ``type: sweep`` job as a plain dict (see ``sweep_job_yaml``)."""
    job: dict[str, Any] = {"$schema": SWEEP_SCHEMA, "type": "sweep"}
    if experiment_name:
        job["experiment_name"] = experiment_name
    if display_name:
        job["display_name"] = display_name
    job["trial"] = {
        "code": code,
        "command": trial_command(spec, entry, yaml_style=True, schema=bool(schema)),
        "environment": asset_ref(environment),
    }
    job["inputs"] = {
        TRAIN_DATA_INPUT: {"type": "uri_file", "path": asset_ref(data)},
        **({SCHEMA_INPUT: {"type": "uri_file", "path": schema}} if schema else {}),
        **azure_fixed_inputs(spec),
    }
    job["compute"] = asset_ref(compute)
    if spec.sampling == "random" and spec.seed is not None:
        job["sampling_algorithm"] = {"type": "random", "seed": spec.seed, "rule": "random"}
    else:
        job["sampling_algorithm"] = spec.sampling
    job["search_space"] = {name: distribution_dict(p) for name, p in spec.searched.items()}
    job["objective"] = {"goal": spec.resolved_goal, "primary_metric": spec.primary_metric}
    if spec.policy is not None:
        job["early_termination"] = {"type": spec.policy.kind, **policy_kwargs(spec.policy)}
    job["limits"] = azure_limits(spec)
    return job


def sweep_job_yaml(
    spec: SweepSpec,
    *,
    environment: str,
    compute: str,
    data: str,
    schema: str | None = None,
    code: str = ".",
    entry: str = DEFAULT_ENTRY,
    experiment_name: str | None = None,
    display_name: str | None = None,
) -> str:
    """A sweep-job YAML for ``az ml job create -f`` that ``azure.ai.ml.load_job`` accepts."""
    job = sweep_job_dict(
        spec,
        environment=environment,
        compute=compute,
        data=data,
        schema=schema,
        code=code,
        entry=entry,
        experiment_name=experiment_name,
        display_name=display_name,
    )
    return yaml.safe_dump(job, sort_keys=False, allow_unicode=True, width=100)
