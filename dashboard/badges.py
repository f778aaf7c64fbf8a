"""One status -> colour map for every page, so "completed" looks the same wherever it shows.

Sweeps, trials and endpoints share it: a status means the same thing on each page, so it gets
the same colour (green done, blue in progress, yellow cut short, orange stopped by a person,
red broken, gray over or absent). ``badge`` is a Streamlit Markdown badge (page headers);
``mark`` is a coloured icon before the label (pills, captions, where a badge would be too heavy).
"""

from __future__ import annotations

__all__ = ["BADGE_COLOURS", "badge", "mark"]

BADGE_COLOURS: dict[str, str] = {
    # sweeps and trials
    "queued": "gray",
    "starting": "blue",
    "running": "blue",
    "completed": "green",
    "early_terminated": "yellow",
    "canceled": "orange",
    "failed": "red",
    "interrupted": "red",
    "closed": "gray",
    # endpoints
    "healthy": "green",
    "unresponsive": "orange",
    "stopped": "red",
    "no deployment": "gray",
}
_LABELS = {"early_terminated": "early-terminated", "unresponsive": "not answering"}
_ICONS = {
    "queued": "schedule",
    "starting": "progress_activity",
    "running": "progress_activity",
    "completed": "check_circle",
    "early_terminated": "content_cut",
    "canceled": "cancel",
    "failed": "error",
    "interrupted": "error",
    "closed": "done",
    "healthy": "check_circle",
    "unresponsive": "help",
    "stopped": "stop_circle",
    "no deployment": "block",
}


def label(status: str) -> str:
    """The words a status shows as ("early_terminated" reads "early-terminated")."""
    return _LABELS.get(status, status)


def badge(status: str) -> str:
    """A Markdown badge for the status; an unknown status shows as a gray badge of its own name."""
    return f":{BADGE_COLOURS.get(status, 'gray')}-badge[{label(status)}]"


def mark(status: str) -> str:
    """A coloured icon and the label, for places where a badge is too heavy (pills, captions)."""
    icon = _ICONS.get(status, "circle")
    return f":{BADGE_COLOURS.get(status, 'gray')}[:material/{icon}:] {label(status)}"
