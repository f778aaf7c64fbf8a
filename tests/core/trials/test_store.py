"""Opening a store the user typed: checked read-only before MLflow may touch (or create) it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from core.errors import UserFacingError
from core.trials.store import list_experiments, resolve_tracking_uri, store_kind


def test_a_sqlite_store_opens_by_path_or_uri(plain: tuple[str, str]) -> None:
    uri, _ = plain
    path = uri.removeprefix("sqlite:///")
    assert resolve_tracking_uri(path) == uri
    assert resolve_tracking_uri(f"  '{uri}' ") == uri
    assert resolve_tracking_uri(str(Path(path).parent)) == uri, "a folder holding mlflow.db opens the db"
    assert [e.name for e in list_experiments(uri)] == ["someone-elses", "Default"]


def test_a_missing_file_is_refused_and_not_created(tmp_path: Path) -> None:
    target = tmp_path / "typo.db"
    with pytest.raises(UserFacingError, match="There is no file"):
        resolve_tracking_uri(f"sqlite:///{target}")
    assert not target.exists(), "MLflow would have created an empty store; nothing was opened"


def test_files_that_are_not_mlflow_stores_are_refused_untouched(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("hello")
    with pytest.raises(UserFacingError, match="not a SQLite database"):
        resolve_tracking_uri(str(text))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (x INTEGER)")
    before = other.read_bytes()
    with pytest.raises(UserFacingError, match="not an MLflow tracking store"):
        resolve_tracking_uri(str(other))
    assert other.read_bytes() == before


def test_folders_and_schemes(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserFacingError, match="not an MLflow folder store"):
        resolve_tracking_uri(str(empty))
    with pytest.raises(UserFacingError, match="no folder"):
        resolve_tracking_uri(f"file://{tmp_path / 'nowhere'}")
    with pytest.raises(UserFacingError, match="not a tracking URI scheme"):
        resolve_tracking_uri("ftp://example.com/mlruns")
    with pytest.raises(UserFacingError, match="Type a tracking URI"):
        resolve_tracking_uri("   ")
    assert store_kind("http://127.0.0.1:5000") == "remote"


def test_an_mlruns_folder_opens_as_a_file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root = tmp_path / "project" / "mlruns"
    MlflowClient(root.as_uri()).create_experiment("folder-exp")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    uri = resolve_tracking_uri(str(root.parent))  # the project folder holding mlruns/
    assert uri == root.resolve().as_uri() and store_kind(uri) == "file"
    assert "folder-exp" in [e.name for e in list_experiments(uri)]
    assert os.environ["MLFLOW_ALLOW_FILE_STORE"] == "true", "opening a folder store allows it"


def test_an_unreachable_server_is_refused_fast() -> None:
    import time

    started = time.monotonic()
    with pytest.raises(UserFacingError, match="Could not reach an MLflow server at http://127.0.0.1:9"):
        resolve_tracking_uri("http://127.0.0.1:9/")
    assert time.monotonic() - started < 10, "no minutes of retries"


def test_a_live_server_is_accepted() -> None:
    """Any HTTP answer means the server is there; MLflow reports what it refuses later."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        uri = f"http://127.0.0.1:{server.server_port}"
        assert resolve_tracking_uri(uri + "/") == uri
    finally:
        server.shutdown()
