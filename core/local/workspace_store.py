"""The local workspace: an MLflow tracking store and model registry on SQLite."""

from __future__ import annotations

from pathlib import Path


def tracking_uri(folder: Path) -> str:
    return f"sqlite:///{(folder / 'mlflow.db').resolve()}"


def artifact_root(folder: Path) -> Path:
    return (folder / "artifacts").resolve()


def provision_mlflow_store(folder: Path) -> str:
    """Create the SQLite schema and the Default experiment with artifacts inside ``folder``.

    MLflow would otherwise put the Default experiment's artifacts in ``./mlruns``
    of whatever directory the dashboard was started from.
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    from core.engine.tracking import tune_sqlite_store

    folder.mkdir(parents=True, exist_ok=True)
    artifact_root(folder).mkdir(exist_ok=True)
    uri = tracking_uri(folder)
    store = SqlAlchemyStore(uri, artifact_root(folder).as_uri())  # type: ignore[no-untyped-call]
    store.engine.dispose()
    tune_sqlite_store(uri)  # write-ahead logging from the start
    return uri
