"""The sidebar: which backend is active, and which workspace the pages work in."""

from __future__ import annotations

import streamlit as st

from core.backend import BACKENDS
from core.errors import UserFacingError
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
        injected = st.session_state.get(session.BACKEND_INJECTED) is not None
        if choice == "azure" and not injected:
            from dashboard.views.azure_connection import azure_panel, status_caption

            st.caption(status_caption())
            azure_panel()
            if not session.backend_ready():
                return  # the page says "sign in first"; nothing here claims Azure was reached
        info = session.backend().info
        if choice != "azure" or injected:
            st.caption(f"Active: **{info.name}**. {info.description}")
        else:
            st.caption(info.description)

        try:
            refs = session.workspaces()
        except UserFacingError as exc:  # Azure did not answer: say so, the pages say it too
            st.error(f"Could not list the workspaces: {exc}", icon=":material/cloud_off:")
            return
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
        if choice != "azure" or injected:  # on azure the status line above names the subscription
            st.caption(f"State folder: `{info.location}`")
