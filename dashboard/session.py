"""Session-state keys and the accessors pages share.

Results live under keys that no widget owns, so they survive a change of page
(Streamlit drops a widget's state when its page is left).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import streamlit as st

from core.backend import Backend, WorkspaceRef, open_backend
from core.errors import UserFacingError
from core.resources import Kind
from core.settings import load_settings

BACKEND_CHOICE = "backend_choice"  # owned by the sidebar radio
BACKEND_INJECTED = "backend:injected"  # a Backend object a test (or an embedding app) puts here
CURRENT_WORKSPACE = "current_workspace"  # no widget owns it
RESULT_PREFIX = "result:"  # result:<action> -> (level, message, notes)


def chosen_backend_name() -> str:
    """The backend the user chose in the sidebar, else the ``AZML_BACKEND`` setting."""
    return str(st.session_state.get(BACKEND_CHOICE) or load_settings().backend)


def backend_unavailable(name: str) -> UserFacingError | None:
    """Why the backend called ``name`` cannot be opened here, or None when it can."""
    try:
        open_backend(name)
    except UserFacingError as exc:
        return exc
    return None


def backend() -> Backend:
    """The active backend: an injected one, else the chosen one, else (when the chosen one is not
    available here; the sidebar says why) the local backend. Built on each rerun: it is cheap and
    holds no secrets in memory."""
    injected = st.session_state.get(BACKEND_INJECTED)
    if injected is not None:
        backend: Backend = injected  # a test put it there; it is a Backend by contract
        return backend
    try:
        return open_backend(chosen_backend_name())
    except UserFacingError:
        return open_backend("local")


def workspaces() -> list[WorkspaceRef]:
    """Every workspace, oldest first, each named by its resource group and name."""
    return [WorkspaceRef.of(r) for r in backend().inventory() if r.kind == Kind.WORKSPACE]


def current_workspace() -> WorkspaceRef | None:
    """The workspace the user picked, else the newest one, else None."""
    refs = workspaces()
    chosen = st.session_state.get(CURRENT_WORKSPACE)
    if isinstance(chosen, WorkspaceRef) and chosen in refs:
        return chosen
    return refs[-1] if refs else None


def workspace_labels(refs: list[WorkspaceRef]) -> Callable[[WorkspaceRef], str]:
    """A select box's labels for ``refs``: each workspace's name, with its resource group when
    another of them has the same name (computed once, not once per option)."""
    names = Counter(ref.name for ref in refs)

    def label(ref: WorkspaceRef) -> str:
        return ref.name if names[ref.name] < 2 else f"{ref.name} ({ref.resource_group})"

    return label


# The Data step's working state: none of these keys is owned by a widget.
DATA_WORKING = "data:working"  # WorkingData: the loaded frame and where it came from
DATA_SPLIT = "data:split"  # core.data.split.Split of the working frame
DATA_SCHEMA = "data:schema"  # core.data.schema.Schema chosen for the working frame
DATA_CURRENT = "data:current"  # (asset name, version) the later steps use

# The Sweep step: the sweep the live view watches (a job id; no widget owns it).
SWEEP_CURRENT = "sweep:current"
# The sweep the user picked (or just launched), shared by the Sweep and Trials pages' pickers;
# without one they follow the newest sweep (see widgets.follow_newest_select).
SWEEP_PICK = "sweep:pick"
CLUSTER_PICK = "sweep:cluster_pick"  # the compute cluster the user picked on the Sweep page

# The Trials step hands a chosen trial to the Endpoint step (a core.trials.ChosenTrial).
TRIALS_CHOSEN = "trials:chosen"
