"""A runner's processes die with it: workers, their forkserver and the resource tracker never
outlive a runner killed with SIGKILL, and deleting a workspace stops every process of it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine.job import SWEEPS_ENV, sweep_processes
from core.engine.launcher import SweepStatus
from core.local.backend import LocalBackend
from core.sweep.spec import Limits
from tests.core.engine.conftest import small_spec, wait_for
from tests.workspaces import CC, WS

GONE_WITHIN_S = 20.0  # a deadline for waiting, not a timing assertion


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(") ", 1)[1].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited: it only waits to be reaped


def descendants(root: int) -> set[int]:
    """Every live process below ``root`` (children, grandchildren...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] != "Z":
            parents[int(entry.name)] = stat[1]
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def still_alive(pids: set[int], within: float = GONE_WITHIN_S) -> set[int]:
    deadline = time.time() + within
    while (left := {p for p in pids if alive(p)}) and time.time() < deadline:
        time.sleep(0.1)
    return left


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return "?"


@pytest.fixture
def reaper() -> Iterator[set[int]]:
    """Pids a test started; whatever a failing test leaves alive is killed afterwards."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def busy(backend: LocalBackend, job_id: str, reaper: set[int], before: int = 0) -> tuple[int, set[int]]:
    """Wait until the sweep's runner (not the one ``before``) has its workers: its pid and every
    process below it."""

    def started(s: SweepStatus) -> bool:
        return s.state == "running" and s.job.pid not in (None, before) and len(descendants(s.job.pid)) >= 4

    status = wait_for(backend, job_id, started)
    assert status.job.pid is not None
    below = descendants(status.job.pid)
    reaper.update(below | {status.job.pid})
    names = " ".join(cmdline(p) for p in below)
    assert "forkserver" in names and "resource_tracker" in names, names
    assert len(below) >= 4, "a forkserver, two workers and a resource tracker"
    return status.job.pid, below


def test_workers_die_with_their_runner_and_deleting_the_workspace_leaves_no_process_of_it(
    sweep_backend: LocalBackend, reaper: set[int]
) -> None:
    spec = small_spec(limits=Limits(max_total_trials=500, max_concurrent_trials=2))
    job = sweep_backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    runner, below = busy(sweep_backend, job.id, reaper)
    os.kill(runner, signal.SIGKILL)  # the runner alone, as `kill -9 <pid>` does
    left = still_alive(below)
    assert not left, "outlived their runner: " + "; ".join(f"{p} {cmdline(p)}" for p in left)

    wait_for(sweep_backend, job.id, lambda s: s.state == "interrupted", timeout=30)
    sweep_backend.resume_sweep(WS, job.id)
    runner, below = busy(sweep_backend, job.id, reaper, before=runner)
    sweeps = Path(sweep_backend.data_dir, "workspaces", WS, "sweeps")
    assert set(sweep_processes(sweeps)) >= below | {runner}, "every process of the sweep carries its tag"
    sweep_backend.delete_workspace(WS)
    left = still_alive(below | {runner}, within=5.0)
    assert not left, "survived the workspace: " + "; ".join(f"{p} {cmdline(p)}" for p in left)
    assert not [p for p in sweep_processes(sweeps) if alive(p)]


def test_deleting_the_workspace_stops_a_stray_process_of_its_sweeps_and_no_other(
    sweep_backend: LocalBackend, tmp_path: Path, reaper: set[int]
) -> None:
    """A process of the workspace's sweeps outside any runner's process group (a worker whose
    watchdog could not run, say) is stopped too; another workspace's is left alone."""
    sweeps = Path(sweep_backend.data_dir, "workspaces", WS, "sweeps")
    sweeps.mkdir(parents=True, exist_ok=True)
    other = tmp_path / "other-workspace" / "sweeps"
    strays = {
        folder: subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(120)"],
            env={**os.environ, SWEEPS_ENV: str(folder.resolve())},
            start_new_session=True,
        )
        for folder in (sweeps, other)
    }
    reaper.update(proc.pid for proc in strays.values())
    sweep_backend.delete_workspace(WS)
    deadline = time.time() + 5
    while strays[sweeps].poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert strays[sweeps].poll() is not None, "a process of the deleted workspace's sweeps survived"
    assert strays[other].poll() is None, "another workspace's process was stopped"
    strays[other].kill()
    strays[other].wait()
