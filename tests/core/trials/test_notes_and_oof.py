"""Review notes as MLflow tags, and out-of-fold predictions re-run with the real trainer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.errors import UserFacingError
from core.mlflow_layout import OOF_ARTIFACT, sweep_oof_artifact
from core.mlflow_layout import TAG_NOTE as NOTE_TAG
from core.train.setup import TrialSetup
from core.train.trainer import cross_validate_trial
from core.trials import load_sweep, read_note, write_note
from core.trials.artifacts import keep_with_sweep, logged_predictions, read_run_artifact
from core.trials.oof import TrainingData, out_of_fold, out_of_fold_csv


def test_notes_round_trip_through_mlflow(app_sweep: tuple[str, str, str]) -> None:
    uri, _, parent = app_sweep
    run_id = str(load_sweep(uri, parent, "s").run_ids[2])
    assert read_note(uri, run_id) == ""
    text = "**Too slow** for the gain.\n\n- try fewer trees"
    assert write_note(uri, run_id, f"  {text}\n") == text
    assert MlflowClient(uri).get_run(run_id).data.tags[NOTE_TAG] == text, "MLflow's own run note tag"
    assert load_sweep(uri, parent, "s").info["note"].iloc[2] == text, "a reload sees it"
    assert write_note(uri, run_id, "   ") == ""
    assert NOTE_TAG not in MlflowClient(uri).get_run(run_id).data.tags, "an empty note removes the tag"
    with pytest.raises(UserFacingError, match="at most 8,000"):
        write_note(uri, run_id, "x" * 8001)


def _store_csv(tmp_path: Path, frame: pd.DataFrame) -> bytes:
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    return path.read_bytes()


def test_out_of_fold_predictions_match_the_trainer(tmp_path: Path) -> None:
    frame = heart_sample(200, seed=7)
    schema = build_schema(frame, "output")
    data = TrainingData(
        _store_csv(tmp_path, frame), TrialSetup(schema.to_dict(), "random_forest", "accuracy", 3, 5)
    )
    params = {"n_estimators": 10, "max_depth": 4}
    oof = out_of_fold(data, params)
    reference = cross_validate_trial(
        frame, schema, "random_forest", params, primary_metric="accuracy", folds=3, seed=5
    )
    assert oof.mean == pytest.approx(reference.mean), "same trainer, folds and seed: same scores"
    assert oof.task == "classification" and oof.classes == ("0", "1")
    assert oof.confusion is not None and int(oof.confusion.sum()) == len(frame)
    assert np.trace(oof.confusion) / len(frame) == pytest.approx(
        np.mean(reference.y_true == reference.y_pred)
    )
    assert len(oof.roc) == 1 and len(oof.pr) == 1, "binary: the positive class only"
    assert oof.roc[0].label == "class 1"
    from sklearn.metrics import roc_auc_score

    assert reference.y_proba is not None
    assert oof.roc[0].area == pytest.approx(roc_auc_score(reference.y_true == 1, reference.y_proba[:, 1]))
    assert oof.pr[0].baseline == pytest.approx(float(np.mean(frame["output"] == 1)))


def test_regression_gives_predictions_and_no_curves(tmp_path: Path) -> None:
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame.head(150)
    schema = build_schema(frame, "target", Task.REGRESSION)
    data = TrainingData(
        _store_csv(tmp_path, frame), TrialSetup(schema.to_dict(), "random_forest", "r2", 3, 0)
    )
    oof = out_of_fold(data, {"n_estimators": 10})
    assert oof.task == "regression" and oof.confusion is None and oof.roc == ()
    assert oof.y_true.shape == oof.y_pred.shape == (150,)


def test_a_missing_train_split_is_explained(tmp_path: Path) -> None:
    data = TrainingData(b"", TrialSetup({}, "random_forest", "accuracy", 3, 0))
    with pytest.raises(UserFacingError, match="train split is empty"):
        out_of_fold(data, {})


def test_an_older_sweep_is_rerun_once_then_read_from_the_sweep(
    app_sweep: tuple[str, str, str], tmp_path: Path
) -> None:
    uri, _, parent = app_sweep
    run_id = str(load_sweep(uri, parent, "s").run_ids[0])

    def read(run: str, path: str) -> bytes | None:
        return read_run_artifact(uri, run, path)

    assert logged_predictions(read, run_id, parent) is None, "a sweep from before the refit stored them"
    frame = heart_sample(120, seed=7)
    schema = build_schema(frame, "output")
    data = TrainingData(
        _store_csv(tmp_path, frame), TrialSetup(schema.to_dict(), "random_forest", "accuracy", 3, 5)
    )
    csv = out_of_fold_csv(data, {"n_estimators": 5, "max_depth": 3})
    assert keep_with_sweep(uri, parent, run_id, csv) == sweep_oof_artifact(run_id)
    assert logged_predictions(read, run_id, parent) == (csv, sweep_oof_artifact(run_id)), (
        "the next look reads what the first one stored"
    )
    assert logged_predictions(read, run_id, None) is None, "kept on the sweep's parent run, not the trial"
    assert keep_with_sweep("azureml://somewhere", parent, run_id, csv) is None, "never written to Azure"

    own = b"y_true,y_pred\n1,1\n0,0\n"
    MlflowClient(uri).log_text(run_id, own.decode(), OOF_ARTIFACT)
    assert logged_predictions(read, run_id, parent) == (own, OOF_ARTIFACT), "the trial's own file wins"
