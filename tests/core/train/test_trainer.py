"""The trainer: pipeline, cross-validation, early stop, labels and the final refit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.schema import Schema, Task, build_schema
from core.errors import DataError, UserFacingError
from core.train.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from core.train.preprocessing import build_preprocessor
from core.train.target import class_labels, target_values
from core.train.trainer import (
    build_pipeline,
    combine_folds,
    cross_validate_trial,
    fit_final,
    plan_trial,
    run_fold,
)

RF = {"n_estimators": 10, "max_depth": 6}


def test_pipeline_uses_the_schemas_preprocessor(heart_schema: Schema) -> None:
    pipeline = build_pipeline(heart_schema, "random_forest", RF, seed=0)
    preprocess = pipeline.named_steps["preprocess"]
    expected = build_preprocessor(heart_schema)
    assert [(n, c) for n, _, c in preprocess.transformers] == [(n, c) for n, _, c in expected.transformers]
    assert repr(preprocess) == repr(expected)
    assert pipeline.named_steps["model"].get_params()["n_estimators"] == 10


def test_cross_validation_reports_every_fold(heart: pd.DataFrame, heart_schema: Schema) -> None:
    seen: list[tuple[int, dict[str, float]]] = []

    def on_fold(fold: int, metrics: dict[str, float]) -> bool:
        seen.append((fold, metrics))
        return True

    result = cross_validate_trial(
        heart, heart_schema, "random_forest", RF, primary_metric="roc_auc", folds=4, seed=1, on_fold=on_fold
    )
    assert [fold for fold, _ in seen] == [0, 1, 2, 3]
    assert result.fold_metrics == [metrics for _, metrics in seen]
    assert result.folds == result.folds_done == 4 and not result.early_terminated
    assert set(result.mean) == set(result.std) == set(CLASSIFICATION_METRICS)
    for name in CLASSIFICATION_METRICS:
        values = [m[name] for m in result.fold_metrics]
        assert result.mean[name] == pytest.approx(np.mean(values))
        assert result.std[name] == pytest.approx(np.std(values))
    assert result.score == result.mean["roc_auc"] > 0.7
    assert result.params == RF and result.family == "random_forest" and result.task == Task.CLASSIFICATION
    assert len(result.fold_seconds) == 4 and result.seconds >= sum(result.fold_seconds)
    # out-of-fold predictions cover every row once
    assert sorted(result.row_index.tolist()) == list(range(len(heart)))
    np.testing.assert_array_equal(result.y_true, heart["output"].to_numpy()[result.row_index])
    assert result.classes == (0, 1) and set(result.y_pred.tolist()) <= {0, 1}
    assert result.y_proba is not None and result.y_proba.shape == (len(heart), 2)
    np.testing.assert_allclose(result.y_proba.sum(axis=1), 1.0)
    assert sorted(set(result.fold_of_row.tolist())) == [0, 1, 2, 3]
    for fold in range(4):  # the stored predictions give back each fold's metrics
        rows = result.fold_of_row == fold
        accuracy = float(np.mean(result.y_true[rows] == result.y_pred[rows]))
        assert accuracy == pytest.approx(result.fold_metrics[fold]["accuracy"])


def test_folds_are_stratified(heart: pd.DataFrame, heart_schema: Schema) -> None:
    result = cross_validate_trial(
        heart, heart_schema, "logistic_regression", {}, primary_metric="f1", folds=5
    )
    overall = int(heart["output"].sum())
    for fold in range(5):
        rows = result.fold_of_row == fold
        positives = int(result.y_true[rows].sum())
        assert abs(positives - overall / 5) <= 1, (fold, positives, overall / 5)


def test_on_fold_returning_false_stops_the_trial_early(heart: pd.DataFrame, heart_schema: Schema) -> None:
    calls: list[int] = []

    def policy(fold: int, metrics: dict[str, float]) -> bool:
        calls.append(fold)
        return fold < 1  # stop after the second fold

    result = cross_validate_trial(
        heart, heart_schema, "random_forest", RF, primary_metric="accuracy", folds=5, on_fold=policy
    )
    assert calls == [0, 1]
    assert result.early_terminated and result.folds_done == 2 and result.folds == 5
    assert len(result.y_true) == len(result.row_index) == len(result.y_pred) == pytest.approx(2 * 200 / 5)
    assert result.mean["accuracy"] == pytest.approx(np.mean([m["accuracy"] for m in result.fold_metrics]))


def test_stopping_at_the_last_fold_is_not_an_early_termination(
    heart: pd.DataFrame, heart_schema: Schema
) -> None:
    result = cross_validate_trial(
        heart,
        heart_schema,
        "random_forest",
        RF,
        primary_metric="accuracy",
        folds=3,
        on_fold=lambda fold, metrics: fold != 2,
    )
    assert result.folds_done == 3 and not result.early_terminated


def test_a_seed_gives_the_same_result_again(heart: pd.DataFrame, heart_schema: Schema) -> None:
    def run(seed: int) -> tuple[list[dict[str, float]], np.ndarray, np.ndarray]:
        result = cross_validate_trial(
            heart, heart_schema, "random_forest", RF, primary_metric="accuracy", folds=3, seed=seed
        )
        assert result.y_proba is not None
        return result.fold_metrics, result.row_index, result.y_proba

    first, again, other = run(5), run(5), run(6)
    assert first[0] == again[0]
    np.testing.assert_array_equal(first[1], again[1])
    np.testing.assert_array_equal(first[2], again[2])
    assert not np.array_equal(first[1], other[1])  # another seed shuffles other folds


def test_text_labels_work_end_to_end(
    heart: pd.DataFrame, heart_schema: Schema, yes_no: pd.DataFrame, yes_no_schema: Schema
) -> None:
    assert yes_no_schema.label_map == {"no": 0, "yes": 1}
    assert class_labels(yes_no_schema) == ("no", "yes")
    text = cross_validate_trial(
        yes_no, yes_no_schema, "hist_gradient_boosting", {"max_iter": 20}, primary_metric="f1", folds=3
    )
    numbers = cross_validate_trial(
        heart, heart_schema, "hist_gradient_boosting", {"max_iter": 20}, primary_metric="f1", folds=3
    )
    assert text.classes == ("no", "yes") and set(text.y_pred.tolist()) <= {"no", "yes"}
    assert text.fold_metrics == numbers.fold_metrics  # "yes" is the positive class, as 1 is
    model = fit_final(yes_no, yes_no_schema, "hist_gradient_boosting", {"max_iter": 20})
    assert list(model.classes_) == ["no", "yes"]
    assert set(model.predict(yes_no.drop(columns="output"))) == {"no", "yes"}


def test_integer_labels_keep_their_values(heart: pd.DataFrame) -> None:
    """Labels 1/2 (not 0/1) are encoded by the schema but predicted as 1 and 2."""
    frame = heart.assign(output=heart["output"] + 1)
    schema = build_schema(frame, "output")
    assert schema.label_map == {"1": 0, "2": 1} and class_labels(schema) == (1, 2)
    assert target_values(frame.head(3), schema).tolist() == frame["output"].head(3).tolist()
    result = cross_validate_trial(frame, schema, "svc", {}, primary_metric="roc_auc", folds=3)
    assert result.classes == (1, 2) and set(result.y_pred.tolist()) <= {1, 2}
    assert result.mean["roc_auc"] > 0.7


def test_multiclass_target(heart: pd.DataFrame) -> None:
    schema = build_schema(heart, "cp", Task.CLASSIFICATION)
    result = cross_validate_trial(heart, schema, "logistic_regression", {"C": 1.0}, primary_metric="log_loss")
    assert result.classes == (0, 1, 2, 3) and result.y_proba is not None
    assert result.y_proba.shape == (len(heart), 4)
    assert set(result.mean) == set(CLASSIFICATION_METRICS)
    assert all(np.isfinite(v) for v in result.mean.values())


def test_regression_on_real_data(diabetes: pd.DataFrame, diabetes_schema: Schema) -> None:
    result = cross_validate_trial(diabetes, diabetes_schema, "ridge", {"alpha": 1.0}, primary_metric="rmse")
    assert set(result.mean) == set(REGRESSION_METRICS) and result.folds_done == 5
    assert result.mean["r2"] > 0.4 and result.y_proba is None and result.classes == ()
    assert result.y_pred.dtype.kind == "f"
    kernel = cross_validate_trial(
        diabetes,
        diabetes_schema,
        "kernel_ridge",
        {"alpha": 0.1, "kernel": "rbf", "gamma": 0.05},
        primary_metric="r2",
        folds=3,
    )
    assert kernel.mean["r2"] > 0.3  # the target is centred, so an RBF model is not pulled to 0


def test_regression_family_on_a_heart_column(heart: pd.DataFrame) -> None:
    schema = build_schema(heart, "thalachh")
    assert schema.task == Task.REGRESSION
    result = cross_validate_trial(
        heart,
        schema,
        "random_forest",
        {"n_estimators": 10, "max_features": "None"},
        primary_metric="mae",
        folds=3,
    )
    assert result.mean["mae"] < heart["thalachh"].std()  # beats guessing the mean, roughly


def test_bad_requests_fail_before_any_fitting(heart: pd.DataFrame, heart_schema: Schema) -> None:
    def run(**kwargs: object) -> None:
        options: dict[str, object] = {"primary_metric": "accuracy", "folds": 5} | kwargs
        cross_validate_trial(heart, heart_schema, "random_forest", RF, **options)  # type: ignore[arg-type]

    with pytest.raises(UserFacingError, match="'r2' is not a classification metric"):
        run(primary_metric="r2")
    with pytest.raises(UserFacingError, match="folds of at least 2"):
        run(folds=1)
    rare = heart.assign(output=np.where(np.arange(len(heart)) < 3, 2, heart["output"]))
    with pytest.raises(DataError, match=r"at least 5 rows of every class.*2 \(3 rows\)") as caught:
        cross_validate_trial(rare, build_schema(rare, "output"), "random_forest", RF, primary_metric="f1")
    assert "fewer folds" in caught.value.fix
    with pytest.raises(DataError, match="lacks 1 feature column.*'chol'"):
        cross_validate_trial(
            heart.drop(columns="chol"), heart_schema, "random_forest", RF, primary_metric="f1"
        )
    with pytest.raises(DataError, match="labels that were not in the data"):
        cross_validate_trial(
            heart.assign(output=heart["output"] * 5), heart_schema, "random_forest", RF, primary_metric="f1"
        )


def test_fit_final_refits_on_every_row(heart: pd.DataFrame, heart_schema: Schema) -> None:
    first = fit_final(heart, heart_schema, "random_forest", RF, seed=2)
    second = fit_final(heart, heart_schema, "random_forest", RF, seed=2)
    features = heart.drop(columns="output")
    np.testing.assert_array_equal(first.predict_proba(features), second.predict_proba(features))
    assert first.named_steps["model"].n_features_in_ > 0
    assert list(first.feature_names_in_) == list(heart_schema.features)


def test_folds_run_one_by_one_give_the_same_trial(heart: pd.DataFrame, heart_schema: Schema) -> None:
    """A scheduler may hand single folds to workers, in any order, and combine them after."""
    whole = cross_validate_trial(heart, heart_schema, "svc", {"C": 2.0}, primary_metric="log_loss", folds=3)
    plan = plan_trial(heart, heart_schema, "svc", {"C": "2.0"}, primary_metric="log_loss", folds=3)
    assert plan.folds == 3 and plan.params == {"C": 2.0} and plan.classes == (0, 1)
    pieces = [run_fold(plan, fold) for fold in (2, 0, 1)]
    assert [p.fold for p in pieces] == [2, 0, 1]
    combined = combine_folds(plan, pieces, early_terminated=False, seconds=1.0)
    assert combined.fold_metrics == whole.fold_metrics and combined.mean == whole.mean
    np.testing.assert_array_equal(combined.row_index, whole.row_index)
    np.testing.assert_array_equal(combined.y_pred, whole.y_pred)
    assert combined.y_proba is not None and whole.y_proba is not None
    np.testing.assert_allclose(combined.y_proba, whole.y_proba)
    partial = combine_folds(plan, pieces[1:2], early_terminated=True, seconds=0.5)
    assert partial.folds_done == 1 and partial.std["accuracy"] == 0.0 and partial.early_terminated
    with pytest.raises(ValueError, match="at least one fold"):
        combine_folds(plan, [], early_terminated=True, seconds=0.0)
