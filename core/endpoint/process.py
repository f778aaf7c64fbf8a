"""The endpoint's server process seen from the dashboard: start it, find it again, check it, stop it.

The record (``endpoint.json``) is the link between a server and every dashboard process, so a
restarted dashboard finds a running server by its pid, its command line and its ``/health``
answer (which carries the instance id the record names). A record whose process is gone, after
a reboot for example, reads as stopped, and :func:`start_server` starts it again, on the same
port when that port is still free.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.backend.types import EndpointHealth
from core.endpoint.records import HOST, LOG, RUNTIME, EndpointRecord, EndpointStore
from core.errors import UserFacingError
from core.resources import now

__all__ = ["SERVER_MODULE", "Health", "health", "server_alive", "start_server", "stop_server"]

SERVER_MODULE = "core.endpoint.serve"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}  # servers this process started, reaped on stop


Health = EndpointHealth  # the neutral type: what a health check found


def _reap() -> None:
    for pid, proc in list(_CHILDREN.items()):
        if proc.poll() is not None:
            del _CHILDREN[pid]


def server_alive(record: EndpointRecord) -> bool:
    """True when the record's pid is a live server of this endpoint (not a recycled pid)."""
    _reap()
    if not record.pid or not record.instance_id:
        return False
    try:
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{record.pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if stat.rsplit(") ", 1)[-1].startswith("Z"):
        return False
    return SERVER_MODULE.encode() in cmdline and record.instance_id.encode() in cmdline


def _get(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def health(record: EndpointRecord, timeout: float = 3.0) -> Health:
    """Ask the record's server for ``/health``; the instance id must match the record's."""
    if not record.deployments:
        return Health("no deployment", "The endpoint has no deployment yet, so no server runs.")
    if not record.port or not server_alive(record):
        return Health("stopped", "The endpoint's server process is not running.")
    started = time.perf_counter()
    try:
        status, body = _get(record.port, "/health", timeout)
        info = json.loads(body)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        return Health("unresponsive", f"The server process runs but did not answer ({type(exc).__name__}).")
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200 or info.get("instance_id") != record.instance_id:
        return Health("unresponsive", f"Port {record.port} answered, but not as this endpoint's server.")
    return Health("healthy", f"Healthy: pid {record.pid}, port {record.port}.", info, elapsed)


def start_server(store: EndpointStore, name: str, timeout: float = START_TIMEOUT_S) -> EndpointRecord:
    """(Re)start the endpoint's server and wait until it answers ``/health``.

    A running server of the endpoint is stopped first. The new one prefers the old port, so the
    scoring URI stays the same when it can.
    """
    with store.locked():
        record = _require(store, name)
        if server_alive(record):
            stop_server(record)
        instance_id = secrets.token_hex(8)
        record = store.save(record.with_(instance_id=instance_id, pid=None, started_at=None))
    folder = store.path(name)
    (folder / RUNTIME).unlink(missing_ok=True)
    with open(folder / LOG, "ab") as log:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, str(folder), instance_id],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives Streamlit reruns and the dashboard's exit
        )
    _CHILDREN[proc.pid] = proc
    try:
        port = _wait_until_healthy(folder, instance_id, proc, timeout)
    except BaseException:
        _kill_group(proc.pid)
        with store.locked():
            current = store.load(name)
            if current is not None and current.instance_id == instance_id:
                store.save(current.with_(instance_id=None, pid=None))
        raise
    with store.locked():
        current = _require(store, name)
        if current.instance_id != instance_id:  # another session restarted it meanwhile
            return current
        return store.save(current.with_(pid=proc.pid, port=port, started_at=now()))


def _wait_until_healthy(folder: Path, instance_id: str, proc: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    port: int | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UserFacingError(
                f"The endpoint's server process stopped while starting (exit code {proc.returncode}). "
                f"Last lines of its log: {_log_tail(folder)}",
                "Fix the cause and start it again.",
            )
        if port is None:
            try:
                runtime = json.loads((folder / RUNTIME).read_text(encoding="utf-8"))
                if runtime.get("instance_id") == instance_id:
                    port = int(runtime["port"])
            except (FileNotFoundError, ValueError, KeyError):
                pass
        if port is not None:
            try:
                status, body = _get(port, "/health", 2.0)
                if status == 200 and json.loads(body).get("instance_id") == instance_id:
                    return port
            except (OSError, ValueError, http.client.HTTPException):
                pass
        time.sleep(0.1)
    raise UserFacingError(
        f"The endpoint's server did not become healthy within {timeout:.0f} s. "
        f"Last lines of its log: {_log_tail(folder)}",
        "Try again; if it keeps failing, check the log.",
    )


def _log_tail(folder: Path, lines: int = 6) -> str:
    try:
        text = (folder / LOG).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "(empty)"


def stop_server(record: EndpointRecord, timeout: float = STOP_TIMEOUT_S) -> bool:
    """Stop the record's server (SIGTERM to its process group, SIGKILL after ``timeout``).

    Returns False when no server of this record was running.
    """
    if not server_alive(record):
        return False
    assert record.pid is not None
    _kill_group(record.pid, timeout)
    return True


def _kill_group(pid: int, timeout: float = STOP_TIMEOUT_S) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)  # the server is its session's leader: pgid == pid
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_running(pid):
        time.sleep(0.05)
    if _pid_running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    proc = _CHILDREN.pop(pid, None)
    if proc is not None:
        proc.wait(timeout=5)


def _pid_running(pid: int) -> bool:
    proc = _CHILDREN.get(pid)
    if proc is not None:
        return proc.poll() is None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return not stat.rsplit(") ", 1)[-1].startswith("Z")


def _require(store: EndpointStore, name: str) -> EndpointRecord:
    record = store.load(name)
    if record is None:
        from core.errors import NotFoundError

        raise NotFoundError(f"There is no endpoint called '{name}' in this workspace.", "Create it first.")
    return record
