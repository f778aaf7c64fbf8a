"""How the Trials page draws a trial: status colours and symbols, the best trial's gold star,
the dark ring of a selected trial, and the hover text of a point."""

from __future__ import annotations

import numpy as np

from core.trials.frame import TrialsFrame
from core.trials.scoring import Scores
from core.trials.status import STATUS_LABELS
from dashboard.badges import BADGE_COLOURS

__all__ = [
    "BEST_COLOUR",
    "CHART_HEX",
    "HIGHLIGHT",
    "ring",
    "SELECTED_COLOUR",
    "STATUS_COLOURS",
    "STATUS_SYMBOLS",
    "goal_word",
    "hover_text",
    "metric_title",
]

# The badges' colour families drawn in charts, so a status has one colour on badges and charts alike.
CHART_HEX = {
    "green": "#2F9E44",
    "blue": "#0078D4",
    "yellow": "#F59F00",
    "orange": "#FD7E14",
    "red": "#E03131",
    "gray": "#868E96",
}
STATUS_COLOURS = {
    status: CHART_HEX[BADGE_COLOURS[status]]
    for status in ("completed", "early_terminated", "failed", "canceled", "running")
}
STATUS_SYMBOLS = {
    "completed": "circle",
    "early_terminated": "triangle-down",
    "failed": "x",
    "canceled": "square",
    "running": "diamond",
}
BEST_COLOUR = "#FAB005"
SELECTED_COLOUR = "#212529"
HIGHLIGHT = "#E8590C"


def goal_word(scores: Scores) -> str:
    return "higher is better" if scores.maximize else "lower is better"


def metric_title(scores: Scores) -> str:
    return f"{scores.metric} ({scores.ranking.describe()})"


def hover_text(frame: TrialsFrame, rows: np.ndarray, scores: Scores) -> np.ndarray:
    numbers = frame.numbers[rows]
    statuses = frame.statuses[rows]
    values = scores.values[rows]
    text = [
        f"trial {n} · {STATUS_LABELS.get(s, s)}<br>{scores.metric} "
        + ("–" if not np.isfinite(v) else f"{v:.4f}")
        for n, s, v in zip(numbers, statuses, values, strict=True)
    ]
    return np.asarray(text, dtype=object)


def ring(size: int, colour: str = SELECTED_COLOUR) -> dict[str, object]:
    """The marker of a selected trial: an empty circle drawn over its point."""
    return {"size": size, "color": "rgba(0,0,0,0)", "line": {"width": 2.5, "color": colour}}
