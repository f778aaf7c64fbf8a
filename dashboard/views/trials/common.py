"""What every part of the Trials page shares: session keys, status badges, number formats,
the progress bar a load reports to, and a chart with its exports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from core.trials.status import STATUSES
from dashboard import session
from dashboard.badges import mark

log = logging.getLogger("dashboard")

# Session-state keys. None of the first six is owned by a widget, so they survive a change of page.
OPEN = "trials:open"  # {"kind": "app", "sweep": id} or {"kind": "uri", "uri", "experiment", "group"}
URI = "trials:uri"  # the last tracking URI the user typed that resolved
NOTES = "trials:notes"  # {run_id: note} saved in this session, laid over the cached frames
CHOSEN = session.TRIALS_CHOSEN  # the trial carried to the endpoint step (a dict, see carry_trial)
FILTERS = "trials:filters"  # {filter widget key: its value}, restored when the user comes back
SAVED = "trials:saved"  # the confirmation of the last "Save note", shown once after its rerun
W = "trials:w:"  # prefix of this page's widget keys

LIVE_POLL_S = 3.0
STATUS_BADGES = {s: mark(s) for s in STATUSES}  # Markdown, for pills and captions
PLOT_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def fmt(value: float | None, digits: int = 4) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def progress_bar(what: str) -> tuple[Any, Callable[[int, int | None], None]]:
    bar = st.progress(0.0, text=f"Loading {what} from MLflow…")

    def report(done: int, expected: int | None) -> None:
        if expected:
            bar.progress(min(1.0, done / expected), text=f"Loaded {done:,} of {expected:,} runs of {what}…")
        else:
            bar.progress(0.5, text=f"Loaded {done:,} runs of {what}…")

    return bar, report


def chart(fig: Any, key: str, name: str) -> None:
    """A chart with Plotly's toolbar (PNG) and an HTML export built only when clicked."""
    st.plotly_chart(
        fig,
        key=W + "chart:" + key,
        config=PLOT_CONFIG | {"toImageButtonOptions": {"format": "png", "scale": 2, "filename": name}},
    )
    st.download_button(
        "Chart as HTML",
        data=lambda: fig.to_html(include_plotlyjs=True, full_html=True),
        file_name=f"{name}.html",
        mime="text/html",
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
        key=W + "html:" + key,
    )
