"""Shared data for the training-layer tests: the heart sample (0/1 and yes/no labels), a
regression target, and a real MLflow store on SQLite in a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from core.data.samples import heart_sample
from core.data.schema import Schema, Task, build_schema
from core.local.workspace_store import provision_mlflow_store

FAST = {"random_forest": {"n_estimators": 10}, "hist_gradient_boosting": {"max_iter": 20}}


def fast_params(family: str) -> dict[str, object]:
    """Small models, so a test fits in a fraction of a second."""
    return dict(FAST.get(family, {}))


@pytest.fixture(scope="session")
def heart() -> pd.DataFrame:
    return heart_sample(200, seed=7)


@pytest.fixture(scope="session")
def heart_schema(heart: pd.DataFrame) -> Schema:
    return build_schema(heart, "output")


@pytest.fixture(scope="session")
def yes_no(heart: pd.DataFrame) -> pd.DataFrame:
    """The heart sample with its target as text labels."""
    return heart.assign(output=heart["output"].map({0: "no", 1: "yes"}))


@pytest.fixture(scope="session")
def yes_no_schema(yes_no: pd.DataFrame) -> Schema:
    return build_schema(yes_no, "output")


@pytest.fixture(scope="session")
def diabetes() -> pd.DataFrame:
    """scikit-learn's bundled diabetes data (442 rows, a numeric target): real regression."""
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame


@pytest.fixture(scope="session")
def diabetes_schema(diabetes: pd.DataFrame) -> Schema:
    return build_schema(diabetes, "target", Task.REGRESSION)


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh MLflow store (SQLite + artifact folder) as the tracking URI of this process."""
    import mlflow

    uri = provision_mlflow_store(tmp_path / "workspace")
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(uri)
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
