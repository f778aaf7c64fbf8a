"""What deleting a workspace also deletes beyond the resource tree: its endpoints, registered
models, datasets and sweeps, as the backend lists them (the Teardown warning names them all)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.backend import Backend, WorkspaceRef
from core.errors import UserFacingError

SHOWN_NAMES = 8  # names listed per kind before "and N more"


@dataclass(frozen=True)
class Contents:
    """One kind of thing inside a workspace: its names, or why the backend could not list them."""

    label: str  # plural, e.g. "registered models"
    names: tuple[str, ...] = ()
    unknown: str = ""  # the backend's answer when it could not list them

    def line(self) -> str:
        if self.unknown:
            return f"{self.label}: could not be listed ({self.unknown})"
        shown = ", ".join(self.names[:SHOWN_NAMES])
        more = f" and {len(self.names) - SHOWN_NAMES} more" if len(self.names) > SHOWN_NAMES else ""
        return f"{self.label} ({len(self.names)}): {shown}{more}"


def workspace_contents(backend: Backend, workspace: WorkspaceRef) -> list[Contents]:
    """The workspace's endpoints, models, datasets and sweeps; kinds with none are left out.
    A backend that does not offer sweeps or endpoints yet has none of them to lose."""
    listings: list[tuple[str, Callable[[], Sequence[str]]]] = []
    if backend.capabilities.endpoints:
        listings.append(("online endpoints", lambda: [e.name for e in backend.list_endpoints(workspace)]))
        listings.append(("registered models", lambda: _models(backend, workspace)))
    listings.append(("datasets", lambda: _datasets(backend, workspace)))
    if backend.capabilities.sweeps:
        listings.append(("sweeps", lambda: [f"{s.id} ({s.state})" for s in backend.list_sweeps(workspace)]))
    found = []
    for label, listing in listings:
        try:
            names = tuple(listing())
        except UserFacingError as exc:
            found.append(Contents(label, unknown=exc.problem))
            continue
        if names:
            found.append(Contents(label, names))
    return found


def _models(backend: Backend, workspace: WorkspaceRef) -> list[str]:
    """Each model's name (every one of its versions goes with the workspace)."""
    return backend.registered_models(workspace)


def _datasets(backend: Backend, workspace: WorkspaceRef) -> list[str]:
    """Each data asset with its newest version (its older versions go too)."""
    return [f"{a.name} (latest v{a.version})" for a in backend.list_data_assets(workspace)]
