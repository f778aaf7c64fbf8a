"""A real ``mlflow server`` process over HTTP, one per test session (see ``mlflow_server``).

It stands in for the REST store behind Azure ML's MLflow: Azure's MLflow client subclasses
MLflow's standard REST store, so the dashboard's reads and the trainer's writes take the same
client path against it. Its backend is SQLite in a temporary folder, which the fake Azure may
also open (to create runs whose id is a job's name, as Azure does).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MlflowServer:
    url: str  # http://127.0.0.1:PORT
    backend_uri: str  # sqlite:///.../mlflow.db (the server's own store)
    artifact_root: Path  # where runs of new experiments keep their artifacts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mlflow_server(
    folder: Path, timeout_s: float = 90.0
) -> tuple[MlflowServer, subprocess.Popen[bytes]]:
    """Start ``mlflow server`` on a free loopback port and wait until it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "mlflow.db"
    artifacts = folder / "artifacts"
    artifacts.mkdir(exist_ok=True)
    port = _free_port()
    backend_uri = f"sqlite:///{db}"
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("mlflow")),
            "server",
            "--backend-store-uri",
            backend_uri,
            "--default-artifact-root",
            artifacts.as_uri(),
            "--no-serve-artifacts",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MLFLOW_TRACKING_URI": ""},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {(folder / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:  # noqa: S310 - loopback
                if answer.status == 200:
                    return MlflowServer(url, backend_uri, artifacts), proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"mlflow server did not answer within {timeout_s:.0f} s")


def stop_mlflow_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
