"""Translation to azure-ai-ml (core.sweep.azure), checked offline with the real SDK."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import azure.ai.ml
import azure.identity
import pytest
from azure.ai.ml import load_job
from azure.ai.ml import sweep as aml

from core.codegen import sweep_code_snippet
from core.sweep.azure import (
    azure_choice_values,
    azure_policy,
    azure_sampling,
    azure_search_space,
    build_sweep_node,
    decode_param_value,
    decode_params,
    sweep_job_yaml,
)
from core.sweep.space import Choice, Fixed, LogUniform, Normal, Param, QLogUniform, QUniform, Randint, Uniform
from core.sweep.spec import (
    BanditPolicy,
    Limits,
    MedianStoppingPolicy,
    Policy,
    SweepSpec,
    TruncationSelectionPolicy,
)

RF_SPACE: dict[str, Param] = {
    "n_estimators": Choice((10, 50, 100, 125, 150)),
    "max_depth": Choice((4, 6, 8, 10, None)),
    "criterion": Choice(("gini", "entropy")),
    "max_features": Choice(("sqrt", "log2")),
    "bootstrap": Fixed(True),
    "class_weight": Fixed(None),
}
RANDOM_SPACE: dict[str, Param] = {
    "C": LogUniform(-4.6, 4.6),
    "tol": Uniform(0.0001, 0.01),
    "max_iter": QUniform(100, 1000, 100),
    "cache": QLogUniform(1.0, 6.0, 2),
    "shift": Normal(0.0, 1.0),
    "random_seed": Randint(10),
    "penalty": Choice(("l2", None)),
    "fit_intercept": Choice((True, False)),
    "solver": Fixed("lbfgs"),
}
TARGET = {"environment": "sklearn-mlflow-env@latest", "compute": "cpu-cluster", "data": "heart:1"}


def rf(**changes: Any) -> SweepSpec:
    base: dict[str, Any] = {
        "model_family": "random_forest",
        "task": "classification",
        "space": RF_SPACE,
        "seed": 42,
        "policy": BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=2),
        "limits": Limits(60, 2, 7200, 600),
    }
    return SweepSpec(**(base | changes))


def test_choice_values_become_text_only_when_needed() -> None:
    assert azure_choice_values((10, 50)) == [10, 50]
    assert azure_choice_values(("gini", "entropy")) == ["gini", "entropy"]
    assert azure_choice_values((4, 6, None)) == ["4", "6", "None"]
    assert azure_choice_values((True, False)) == ["True", "False"]
    assert azure_choice_values(("l2", None)) == ["l2", "None"]
    assert azure_choice_values((0.5, 2)) == [0.5, 2]


def test_search_space_objects() -> None:
    space = azure_search_space(rf(space=RANDOM_SPACE))
    assert set(space) == set(RANDOM_SPACE) - {"solver"}
    assert isinstance(space["C"], aml.LogUniform)
    assert (space["C"].min_value, space["C"].max_value) == (-4.6, 4.6)  # exponents, as in the spec
    assert isinstance(space["max_iter"], aml.QUniform) and space["max_iter"].q == 100
    assert isinstance(space["cache"], aml.QLogUniform) and space["cache"].q == 2
    assert isinstance(space["shift"], aml.Normal) and space["shift"].sigma == 1.0
    assert isinstance(space["random_seed"], aml.Randint) and space["random_seed"].upper == 10
    assert space["penalty"].values == ["l2", "None"]
    assert space["fit_intercept"].values == ["True", "False"]


@pytest.mark.parametrize(
    ("policy", "cls", "fields"),
    [
        (
            BanditPolicy(slack_amount=0.02, evaluation_interval=2, delay_evaluation=4),
            aml.BanditPolicy,
            {
                "slack_amount": 0.02,
                "evaluation_interval": 2,
                "delay_evaluation": 4,
            },
        ),
        (
            MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=3),
            aml.MedianStoppingPolicy,
            {"delay_evaluation": 3},
        ),
        (TruncationSelectionPolicy(30, 1, 5), aml.TruncationSelectionPolicy, {"truncation_percentage": 30}),
    ],
)
def test_policy_objects(policy: Policy, cls: type, fields: dict[str, object]) -> None:
    obj = azure_policy(policy)
    assert isinstance(obj, cls)
    for key, value in fields.items():
        assert getattr(obj, key) == value
    assert azure_policy(None) is None


def test_sampling_objects() -> None:
    seeded = azure_sampling(rf())
    assert isinstance(seeded, aml.RandomSamplingAlgorithm) and seeded.seed == 42
    assert azure_sampling(rf(seed=None)) == "random"
    assert azure_sampling(rf(sampling="grid")) == "grid"
    assert azure_sampling(rf(sampling="bayesian")) == "bayesian"


def test_builder_makes_a_sweep_job(tmp_path: Path) -> None:
    node = build_sweep_node(rf(), code=str(tmp_path), experiment_name="heart-sweep", **TARGET)
    assert type(node).__name__ == "Sweep"
    job = node._to_job()
    assert type(job).__name__ == "SweepJob"
    assert job.experiment_name == "heart-sweep"
    assert (job.objective.primary_metric, job.objective.goal) == ("accuracy", "maximize")
    assert (job.limits.max_total_trials, job.limits.max_concurrent_trials) == (60, 2)
    assert (job.limits.timeout, job.limits.trial_timeout) == (7200, 600)
    assert isinstance(job.early_termination, aml.BanditPolicy)
    assert job.early_termination.slack_factor == 0.1
    assert job.sampling_algorithm.seed == 42
    assert job.search_space["max_depth"].values == ["4", "6", "8", "10", "None"]
    assert job.inputs["class_weight"] == "None"  # Fixed values travel as inputs
    assert "--max_depth ${{search_space.max_depth}}" in job.trial.command
    assert "--class_weight ${{inputs.class_weight}}" in job.trial.command
    body = node._to_rest_object()
    assert body["search_space"]["n_estimators"] == {"values": [10, 50, 100, 125, 150], "type": "choice"}
    assert body["early_termination"]["policy_type"] == "Bandit"


SPECS = {
    "random-bandit": rf(),
    "random-every-type": rf(space=RANDOM_SPACE, policy=MedianStoppingPolicy(delay_evaluation=1)),
    "grid": rf(sampling="grid", seed=None, policy=None, limits=Limits(100, 4)),
    "bayesian-truncation": rf(
        sampling="bayesian",
        space={
            "learning_rate": Uniform(0.01, 0.3),
            "max_iter": QUniform(50, 500, 50),
            "loss": Fixed("log_loss"),
        },
        policy=TruncationSelectionPolicy(20, 1, 3),
        limits=Limits(40, 4, None, None),
        model_family="hist_gradient_boosting",
    ),
    "regression": SweepSpec(
        "ridge", "regression", {"alpha": LogUniform(-5, 5)}, primary_metric="rmse", limits=Limits(10)
    ),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_yaml_loads_back_with_the_sdk(name: str, tmp_path: Path) -> None:
    spec = SPECS[name]
    (tmp_path / "src").mkdir()
    text = sweep_job_yaml(spec, code="./src", experiment_name="exp", display_name=name, **TARGET)
    path = tmp_path / "sweep.yml"
    path.write_text(text)
    job = load_job(path)
    assert type(job).__name__ == "SweepJob"
    assert job.display_name == name
    assert job.objective.primary_metric == spec.primary_metric
    assert job.objective.goal == spec.goal
    assert set(job.search_space) == set(spec.searched)
    assert set(job.inputs) == {"train_data", *spec.fixed}
    assert job.limits.max_total_trials == spec.limits.max_total_trials
    assert job.compute == "cpu-cluster"
    expected_policy = {None: None, "bandit": "bandit", "median_stopping": "median_stopping"}.get(
        spec.policy.kind if spec.policy else None, "truncation_selection"
    )
    assert (job.early_termination.type if job.early_termination else None) == expected_policy
    sampling = job.sampling_algorithm
    assert getattr(sampling, "type", sampling) == spec.sampling
    # the SDK's own round trip: dump, then load again
    job.dump(tmp_path / "again.yml")
    again = load_job(tmp_path / "again.yml")
    assert set(again.search_space) == set(spec.searched)


def test_yaml_rejects_what_azure_rejects(tmp_path: Path) -> None:
    """The SDK schema refuses booleans in a Choice, which is why they are sent as text."""
    (tmp_path / "src").mkdir()
    text = sweep_job_yaml(rf(space={"flag": Choice((True, False))}), code="./src", **TARGET)
    assert "- 'True'" in text
    (tmp_path / "ok.yml").write_text(text)
    assert load_job(tmp_path / "ok.yml").search_space["flag"].values == ["True", "False"]
    (tmp_path / "bad.yml").write_text(text.replace("- 'True'", "- true"))
    with pytest.raises(Exception, match="search_space"):
        load_job(tmp_path / "bad.yml")


class FakeJobs:
    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def create_or_update(self, job: Any) -> Any:
        self.submitted.append(job)
        return SimpleNamespace(name="sweep-1", studio_url="https://ml.azure.com/runs/fake")


class FakeMLClient:
    last: FakeMLClient | None = None

    def __init__(self, credential: object, **kwargs: str) -> None:
        self.kwargs = kwargs
        self.jobs = FakeJobs()
        FakeMLClient.last = self


@pytest.mark.parametrize("name", list(SPECS))
def test_snippet_runs_and_builds_the_same_sweep(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = SPECS[name]
    code = sweep_code_snippet(
        spec,
        subscription_id="sub-1",
        resource_group="rg-x",
        workspace="ws-x",
        code=str(tmp_path),
        experiment_name="exp",
        **TARGET,
    )
    compile(code, "snippet.py", "exec")
    monkeypatch.setattr(azure.ai.ml, "MLClient", FakeMLClient)
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", lambda: object())
    exec(code, {"__name__": "snippet"})
    client = FakeMLClient.last
    assert client is not None
    assert client.kwargs == {
        "subscription_id": "sub-1",
        "resource_group_name": "rg-x",
        "workspace_name": "ws-x",
    }
    [submitted] = client.jobs.submitted
    assert "https://ml.azure.com/runs/fake" in capsys.readouterr().out
    expected = build_sweep_node(spec, code=str(tmp_path), experiment_name="exp", **TARGET)
    got_body, expected_body = submitted._to_rest_object(), expected._to_rest_object()
    for key in ("search_space", "objective", "limits", "early_termination", "sampling_algorithm", "inputs"):
        assert got_body.get(key) == expected_body.get(key), key
    assert submitted._to_job().experiment_name == "exp"
    assert submitted._to_job().trial.command == expected._to_job().trial.command


def test_snippet_explains_text_values_only_when_used() -> None:
    kwargs = {"subscription_id": "s", "resource_group": "r", "workspace": "w", **TARGET}
    assert 'sent as text ("None"' in sweep_code_snippet(rf(), **kwargs)
    plain = rf(space={"n_estimators": Choice((10, 50))})
    assert "sent as text" not in sweep_code_snippet(plain, **kwargs)


@pytest.mark.parametrize("name", ["random-bandit", "random-every-type"])
def test_every_value_survives_the_trip_through_azure(name: str) -> None:
    """Encode as Azure would pass it on a command line, then decode with the spec's space."""
    spec = SPECS[name]
    for pname, param in spec.space.items():
        originals = (
            param.values if isinstance(param, Choice) else (param.value,) if isinstance(param, Fixed) else ()
        )
        encoded = azure_choice_values(originals)
        for original, sent in zip(originals, encoded, strict=True):
            on_command_line = str(sent)
            back = decode_param_value(pname, on_command_line, spec.space)
            assert back == original and type(back) is type(original), (pname, original, back)


