"""Server lifecycle: start, health, survival of a dashboard restart, stop, port reuse, deletion,
endpoint and deployment records, keys on disk."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core.backend import EndpointKeys
from core.data.schema import Schema
from core.endpoint.client import EndpointClient
from core.endpoint.process import server_alive
from core.endpoint.records import KeyChecker
from core.errors import InvalidNameError, NotFoundError, UserFacingError
from tests.core.endpoint.conftest import (
    Registered,
    Workspace,
    make_workspace,
    register_fitted,
    servers_running,
)

EP, DEP = "heart-classify-endpoint", "heart-classify-deployment"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = make_workspace(tmp_path / "ws")
    yield workspace
    for info in workspace.endpoints.endpoints():  # never leave a server behind
        workspace.endpoints.delete(info.name)


@pytest.fixture
def model(ws: Workspace, heart: pd.DataFrame, heart_schema: Schema) -> Registered:
    return register_fitted(ws, heart, heart_schema, "random_forest", "best_random_forest")


def wait_until(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def pid_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1]
    except FileNotFoundError:
        return True
    return state.startswith("Z")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_endpoint_names_follow_azure_and_create_is_get_or_create(ws: Workspace) -> None:
    with pytest.raises(InvalidNameError, match="does not start with a letter"):
        ws.endpoints.create_endpoint("1-heart")
    with pytest.raises(InvalidNameError, match="ends with '-'"):
        ws.endpoints.create_endpoint("heart-")
    first = ws.endpoints.create_endpoint(EP)
    again = ws.endpoints.create_endpoint(EP)
    assert first.created and not again.created and "exists already" in again.message
    info = ws.endpoints.get(EP)
    assert info.health.state == "no deployment" and info.scoring_uri == ""
    with pytest.raises(NotFoundError):
        ws.endpoints.get("other-endpoint")


def test_keys_are_owner_only_regenerated_and_never_in_a_repr(ws: Workspace) -> None:
    ws.endpoints.create_endpoint(EP)
    path = ws.endpoints.store.path(EP) / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = ws.endpoints.keys(EP)
    assert len(keys.primary.reveal()) >= 40 and keys.primary.reveal() != keys.secondary.reveal()
    assert keys.primary.reveal() not in repr(keys) and keys.primary.reveal() not in str(keys)
    fresh = ws.endpoints.regenerate_key(EP, "primary")
    assert (
        fresh.primary.reveal() != keys.primary.reveal()
        and fresh.secondary.reveal() == keys.secondary.reveal()
    )
    assert ws.endpoints.keys(EP) == fresh
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record_text = (ws.endpoints.store.path(EP) / "endpoint.json").read_text()
    assert fresh.primary.reveal() not in record_text
    with pytest.raises(UserFacingError, match="no 'tertiary' key"):
        ws.endpoints.regenerate_key(EP, "tertiary")


def test_key_checker_reads_a_new_key_file_on_the_next_call(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"primary": "a" * 43, "secondary": "b" * 43}))
    checker = KeyChecker(path)
    assert checker.check("Bearer " + "a" * 43) and checker.check("bearer " + "b" * 43)
    assert not checker.check("a" * 43) and not checker.check(None) and not checker.check("Bearer " + "c" * 43)
    time.sleep(0.01)
    path.write_text(json.dumps({"primary": "c" * 43, "secondary": "b" * 43}))
    os.utime(path, ns=(time.time_ns(), time.time_ns()))
    assert checker.check("Bearer " + "c" * 43) and not checker.check("Bearer " + "a" * 43)
    assert "a" * 43 not in repr(EndpointKeys.of("a" * 43, "b" * 43))


def test_start_health_restart_survival_stop(ws: Workspace, model: Registered) -> None:
    ws.endpoints.create_endpoint(EP)
    outcome = ws.endpoints.create_deployment(EP, DEP, model.name, model.version)
    assert outcome.created and "answers at http://127.0.0.1:" in outcome.message
    info = ws.endpoints.get(EP)
    assert (
        info.health.healthy
        and info.health.info["deployments"][DEP]["model"] == f"{model.name}:{model.version}"
    )
    record = info.record
    assert record.pid and record.port and server_alive(record)
    assert info.traffic == {DEP: 100}

    # a restarted dashboard is a new process: it finds the same server through the record
    probe = (
        "import sys; from pathlib import Path; from core.endpoint.service import LocalEndpoints;"
        "e = LocalEndpoints(Path(sys.argv[1]), 'ws', sys.argv[2]).get(sys.argv[3]);"
        "print(e.health.state, e.record.pid, e.record.port)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(ws.endpoints.store.folder), ws.tracking_uri, EP],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    assert out == ["healthy", str(record.pid), str(record.port)]

    # get-or-create: the same deployment again finds it and keeps the server
    again = ws.endpoints.create_deployment(EP, DEP, model.name, model.version)
    assert not again.created and ws.endpoints.get(EP).record.pid == record.pid

    deleted = ws.endpoints.delete(EP)
    assert [r.kind.value for r in deleted] == ["deployment", "endpoint"]
    wait_until(lambda: pid_gone(record.pid or 0))
    wait_until(lambda: port_free(record.port or 0))
    assert not ws.endpoints.store.path(EP).exists()
    assert not [line for line in servers_running() if str(ws.folder) in line]


def test_a_killed_server_reads_as_stopped_and_restarts_on_its_port(
    ws: Workspace, model: Registered, heart: pd.DataFrame
) -> None:
    ws.endpoints.create_endpoint(EP)
    ws.endpoints.create_deployment(EP, DEP, model.name, model.version)
    record = ws.endpoints.get(EP).record
    os.killpg(record.pid or 0, signal.SIGKILL)  # as after a reboot
    wait_until(lambda: pid_gone(record.pid or 0))
    assert ws.endpoints.get(EP).health.state == "stopped"
    restarted = ws.endpoints.start(EP)
    assert restarted.health.healthy
    assert restarted.record.port == record.port and restarted.record.pid != record.pid  # same scoring URI
    client = EndpointClient(restarted.scoring_uri, ws.endpoints.keys(EP).primary.reveal())
    rows = heart.drop(columns="output").head(3)
    assert client.score(rows).predictions == model.pipeline.predict(rows).tolist()


def test_a_taken_port_moves_the_server_to_a_free_one(ws: Workspace, model: Registered) -> None:
    ws.endpoints.create_endpoint(EP)
    ws.endpoints.create_deployment(EP, DEP, model.name, model.version)
    first = ws.endpoints.get(EP).record
    os.killpg(first.pid or 0, signal.SIGTERM)  # stopped, as by a reboot; then another program takes the port
    wait_until(lambda: pid_gone(first.pid or 0))
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    wait_until(lambda: port_free(first.port or 0))
    blocker.bind(("127.0.0.1", first.port or 0))
    blocker.listen(1)
    try:
        moved = ws.endpoints.start(EP)
        assert moved.health.healthy and moved.record.port != first.port
        assert moved.scoring_uri == f"http://127.0.0.1:{moved.record.port}/score"
    finally:
        blocker.close()


def test_the_server_stops_by_itself_when_its_record_goes(ws: Workspace, model: Registered) -> None:
    """Deleting the workspace folder (or restarting the endpoint elsewhere) leaves no orphan."""
    ws.endpoints.create_endpoint(EP)
    ws.endpoints.create_deployment(EP, DEP, model.name, model.version)
    record = ws.endpoints.get(EP).record
    (ws.endpoints.store.path(EP) / "endpoint.json").unlink()
    wait_until(lambda: pid_gone(record.pid or 0), timeout=30)
    wait_until(
        lambda: not [line for line in servers_running() if record.instance_id and record.instance_id in line]
    )


def test_two_deployments_traffic_and_the_header(
    ws: Workspace, model: Registered, heart: pd.DataFrame, heart_schema: Schema
) -> None:
    other = register_fitted(ws, heart, heart_schema, "logistic_regression", "best_logistic_regression")
    ws.endpoints.create_endpoint(EP)
    ws.endpoints.create_deployment(EP, "blue", model.name, model.version)
    green = ws.endpoints.create_deployment(EP, "green", other.name, other.version)
    assert green.created
    info = ws.endpoints.get(EP)
    assert info.traffic == {"blue": 100}, "a new deployment takes no traffic until the split changes"
    keys = ws.endpoints.keys(EP)
    rows = heart.drop(columns="output").head(20)
    by_traffic = EndpointClient(info.scoring_uri, keys.primary.reveal())
    assert {by_traffic.score(rows.head(1)).deployment for _ in range(10)} == {"blue"}
    picked = EndpointClient(info.scoring_uri, keys.primary.reveal(), deployment="green").score(rows)
    assert picked.deployment == "green" and picked.predictions == other.pipeline.predict(rows).tolist()

    pid = info.record.pid
    ws.endpoints.set_traffic(EP, {"blue": 0, "green": 100})
    assert ws.endpoints.get(EP).record.pid == pid, "traffic changes without a restart"
    wait_until(lambda: by_traffic.score(rows.head(1)).deployment == "green", timeout=5)
    with pytest.raises(UserFacingError, match="adds up to 90%"):
        ws.endpoints.set_traffic(EP, {"blue": 40, "green": 50})
    with pytest.raises(NotFoundError):
        ws.endpoints.set_traffic(EP, {"red": 100})

    with pytest.raises(UserFacingError, match="Move its traffic"):
        ws.endpoints.delete_deployment(EP, "green")
    after = ws.endpoints.delete_deployment(EP, "blue")  # it takes no traffic now
    assert [d.name for d in after.deployments] == ["green"] and after.health.healthy
    last = ws.endpoints.delete_deployment(EP, "green")
    assert last.health.state == "no deployment" and not server_alive(last.record)


def test_the_server_socket_says_it_is_tcp_so_nagle_is_off() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; with Nagle left on,
    every answer on a kept-alive connection waited for the client's delayed ACK (~40 ms)."""
    from core.endpoint.serve import bind

    first = bind("127.0.0.1", None)
    try:
        assert first.proto == socket.IPPROTO_TCP
        port = first.getsockname()[1]
        first.listen(1)
        second = bind("127.0.0.1", port)  # taken: falls back to a free port
        assert second.getsockname()[1] != port
        second.close()
    finally:
        first.close()
    again = bind("127.0.0.1", port)  # free again: the preferred port is reused
    assert again.getsockname()[1] == port
    again.close()


def test_kept_alive_requests_answer_without_a_delayed_ack_stall(
    ws: Workspace, model: Registered, heart: pd.DataFrame
) -> None:
    ws.endpoints.create_endpoint(EP)
    ws.endpoints.create_deployment(EP, DEP, model.name, model.version)
    info = ws.endpoints.get(EP)
    client = EndpointClient(info.scoring_uri, ws.endpoints.keys(EP).primary.reveal())
    probe = client.latency(heart.drop(columns="output").head(1), burst=15)
    health = info.health.round_trip_ms or 0.0
    # a small model answers in a few ms; 40 ms per request is the Nagle / delayed-ACK signature
    assert min(probe.samples_ms) < 35 + health, probe.samples_ms
