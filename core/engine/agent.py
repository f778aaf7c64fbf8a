"""A warm local compute cluster: the runner stays up between sweeps for the cluster's idle time.

An Azure ML compute cluster keeps its nodes for ``idle_seconds_before_scaledown`` after a job,
so the next job starts without provisioning. The local mirror does the same: after a sweep,
its runner process (the scheduler, with MLflow imported) and its worker processes (with
scikit-learn imported) wait for the cluster's next sweep for that many seconds, then exit.
A sweep on a warm cluster skips seconds of process start and imports.

Hand-over protocol, on this machine only:

- While idle, the runner listens on an abstract Unix socket (no file on disk, so no path
  length limit) and writes ``<sweeps folder>/<cluster>.agent.json`` (mode 0600) with the
  socket's name and a random token.
- The launcher reads that file, connects, sends ``{"token", "job"}`` and waits for
  ``accepted``. Anything else (no file, refused, busy, wrong token, no answer) and it starts
  a new runner, as on a cold cluster.
- The runner stops listening and removes the file before it runs the job, so a second launch
  meanwhile finds a busy cluster and gets a runner of its own.

An idle runner exits when its idle time is over, when the process that started it is gone
(a dashboard that stopped no longer needs a warm cluster), or when its file is removed or
replaced (the workspace was deleted).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path

ACCEPTED = b"accepted\n"
REPLY_TIMEOUT_S = 10.0  # how long a launcher waits for a warm runner to answer
CHECK_EVERY_S = 0.5  # how often an idle runner checks its parent and its file


@dataclass(frozen=True)
class WarmCluster:
    """Where a cluster's warm runner can be found: the sweeps folder of its workspace and the
    cluster's name."""

    folder: Path
    name: str

    @property
    def record(self) -> Path:
        return self.folder / f"{self.name}.agent.json"

    @property
    def address(self) -> str:
        digest = hashlib.sha256(f"{self.folder.resolve()}\0{self.name}".encode()).hexdigest()[:40]
        return f"\0azml-dashboard-cluster-{digest}"


def hand_over(cluster: WarmCluster, job_path: Path) -> bool:
    """Give ``job_path`` to the cluster's warm runner; True when it accepted the job."""
    try:
        record = json.loads(cluster.record.read_text())
        token = str(record["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(REPLY_TIMEOUT_S)
            conn.connect(cluster.address)
            conn.sendall(json.dumps({"token": token, "job": str(job_path)}).encode() + b"\n")
            return _read_line(conn) == ACCEPTED
    except OSError:  # refused, reset or timed out: the cluster is cold or busy
        return False


class Listener:
    """The idle runner's side of :func:`hand_over`."""

    def __init__(self, cluster: WarmCluster) -> None:
        self.cluster = cluster
        self.token = secrets.token_hex(16)
        self.parent = os.getppid()
        self._sock: socket.socket | None = None

    def wait_for_job(self, idle_s: float) -> Path | None:
        """Listen for up to ``idle_s`` seconds; the next job's record path, or None to exit."""
        deadline = time.monotonic() + idle_s
        self._open()
        try:
            while (left := deadline - time.monotonic()) > 0:
                if not self._still_wanted():
                    return None
                assert self._sock is not None
                self._sock.settimeout(min(CHECK_EVERY_S, left))
                try:
                    conn, _ = self._sock.accept()
                except TimeoutError:
                    continue
                job = self._accept(conn)
                if job is not None:
                    return job
            return None
        finally:
            self._close()

    def _accept(self, conn: socket.socket) -> Path | None:
        with conn:
            conn.settimeout(2.0)
            try:
                message = json.loads(_read_line(conn) or b"{}")
                job = Path(str(message.get("job", "")))
                ours = job.parent.resolve() == self.cluster.folder.resolve()
                if message.get("token") != self.token or not ours or not job.is_file():
                    return None
                self._close()  # busy from here on: a second launch gets a runner of its own
                conn.sendall(ACCEPTED)
                return job
            except (OSError, ValueError, AttributeError):
                return None

    def _open(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(self.cluster.address)
        sock.listen(8)
        self._sock = sock
        record = {"pid": os.getpid(), "token": self.token}
        tmp = self.cluster.record.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(record))
        os.replace(tmp, self.cluster.record)

    def _close(self) -> None:
        if self._sock is None:
            return
        self._sock.close()
        self._sock = None
        if self._owns_record():
            with contextlib.suppress(FileNotFoundError):
                self.cluster.record.unlink()

    def _owns_record(self) -> bool:
        try:
            return bool(json.loads(self.cluster.record.read_text()).get("token") == self.token)
        except (OSError, ValueError, AttributeError):
            return False

    def _still_wanted(self) -> bool:
        """The starter is alive and the cluster's record is still ours (not deleted)."""
        return os.getppid() == self.parent and self._owns_record()


def _read_line(conn: socket.socket, limit: int = 65536) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
