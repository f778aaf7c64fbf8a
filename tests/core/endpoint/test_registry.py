"""The model registry on a real sweep: versions, tags, the champion alias, any trial; then the
backend's endpoint methods end to end, with a live test of the held-out split."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from core.compute import ComputeSpec
from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.data.split import split_frame
from core.data.store import load_dataset, store_dataset
from core.endpoint.client import EndpointClient, score_test_split
from core.endpoint.evaluation import ClassificationEvaluation
from core.errors import UserFacingError
from core.local.backend import LocalBackend
from core.registry import CHAMPION, comparison_rows, default_model_name
from core.train.target import feature_frame, target_values
from tests.core.engine.conftest import finished, small_spec, wait_for
from tests.workspaces import BC, CC, RG, SA, WS


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalBackend, Any]]:
    backend = LocalBackend(tmp_path_factory.mktemp("registry") / "data")
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_blob_container(SA, BC)
    backend.create_workspace(RG, WS, SA)
    backend.create_compute(WS, ComputeSpec(CC, max_instances=2))
    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=0.2, seed=42, stratify=True)
    store_dataset(backend, WS, SA, BC, "heart", split, schema, "heart sample")
    job = backend.launch_sweep(WS, CC, "heart", 1, small_spec(), experiment="heart-sweeps")
    status = wait_for(backend, job.id, finished)
    assert status.state == "completed", status.job.message
    yield backend, status.job
    for info in backend.list_endpoints(WS):
        backend.delete_endpoint(WS, info.name)


def test_register_the_best_trial_with_tags_and_the_champion_alias(swept: tuple[LocalBackend, Any]) -> None:
    backend, job = swept
    first = backend.register_model(WS, job.id)
    assert first.name == default_model_name("random_forest") == "best_random_forest"
    assert first.version == 1 and first.aliases == (CHAMPION,)
    client = MlflowClient(backend.tracking_uri(WS))
    best = client.get_run(job.best_run_id)
    assert first.sweep_id == job.id and first.tags["trial_run_id"] == job.best_run_id
    assert first.trial_number == int(best.data.tags["trial_number"])
    assert (
        first.dataset == ("heart", 1) and first.family == "random_forest" and first.task == "classification"
    )
    assert first.metrics["accuracy"] == pytest.approx(best.data.metrics["accuracy_mean"], rel=1e-5)
    assert {"accuracy", "f1", "roc_auc"} <= set(first.metrics)
    assert f"from sweep {job.id}, trial {first.trial_number}: accuracy" in first.description

    second = backend.register_model(WS, job.id, description="Same model, registered again.")
    assert (
        second.version == 2 and second.aliases == () and second.description == "Same model, registered again."
    )
    versions = backend.model_versions(WS, "best_random_forest")
    assert [(v.version, v.aliases) for v in versions] == [(1, (CHAMPION,)), (2, ())], "not better: it stays"
    assert int(client.get_model_version_by_alias("best_random_forest", CHAMPION).version) == 1

    # the registered files are the sweep's refit model
    mlflow.set_tracking_uri(backend.tracking_uri(WS))
    try:
        registered = mlflow.pyfunc.load_model("models:/best_random_forest@champion")
        refit = mlflow.pyfunc.load_model(job.model_uri)
    finally:
        mlflow.set_tracking_uri(None)
    rows = load_dataset(backend, WS, "heart", 1).test.drop(columns="output")
    assert np.array_equal(registered.predict(rows), refit.predict(rows))


def test_any_completed_trial_is_refit_once_and_registered(swept: tuple[LocalBackend, Any]) -> None:
    backend, job = swept
    client = MlflowClient(backend.tracking_uri(WS))
    trials = client.search_runs(
        [client.get_run(job.run_id).info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{job.run_id}'",
    )
    other = next(r for r in trials if r.info.run_id != job.best_run_id)
    number = int(other.data.tags["trial_number"])
    version = backend.register_model(WS, job.id, trial_number=number, name="heart-trial-models")
    assert version.trial_number == number and version.tags["trial_run_id"] == other.info.run_id
    after = client.get_run(other.info.run_id)
    assert after.info.status == other.info.status and after.info.end_time == other.info.end_time
    refit_uri = after.data.tags["refit_model_uri"]
    again = backend.register_model(WS, job.id, trial_number=number, name="heart-trial-models")
    assert again.version == version.version + 1 and again.source == version.source, "refit only once"
    assert client.get_run(other.info.run_id).data.tags["refit_model_uri"] == refit_uri
    mlflow.set_tracking_uri(backend.tracking_uri(WS))
    try:
        model = mlflow.sklearn.load_model(f"models:/heart-trial-models/{version.version}")
    finally:
        mlflow.set_tracking_uri(None)
    params = model.named_steps["model"].get_params()
    for name, value in other.data.params.items():
        assert str(params[name]) == value

    assert set(backend.registered_models(WS)) >= {"best_random_forest", "heart-trial-models"}
    rows = comparison_rows(backend.model_versions(WS, "heart-trial-models"))
    assert [r["version"] for r in rows] == [1, 2] and rows[0]["trial"] == number and "accuracy" in rows[0]


def test_bad_requests_are_explained(swept: tuple[LocalBackend, Any]) -> None:
    backend, job = swept
    with pytest.raises(UserFacingError, match="not a valid model name"):
        backend.register_model(WS, job.id, name="-bad name")
    with pytest.raises(UserFacingError, match="has no trial 999"):
        backend.register_model(WS, job.id, trial_number=999)
    with pytest.raises(UserFacingError, match="no sweep 'sweep-nope'"):
        backend.register_model(WS, "sweep-nope")


def test_deploy_the_champion_and_test_it_live(swept: tuple[LocalBackend, Any]) -> None:
    backend, job = swept
    champion = next(v for v in backend.model_versions(WS, "best_random_forest") if CHAMPION in v.aliases)
    assert backend.create_endpoint(WS, "heart-classify-endpoint").created
    outcome = backend.create_deployment(
        WS, "heart-classify-endpoint", "heart-classify-deployment", champion.name, champion.version
    )
    assert (
        outcome.created and outcome.resource.properties["model"] == f"best_random_forest:{champion.version}"
    )
    info = backend.get_endpoint(WS, "heart-classify-endpoint")
    assert info.health.healthy and info.deployments[0].dataset == "heart"

    data = load_dataset(backend, WS, "heart", 1)
    key = backend.endpoint_keys(WS, "heart-classify-endpoint").primary.reveal()
    client = EndpointClient(info.scoring_uri, key)
    live = score_test_split(client, data.test, data.schema)
    truth = target_values(data.test, data.schema)
    features = feature_frame(data.test, data.schema)
    mlflow.set_tracking_uri(backend.tracking_uri(WS))
    try:
        expected = mlflow.pyfunc.load_model(f"models:/best_random_forest/{champion.version}").predict(
            features
        )
    finally:
        mlflow.set_tracking_uri(None)
    assert live.result.predictions == np.asarray(expected).tolist(), "HTTP equals the model in process"
    evaluation = live.evaluation
    assert isinstance(evaluation, ClassificationEvaluation) and evaluation.rows == len(data.test)
    assert evaluation.accuracy == pytest.approx(accuracy_score(truth, expected))
    reference = classification_report(truth, expected, output_dict=True, zero_division=0)
    for row in evaluation.report:
        if row["class"] in ("0", "1", "macro avg", "weighted avg"):
            for metric in ("precision", "recall", "f1-score", "support"):
                assert row[metric] == pytest.approx(reference[row["class"]][metric])
    assert evaluation.confusion == confusion_matrix(truth, expected, labels=[0, 1]).tolist()
    assert len(evaluation.roc) == 1 and 0.5 < evaluation.roc[0].area <= 1.0
    assert list(live.table.columns[:5]) == ["output (truth)", "prediction", "correct", "p(0)", "p(1)"]
    assert live.table["correct"].sum() == round(evaluation.accuracy * len(data.test))

    probe = client.latency(features.head(1), burst=10)
    assert probe.first_ms > 0 and len(probe.samples_ms) == 10 and 0 < probe.p50_ms <= probe.p95_ms

    deleted = backend.delete_endpoint(WS, "heart-classify-endpoint")
    assert {r.name for r in deleted} == {"heart-classify-endpoint", "heart-classify-deployment"}
    assert backend.list_endpoints(WS) == []


def _completed_trials(backend: LocalBackend, job: Any) -> list[dict[str, Any]]:
    trials = [t for t in backend.sweep_status(WS, job.id).trials if t["status"] == "completed"]
    return sorted(trials, key=lambda t: -t["value"])  # accuracy: best first


def test_champion_moves_only_to_a_better_version_or_when_set(swept: tuple[LocalBackend, Any]) -> None:
    backend, job = swept
    trials = _completed_trials(backend, job)
    worse = next(t for t in trials if t["value"] < trials[0]["value"])
    name = "champion-check"
    first = backend.register_model(WS, job.id, name=name)  # the best trial
    assert first.aliases == (CHAMPION,) and first.tags["goal"] == "maximize"
    second = backend.register_model(WS, job.id, trial_number=int(worse["number"]), name=name)
    assert second.aliases == (), "a worse version does not take the alias"
    third = backend.register_model(WS, job.id, name=name)  # as good as v1: not better
    assert third.aliases == ()
    assert [v.aliases for v in backend.model_versions(WS, name)] == [(CHAMPION,), (), ()]

    # the user may set it explicitly, to any version
    moved = backend.set_model_alias(WS, name, 2)
    assert moved.version == 2 and moved.aliases == (CHAMPION,)
    assert [v.aliases for v in backend.model_versions(WS, name)] == [(), (CHAMPION,), ()]
    # and a better version than the champion takes it again
    fourth = backend.register_model(WS, job.id, name=name)
    assert fourth.aliases == (CHAMPION,)


def test_custom_tags_on_a_version(swept: tuple[LocalBackend, Any]) -> None:
    backend, job = swept
    version = backend.register_model(WS, job.id, name="tagged-model")
    tagged = backend.set_model_version_tag(WS, "tagged-model", version.version, " reviewer ", "ana")
    assert tagged.tags["reviewer"] == "ana" and tagged.tags["sweep_id"] == job.id
    with pytest.raises(UserFacingError, match="recorded by the registry"):
        backend.set_model_version_tag(WS, "tagged-model", version.version, "metric.accuracy", "1.0")
    with pytest.raises(UserFacingError, match="empty"):
        backend.set_model_version_tag(WS, "tagged-model", version.version, "  ", "x")
    with pytest.raises(UserFacingError, match="no version 99"):
        backend.set_model_version_tag(WS, "tagged-model", 99, "reviewer", "x")


def test_default_name_is_best_family_only_for_the_best_trial(swept: tuple[LocalBackend, Any]) -> None:
    backend, job = swept
    trials = _completed_trials(backend, job)
    worse = int(next(t for t in trials if t["value"] < trials[0]["value"])["number"])
    assert default_model_name("random_forest") == "best_random_forest"
    assert default_model_name("random_forest", worse) == f"random_forest_trial{worse}"
    version = backend.register_model(WS, job.id, trial_number=worse)
    assert version.name == f"random_forest_trial{worse}" and version.trial_number == worse
    assert backend.newest_model(WS) == version.name