def test_decode_params_with_and_without_the_space() -> None:
    space: dict[str, Param] = {
        "max_depth": Choice((4, None)),
        "label": Choice(("10", "20")),  # strings that look like numbers stay strings
        "flag": Choice((True, False)),
        "trees": QUniform(10, 100, 10),
        "rate": Uniform(0, 1),
        "seed": Randint(5),
        "weight": Fixed(None),
    }
    sent = {
        "max_depth": "None",
        "label": "10",
        "flag": "False",
        "trees": "30.0",
        "rate": "0.25",
        "seed": "3",
        "weight": "None",
    }
    assert decode_params(sent, space) == {
        "max_depth": None,
        "label": "10",
        "flag": False,
        "trees": 30,
        "rate": 0.25,
        "seed": 3,
        "weight": None,
    }
    assert isinstance(decode_params(sent, space)["trees"], int)
    # a float choice written another way on the command line still maps to the choice
    assert decode_param_value("tol", "0.00001", {"tol": Choice((1e-05, 1e-3))}) == 1e-05
    assert decode_param_value("n", "50.0", {"n": Choice((10, 50))}) == 50
    assert type(decode_param_value("n", "50.0", {"n": Choice((10, 50))})) is int
    guessed = decode_params(
        {"a": "None", "b": "4", "c": "0.5", "d": "gini", "e": "True", "f": "1e-3", "g": 7}
    )
    assert guessed == {"a": None, "b": 4, "c": 0.5, "d": "gini", "e": True, "f": 0.001, "g": 7}
    assert isinstance(guessed["b"], int)
    # already-typed values (the local engine passes them as is) are kept
    assert decode_params({"max_depth": None, "label": "10"}, space) == {"max_depth": None, "label": "10"}


