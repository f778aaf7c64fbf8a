"""Hyperparameter charts of the Trials page: parallel coordinates, the metric against each
hyperparameter (slice plots) and hyperparameter importance, with the axes they share (log axes
labelled with plain numbers, categories and None as ticks)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.trials.frame import TrialsFrame
from core.trials.importance import Importance
from core.trials.params import NONE_LABEL, ParamInfo
from core.trials.scoring import Scores
from dashboard.figures.marks import (
    BEST_COLOUR,
    HIGHLIGHT,
    goal_word,
    hover_text,
    metric_title,
    ring,
)
from dashboard.figures.style import LEGEND, PALETTE, ROOMY, figure, layout

__all__ = [
    "Axis",
    "axis_format",
    "importance_bar",
    "log_axis",
    "nice",
    "param_axis",
    "parallel_coordinates",
    "slice_plots",
]


@dataclass(frozen=True)
class Axis:
    """A hyperparameter mapped to plot coordinates: values, ticks, range and whether it is log."""

    values: np.ndarray  # float coordinates (log10 when log), NaN never (None has a slot)
    tickvals: list[float] | None
    ticktext: list[str] | None
    log: bool
    categorical: bool


def log_axis(values: np.ndarray | None) -> dict[str, object]:
    """A log axis labelled with plain numbers (0.001, not 1m or 100μ), one tick per decade
    when the values span two decades or more, else ticks at 1, 2 and 5 of each decade (Plotly
    labels every digit of a short log axis, and the labels then run into each other)."""
    axis: dict[str, object] = {"type": "log", "tickformat": "~g"}
    if values is not None:
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size and finite.max() / finite.min() >= 100:
            axis["dtick"] = 1
        elif finite.size:
            axis["dtick"] = "D2"
    return axis


def nice(value: float) -> str:
    return f"{value:.3g}"


def axis_format(values: np.ndarray, ticks: int = 5) -> str:
    """A d3 number format with just the decimals that tell ``ticks`` ticks over the values'
    span apart, and one more for the axis' two ends (0.74 to 0.86: three; 0.8412 to 0.8433:
    five), where Plotly would print five or six whatever the span."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    span = float(finite.max() - finite.min()) if finite.size else 0.0
    if span <= 0:
        magnitude = abs(float(finite[0])) if finite.size else 1.0
        span = magnitude if magnitude > 0 else 1.0
    decimals = min(6, max(0, math.ceil(-math.log10(span / ticks)) + 1))
    return f",.{decimals}~f"  # ~: no trailing zeros (0.76, not 0.760)


def _log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    first, last = math.floor(low), math.ceil(high)
    exps = [float(e) for e in range(first, last + 1) if low - 1e-9 <= e <= high + 1e-9]
    if len(exps) < 4:  # under three decades: 1-2-5 ticks
        exps = sorted(
            {
                math.log10(m * 10.0**e)
                for e in range(first - 1, last + 1)
                for m in (1, 2, 5)
                if low - 1e-9 <= math.log10(m * 10.0**e) <= high + 1e-9
            }
        )
    # The axis runs from the lowest trial to the highest: label its ends too, unless a tick is close
    # by, so no line leaves the labelled part of the axis.
    room = 0.08 * (high - low)
    for end in (low, high):
        if all(abs(end - e) > room for e in exps):
            exps.append(end)
    exps.sort()
    return exps, [nice(10.0**e) for e in exps]


def param_axis(info: ParamInfo, column: pd.Series | np.ndarray) -> Axis:
    """Coordinates of a hyperparameter for a parallel-coordinates axis: categories as codes,
    log10 for log axes, and None as its own tick just past the numbers."""
    if info.kind == "categorical":
        codes = np.asarray(pd.Categorical(column, categories=list(info.categories)).codes, dtype=np.float64)
        return Axis(codes, list(range(len(info.categories))), list(info.categories), False, True)
    raw = np.asarray(column, dtype=np.float64)
    finite = np.isfinite(raw)
    coords = np.log10(np.where(finite & (raw > 0), raw, np.nan)) if info.log else raw.copy()
    known = coords[np.isfinite(coords)]
    if known.size == 0:
        return Axis(np.zeros_like(raw), [0.0], [NONE_LABEL], False, True)
    low, high = float(known.min()), float(known.max())
    if info.log:
        tickvals, ticktext = _log_ticks(low, high)
    else:
        tickvals, ticktext = None, None
    missing = ~np.isfinite(coords)
    if missing.any():
        slot = high + max(high - low, 1e-9 if high == low else 0.0) * 0.15 + (1.0 if high == low else 0.0)
        coords[missing] = slot
        if tickvals is None:
            ticks = np.linspace(low, high, 5) if high > low else np.array([low])
            tickvals = [float(t) for t in ticks]
            ticktext = [nice(float(t)) for t in ticks]
        tickvals = [*tickvals, slot]
        ticktext = [*(ticktext or []), NONE_LABEL]
    return Axis(coords, tickvals, ticktext, info.log, False)


