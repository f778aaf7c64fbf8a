"""The sweep (or group of runs) under review: where its runs are and how the page keys it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.backend import SweepInfo, WorkspaceRef


@dataclass(frozen=True)
class Target:
    """The sweep (or group of runs) under review."""

    kind: str  # "app" or "uri"
    uri: str
    label: str
    experiment_id: str
    parent_run_id: str | None = None
    group_key: str | None = None
    job: SweepInfo | None = None
    workspace: WorkspaceRef | None = None  # where ``job`` runs (an app sweep)

    @property
    def key(self) -> str:
        raw = f"{self.uri}|{self.experiment_id}|{self.parent_run_id}|{self.group_key}"
        return hashlib.sha1(raw.encode()).hexdigest()[:10]
