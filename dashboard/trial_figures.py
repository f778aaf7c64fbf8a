"""Plotly builders for the Trials page: pure functions from core.trials' arrays to figures.

Every builder takes the trials frame (or an aggregate of it), the scores, a boolean ``shown``
mask (the trials passing the table's filters) and a boolean ``selected`` mask (rows picked
in the table), and returns a figure. Charts with one point per trial use WebGL traces
(``Scattergl``; parallel coordinates are WebGL already) and are built from whole arrays, so
2,000 or 10,000 trials cost about the same as 50. The best trial is a gold star; selected
trials get a dark ring (or a thick line). Every chart keeps Plotly's toolbar, which saves it
as PNG; the page offers HTML.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.trials.frame import TrialsFrame
from core.trials.history import HistoryMatrix
from core.trials.importance import Importance
from core.trials.oof import OutOfFold
from core.trials.params import NONE_LABEL, ParamInfo
from core.trials.scoring import Scores, best_so_far
from core.trials.status import STATUS_LABELS, STATUSES
from dashboard.figures import FONT, PALETTE

STATUS_COLOURS = {
    "completed": "#0078D4",
    "early_terminated": "#F59F00",
    "failed": "#E03131",
    "canceled": "#868E96",
    "running": "#1098AD",
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
LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1}
MARGIN = {"l": 10, "r": 10, "t": 70, "b": 10}


def _figure(traces: object, title: str, height: int = 420, **layout: object) -> go.Figure:
    """A figure in the house style, its layout given in one piece (faster than update_layout)."""
    base: dict[str, object] = {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "font": FONT,
        "height": height,
        "margin": MARGIN,
        "colorway": PALETTE,
        "legend": LEGEND,
        "hoverlabel": {"font": {"size": 14}},
    }
    base.update(layout)
    return go.Figure(data=traces, layout=base)


def _goal_word(scores: Scores) -> str:
    return "higher is better" if scores.maximize else "lower is better"


def _metric_title(scores: Scores) -> str:
    return f"{scores.metric} ({scores.ranking.describe()})"


def _hover_text(frame: TrialsFrame, rows: np.ndarray, scores: Scores) -> np.ndarray:
    numbers = frame.numbers[rows]
    statuses = frame.statuses[rows]
    values = scores.values[rows]
    text = [
        f"trial {n} · {STATUS_LABELS.get(s, s)}<br>{scores.metric} "
        + ("–" if not np.isfinite(v) else f"{v:.4f}")
        for n, s, v in zip(numbers, statuses, values, strict=True)
    ]
    return np.asarray(text, dtype=object)


# -- axes for hyperparameters -------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """A hyperparameter mapped to plot coordinates: values, ticks, range and whether it is log."""

    values: np.ndarray  # float coordinates (log10 when log), NaN never (None has a slot)
    tickvals: list[float] | None
    ticktext: list[str] | None
    log: bool
    categorical: bool


POINTS_ON_GRID = 600  # trials drawn over a heatmap, at most (more only hide its cells)


def log_axis(values: np.ndarray | None) -> dict[str, object]:
    """A log axis labelled with plain numbers (0.001, not 1m or 100μ), one tick per decade
    when the values span two decades or more."""
    axis: dict[str, object] = {"type": "log", "tickformat": "~g"}
    if values is not None:
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size and finite.max() / finite.min() >= 100:
            axis["dtick"] = 1
    return axis


def _nice(value: float) -> str:
    return f"{value:.3g}"


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
    return exps, [_nice(10.0**e) for e in exps]


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
            ticktext = [_nice(float(t)) for t in ticks]
        tickvals = [*tickvals, slot]
        ticktext = [*(ticktext or []), NONE_LABEL]
    return Axis(coords, tickvals, ticktext, info.log, False)


# -- parallel coordinates ----------------------------------------------------------------------
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
        dimensions.append(dim)
    values = scores.values[rows]
    metric_dim: dict[str, object] = {"label": _metric_title(scores), "values": values}
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
        f"· colour: {_goal_word(scores) if not picked.any() else 'selected trials'}"
    )
    return _figure(trace, title, height=540, margin={"l": 70, "r": 60, "t": 130, "b": 30})


# -- slice plots ------------------------------------------------------------------------------
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
        return _figure([], "No hyperparameter varies across these trials", height=200)
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
    text = _hover_text(frame, rows, scores)
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
                    marker={
                        "size": 12,
                        "color": "rgba(0,0,0,0)",
                        "line": {"width": 2.5, "color": SELECTED_COLOUR},
                    },
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
        title={"text": f"{_metric_title(scores)} against each hyperparameter", "x": 0},
        font=FONT,
        height=max(360, 300 * nrows + 110),
        margin={"l": 10, "r": 10, "t": 110, "b": 10},
        legend={**LEGEND, "y": 1.0, "yref": "container", "yanchor": "top"},
        coloraxis={"colorscale": "Blues", "colorbar": {"title": {"text": "trial"}, "thickness": 12}},
    )
    fig.update_annotations(font_size=15)
    return fig


# -- optimisation history -------------------------------------------------------------------
def optimisation_history(
    frame: TrialsFrame, scores: Scores, shown: np.ndarray, selected: np.ndarray
) -> go.Figure:
    """Each trial's score by trial number, the best-so-far line (completed trials only), and
    trials without a score (failed, running) as marks along the bottom."""
    rows = np.flatnonzero(shown)
    numbers = frame.numbers[rows]
    values = scores.values[rows]
    statuses = frame.statuses[rows]
    text = _hover_text(frame, rows, scores)
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
                marker={
                    "size": 15,
                    "color": "rgba(0,0,0,0)",
                    "line": {"width": 2.5, "color": SELECTED_COLOUR},
                },
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
    return _figure(
        traces,
        f"Optimisation history · {_metric_title(scores)}, {_goal_word(scores)}",
        height=440,
        xaxis={"title": {"text": "trial number"}},
        yaxis={"title": {"text": scores.metric}},
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
    )


# -- timeline ----------------------------------------------------------------------------------
def assign_lanes(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Greedy interval colouring: the fewest lanes in which no two trials overlap
    (each trial takes the lane that freed up first, if it is free by its start)."""
    import heapq

    order = np.argsort(start, kind="stable")
    free: list[tuple[float, int]] = []  # (busy until, lane)
    lanes = np.zeros(len(start), dtype=np.int64)
    count = 0
    for i in order:
        if free and free[0][0] <= start[i]:
            _, lane = heapq.heappop(free)
        else:
            lane, count = count, count + 1
        lanes[i] = lane
        heapq.heappush(free, (float(end[i]), lane))
    return lanes


