"""The Resources step's "Create all with these defaults": the six resources in order with the
tutorial's defaults, one progress box, stopped at the first failure (:mod:`core.create_all`)."""

from __future__ import annotations

import streamlit as st

from core import defaults
from core.backend import Backend
from core.create_all import create_all_with_defaults, default_names
from dashboard import session
from dashboard.session import forget_inventory
from dashboard.views.resources import can_create
from dashboard.widgets import set_result, show_result

CREATE_ALL = "create_all"  # the action key of "Create all with these defaults"


def create_all_section() -> None:
    """One button for the six resources with the tutorial's defaults, beside the step forms."""
    names = default_names()
    with st.container(border=True):
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown("**In a hurry?** Create the six below in order with the tutorial's defaults:")
        left.caption(
            " → ".join(f"{kind.label} `{name}`" for kind, name in names.items())
            + f" (location {defaults.LOCATION}). Each is get-or-create: what exists is reused."
        )
        pressed = right.button(
            "Create all with these defaults",
            type="primary",
            icon=":material/bolt:",
            key="create_all",
            disabled=not can_create(),
            width="stretch",
        )
        if pressed:
            _create_all(session.backend())
        show_result(CREATE_ALL)


def _create_all(backend: Backend) -> None:
    """Run the six steps with a progress box, keep the outcome as the section's result."""
    kinds = list(default_names())
    forget_inventory()
    with st.status("Creating the six resources…", expanded=True) as box:
        bar = st.progress(0.0, text="Starting…")

        def report(index: int, text: str) -> None:
            bar.progress(index / len(kinds), text=f"Step {index + 1} of {len(kinds)}: {text}")

        result = create_all_with_defaults(backend, report)
        bar.empty()
        for outcome in result.outcomes:
            st.write(("Created: " if outcome.created else "Exists: ") + outcome.message)
        box.update(
            label="All six resources are ready" if result.failed is None else "Stopped at the first failure",
            state="complete" if result.failed is None else "error",
        )
    forget_inventory()
    if result.workspace is not None:
        st.session_state[session.CURRENT_WORKSPACE] = result.workspace
    set_result(CREATE_ALL, "success" if result.failed is None else "error", result.summary())
    st.rerun()