def test_loguniform_exponents_are_not_converted() -> None:
    """The spec and Azure share the exponent convention, so the numbers pass unchanged."""
    spec = SweepSpec("svc", "classification", {"C": LogUniform.from_range(0.01, 100)})
    sdk = azure_search_space(spec)["C"]
    assert sdk.min_value == pytest.approx(math.log(0.01))
    assert sdk.max_value == pytest.approx(math.log(100))


def test_the_schema_travels_with_the_trials(tmp_path: Path) -> None:
    """Azure trials train with the Data page's typing, not a schema inferred again from the CSV."""
    node = build_sweep_node(rf(), code=str(tmp_path), schema="./schema.json", **TARGET)
    job = node._to_job()
    assert "--schema ${{inputs.schema}}" in job.trial.command
    assert job.inputs["schema"].path == "./schema.json"
    (tmp_path / "src").mkdir()
    (tmp_path / "schema.json").write_text("{}")
    path = tmp_path / "sweep.yml"
    path.write_text(sweep_job_yaml(rf(), code="./src", schema="./schema.json", **TARGET))
    assert set(load_job(path).inputs) >= {"train_data", "schema"}
    snippet = sweep_code_snippet(
        rf(), subscription_id="s", resource_group="g", workspace="w", schema="./schema.json", **TARGET
    )
    assert '"schema": Input(type="uri_file", path="./schema.json")' in snippet
    assert "--schema ${{inputs.schema}}" in snippet
    assert "--schema" not in build_sweep_node(rf(), code=str(tmp_path), **TARGET)._to_job().trial.command


