"""Models on the azure backend (``core.azure.models``) against the fake Azure: a real sweep of
three trials (one made to fail) in one workspace for the whole module, its trials' MLflow
models registered at their job outputs, the champion tag, the user's tags, the refusals, the
REST calls a read costs, and the "Show code" registration executed as shown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.azure.models import CHAMPION_TAG
from core.backend import SweepProgress
from core.codegen.register import AzureRegistration, azure_register_body, azure_register_code, model_path
from core.errors import InvalidNameError, NotFoundError, UserFacingError
from core.mlflow_layout import VERSION_METRIC_PREFIX, VERSION_PRIMARY, VERSION_TRIAL, VERSION_TRIAL_RUN
from core.sweep.spec import Limits
from core.trials.store import client
from tests.azure.conftest import (
    AZURITE_KEY,
    SUBSCRIPTION,
    TENANT,
    FakeCredential,
    blob_endpoint_of,
    fake_cloud,
)
from tests.azure.fake import FakeAzure, FakeTransport
from tests.azure.fake import sweeps as runner
from tests.azure.fake.routes_models import versions
from tests.azure.ml_helpers import REF, RG, WS
from tests.azure.test_sweeps import CLUSTER, _heart
from tests.core.engine.conftest import small_spec
from tests.mlflow_server import MlflowServer

pytestmark = pytest.mark.azurite

FAILED_TRIAL = 2


@dataclass(frozen=True)
class Swept:
    """The module's workspace: a finished sweep whose trial ``FAILED_TRIAL`` failed."""

    fake: FakeAzure
    factory: ClientFactory
    backend: AzureBackend
    folder: Path
    progress: SweepProgress

    @property
    def sweep_id(self) -> str:
        return self.progress.job.id

    @property
    def best(self) -> str:
        best = self.progress.job.best_run_id
        assert best is not None
        return best

    def other(self) -> tuple[int, str]:
        """The completed trial that is not the best: its number and its job name."""
        done = [t["number"] for t in self.progress.trials if t["status"] == "completed"]
        number = next(n for n in done if f"{self.sweep_id}_{n}" != self.best)
        return number, f"{self.sweep_id}_{number}"

    def fresh_backend(self, name: str) -> AzureBackend:
        """Another backend object on the same Azure: nothing of the first one's memory."""
        return AzureBackend(self.factory, self.folder / name)

    def metrics(self, run_id: str) -> dict[str, float]:
        return dict(client(self.progress.job.tracking_uri).get_run(run_id).data.metrics)


def _watch(backend: AzureBackend, sweep_id: str, timeout: float = 240) -> SweepProgress:
    deadline = time.monotonic() + timeout
    while True:
        progress = backend.sweep_status(REF, sweep_id)
        if progress.state not in ("starting", "running"):
            return progress
        assert time.monotonic() < deadline, f"{sweep_id} still {progress.job.provider_state}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def swept(
    azurite: str, mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Swept]:
    """One workspace with a finished 3-trial, 2-fold sweep for the module (a sweep costs ~40 s)."""
    from tests.azure.conftest import session_workspace_mlflow
    from tests.azure.fake.routes_storage import azurite_cleanup

    fake = FakeAzure(
        tenant_id=TENANT,
        subscriptions={SUBSCRIPTION: "Fake subscription"},
        blob_endpoint=blob_endpoint_of(azurite),
        blob_key=AZURITE_KEY,
    )
    fake.workspace_mlflow = session_workspace_mlflow(mlflow_server, tmp_path_factory)
    patch = pytest.MonkeyPatch()
    assert fake.workspace_mlflow.ca_bundle is not None
    patch.setenv("REQUESTS_CA_BUNDLE", str(fake.workspace_mlflow.ca_bundle))
    folder = tmp_path_factory.mktemp("azure-models")
    factory = ClientFactory(
        FakeCredential(), SUBSCRIPTION, fake_cloud(), transport=FakeTransport(fake), polling_interval=0
    )
    backend = AzureBackend(factory, folder / "state")
    try:
        _heart(backend, fake)
        runner.fail_trial(fake, FAILED_TRIAL)
        spec = small_spec(limits=Limits(max_total_trials=3, max_concurrent_trials=2), cv_folds=2)
        launched = backend.launch_sweep(REF, CLUSTER, "heart", 1, spec, "heart-models")
        progress = _watch(backend, launched.id)
        assert progress.state == "completed", progress.job.message
        yield Swept(fake, factory, backend, folder, progress)
    finally:
        for sweep in list(runner._sweeps(fake)):
            runner.cancel(fake, sweep)
            runner.wait_idle(fake, sweep)
        patch.undo()
        azurite_cleanup(fake)


