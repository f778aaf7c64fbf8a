"""The "Show code" snippet of the Sweep step: azure-ai-ml that launches the same sweep on Azure ML.

It is built from :mod:`core.sweep.azure`'s translation, so it submits exactly the SweepJob
that ``build_sweep_node`` makes offline (the tests run it against a fake MLClient to check).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.codegen.common import ml_client_code, py_literal
from core.environments import DEFAULT_ENVIRONMENT_NAME
from core.resources import Kind, Resource
from core.sweep.azure import (
    DEFAULT_ENTRY,
    POLICY_CLASSES,
    SCHEMA_INPUT,
    TRAIN_DATA_INPUT,
    asset_ref,
    azure_choice_values,
    azure_limits,
    azure_value,
    command_parts,
    distribution_dict,
    input_placeholder,
    policy_kwargs,
    strip_azureml,
    to_azure_distribution,
)
from core.sweep.space import Choice
from core.sweep.spec import SweepSpec

ENVIRONMENT_PLACEHOLDER = "azureml:<your-environment>@latest"


def sweep_environment(resources: Iterable[Resource], workspace: str) -> str:
    """The environment a sweep in ``workspace`` runs on, as ``azureml:name:version``: the one the
    Resources step registered (its default name first, else the workspace's only environment),
    at its newest version, as the azure backend picks it; a placeholder when none is known."""
    envs = {r.name: r for r in resources if r.kind == Kind.ENVIRONMENT and r.parent == workspace}
    name = DEFAULT_ENVIRONMENT_NAME if DEFAULT_ENVIRONMENT_NAME in envs else ""
    if not name and len(envs) == 1:
        name = next(iter(envs))
    version = envs[name].properties.get("latest_version") if name else None
    return f"azureml:{name}:{version}" if version else ENVIRONMENT_PLACEHOLDER


def _call(name: str, kwargs: Mapping[str, object]) -> str:
    return f"{name}(" + ", ".join(f"{key}={py_literal(value)}" for key, value in kwargs.items()) + ")"


def sweep_code_snippet(
    spec: SweepSpec,
    *,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    environment: str,
    compute: str,
    data: str,
    schema: str | None = None,
    code: str = ".",
    entry: str = DEFAULT_ENTRY,
    experiment_name: str | None = None,
) -> str:
    """Python (azure-ai-ml) that launches this sweep on an Azure ML compute cluster."""
    classes = sorted({type(to_azure_distribution(p)).__name__ for p in spec.searched.values()})
    if spec.policy is not None:
        classes.append(POLICY_CLASSES[spec.policy.kind])
    sampling = py_literal(spec.sampling)
    if spec.sampling == "random" and spec.seed is not None:
        classes.append("RandomSamplingAlgorithm")
        sampling = f'RandomSamplingAlgorithm(seed={spec.seed}, rule="random")'
    inputs = [f'        "{TRAIN_DATA_INPUT}": Input(type="uri_file", path={py_literal(asset_ref(data))}),']
    if schema:
        inputs.append(f'        "{SCHEMA_INPUT}": Input(type="uri_file", path={py_literal(schema)}),')
    inputs += [f'        "{name}": {py_literal(input_placeholder(p))},' for name, p in spec.space.items()]
    space = []
    for name, param in spec.searched.items():
        fields = {key: value for key, value in distribution_dict(param).items() if key != "type"}
        space.append(f"    {name}={_call(type(to_azure_distribution(param)).__name__, fields)},")
    sweep_args = [
        f"    compute={py_literal(strip_azureml(compute))},",
        f"    sampling_algorithm={sampling},",
        f"    primary_metric={py_literal(spec.primary_metric)},",
        f"    goal={py_literal(spec.resolved_goal)},",
    ]
    sweep_args += [f"    {key}={value}," for key, value in azure_limits(spec).items()]
    if spec.policy is not None:
        policy_call = _call(POLICY_CLASSES[spec.policy.kind], policy_kwargs(spec.policy))
        sweep_args.append(f"    early_termination_policy={policy_call},")
    as_text = any(
        isinstance(p, Choice) and azure_choice_values(p.values) != list(p.values)
        for p in spec.searched.values()
    ) or any(azure_value(p.value) != p.value for p in spec.fixed.values())
    none_note = (
        '\n# Sweeps cannot carry None or true/false, so some values are sent as text ("None",\n'
        '# "True", "4"); the training script turns them back with core.sweep.azure.decode_params.\n'
        if as_text
        else ""
    )
    command_lines = "\n".join(
        f"        {py_literal(part if i == 0 else ' ' + part)}"
        for i, part in enumerate(command_parts(spec, entry, yaml_style=False, schema=bool(schema)))
    )
    experiment = f"sweep_job.experiment_name = {py_literal(experiment_name)}\n" if experiment_name else ""
    sweep_import = f"from azure.ai.ml.sweep import {', '.join(classes)}\n" if classes else ""
    nl = "\n"
    client = ml_client_code(
        subscription_id,
        resource_group,
        workspace,
        azure_ml_imports="from azure.ai.ml import Input, MLClient, command\n" + sweep_import,
    )
    return f"""\
{client}
# 1. The trial: one training run, with the hyperparameters as inputs.
job = command(
    code={py_literal(code)},
    command=(
{command_lines}
    ),
    inputs={{
{nl.join(inputs)}
    }},
    environment={py_literal(strip_azureml(environment))},
    compute={py_literal(strip_azureml(compute))},
)
{none_note}
# 2. The search space replaces the searched inputs.
job_for_sweep = job(
{nl.join(space)}
)

# 3. Sampling, objective, limits and early termination.
sweep_job = job_for_sweep.sweep(
{nl.join(sweep_args)}
)
{experiment}
returned_job = ml_client.jobs.create_or_update(sweep_job)
print(returned_job.name, returned_job.studio_url)
"""
