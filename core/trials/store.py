"""Open an MLflow tracking store the user names: a SQLite file, an ``mlruns`` folder, or a server.

:func:`resolve_tracking_uri` turns what a person types into a tracking URI and checks it
before MLflow touches it. That matters: MLflow creates a fresh database when a SQLite path
does not exist and adds its tables to any SQLite file it is given, so a typo would leave an
empty store behind, and a wrong file would be modified. Local paths are therefore checked
read-only first (the file exists, is SQLite, and has MLflow's tables).

MLflow 3 keeps the folder ("file") store in maintenance mode and refuses to open it unless
``MLFLOW_ALLOW_FILE_STORE`` is true; opening such a folder sets it for this process, since
the user asked for exactly that folder.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias
from urllib.parse import unquote, urlparse

from core.errors import UserFacingError

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

StoreKind: TypeAlias = Literal["sqlite", "file", "remote"]
MLFLOW_TABLES = frozenset({"experiments", "runs", "metrics", "params", "tags", "latest_metrics"})
_REMOTE_SCHEMES = ("http://", "https://", "databricks", "azureml://", "postgresql", "mysql", "mssql")
_EXAMPLES = (
    "Examples: sqlite:////home/me/mlflow.db, /home/me/project/mlflow.db, /home/me/project/mlruns, "
    "http://127.0.0.1:5000."
)


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    last_update_ms: int | None


def store_kind(uri: str) -> StoreKind:
    if uri.startswith("sqlite:"):
        return "sqlite"
    if uri.startswith("file:"):
        return "file"
    return "remote"


def sqlite_path(uri: str) -> Path:
    """The database file of a ``sqlite:///`` URI (four slashes: an absolute path)."""
    return Path(unquote(uri[len("sqlite:///") :]))


def _sqlite_tables(path: Path) -> set[str]:
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise UserFacingError(f"{path} is not a SQLite database.", _EXAMPLES)
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.Error as exc:
        raise UserFacingError(f"Could not read {path} as SQLite ({exc}).", "Check the file.") from None
    return {str(r[0]) for r in rows}


def _check_sqlite(path: Path) -> str:
    if not path.exists():
        raise UserFacingError(
            f"There is no file at {path}.",
            "Check the path; MLflow would silently create an empty store there, so nothing was opened.",
        )
    if path.is_dir():
        raise UserFacingError(f"{path} is a folder, not a SQLite file.", _EXAMPLES)
    missing = MLFLOW_TABLES - _sqlite_tables(path)
    if missing:
        raise UserFacingError(
            f"{path} is a SQLite database but not an MLflow tracking store "
            f"(no {', '.join(sorted(missing))} table).",
            "Pick the file MLflow writes, often mlflow.db.",
        )
    return f"sqlite:///{path.resolve()}"


def _check_folder(path: Path) -> str:
    if not path.is_dir():
        raise UserFacingError(f"There is no folder at {path}.", _EXAMPLES)
    if (path / "mlflow.db").is_file():
        return _check_sqlite(path / "mlflow.db")
    if (path / "mlruns").is_dir() and not any(path.glob("*/meta.yaml")):
        path = path / "mlruns"
    if not any(path.glob("*/meta.yaml")):
        raise UserFacingError(
            f"{path} is not an MLflow folder store: it has no experiment folders with a meta.yaml.",
            "Point at the mlruns folder itself, or at the SQLite file (mlflow.db).",
        )
    return path.resolve().as_uri()


def _check_server(uri: str, timeout_s: float = 5.0) -> str:
    """Fail fast on a server that does not answer: MLflow's client retries for minutes."""
    import urllib.error
    import urllib.request

    probe = f"{uri}/api/2.0/mlflow/experiments/search?max_results=1"
    try:
        with urllib.request.urlopen(probe, timeout=timeout_s):  # noqa: S310 (http(s) only, checked above)
            pass
    except urllib.error.HTTPError:
        pass  # it answered (maybe 401/403/404): reachable; MLflow reports the rest
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserFacingError(
            f"Could not reach an MLflow server at {uri} ({reason}).",
            "Check the address and that the server is running.",
        ) from None
    return uri


def _check_workspace_mlflow(uri: str, timeout_s: float = 5.0) -> str:
    """An Azure ML workspace's MLflow (``azureml://``), read over HTTPS with the app's sign-in (see
    ``core.azure.tracking``). Fail fast when its host does not answer (MLflow's client retries for
    minutes); any answer, 401 included, will do here."""
    import requests

    from core.azure.tracking import ensure_registered, explain_failure, https_url

    ensure_registered()
    probe = f"{https_url(uri)}/api/2.0/mlflow/experiments/search?max_results=1"
    try:
        requests.get(probe, timeout=timeout_s)  # no token: only "does it answer"
    except requests.RequestException as exc:
        raise explain_failure(uri, exc) from None
    return uri


def resolve_tracking_uri(text: str) -> str:
    """A checked tracking URI from what the user typed; raises UserFacingError with the fix."""
    typed = text.strip().strip("'\"")
    if not typed:
        raise UserFacingError("Type a tracking URI or the path of an MLflow store.", _EXAMPLES)
    if typed.startswith("sqlite:"):
        if not typed.startswith("sqlite:///"):
            raise UserFacingError(f"'{typed}' is not a SQLite URI MLflow reads.", _EXAMPLES)
        return _check_sqlite(sqlite_path(typed).expanduser())
    if typed.startswith("file:"):
        return _check_folder(Path(unquote(urlparse(typed).path)).expanduser())
    if typed.startswith(("http://", "https://")):
        return _check_server(typed.rstrip("/"))
    if typed.lower().startswith("azureml://"):
        return _check_workspace_mlflow(typed.rstrip("/"))
    if typed.startswith(_REMOTE_SCHEMES):
        return typed
    if "://" in typed:
        raise UserFacingError(
            f"'{typed.split('://')[0]}' is not a tracking URI scheme MLflow knows.", _EXAMPLES
        )
    path = Path(typed).expanduser()
    if path.is_dir():
        return _check_folder(path)
    return _check_sqlite(path)


def client(uri: str) -> MlflowClient:
    """An MlflowClient on ``uri`` (a resolved URI)."""
    from mlflow.tracking import MlflowClient

    if store_kind(uri) == "file":
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    if uri.lower().startswith("azureml://"):
        from core.azure.tracking import ensure_registered

        ensure_registered()
    return MlflowClient(uri)


def describe_failure(uri: str, exc: Exception) -> UserFacingError:
    """An MLflow or network failure as a message for the page."""
    if isinstance(exc, UserFacingError):
        return exc
    if uri.lower().startswith("azureml://"):
        from core.azure.tracking import explain_failure

        return explain_failure(uri, exc)
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    return UserFacingError(
        f"MLflow could not read {uri}: {text}",
        "Check the URI, that the server is running and that you may read it.",
    )


def list_experiments(uri: str) -> list[Experiment]:
    """Active experiments, newest change first (paginated)."""
    from mlflow.entities import ViewType

    mlflow_client = client(uri)
    found: list[Experiment] = []
    token: str | None = None
    try:
        while True:
            page = mlflow_client.search_experiments(
                view_type=ViewType.ACTIVE_ONLY, max_results=1000, page_token=token
            )
            found.extend(Experiment(str(e.experiment_id), str(e.name), e.last_update_time) for e in page)
            token = page.token
            if not token:
                break
    except Exception as exc:  # MLflow raises MlflowException, OSError, requests errors...
        raise describe_failure(uri, exc) from None
    return sorted(found, key=lambda e: -(e.last_update_ms or 0))