def _puts(fake: FakeAzure) -> list[Any]:
    return fake.calls("PUT", "/models/")


def test_the_best_trial_registers_at_its_job_output_with_its_metrics(swept: Swept) -> None:
    backend, fake = swept.backend, swept.fake
    spec = swept.progress.job.spec
    model = backend.register_model(REF, swept.sweep_id)
    assert (model.name, model.version, model.aliases) == ("best_random_forest", 1, ("champion",))
    assert (
        model.source
        == model_path(swept.best)
        == f"azureml://jobs/{swept.best}/outputs/artifacts/paths/model/"
    )
    assert model.run_id == swept.best and model.sweep_id == swept.sweep_id
    assert model.tags[VERSION_TRIAL_RUN] == swept.best and CHAMPION_TAG not in model.tags
    assert model.tags[VERSION_TRIAL] == swept.best.rsplit("_", 1)[1]
    primary = spec["primary_metric"]
    assert model.tags[VERSION_PRIMARY] == primary
    assert model.metrics[primary] == pytest.approx(swept.metrics(swept.best)[f"{primary}_mean"], abs=1e-5)
    assert model.dataset == ("heart", 1) and (model.family, model.task) == ("random_forest", "classification")
    assert f"from sweep {swept.sweep_id}, trial {model.trial_number}: {primary}" in model.description
    assert model.created_at.endswith("+00:00")

    stored = versions(fake, SUBSCRIPTION, RG, WS)["best_random_forest/1"]["properties"]
    assert stored["modelType"] == "mlflow_model" and stored["jobName"] == swept.best
    assert stored["tags"][CHAMPION_TAG] == "true", "the champion is a tag on Azure"
    assert "python_function" in stored["flavors"], "the trial's MLmodel is in the artifact store"
    assert "best_random_forest" in backend.registered_models(REF)


def test_another_trial_registers_its_own_run_and_metrics(swept: Swept) -> None:
    number, job = swept.other()
    model = swept.backend.register_model(REF, swept.sweep_id, trial_number=number)
    assert (model.name, model.version) == (f"random_forest_trial{number}", 1)
    assert model.run_id == job and model.source == model_path(job) and model.trial_number == number
    expected = {k.removesuffix("_mean"): v for k, v in swept.metrics(job).items() if k.endswith("_mean")}
    assert model.metrics == pytest.approx(expected, abs=1e-5)
    assert swept.backend.newest_model(REF) == f"random_forest_trial{number}"