def timeline(
    frame: TrialsFrame, shown: np.ndarray, selected: np.ndarray, now: pd.Timestamp | None = None
) -> go.Figure:
    """When each trial ran, one lane per worker (or per concurrency slot when no worker was
    recorded), coloured by status; the title gives the cluster's utilisation."""
    rows = np.flatnonzero(shown & frame.info["start"].notna().to_numpy())
    if rows.size == 0:
        return _figure([], "Timeline · no trial has a start time", height=220)
    info = frame.info.iloc[rows]
    start = info["start"].to_numpy(dtype="datetime64[ms]").astype(np.int64).astype(np.float64)
    end_raw = info["end"]
    stamp = now if now is not None else pd.Timestamp.now(tz="UTC")
    fallback = float(stamp.value // 1_000_000)
    end = np.where(
        end_raw.notna().to_numpy(), end_raw.to_numpy(dtype="datetime64[ms]").astype(np.int64), fallback
    )
    end = np.maximum(end.astype(np.float64), start)
    drawn_end = end - 0.04 * (end - start)  # a hairline gap between back-to-back trials
    workers = info["worker"].to_numpy(dtype=object)
    if (workers != "").all():
        lane_names = np.asarray(workers, dtype=object)
        axis_title = "worker"
    else:
        lanes = assign_lanes(start, end)
        lane_names = np.asarray([f"slot {k + 1}" for k in lanes], dtype=object)
        axis_title = "concurrency slot (no worker recorded)"
    order = sorted(set(lane_names), key=lambda s: (len(s), s))
    statuses = info["status"].to_numpy(dtype=object)
    numbers = info["number"].to_numpy()
    traces: list[go.BaseTraceType] = []
    for status in STATUSES:
        pick = np.flatnonzero(statuses == status)
        if pick.size == 0:
            continue
        xs = np.empty(pick.size * 3, dtype="datetime64[ms]")
        xs[0::3] = start[pick].astype("datetime64[ms]")
        xs[1::3] = drawn_end[pick].astype("datetime64[ms]")
        xs[2::3] = np.datetime64("NaT")
        ys = np.empty(pick.size * 3, dtype=object)
        ys[0::3] = lane_names[pick]
        ys[1::3] = lane_names[pick]
        ys[2::3] = None
        label = np.repeat(
            np.asarray(
                [
                    f"trial {n} · {STATUS_LABELS[status]} · {(e - s) / 1000:.1f} s"
                    for n, s, e in zip(numbers[pick], start[pick], end[pick], strict=True)
                ],
                dtype=object,
            ),
            3,
        )
        traces.append(
            go.Scattergl(
                x=xs,
                y=ys,
                mode="lines",
                name=STATUS_LABELS[status],
                line={"color": STATUS_COLOURS[status], "width": 14 if len(order) <= 16 else 6},
                text=label,
                hovertemplate="%{text}<extra></extra>",
                connectgaps=False,
            )
        )
    picked = np.flatnonzero(selected[rows])
    if picked.size:
        traces.append(
            go.Scattergl(
                x=((start[picked] + end[picked]) / 2).astype("datetime64[ms]"),
                y=lane_names[picked],
                mode="markers",
                name="selected",
                marker={"symbol": "diamond", "size": 12, "color": SELECTED_COLOUR},
                hoverinfo="skip",
            )
        )
    span = float(end.max() - start.min())
    busy = float(np.sum(end - start))
    use = busy / (span * len(order)) if span > 0 else 0.0
    return _figure(
        traces,
        f"Timeline · {len(order)} lane(s), busy {use:.0%} of the time between first start and last end",
        height=max(260, 34 * len(order) + 160),
        xaxis={"title": {"text": "time (UTC)"}, "type": "date"},
        yaxis={
            "title": {"text": axis_title},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": order,
        },
    )


# -- importance ----------------------------------------------------------------------------------
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
    return _figure(
        trace,
        f"Hyperparameter importance for {metric} · {importance.label} · {importance.trials} trials",
        height=max(300, 40 * len(names) + 130),
        xaxis={
            "title": {"text": "share of importance"},
            "tickformat": ".0%",
            "range": [0, min(1.0, float(shares.max()) * 1.18 + 0.02)],
        },
        yaxis={"automargin": True},
        showlegend=False,
    )


# -- contour / heatmap --------------------------------------------------------------------------
@dataclass(frozen=True)
class Bins:
    codes: np.ndarray  # bin per trial
    labels: list[str]
    edges: np.ndarray | None  # numeric: bin edges (values), for brick edges on the axis
    log: bool


def _bins(info: ParamInfo, column: np.ndarray, count: int) -> Bins:
    if info.kind == "categorical":
        codes = np.asarray(pd.Categorical(column, categories=list(info.categories)).codes)
        return Bins(codes, list(info.categories), None, False)
    values = np.asarray(column, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Bins(np.zeros(values.size, dtype=np.int64), [NONE_LABEL], None, False)
    low, high = float(finite.min()), float(finite.max())
    distinct = np.unique(finite)
    if distinct.size <= count:  # few values: one bin each, shown as categories
        codes = np.searchsorted(distinct, values)
        labels = [_nice(v) for v in distinct]
        if not np.isfinite(values).all():
            codes = np.where(np.isfinite(values), codes, distinct.size)
            labels.append(NONE_LABEL)
        return Bins(codes, labels, None, False)
    edges = np.geomspace(low, high, count + 1) if info.log else np.linspace(low, high, count + 1)
    codes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, count - 1)
    labels = [f"{_nice(a)}–{_nice(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    if not np.isfinite(values).all():
        codes = np.where(np.isfinite(values), codes, count)
        labels.append(NONE_LABEL)
        return Bins(codes, labels, None, False)
    return Bins(codes, labels, edges, info.log)


def contour(
    frame: TrialsFrame,
    scores: Scores,
    x_param: str,
    y_param: str,
    shown: np.ndarray,
    selected: np.ndarray,
    style: str = "heatmap",
    aggregate: str = "mean",
    bins: int = 10,
) -> go.Figure:
    """The metric over two hyperparameters: trials binned on a grid (log bins on log axes),
    each cell the mean (or best) score of its trials, with the trials drawn on top.
    ``style="contour"`` smooths a grid of two numeric axes into contour lines."""
    rows = np.flatnonzero(shown & np.isfinite(scores.values))
    values = scores.values[rows]
    bx = _bins(frame.param_info[x_param], frame.params[x_param].to_numpy()[rows], bins)
    by = _bins(frame.param_info[y_param], frame.params[y_param].to_numpy()[rows], bins)
    nx, ny = len(bx.labels), len(by.labels)
    flat = by.codes * nx + bx.codes
    count = np.bincount(flat, minlength=nx * ny).astype(float)
    total = np.bincount(flat, weights=values, minlength=nx * ny)
    if aggregate == "best":
        cell = np.full(nx * ny, -np.inf if scores.maximize else np.inf)
        (np.maximum if scores.maximize else np.minimum).at(cell, flat, values)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            cell = total / count
    cell[count == 0] = np.nan
    grid = cell.reshape(ny, nx)
    counts = count.reshape(ny, nx).astype(int)
    numeric = bx.edges is not None and by.edges is not None
    x_axis: dict[str, object] = {"title": {"text": x_param}}
    y_axis: dict[str, object] = {"title": {"text": y_param}}

    def centres(b: Bins) -> np.ndarray:
        assert b.edges is not None
        e = b.edges
        mid: np.ndarray = np.sqrt(e[:-1] * e[1:]) if b.log else (e[:-1] + e[1:]) / 2
        return mid

    if bx.edges is not None:
        gx: np.ndarray | list[str] = bx.edges if style != "contour" or not numeric else centres(bx)
        if bx.log:
            x_axis.update(log_axis(bx.edges))
    else:
        gx = bx.labels
        x_axis["type"] = "category"
    if by.edges is not None:
        gy: np.ndarray | list[str] = by.edges if style != "contour" or not numeric else centres(by)
        if by.log:
            y_axis.update(log_axis(by.edges))
    else:
        gy = by.labels
        y_axis["type"] = "category"
    common = {
        "z": grid,
        "x": gx,
        "y": gy,
        "customdata": counts,
        "colorscale": "Viridis",
        "reversescale": not scores.maximize,
        "colorbar": {"title": {"text": f"{aggregate} {scores.metric}"}, "thickness": 14},
        "hovertemplate": f"{x_param} %{{x}}<br>{y_param} %{{y}}<br>{aggregate} {scores.metric} %{{z:.4f}}"
        "<br>%{customdata} trial(s)<extra></extra>",
    }
    if style == "contour" and numeric:
        base: go.BaseTraceType = go.Contour(**common, connectgaps=True, contours={"showlabels": True})
    else:
        base = go.Heatmap(**common, hoverongaps=False)
    traces: list[go.BaseTraceType] = [base]

    def point_coords(b: Bins, name: str) -> np.ndarray:
        column = frame.params[name].to_numpy()[rows]
        if b.edges is not None:
            return np.asarray(column, dtype=np.float64)
        return np.asarray([b.labels[c] for c in b.codes], dtype=object)

    px, py = point_coords(bx, x_param), point_coords(by, y_param)
    if rows.size <= POINTS_ON_GRID or (numeric and rows.size <= 5 * POINTS_ON_GRID):
        # past this, points on a category axis only draw solid lines over the cells
        traces.append(
            go.Scattergl(
                x=px,
                y=py,
                mode="markers",
                name="trials",
                marker={
                    "size": 5,
                    "color": "rgba(255,255,255,0.85)",
                    "line": {"width": 0.8, "color": "#343A40"},
                },
                text=_hover_text(frame, rows, scores),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    picked = selected[rows]
    if picked.any():
        traces.append(
            go.Scattergl(
                x=px[picked],
                y=py[picked],
                mode="markers",
                name="selected",
                marker={"size": 13, "color": "rgba(0,0,0,0)", "line": {"width": 2.5, "color": HIGHLIGHT}},
                hoverinfo="skip",
            )
        )
    if scores.best is not None:
        at = np.flatnonzero(rows == scores.best)
        if at.size:
            traces.append(
                go.Scatter(
                    x=[px[at[0]]],
                    y=[py[at[0]]],
                    mode="markers",
                    name=f"best · trial {frame.numbers[scores.best]}",
                    marker={
                        "symbol": "star",
                        "size": 20,
                        "color": BEST_COLOUR,
                        "line": {"width": 1.5, "color": "#343A40"},
                    },
                )
            )
    kind = "Contour" if style == "contour" and numeric else "Heatmap"
    return _figure(
        traces,
        f"{kind} of {aggregate} {_metric_title(scores)} over {x_param} × {y_param} · {rows.size:,} trials",
        height=560,
        xaxis=x_axis,
        yaxis=y_axis,
    )


# -- intermediate values -----------------------------------------------------------------------
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
    return _figure(
        traces,
        f"Intermediate values · {what or history.key + ' per step'} · {rows.size:,} trials",
        height=460,
        xaxis={"title": {"text": "step (fold)"}, "dtick": 1 if steps.size <= 20 else None},
        yaxis={"title": {"text": history.key}},
        shapes=shapes,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )


# -- compare sweeps -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepSeries:
    label: str
    numbers: np.ndarray
    values: np.ndarray
    statuses: np.ndarray


def compare_history(series: Sequence[SweepSeries], metric: str, goal: str) -> go.Figure:
    """Several sweeps on one axis: each trial's score (faint) and each sweep's best so far."""
    traces: list[go.BaseTraceType] = []
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        order = np.argsort(s.numbers, kind="stable")
        x, y, st = s.numbers[order], s.values[order], s.statuses[order]
        traces.append(
            go.Scattergl(
                x=x,
                y=y,
                mode="markers",
                name=f"{s.label} · trials",
                legendgroup=s.label,
                marker={"size": 6, "color": colour, "opacity": 0.35},
                hovertemplate=f"{s.label} · trial %{{x}}: %{{y:.4f}}<extra></extra>",
            )
        )
        running = best_so_far(y, st, "maximize" if goal == "maximize" else "minimize")
        traces.append(
            go.Scatter(
                x=x,
                y=running,
                mode="lines",
                name=f"{s.label} · best so far",
                legendgroup=s.label,
                line={"color": colour, "width": 3, "shape": "hv"},
            )
        )
    return _figure(
        traces,
        f"Sweeps compared · {metric} ({goal}), best so far",
        height=460,
        xaxis={"title": {"text": "trial number"}},
        yaxis={"title": {"text": metric}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )


# -- best-trial panel -----------------------------------------------------------------------------
def confusion_matrix(oof: OutOfFold, title: str = "Confusion matrix (out-of-fold)") -> go.Figure:
    assert oof.confusion is not None
    matrix = oof.confusion
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    labels = list(oof.classes)
    text = [[f"{matrix[i, j]}<br>{share[i, j]:.0%}" for j in range(len(labels))] for i in range(len(labels))]
    trace = go.Heatmap(
        z=share,
        x=labels,
        y=labels,
        text=text,
        texttemplate="%{text}",
        textfont={"size": 16},
        colorscale="Blues",
        zmin=0,
        zmax=1,
        showscale=False,
        hovertemplate="true %{y} · predicted %{x}<br>%{text}<extra></extra>",
    )
    return _figure(
        trace,
        title,
        height=max(400, 60 * len(labels) + 160),
        xaxis={"title": {"text": "predicted"}, "type": "category", "side": "bottom"},
        yaxis={"title": {"text": "true"}, "type": "category", "autorange": "reversed"},
    )


def roc_curves(oof: OutOfFold) -> go.Figure:
    traces: list[go.BaseTraceType] = [
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dash", "color": "#ADB5BD"})
    ]
    for curve in oof.roc:
        traces.append(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                mode="lines",
                name=f"{curve.label} · AUC {curve.area:.3f}",
                line={"width": 3},
            )
        )
    return _figure(
        traces,
        "ROC curve (out-of-fold)" + ("" if len(oof.roc) <= 1 else " · one class vs the rest"),
        height=400,
        xaxis={"title": {"text": "false positive rate"}, "range": [0, 1]},
        yaxis={"title": {"text": "true positive rate"}, "range": [0, 1.02]},
    )


def pr_curves(oof: OutOfFold) -> go.Figure:
    traces: list[go.BaseTraceType] = []
    for i, curve in enumerate(oof.pr):
        colour = PALETTE[i % len(PALETTE)]
        traces.append(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                mode="lines",
                name=f"{curve.label} · AP {curve.area:.3f}",
                line={"width": 3, "color": colour, "shape": "hv"},
            )
        )
        if curve.baseline is not None:
            traces.append(
                go.Scatter(
                    x=[0, 1],
                    y=[curve.baseline, curve.baseline],
                    mode="lines",
                    name=f"{curve.label} · chance",
                    line={"dash": "dash", "color": colour, "width": 1},
                )
            )
    return _figure(
        traces,
        "Precision-recall (out-of-fold)",
        height=400,
        xaxis={"title": {"text": "recall"}, "range": [0, 1]},
        yaxis={"title": {"text": "precision"}, "range": [0, 1.02]},
    )


def predicted_vs_actual(oof: OutOfFold) -> go.Figure:
    actual = np.asarray(oof.y_true, dtype=np.float64)
    predicted = np.asarray(oof.y_pred, dtype=np.float64)
    low, high = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    traces = [
        go.Scattergl(
            x=actual,
            y=predicted,
            mode="markers",
            name="rows",
            marker={"size": 6, "color": PALETTE[0], "opacity": 0.6},
        ),
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            name="perfect",
            line={"dash": "dash", "color": "#868E96"},
        ),
    ]
    return _figure(
        traces,
        "Predicted vs actual (out-of-fold)",
        height=420,
        xaxis={"title": {"text": "actual"}},
        yaxis={"title": {"text": "predicted"}},
    )


def residuals(oof: OutOfFold) -> go.Figure:
    actual = np.asarray(oof.y_true, dtype=np.float64)
    predicted = np.asarray(oof.y_pred, dtype=np.float64)
    traces = [
        go.Scattergl(
            x=predicted,
            y=actual - predicted,
            mode="markers",
            name="rows",
            marker={"size": 6, "color": PALETTE[1], "opacity": 0.6},
        )
    ]
    return _figure(
        traces,
        "Residuals (actual − predicted) against the prediction",
        height=420,
        xaxis={"title": {"text": "predicted"}},
        yaxis={"title": {"text": "residual"}, "zeroline": True, "zerolinewidth": 2},
    )
