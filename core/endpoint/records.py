"""Endpoint and deployment records, and their keys, under the workspace folder.

``<workspace>/endpoints/<endpoint>/`` holds:

- ``endpoint.json``: the record: auth mode, traffic split, deployments, and the server
  process (instance id, pid, port) so any dashboard process finds a running server again;
- ``keys.json``: the primary and secondary keys, owner-only (0600), never logged;
- ``deployments/<deployment>/model/``: the MLflow model folder each deployment serves (a
  copy, as Azure copies a model into its deployment);
- ``server.json`` (written by the server: its pid and port) and ``server.log``.

Writers hold an ``fcntl`` lock and replace files atomically, as ``core.local.state`` does.
"""

from __future__ import annotations

import contextlib
import fcntl
import hmac
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from core.backend.types import DeploymentInfo, EndpointKeys
from core.endpoint.payload import MAX_BODY_BYTES, MAX_ROWS
from core.resources import Kind, Resource

__all__ = [
    "DeploymentRecord",
    "generate_keys",
    "EndpointRecord",
    "EndpointStore",
    "KeyChecker",
    "new_key",
]

RECORD, KEYS, RUNTIME, LOG = "endpoint.json", "keys.json", "server.json", "server.log"
HOST = "127.0.0.1"


def new_key() -> str:
    """A fresh endpoint key: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def generate_keys() -> EndpointKeys:
    """Two fresh keys for a new endpoint."""
    return EndpointKeys.of(new_key(), new_key())


@dataclass(frozen=True, kw_only=True)
class DeploymentRecord(DeploymentInfo):
    """One local deployment: the neutral fields, plus the copied model folder its server loads."""

    model_dir: str


@dataclass(frozen=True)
class EndpointRecord:
    name: str
    workspace: str
    created_at: str
    auth_mode: str = "key"
    description: str = ""
    traffic: dict[str, int] = field(default_factory=dict)  # deployment -> percent
    deployments: list[DeploymentRecord] = field(default_factory=list)
    instance_id: str | None = None  # the server process this record names (None: not started)
    pid: int | None = None
    port: int | None = None
    started_at: str | None = None
    workers: int = 1
    max_rows: int = MAX_ROWS
    max_body_bytes: int = MAX_BODY_BYTES

    @property
    def scoring_uri(self) -> str:
        return f"http://{HOST}:{self.port}/score" if self.port else ""

    @property
    def base_uri(self) -> str:
        return f"http://{HOST}:{self.port}" if self.port else ""

    def deployment(self, name: str) -> DeploymentRecord | None:
        return next((d for d in self.deployments if d.name == name), None)

    def with_(self, **changes: Any) -> EndpointRecord:
        return replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EndpointRecord:
        data = json.loads(text)
        data["deployments"] = [DeploymentRecord(**d) for d in data.get("deployments", [])]
        return cls(**data)


class EndpointStore:
    """The endpoints of one workspace: ``<workspace>/endpoints/<name>/``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        return self.folder / name

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self, name: str) -> EndpointRecord | None:
        try:
            return EndpointRecord.from_json((self.path(name) / RECORD).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return None

    def all(self) -> list[EndpointRecord]:
        if not self.folder.exists():
            return []
        found = [self.load(p.name) for p in sorted(self.folder.iterdir()) if (p / RECORD).exists()]
        return sorted((r for r in found if r is not None), key=lambda r: r.created_at)

    def save(self, record: EndpointRecord) -> EndpointRecord:
        """Write the record; call while holding ``locked()``."""
        write_atomic(self.path(record.name) / RECORD, record.to_json())
        return record

    def remove(self, name: str) -> None:
        shutil.rmtree(self.path(name), ignore_errors=True)

    def keys(self, name: str) -> EndpointKeys | None:
        try:
            data = json.loads((self.path(name) / KEYS).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return EndpointKeys.of(str(data["primary"]), str(data["secondary"]))

    def set_keys(self, name: str, keys: EndpointKeys) -> EndpointKeys:
        write_atomic(
            self.path(name) / KEYS,
            json.dumps({"primary": keys.primary.reveal(), "secondary": keys.secondary.reveal()}),
            mode=0o600,
        )
        return keys


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to a temp file with ``mode`` and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class KeyChecker:
    """The server's key check: re-reads ``keys.json`` when it changes, so a regenerated key
    takes effect on the next request without a restart. Comparisons are constant-time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._keys: tuple[bytes, ...] = ()

    def _refresh(self) -> None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._keys, self._stamp = (), None
            return
        stamp = (stat.st_mtime_ns, stat.st_ino)
        if stamp != self._stamp:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._keys = tuple(str(data[k]).encode() for k in ("primary", "secondary") if data.get(k))
            self._stamp = stamp

    def check(self, authorization: str | None) -> bool:
        """True when the ``Authorization`` header is ``Bearer <primary or secondary key>``."""
        self._refresh()
        if not authorization or not self._keys:
            return False
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        given = token.strip().encode()
        matches = [hmac.compare_digest(given, key) for key in self._keys]
        return any(matches)


def endpoint_resource(record: EndpointRecord) -> Resource:
    return Resource(
        Kind.ENDPOINT,
        record.name,
        record.workspace,
        record.created_at,
        {"auth_mode": record.auth_mode, "scoring_uri": record.scoring_uri, "traffic": dict(record.traffic)},
    )


def deployment_resource(record: EndpointRecord, deployment: DeploymentRecord) -> Resource:
    return Resource(
        Kind.DEPLOYMENT,
        deployment.name,
        record.name,
        deployment.created_at,
        {
            "model": f"{deployment.model_name}:{deployment.model_version}",
            "instance_count": deployment.instance_count,
            "traffic": record.traffic.get(deployment.name, 0),
            "scoring_uri": record.scoring_uri,
        },
    )


def inventory_of(folder: Path) -> list[Resource]:
    """The endpoints (and their deployments) stored under a workspace's endpoints folder, as
    inventory entries; read from the records alone, without asking any server."""
    found: list[Resource] = []
    for record in EndpointStore(folder).all():
        found.append(endpoint_resource(record))
        found.extend(deployment_resource(record, d) for d in record.deployments)
    return found