def test_the_champion_moves_only_when_better_and_when_set(swept: Swept) -> None:
    backend, name = swept.backend, "heart-champion"
    number, job = swept.other()
    first = backend.register_model(REF, swept.sweep_id, trial_number=number, name=name)
    assert first.aliases == ("champion",), "the first version is the champion"
    second = backend.register_model(REF, swept.sweep_id, name=name)
    primary = swept.progress.job.spec["primary_metric"]
    better = second.metrics[primary] > first.metrics[primary]  # roc_auc & co: maximize
    assert second.version == 2 and (second.aliases == ("champion",)) == better
    third = backend.register_model(REF, swept.sweep_id, name=name, description="Again.")
    assert third.aliases == () and third.description == "Again.", "as good is not better"

    moved = backend.set_model_alias(REF, name, 1 if better else 3)
    assert moved.aliases == ("champion",)
    reread = swept.fresh_backend("reread").model_versions(REF, name)
    assert [v.version for v in reread if v.aliases] == [moved.version], "exactly one version holds it"
    assert all(CHAMPION_TAG not in v.tags for v in reread)
    stored = versions(swept.fake, SUBSCRIPTION, RG, WS)
    holders = [
        k for k, v in stored.items() if k.startswith(f"{name}/") and v["properties"]["tags"].get(CHAMPION_TAG)
    ]
    assert holders == [f"{name}/{moved.version}"]

    puts = len(_puts(swept.fake))
    assert backend.set_model_alias(REF, name, moved.version).aliases == ("champion",)
    assert len(_puts(swept.fake)) == puts, "already the champion: nothing is written"
    with pytest.raises(UserFacingError, match="Azure ML has no model aliases, so 'staging'") as caught:
        backend.set_model_alias(REF, name, 1, alias="staging")
    assert "tag of your own" in caught.value.fix


def test_user_tags_are_kept_and_recorded_tags_refused(swept: Swept) -> None:
    backend, name = swept.backend, "heart-tags"
    backend.register_model(REF, swept.sweep_id, name=name)
    tagged = backend.set_model_version_tag(REF, name, 1, " reviewer ", "ana")
    assert tagged.tags["reviewer"] == "ana" and tagged.aliases == ("champion",)
    assert backend.set_model_version_tag(REF, name, 1, "reviewer", "bo").tags["reviewer"] == "bo"
    for key in ("champion", "sweep_id", f"{VERSION_METRIC_PREFIX}roc_auc"):
        with pytest.raises(UserFacingError, match="recorded by the registry"):
            backend.set_model_version_tag(REF, name, 1, key, "forged")
    with pytest.raises(NotFoundError, match=f"no version 7 of model '{name}'"):
        backend.set_model_version_tag(REF, name, 7, "reviewer", "ana")
    (version,) = swept.fresh_backend("tags").model_versions(REF, name)
    assert version.tags["reviewer"] == "bo" and version.aliases == ("champion",)
    assert version.sweep_id == swept.sweep_id


def test_refusals_change_nothing(swept: Swept) -> None:
    backend, fake, name = swept.backend, swept.fake, "heart-refusals"
    backend.register_model(REF, swept.sweep_id, name=name)
    before = [(v.version, v.aliases, v.tags) for v in backend.model_versions(REF, name)]
    puts = len(_puts(fake))
    with pytest.raises(
        UserFacingError, match=f"Trial {FAILED_TRIAL} of sweep .* did not complete \\(failed\\)"
    ):
        backend.register_model(REF, swept.sweep_id, trial_number=FAILED_TRIAL, name=name)
    with pytest.raises(NotFoundError, match="has no trial 999"):
        backend.register_model(REF, swept.sweep_id, trial_number=999, name=name)
    with pytest.raises(InvalidNameError, match="not a valid model name"):
        backend.register_model(REF, swept.sweep_id, name="-bad name")
    with pytest.raises(NotFoundError, match="no sweep 'sweep-nope'"):
        backend.register_model(REF, "sweep-nope", name=name)
    with pytest.raises(NotFoundError, match=f"no version 99 of model '{name}'"):
        backend.set_model_alias(REF, name, 99)
    with pytest.raises(NotFoundError, match="no workspace called 'no-such-ws'"):
        backend.registered_models("no-such-ws")
    assert backend.model_versions(REF, "no-such-model") == []
    assert len(_puts(fake)) == puts, "no refusal wrote anything"
    assert [(v.version, v.aliases, v.tags) for v in backend.model_versions(REF, name)] == before


