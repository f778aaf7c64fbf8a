"""A warm local cluster: after a sweep the runner and its workers wait for the cluster's next
sweep for its idle seconds, as an Azure ML cluster keeps its nodes before scaling down."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.engine.agent import Listener, WarmCluster, hand_over
from core.engine.job import runner_alive
from core.local.backend import LocalBackend
from core.settings import WARM_CLUSTER_MAX_ENV, warm_seconds
from core.sweep.spec import Limits
from tests.core.engine.conftest import finished, small_spec, wait_for
from tests.workspaces import CC, WS

ROOT = Path(__file__).resolve().parents[3]


def sweeps_folder(backend: LocalBackend) -> Path:
    return Path(backend.data_dir, "workspaces", WS, "sweeps")


def gone(pid: int | None, within: float) -> bool:
    deadline = time.time() + within
    while runner_alive(pid) and time.time() < deadline:
        time.sleep(0.1)
    return not runner_alive(pid)


def test_the_next_sweep_runs_on_the_warm_cluster(
    sweep_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_CLUSTER_MAX_ENV, "60")
    first = sweep_backend.launch_sweep(WS, CC, "heart", 1, small_spec(), experiment="heart-sweeps")
    done = wait_for(sweep_backend, first.id, finished)
    assert done.state == "completed" and done.job.warm_s == 60
    record = sweeps_folder(sweep_backend) / f"{CC}.agent.json"
    deadline = time.time() + 10
    while not record.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert record.stat().st_mode & 0o777 == 0o600, "the hand-over token is the user's alone"
    assert json.loads(record.read_text())["pid"] == done.job.pid
    assert runner_alive(done.job.pid, sweeps_folder(sweep_backend))
    assert not runner_alive(done.job.pid, sweeps_folder(sweep_backend).parent / "other"), (
        "a long-lived runner is never taken for another workspace's"
    )

    second = sweep_backend.launch_sweep(
        WS, CC, "heart", 1, small_spec(seed=1, cv_folds=4), experiment="heart-sweeps"
    )
    again = wait_for(sweep_backend, second.id, finished)
    assert again.state == "completed", again.job.message
    assert again.job.pid == done.job.pid, "the warm runner took the second sweep"
    assert again.job.counts["completed"] == 4 and again.job.model_uri
    assert all(t["folds"] == 4 for t in again.trials), "each task carries its own sweep's settings"
    log = (sweeps_folder(sweep_backend) / f"{second.id}.log").read_text()
    assert "runs on the warm cluster" in log, "the second sweep logs into its own file"

    sweep_backend.delete_workspace(WS)
    assert gone(done.job.pid, within=10), "deleting the workspace stops its warm cluster"


def test_a_busy_cluster_gives_the_next_sweep_a_runner_of_its_own(
    sweep_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_CLUSTER_MAX_ENV, "60")
    long = small_spec(limits=Limits(max_total_trials=12, max_concurrent_trials=2))
    first = sweep_backend.launch_sweep(WS, CC, "heart", 1, long, experiment="heart-sweeps")
    wait_for(sweep_backend, first.id, lambda s: s.state == "running" and s.job.pid is not None)
    second = sweep_backend.launch_sweep(WS, CC, "heart", 1, small_spec(), experiment="heart-sweeps")
    both = [wait_for(sweep_backend, job.id, finished) for job in (first, second)]
    assert [s.state for s in both] == ["completed", "completed"]
    assert both[0].job.pid != both[1].job.pid
    assert [s.job.counts["completed"] for s in both] == [12, 4]
    sweep_backend.delete_workspace(WS)
    assert gone(both[0].job.pid, 10) and gone(both[1].job.pid, 10)


def test_the_cluster_scales_to_zero_after_its_idle_seconds(
    sweep_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_CLUSTER_MAX_ENV, "1")
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, small_spec(), experiment="heart-sweeps")
    done = wait_for(sweep_backend, job.id, finished)
    assert done.state == "completed"
    assert gone(done.job.pid, within=15), "idle for its idle seconds, the cluster scales to zero"
    assert not (sweeps_folder(sweep_backend) / f"{CC}.agent.json").exists()


def test_a_canceled_sweep_does_not_leave_a_warm_cluster(
    sweep_backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_CLUSTER_MAX_ENV, "60")
    spec = small_spec(limits=Limits(max_total_trials=200, max_concurrent_trials=2))
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    running = wait_for(sweep_backend, job.id, lambda s: s.job.counts.get("completed", 0) >= 1)
    sweep_backend.cancel_sweep(WS, job.id)
    status = wait_for(sweep_backend, job.id, finished, timeout=60)
    assert status.state == "canceled"
    assert gone(running.job.pid, within=15), "workers stopped mid-fold are not reused"


def test_a_warm_cluster_goes_when_the_process_that_started_it_ends(
    sweep_backend: LocalBackend, tmp_path: Path
) -> None:
    script = tmp_path / "launch.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from core.local.backend import LocalBackend\n"
        "from tests.core.engine.conftest import small_spec\n"
        "backend = LocalBackend(sys.argv[1])\n"
        f"job = backend.launch_sweep({WS!r}, {CC!r}, 'heart', 1, small_spec(), experiment='x')\n"
        f"while backend.sweep_status({WS!r}, job.id).state in ('starting', 'running'):\n"
        "    time.sleep(0.2)\n"
        "print(backend.sweep_status(" + repr(WS) + ", job.id).job.pid)\n"
    )
    env = {"PATH": "/usr/bin:/bin", WARM_CLUSTER_MAX_ENV: "120"}
    out = subprocess.run(
        [sys.executable, str(script), str(sweep_backend.data_dir)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    pid = int(out.stdout.strip().splitlines()[-1])
    assert gone(pid, within=15), "no warm runner outlives the process that launched it"


def _send(cluster: WarmCluster, message: dict[str, str]) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(cluster.address)
        conn.sendall(json.dumps(message).encode() + b"\n")
        return conn.recv(100)


def _listen(cluster: WarmCluster, idle_s: float) -> tuple[threading.Thread, list[Path | None]]:
    got: list[Path | None] = []
    thread = threading.Thread(target=lambda: got.append(Listener(cluster).wait_for_job(idle_s)))
    thread.start()
    deadline = time.time() + 10
    while not cluster.record.exists() and time.time() < deadline:
        time.sleep(0.01)
    return thread, got


def test_hand_over_needs_the_cluster_token(tmp_path: Path) -> None:
    cluster = WarmCluster(tmp_path, "cpu-cluster")
    job = tmp_path / "sweep-1.json"
    job.write_text("{}")
    thread, got = _listen(cluster, 20)
    assert _send(cluster, {"token": "guess", "job": str(job)}) == b"", "a wrong token is refused"
    token = json.loads(cluster.record.read_text())["token"]
    outside = tmp_path.parent / "elsewhere.json"
    assert _send(cluster, {"token": token, "job": str(outside)}) == b"", "only this cluster's records"
    assert hand_over(cluster, job)
    thread.join(10)
    assert got == [job]
    assert not cluster.record.exists(), "a busy cluster takes no more sweeps"
    assert not hand_over(cluster, job)


def test_an_idle_cluster_whose_record_is_removed_stops_listening(tmp_path: Path) -> None:
    cluster = WarmCluster(tmp_path, "cpu-cluster")
    thread, got = _listen(cluster, 60)
    cluster.record.unlink()  # as deleting the workspace does
    thread.join(10)
    assert not thread.is_alive() and got == [None]


def test_warm_seconds_follow_the_idle_time_under_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WARM_CLUSTER_MAX_ENV, raising=False)
    assert warm_seconds(120) == 120
    monkeypatch.setenv(WARM_CLUSTER_MAX_ENV, "30")
    assert warm_seconds(120) == 30 and warm_seconds(10) == 10
    monkeypatch.setenv(WARM_CLUSTER_MAX_ENV, "0")
    assert warm_seconds(120) == 0
    monkeypatch.setenv(WARM_CLUSTER_MAX_ENV, "soon")
    assert warm_seconds(120) == 120
