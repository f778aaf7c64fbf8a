"""A JSON file of resources, shared safely by every dashboard session and process.

Writers take an exclusive ``fcntl`` lock and replace the file atomically, so two
browser sessions (or a restart mid-write) never see a half-written state.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.resources import Kind, Resource

STATE_VERSION = 1


class StateFile:
    """Resources in ``state.json``; secrets in a separate owner-only ``secrets.json``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "state.json"
        self.secrets_path = root / "secrets.json"
        self._lock_path = root / ".state.lock"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def resources(self) -> list[Resource]:
        return [Resource.from_dict(item) for item in self._read(self.path).get("resources", [])]

    def find(self, kind: Kind, name: str, parent: str | None = None) -> Resource | None:
        for res in self.resources():
            if res.kind == kind and res.name == name and (parent is None or res.parent == parent):
                return res
        return None

    def save_resources(self, resources: list[Resource]) -> None:
        """Replace the stored list; call only while holding ``locked()``."""
        self._write(self.path, {"version": STATE_VERSION, "resources": [r.to_dict() for r in resources]})

    def secret(self, key: str) -> str | None:
        value = self._read(self.secrets_path).get(key)
        return value if isinstance(value, str) else None

    def set_secret(self, key: str, value: str | None) -> None:
        """Store or drop one secret; call only while holding ``locked()``."""
        secrets = self._read(self.secrets_path)
        if value is None:
            secrets.pop(key, None)
        else:
            secrets[key] = value
        self._write(self.secrets_path, secrets, mode=0o600)

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _write(path: Path, data: dict[str, Any], mode: int = 0o644) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
