"""Which reviewing steps a user has done, kept on disk so the home page can say "done".

Creating things is visible in the backend (a dataset, a sweep, an endpoint). Looking at them is
not: the EDA step is done once the current dataset version was explored, the Trials step once a
finished sweep was reviewed. Those marks live in one small JSON file beside the app's data,
per backend and workspace.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Literal

PROGRESS_FILE = "progress.json"
Step = Literal["eda", "trials"]


class StepProgress:
    """Marks in ``folder/progress.json``: {"<backend>|<workspace>": {"eda": [...], "trials": [...]}}."""

    def __init__(self, folder: Path, backend: str) -> None:
        self._path = folder / PROGRESS_FILE
        self._backend = backend

    def mark(self, step: Step, workspace: str, item: str) -> None:
        """Record that ``item`` (a dataset version, a sweep id) was looked at in ``step``."""
        if self.done(step, workspace, item):
            return
        marks = self._read()
        entry = marks.setdefault(self._scope(workspace), {})
        entry.setdefault(step, []).append(item)
        self._write(marks)

    def done(self, step: Step, workspace: str, item: str) -> bool:
        return item in self._read().get(self._scope(workspace), {}).get(step, [])

    def _scope(self, workspace: str) -> str:
        return f"{self._backend}|{workspace}"

    def _read(self) -> dict[str, dict[str, list[str]]]:
        """The marks; an unreadable file counts as none (they are a convenience, not data)."""
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, marks: dict[str, dict[str, list[str]]]) -> None:
        """Replace the file at once, so a reader never sees half of it."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".progress-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(marks, handle, indent=1)
        os.replace(tmp, self._path)


def dataset_item(name: str, version: int) -> str:
    """How a dataset version is named in the marks."""
    return f"{name}:{version}"
