"""History charts of the Trials page: each trial's score by trial number with the best so far,
and each trial's value per step (where an early-termination policy cut it)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core.trials.frame import TrialsFrame
from core.trials.history import HistoryMatrix
from core.trials.scoring import Scores, best_so_far
from core.trials.status import STATUS_LABELS, STATUSES
from dashboard.figures.marks import (
    BEST_COLOUR,
    HIGHLIGHT,
    SELECTED_COLOUR,
    STATUS_COLOURS,
    STATUS_SYMBOLS,
    goal_word,
    hover_text,
    metric_title,
    ring,
)
from dashboard.figures.style import ROOMY, count_axis, figure

__all__ = ["intermediate_values", "optimisation_history"]


def optimisation_history(
    frame: TrialsFrame, scores: Scores, shown: np.ndarray, selected: np.ndarray
) -> go.Figure:
    """Each trial's score by trial number, the best-so-far line (completed trials only), and
    trials without a score (failed, running) as marks along the bottom."""
    rows = np.flatnonzero(shown)
    numbers = frame.numbers[rows]
    values = scores.values[rows]
    statuses = frame.statuses[rows]
    text = hover_text(frame, rows, scores)
    has_value = np.isfinite(values)
    traces: list[go.BaseTraceType] = []
    for status in STATUSES:
        pick = has_value & (statuses == status)
        if not pick.any():
            continue
        traces.append(
            go.Scattergl(
                x=numbers[pick],
                y=values[pick],
                mode="markers",
                name=STATUS_LABELS[status],
                marker={
                    "size": 8 if status == "completed" else 10,
                    "color": STATUS_COLOURS[status],
                    "symbol": STATUS_SYMBOLS[status],
                    "opacity": 0.85,
                },
                text=text[pick],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    order = np.argsort(numbers, kind="stable")
    running = best_so_far(values[order], statuses[order], scores.goal)
    if np.isfinite(running).any():
        traces.append(
            go.Scatter(
                x=numbers[order],
                y=running,
                mode="lines",
                name="best so far",
                line={"color": HIGHLIGHT, "width": 3, "shape": "hv"},
                hovertemplate="best so far %{y:.4f}<extra></extra>",
            )
        )
    missing = ~has_value
    if missing.any():
        traces.append(
            go.Scattergl(
                x=numbers[missing],
                y=np.full(int(missing.sum()), 0.03),
                yaxis="y2",
                mode="markers",
                name="no value (failed, running…)",
                marker={
                    "symbol": "line-ns-open",
                    "size": 14,
                    "color": STATUS_COLOURS["failed"],
                    "line": {"width": 2},
                },
                text=text[missing],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    picked = selected[rows] & has_value
    if picked.any():
        traces.append(
            go.Scattergl(
                x=numbers[picked],
                y=values[picked],
                mode="markers",
                name="selected",
                marker=ring(15),
                hoverinfo="skip",
            )
        )
    best = scores.best
    if best is not None and shown[best]:
        traces.append(
            go.Scatter(
                x=[frame.numbers[best]],
                y=[scores.values[best]],
                mode="markers",
                name=f"best · trial {frame.numbers[best]}",
                marker={
                    "symbol": "star",
                    "size": 20,
                    "color": BEST_COLOUR,
                    "line": {"width": 1.5, "color": "#343A40"},
                },
                hovertemplate=f"best · trial {frame.numbers[best]}: %{{y:.4f}}<extra></extra>",
            )
        )
    return figure(
        traces,
        f"Optimisation history · {metric_title(scores)}, {goal_word(scores)}",
        height=440,
        xaxis=count_axis("trial number", int(frame.numbers.max()) if len(frame.numbers) else 0),
        yaxis={"title": {"text": scores.metric}},
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
        preset=ROOMY,
    )


def intermediate_values(
    frame: TrialsFrame,
    history: HistoryMatrix,
    scores: Scores,
    shown: np.ndarray,
    selected: np.ndarray,
    what: str = "",
) -> go.Figure:
    """Each trial's logged value per step, one WebGL trace per status (lines joined with
    gaps), so a policy's cuts show as lines that stop early (marked with their status
    symbol). A step ranking draws the step it ranks by."""
    rows = np.flatnonzero(shown & history.loaded & (np.isfinite(history.values).any(axis=1)))
    steps = history.steps.astype(np.float64)
    statuses = frame.statuses[rows]
    traces: list[go.BaseTraceType] = []
    width = steps.size + 1
    for status in STATUSES:
        pick = rows[statuses == status]
        if pick.size == 0:
            continue
        block = np.full((pick.size, width), np.nan)
        block[:, :-1] = history.values[pick]
        xs = np.tile(np.append(steps, np.nan), pick.size)
        label = np.repeat(np.asarray([f"trial {n}" for n in frame.numbers[pick]], dtype=object), width)
        traces.append(
            go.Scattergl(
                x=xs,
                y=block.ravel(),
                mode="lines+markers" if steps.size <= 12 else "lines",
                name=STATUS_LABELS[status],
                line={"color": STATUS_COLOURS[status], "width": 1.2},
                marker={"size": 4},
                opacity=0.8 if rows.size <= 50 else 0.35 if rows.size <= 500 else 0.15,
                text=label,
                hovertemplate="%{text} · step %{x}: %{y:.4f}<extra></extra>",
                connectgaps=False,
            )
        )
        if status in ("early_terminated", "failed", "canceled"):
            last = np.array([np.flatnonzero(np.isfinite(v))[-1] for v in history.values[pick]])
            traces.append(
                go.Scattergl(
                    x=steps[last],
                    y=history.values[pick, last],
                    mode="markers",
                    name=f"{STATUS_LABELS[status]}: last step",
                    marker={
                        "symbol": "x",
                        "size": 9 if pick.size <= 100 else 6,
                        "color": STATUS_COLOURS[status],
                        "opacity": 1.0 if pick.size <= 100 else 0.6,
                    },
                    text=np.asarray([f"trial {n}" for n in frame.numbers[pick]], dtype=object),
                    hovertemplate="%{text} stopped after step %{x}<extra></extra>",
                )
            )
    if rows.size > 20:
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                median = np.nanmedian(history.values[rows], axis=0)
        traces.append(
            go.Scatter(
                x=steps,
                y=median,
                mode="lines",
                name="median of the trials at each step",
                line={"color": "#212529", "width": 3, "dash": "dash"},
                hovertemplate="median at step %{x}: %{y:.4f}<extra></extra>",
            )
        )
    rows_shown = np.flatnonzero(selected & shown & history.loaded)
    highlight = [(int(r), SELECTED_COLOUR, "selected") for r in rows_shown]
    if scores.best is not None and history.loaded[scores.best]:
        highlight.append((scores.best, BEST_COLOUR, f"best · trial {frame.numbers[scores.best]}"))
    for n, (row, colour, name) in enumerate(highlight[:50]):
        traces.append(
            go.Scatter(
                x=steps,
                y=history.values[row],
                mode="lines+markers",
                name=name,
                showlegend=name != "selected" or n == 0,
                line={"color": colour, "width": 4},
                hovertemplate=f"trial {frame.numbers[row]} · step %{{x}}: %{{y:.4f}}<extra></extra>",
            )
        )
    shapes = []
    if scores.ranking.kind == "step" and scores.ranking.step is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": scores.ranking.step,
                "x1": scores.ranking.step,
                "y0": 0,
                "y1": 1,
                "line": {"color": HIGHLIGHT, "width": 2, "dash": "dash"},
            }
        )
    return figure(
        traces,
        f"Intermediate values · {what or history.key + ' per step'} · {rows.size:,} trials",
        height=460,
        xaxis={"title": {"text": "step (fold)"}, "dtick": 1 if steps.size <= 20 else None},
        yaxis={"title": {"text": history.key}},
        shapes=shapes,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        preset=ROOMY,
    )
