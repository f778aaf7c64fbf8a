"""The metric over two hyperparameters: the trials binned on a grid, as a heatmap or contours."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.trials.frame import TrialsFrame
from core.trials.params import NONE_LABEL, ParamInfo
from core.trials.scoring import Scores
from dashboard.figures.hyperparams import log_axis, nice
from dashboard.figures.marks import BEST_COLOUR, HIGHLIGHT, hover_text, metric_title, ring
from dashboard.figures.style import ROOMY, figure

__all__ = ["POINTS_ON_GRID", "Bins", "contour"]

POINTS_ON_GRID = 600  # trials drawn over a heatmap, at most (more only hide its cells)


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
        labels = [nice(v) for v in distinct]
        if not np.isfinite(values).all():
            codes = np.where(np.isfinite(values), codes, distinct.size)
            labels.append(NONE_LABEL)
        return Bins(codes, labels, None, False)
    edges = np.geomspace(low, high, count + 1) if info.log else np.linspace(low, high, count + 1)
    codes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, count - 1)
    labels = [f"{nice(a)}–{nice(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
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
                text=hover_text(frame, rows, scores),
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
                marker=ring(13, HIGHLIGHT),
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
    return figure(
        traces,
        f"{kind} of {aggregate} {metric_title(scores)} over {x_param} × {y_param} · {rows.size:,} trials",
        height=560,
        xaxis=x_axis,
        yaxis=y_axis,
        preset=ROOMY,
    )
