"""MLflow logging on a real SQLite store: fold steps, summaries, and models that load back."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from core import mlflow_layout as layout
from core.data.samples import heart_sample
from core.data.schema import Schema
from core.train import tracking
from core.train.trainer import cross_validate_trial, fit_final, log_model


@pytest.mark.parametrize(
    ("family", "params", "expected"),
    [
        ("random_forest", {"n_estimators": 5}, "sklearn.tree._tree.Tree"),
        (
            "hist_gradient_boosting",
            {"max_iter": 5},
            "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        ),
        ("svc", {}, "sklearn.calibration._CalibratedClassifier"),
    ],
)
def test_trusted_types_are_exactly_the_models_own(
    heart: pd.DataFrame, heart_schema: Schema, family: str, params: dict[str, object], expected: str
) -> None:
    pipeline = fit_final(heart, heart_schema, family, params)
    trusted = tracking.skops_trusted_types(pipeline)
    assert expected in trusted
    assert all(name.startswith(("sklearn.", "numpy.", "scipy.")) for name in trusted)


def test_models_of_the_same_types_share_their_trusted_types(
    heart: pd.DataFrame, heart_schema: Schema
) -> None:
    small = fit_final(heart, heart_schema, "random_forest", {"n_estimators": 3, "max_depth": 2})
    large = fit_final(heart, heart_schema, "random_forest", {"n_estimators": 40, "criterion": "entropy"})
    boosted = fit_final(heart, heart_schema, "hist_gradient_boosting", {"max_iter": 5})
    assert tracking.type_signature(small) == tracking.type_signature(large)
    assert tracking.type_signature(small) != tracking.type_signature(boosted)
    exact = tracking.skops_trusted_types(large, cached=False)
    assert tracking.skops_trusted_types(small) == exact, "the remembered answer is the exact one"


def test_a_function_in_the_model_is_part_of_its_type_signature() -> None:
    from sklearn.preprocessing import FunctionTransformer

    log1p, sqrt = FunctionTransformer(np.log1p), FunctionTransformer(np.sqrt)
    assert tracking.type_signature(log1p) != tracking.type_signature(sqrt)


def test_a_wrong_remembered_answer_is_caught_and_the_model_logged_again(
    heart: pd.DataFrame, heart_schema: Schema, mlflow_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = fit_final(heart, heart_schema, "random_forest", {"n_estimators": 4})
    monkeypatch.setitem(tracking._UNTRUSTED_BY_SIGNATURE, tracking.type_signature(pipeline), ())
    with mlflow.start_run() as run:
        info = log_model(pipeline, heart)
    assert "sklearn.tree._tree.Tree" in info.flavors["sklearn"]["skops_trusted_types"]
    np.testing.assert_array_equal(
        mlflow.pyfunc.load_model(info.model_uri).predict(heart.head(20)), pipeline.predict(heart.head(20))
    )
    models = MlflowClient().search_logged_models(
        [run.info.experiment_id], filter_string=f"source_run_id = '{run.info.run_id}'"
    )
    assert [m.model_id for m in models] == [info.model_id], "the model that could not load is gone"


def test_without_trusted_types_mlflow_refuses_a_tree_model(
    heart: pd.DataFrame, heart_schema: Schema, tmp_path: Path
) -> None:
    """The gotcha itself: MLflow 3's default skops format rejects the forest's Tree type."""
    pipeline = fit_final(heart, heart_schema, "random_forest", {"n_estimators": 3})
    with pytest.raises(MlflowException, match="untrusted types"):
        mlflow.sklearn.save_model(pipeline, tmp_path / "model", serialization_format="skops")


def test_a_logged_forest_loads_back_and_predicts(
    heart: pd.DataFrame, heart_schema: Schema, mlflow_store: str
) -> None:
    pipeline = fit_final(heart, heart_schema, "random_forest", {"n_estimators": 20, "max_depth": 6})
    with mlflow.start_run():
        info = log_model(pipeline, heart)
    assert info.flavors["sklearn"]["serialization_format"] == "skops"
    assert "sklearn.tree._tree.Tree" in info.flavors["sklearn"]["skops_trusted_types"]
    assert info.signature.inputs.input_names() == list(heart_schema.features)
    assert info.saved_input_example_info is not None

    unseen = heart_sample(40, seed=99)  # rows the model never saw, target column included
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(unseen), pipeline.predict(unseen))
    native = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_array_equal(native.predict_proba(unseen), pipeline.predict_proba(unseen))


def test_a_logged_model_predicts_the_original_text_labels(
    yes_no: pd.DataFrame, yes_no_schema: Schema, mlflow_store: str
) -> None:
    pipeline = fit_final(yes_no, yes_no_schema, "hist_gradient_boosting", {"max_iter": 20})
    with mlflow.start_run():
        info = log_model(pipeline, yes_no, name="heart-model", registered_model_name="heart-hgb")
    predicted = mlflow.pyfunc.load_model(info.model_uri).predict(yes_no.head(30))
    assert info.registered_model_version == 1
    registered = mlflow.pyfunc.load_model("models:/heart-hgb/1").predict(yes_no.head(30))
    np.testing.assert_array_equal(registered, predicted)
    assert set(np.asarray(predicted).tolist()) == {"no", "yes"}
    np.testing.assert_array_equal(predicted, pipeline.predict(yes_no.head(30)))


def test_fold_steps_and_summary_of_an_early_terminated_trial(
    heart: pd.DataFrame, heart_schema: Schema, mlflow_store: str
) -> None:
    seen: list[float] = []

    def policy(fold: int, metrics: dict[str, float]) -> bool:
        seen.append(metrics["roc_auc"])
        tracking.log_fold("roc_auc", fold, metrics, float(np.mean(seen)))
        return fold < 1

    with mlflow.start_run() as run:
        result = cross_validate_trial(
            heart,
            heart_schema,
            "random_forest",
            {"n_estimators": 5},
            primary_metric="roc_auc",
            on_fold=policy,
        )
        tracking.log_summary(result)
    client = MlflowClient(mlflow_store)
    history = sorted(client.get_metric_history(run.info.run_id, "roc_auc"), key=lambda m: m.step)
    folds = [m["roc_auc"] for m in result.fold_metrics]
    assert [(m.step, m.value) for m in history] == [
        (i, pytest.approx(np.mean(folds[: i + 1]))) for i in range(len(folds))
    ], "the running mean, one value per fold"
    raw = sorted(client.get_metric_history(run.info.run_id, "roc_auc_fold"), key=lambda m: m.step)
    assert [m.value for m in raw] == pytest.approx(folds)
    stored = client.get_run(run.info.run_id).data
    assert stored.metrics["roc_auc_mean"] == pytest.approx(history[-1].value)
    assert stored.metrics["log_loss_std"] == pytest.approx(result.std["log_loss"])
    assert stored.tags[layout.TAG_EARLY_TERMINATED] == "true"
    assert stored.tags[layout.TAG_FOLDS_DONE] == "2"
    assert stored.tags[layout.TAG_FAMILY] == "random_forest"