class _NoTokenCredential:
    """Any object with ``get_token`` builds an MLClient; validating a sweep job asks for no token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("jobs.validate of a sweep job must not call Azure")


@pytest.mark.parametrize("name", list(SPECS))
def test_the_sdk_validates_the_generated_job_offline(name: str, tmp_path: Path) -> None:
    """azure-ai-ml's ``jobs.validate`` passes every generated sweep without calling Azure.

    For a sweep job, azure-ai-ml 1.35 checks only the code value client-side (a SweepJob is not
    schema-validatable there; a command referencing a missing input still passes), so the real
    offline check of the job's shape is the YAML round trip through ``load_job`` above. A git code
    path shows that validate does run its check."""
    from azure.ai.ml import MLClient

    subscription = "00000000-0000-0000-0000-000000000000"
    ml = MLClient(_NoTokenCredential(), subscription, "rg", "ws")  # type: ignore[arg-type]
    job = build_sweep_node(SPECS[name], code=str(tmp_path), experiment_name="exp", **TARGET)._to_job()
    result = ml.jobs.validate(job)
    assert result.passed, result.error_messages
    job.trial.code = "git+https://example.invalid/repo.git"
    job.code = job.trial.code
    broken = ml.jobs.validate(job)
    assert not broken.passed and "Git paths are not supported" in str(broken.error_messages)
