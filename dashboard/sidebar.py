"""The sidebar: which backend is active, and which workspace the pages work in."""

from __future__ import annotations

import streamlit as st

from core.backend import BACKENDS
from core.settings import load_settings
from dashboard import session


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
        if choice == "azure":
            st.warning(
                "The azure backend is not available yet; it arrives in a later release. "
                "The pages keep using the **local** backend, which follows Azure's rules.",
                icon=":material/construction:",
            )
        info = session.backend().info
        st.caption(f"Active: **{info.name}**. {info.description}")

        names = session.workspaces()
        if names:
            current = session.current_workspace()
            picked = st.selectbox(
                "Workspace", names, index=names.index(current) if current in names else 0, key="sidebar_ws"
            )
            st.session_state[session.CURRENT_WORKSPACE] = picked
        else:
            st.caption("Workspace: none yet. Create one on **1 · Resources**.")
        st.caption(f"State folder: `{info.location}`")