def parallel_coordinates(
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    selected: np.ndarray,
    top_range: tuple[float, float] | None = None,
    params: Sequence[str] | None = None,
) -> go.Figure:
    """One line per trial through every hyperparameter and the metric. ``top_range`` marks
    the "top k %" as a constraint range on the metric axis (drag on any axis to change it)."""
    rows = np.flatnonzero(shown & np.isfinite(scores.values))
    names = list(params) if params is not None else frame.varying()
    dimensions = []
    for name in names:
        axis = param_axis(frame.param_info[name], frame.params[name].to_numpy()[rows])
        dim: dict[str, object] = {"label": name + (" (log)" if axis.log else ""), "values": axis.values}
        if axis.tickvals is not None:
            dim |= {"tickvals": axis.tickvals, "ticktext": axis.ticktext}
        if axis.categorical:
            dim["range"] = [-0.3, max(len(axis.tickvals or [0]) - 1, 0) + 0.3]
        elif axis.tickvals is None:  # a linear axis: Plotly would print its ends with five or six decimals
            dim["tickformat"] = axis_format(axis.values)
        dimensions.append(dim)
    values = scores.values[rows]
    metric_dim: dict[str, object] = {
        "label": metric_title(scores),
        "values": values,
        "tickformat": axis_format(values),
    }
    if top_range is not None and rows.size:
        pad = 1e-9 * max(1.0, abs(top_range[1]))
        metric_dim["constraintrange"] = [top_range[0] - pad, top_range[1] + pad]
    dimensions.append(metric_dim)
    picked = selected[rows]
    if picked.any():
        line = {
            "color": picked.astype(float),
            "colorscale": [[0, "#CED4DA"], [1, HIGHLIGHT]],
            "cmin": 0,
            "cmax": 1,
        }
    else:
        line = {
            "color": values,
            "colorscale": "Viridis",
            "reversescale": not scores.maximize,
            "showscale": True,
            "colorbar": {"title": {"text": scores.metric}, "thickness": 14},
        }
    if "colorbar" in line:
        line["colorbar"] = {"title": {"text": scores.metric}, "thickness": 14, "x": 1.0, "xanchor": "left"}
    trace = go.Parcoords(
        domain={"x": [0.0, 0.93 if not picked.any() else 1.0]},
        dimensions=dimensions,
        line=line,
        labelangle=-15,
        labelside="top",
        labelfont={"size": 14},
        tickfont={"size": 12},
        rangefont={"size": 11},
    )
    title = (
        f"Parallel coordinates · {rows.size:,} trials scored by {scores.metric} "
        f"· colour: {goal_word(scores) if not picked.any() else 'selected trials'}"
    )
    return figure(trace, title, height=540, margin={"l": 70, "r": 60, "t": 130, "b": 30}, preset=ROOMY)


def _jitter(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.18, 0.18, n)