def test_a_sweep_still_running_is_refused(swept: Swept) -> None:
    backend = swept.backend
    spec = small_spec(limits=Limits(max_total_trials=1, max_concurrent_trials=1), cv_folds=2)
    launched = backend.launch_sweep(REF, CLUSTER, "heart", 1, spec, "heart-models")
    try:
        puts = len(_puts(swept.fake))
        with pytest.raises(UserFacingError, match=f"Sweep '{launched.id}' has not finished yet") as caught:
            backend.register_model(REF, launched.id, name="heart-running")
        assert "once it has finished" in caught.value.fix
        assert len(_puts(swept.fake)) == puts
    finally:
        runner.cancel(swept.fake, launched.id)
        runner.wait_idle(swept.fake, launched.id)


def _arm_calls(fake: FakeAzure, start: int) -> list[tuple[str, str]]:
    """The requests to the fake since ``start``: method and path inside the workspace."""
    return [(c.method, c.path.rsplit(f"/workspaces/{WS}", 1)[-1]) for c in fake.calls()[start:]]


def test_listing_versions_is_one_rest_call(swept: Swept) -> None:
    backend, fake, name = swept.backend, swept.fake, "heart-calls"
    start = len(fake.calls())
    backend.register_model(REF, swept.sweep_id, name=name)
    assert _arm_calls(fake, start) == [
        ("GET", ""),  # the workspace (its MLflow URI)
        ("GET", f"/jobs/{swept.sweep_id}"),
        ("GET", f"/models/{name}/versions"),  # the versions: next number, champion
        ("GET", f"/models/{name}/versions"),  # azure-ai-ml's own check of the latest version
        ("PUT", f"/models/{name}/versions/1"),
    ], "and the sweep's runs from the workspace's MLflow (2 requests, not Resource Manager's)"
    backend.register_model(REF, swept.sweep_id, name=name)
    start = len(fake.calls())
    backend.set_model_version_tag(REF, name, 2, "reviewer", "ana")
    assert [m for m, _ in _arm_calls(fake, start)] == ["GET", "GET", "PUT"]
    fresh = swept.fresh_backend("calls")
    start = len(fake.calls())
    listed = fresh.model_versions(REF, name)
    calls = fake.calls()[start:]
    assert [v.version for v in listed] == [1, 2]
    assert [(c.method, c.path.rsplit("/workspaces/", 1)[1]) for c in calls] == [
        ("GET", f"{WS}/models/{name}/versions")
    ]
    assert calls[0].query["listViewType"] == "All", "archived versions count for the next number"
    start = len(fake.calls())
    assert name in fresh.registered_models(REF)
    assert len(fake.calls()[start:]) == 1


def test_the_shown_registration_code_runs_as_shown(swept: Swept) -> None:
    """The "Show code" snippet, executed with an MLClient on the fake, registers what the backend
    reads back (the same ``Model`` fields the backend passes)."""
    reg = AzureRegistration(
        name="heart-snippet",
        version=1,
        job=swept.best,
        description="Registered by the snippet.",
        tags={"sweep_id": swept.sweep_id, "champion": "true"},
    )
    full = azure_register_code(reg, SUBSCRIPTION, RG, WS)
    body = azure_register_body(reg)
    assert full.endswith(body) and "MLClient(" in full and "DefaultAzureCredential()" in full
    assert "Model(" in body and "type=AssetTypes.MLFLOW_MODEL" in body and model_path(swept.best) in body
    namespace: dict[str, Any] = {"ml_client": swept.backend._ml(RG, WS)}
    exec(compile(body, "<snippet>", "exec"), namespace)  # noqa: S102 - the product's own snippet
    assert (namespace["model"].name, namespace["model"].version) == ("heart-snippet", "1")
    (version,) = swept.fresh_backend("snippet").model_versions(REF, "heart-snippet")
    assert version.source == model_path(swept.best) and version.run_id == swept.best
    assert version.aliases == ("champion",) and version.description == "Registered by the snippet."
