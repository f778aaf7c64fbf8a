"""Fixtures: one SQLite MLflow store per test holding an app sweep, plain runs and Optuna runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.trials.stores import sqlite_uri, write_app_sweep, write_optuna_runs, write_plain_runs


@pytest.fixture
def store(tmp_path: Path) -> str:
    return sqlite_uri(tmp_path / "store")


@pytest.fixture
def app_sweep(store: str) -> tuple[str, str, str]:
    """(uri, experiment id, parent run id) of a finished sweep in this app's layout."""
    experiment_id, parent = write_app_sweep(store)
    return store, experiment_id, parent


@pytest.fixture
def plain(store: str) -> tuple[str, str]:
    return store, write_plain_runs(store)


@pytest.fixture
def optuna_runs(store: str) -> tuple[str, str]:
    return store, write_optuna_runs(store)