def slice_plots(
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    selected: np.ndarray,
    params: Sequence[str] | None = None,
    columns: int = 3,
) -> go.Figure:
    """The metric against each hyperparameter: a WebGL scatter for numbers (log x where the
    space is log), box plots with jittered points for categories (None included)."""
    names = list(params) if params is not None else frame.varying()
    if not names:
        return figure([], "No hyperparameter varies across these trials", height=200, preset=ROOMY)
    cols = max(1, min(columns, len(names)))
    nrows = math.ceil(len(names) / cols)
    rows = np.flatnonzero(shown & np.isfinite(scores.values))
    fig = make_subplots(
        rows=nrows,
        cols=cols,
        shared_yaxes=True,
        subplot_titles=[n + (" (log)" if frame.param_info[n].log else "") for n in names],
        horizontal_spacing=0.04,
        vertical_spacing=min(0.12, 0.3 / nrows),
    )
    values = scores.values[rows]
    numbers = frame.numbers[rows]
    text = hover_text(frame, rows, scores)
    best = scores.best if scores.best is not None and shown[scores.best] else None
    picked = selected[rows]
    for i, name in enumerate(names):
        r, c = i // cols + 1, i % cols + 1
        info = frame.param_info[name]
        column = frame.params[name].to_numpy()[rows]
        if info.kind == "categorical":
            codes = np.asarray(pd.Categorical(column, categories=list(info.categories)).codes, dtype=float)
            x = codes
            fig.add_trace(
                go.Box(
                    x=codes,
                    y=values,
                    boxpoints=False,
                    marker_color=PALETTE[0],
                    line_width=1.5,
                    fillcolor="rgba(0,120,212,0.10)",
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=r,
                col=c,
            )
            xs = codes + _jitter(codes.size, i)
            axis_update: dict[str, object] = {
                "tickmode": "array",
                "tickvals": list(range(len(info.categories))),
                "ticktext": list(info.categories),
                "range": [-0.6, len(info.categories) - 0.4],
            }
        else:
            x = np.asarray(column, dtype=np.float64)
            xs = x
            axis_update = log_axis(x) if info.log else {}
        fig.add_trace(
            go.Scattergl(
                x=xs,
                y=values,
                mode="markers",
                marker={"size": 6, "color": numbers, "coloraxis": "coloraxis", "opacity": 0.8},
                text=text,
                hovertemplate=f"{name} %{{x}}<br>%{{text}}<extra></extra>",
                showlegend=False,
            ),
            row=r,
            col=c,
        )
        if picked.any():
            fig.add_trace(
                go.Scattergl(
                    x=xs[picked],
                    y=values[picked],
                    mode="markers",
                    marker=ring(12),
                    name="selected",
                    showlegend=i == 0,
                    hoverinfo="skip",
                ),
                row=r,
                col=c,
            )
        if best is not None:
            at = np.flatnonzero(rows == best)
            if at.size:
                fig.add_trace(
                    go.Scatter(
                        x=[xs[at[0]] if info.kind == "categorical" else x[at[0]]],
                        y=[values[at[0]]],
                        mode="markers",
                        marker={
                            "symbol": "star",
                            "size": 18,
                            "color": BEST_COLOUR,
                            "line": {"width": 1.5, "color": "#343A40"},
                        },
                        name=f"best · trial {frame.numbers[best]}",
                        showlegend=i == 0,
                        hovertemplate=f"best · trial {frame.numbers[best]}<extra></extra>",
                    ),
                    row=r,
                    col=c,
                )
        fig.update_xaxes(axis_update, row=r, col=c)
    fig.update_yaxes(title_text=scores.metric, col=1)
    fig.update_layout(
        layout(
            f"{metric_title(scores)} against each hyperparameter",
            max(360, 300 * nrows + 110),
            preset=ROOMY,
            margin={"l": 10, "r": 10, "t": 110, "b": 10},
            legend={**LEGEND, "yref": "container", "yanchor": "top"},
            coloraxis={"colorscale": "Blues", "colorbar": {"title": {"text": "trial"}, "thickness": 12}},
        )
    )
    fig.update_annotations(font_size=15)
    return fig


def importance_bar(importance: Importance, metric: str) -> go.Figure:
    names = list(importance.values)[::-1]
    shares = np.asarray([importance.values[n] for n in names])
    trace = go.Bar(
        x=shares,
        y=names,
        orientation="h",
        marker_color=PALETTE[0],
        text=[f"{s:.1%}" for s in shares],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    )
    top = float(shares.max()) if shares.size else 0.0
    ticks = [t / 10 for t in range(0, 11, 1 if top < 0.5 else 2) if t / 10 <= top + 0.05]
    return figure(
        trace,
        f"Hyperparameter importance for {metric} · {importance.label} · {importance.trials} trials",
        height=max(300, 40 * len(names) + 130),
        xaxis={
            "title": {"text": "share of importance"},
            "tickformat": ".0%",
            # room past the longest bar for its label ("98.9%"), even when that bar is near 100 %;
            # ticks stop at 100 %, so the room reads as margin, not as a share over 100 %
            "range": [0, top * 1.2 + 0.03],
            "tickvals": ticks,
        },
        yaxis={"automargin": True},
        showlegend=False,
        preset=ROOMY,
    )
