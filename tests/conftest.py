"""Shared fixtures: an isolated data folder per test, a real Azurite process and a real
``mlflow server`` process (one of each per test session)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.local.backend import LocalBackend
from core.settings import WARM_CLUSTER_MAX_ENV
from tests.mlflow_server import MlflowServer, start_mlflow_server, stop_mlflow_server

ROOT = Path(__file__).resolve().parent.parent
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
IN_CI = os.environ.get("CI", "").lower() == "true"

# Every local cluster scales to zero right after its sweep, so tests leave no warm runners
# behind; tests of warm clusters raise the cap themselves.
os.environ[WARM_CLUSTER_MAX_ENV] = "0"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh state folder, also handed to the dashboard through AZML_DATA_DIR."""
    folder = tmp_path / "data"
    monkeypatch.setenv("AZML_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def backend(data_dir: Path) -> LocalBackend:
    return LocalBackend(data_dir)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _azurite_binary() -> str | None:
    local = ROOT / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return str(local)
    return shutil.which("azurite-blob")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start Azurite's blob service on a free loopback port; yield its connection string."""
    binary = _azurite_binary()
    if binary is None:
        reason = "Azurite is not installed (run `npm install` in the project, which needs Node.js)"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run the Azurite tests.")
        pytest.skip(reason)
    port = free_port()
    location = tmp_path_factory.mktemp("azurite")
    proc = subprocess.Popen(
        [
            binary,
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--location",
            str(location),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"Azurite exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                ) from None
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("Azurite did not start within 30 s")
    yield (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """One real ``mlflow server`` (SQLite behind it) for the whole session; tests use their own
    experiments in it."""
    server, proc = start_mlflow_server(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    stop_mlflow_server(proc)
