"""Session-state keys and the accessors pages share.

Results live under keys that no widget owns, so they survive a change of page
(Streamlit drops a widget's state when its page is left).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from core.backend import Backend, WorkspaceRef, open_backend
from core.resources import Kind, Resource
from core.settings import load_settings

if TYPE_CHECKING:
    from core.azure.clients import ClientFactory
    from core.azure.cloud import AzureCloud

BACKEND_CHOICE = "backend_choice"  # owned by the sidebar radio
BACKEND_INJECTED = "backend:injected"  # a Backend object a test (or an embedding app) puts here
# The Azure connection: a core.azure.clients.ClientFactory (credential + subscription + cloud),
# set by the sidebar's "Azure connection" panel once a credential and a subscription are chosen.
AZURE_CONNECTION = "azure:connection"
AZURE_BILLABLE_ACK = "azure:billable_ack"  # True once the user acknowledged that creates are billed
CURRENT_WORKSPACE = "current_workspace"  # no widget owns it
RESULT_PREFIX = "result:"  # result:<action> -> (level, message, notes)


def chosen_backend_name() -> str:
    """The backend the user chose in the sidebar, else the ``AZML_BACKEND`` setting."""
    return str(st.session_state.get(BACKEND_CHOICE) or load_settings().backend)


def azure_connection() -> ClientFactory | None:
    """The Azure connection the sidebar built, or None before a sign-in."""
    from core.azure.clients import ClientFactory

    factory = st.session_state.get(AZURE_CONNECTION)
    return factory if isinstance(factory, ClientFactory) else None


def azure_state_dir() -> Path:
    """Where the azure backend keeps what Azure cannot answer (the operations it started)."""
    return load_settings().data_dir / "azure"


def backend_ready() -> bool:
    """Whether :func:`backend` can be built now (False: azure is chosen but nobody signed in)."""
    if st.session_state.get(BACKEND_INJECTED) is not None:
        return True
    return chosen_backend_name() != "azure" or azure_connection() is not None


def backend() -> Backend:
    """The active backend: an injected one, else the chosen one. Built on each rerun: it is cheap
    (the azure one holds the sidebar's connection, no results).

    With azure chosen and no sign-in yet, the page says so and stops: it never falls back to the
    local backend behind the user's back."""
    injected = st.session_state.get(BACKEND_INJECTED)
    if injected is not None:
        backend: Backend = injected  # a test put it there; it is a Backend by contract
        return backend
    name = chosen_backend_name()
    if name == "azure":
        factory = azure_connection()
        if factory is None:
            st.info(
                "Sign in to Azure in the sidebar first: open **Azure connection**, choose how to sign "
                "in, then pick a subscription. Or choose the **local** backend to work on this machine.",
                icon=":material/login:",
            )
            st.stop()
        return open_backend("azure", factory=factory, state_dir=azure_state_dir())
    return open_backend(name)


def snippet_cloud() -> AzureCloud | None:
    """The cloud the Show-code snippets name: the connected one on azure, else None (public)."""
    factory = azure_connection() if chosen_backend_name() == "azure" else None
    return factory.cloud if factory is not None else None


def subscription_id() -> str:
    """The subscription the Show-code snippets name: the connected one on azure, else the setting."""
    factory = azure_connection() if chosen_backend_name() == "azure" else None
    return factory.subscription_id if factory is not None else load_settings().subscription_id


RUN_COUNTER = "run:counter"  # bumped by the app at the start of every full run
INVENTORY_CACHE = "run:inventory"  # (run counter, inventory) on azure


def new_run() -> None:
    """Mark the start of a full run of the app (the inventory is read again once per run)."""
    st.session_state[RUN_COUNTER] = int(st.session_state.get(RUN_COUNTER, 0)) + 1


def inventory() -> list[Resource]:
    """The backend's inventory. On azure, where it takes a dozen calls to Azure, it is read once
    per run of the app and again after any action (see ``forget_inventory``); elsewhere each call
    reads it."""
    if st.session_state.get(BACKEND_INJECTED) is not None or chosen_backend_name() != "azure":
        return backend().inventory()
    run = st.session_state.get(RUN_COUNTER)
    cached = st.session_state.get(INVENTORY_CACHE)
    if run is not None and isinstance(cached, tuple) and cached[0] == run:
        return list(cached[1])
    items = backend().inventory()
    st.session_state[INVENTORY_CACHE] = (run, items)
    return list(items)


def forget_inventory() -> None:
    """Something may have changed (an action ran): read the inventory again next time."""
    st.session_state.pop(INVENTORY_CACHE, None)


def workspaces() -> list[WorkspaceRef]:
    """Every workspace, oldest first, each named by its resource group and name."""
    return [WorkspaceRef.of(r) for r in inventory() if r.kind == Kind.WORKSPACE]


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
