"""The sidebar: which backend is active, and which workspace the pages work in."""

from __future__ import annotations

import streamlit as st

from core.backend import BACKENDS
from core.settings import load_settings
from dashboard import session
from dashboard.widgets import follow_newest_select


def render_sidebar() -> None:
    with st.sidebar:
        settings = load_settings()
        default = BACKENDS.index(settings.backend) if settings.backend in BACKENDS else 0
        choice = st.radio(
            "Backend",
            BACKENDS,
            index=default,
            key=session.BACKEND_CHOICE,
            horizontal=True,
            captions=["this machine, no account", "your subscription"],
        )
        if st.session_state.get(session.BACKEND_INJECTED) is None and session.backend_unavailable(choice):
            st.warning(
                f"The {choice} backend is not available yet; it arrives in a later release. "
                "The pages keep using the **local** backend, which follows Azure's rules.",
                icon=":material/construction:",
            )
        info = session.backend().info
        st.caption(f"Active: **{info.name}**. {info.description}")

        refs = session.workspaces()
        if refs:
            follow_newest_select(
                "Workspace",
                refs,
                key="sidebar_ws",
                pin_key=session.CURRENT_WORKSPACE,
                newest=refs[-1],
                format_func=session.workspace_labels(refs),
            )
        else:
            st.caption("Workspace: none yet. Create one on **1 · Resources**.")
        st.caption(f"State folder: `{info.location}`")
