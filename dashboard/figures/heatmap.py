"""The metric over two hyperparameters: contour lines interpolated between the trials when both
are numbers, else the trials binned on a grid as a heatmap (with the reason a contour cannot be
drawn from :func:`contour_blocker`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.trials.frame import TrialsFrame
from core.trials.params import NONE_LABEL, ParamInfo
from core.trials.scoring import Scores
from core.wording import counted
from dashboard.figures.hyperparams import log_axis, nice
from dashboard.figures.marks import BEST_COLOUR, HIGHLIGHT, hover_text, metric_title, ring
from dashboard.figures.style import ROOMY, figure

__all__ = ["CONTOUR_GRID", "MIN_CONTOUR_VALUES", "POINTS_ON_GRID", "Bins", "contour", "contour_blocker"]

POINTS_ON_GRID = 600  # trials drawn over a heatmap, at most (more only hide its cells)
CONTOUR_GRID = 60  # points per axis of the interpolated surface
MIN_CONTOUR_VALUES = 4  # distinct values an axis needs before lines between them mean anything


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


def _numbers(frame: TrialsFrame, name: str) -> np.ndarray:
    """A numeric hyperparameter as floats; None (and, on a log axis, zero or less) as NaN."""
    values = np.asarray(frame.params[name].to_numpy(), dtype=np.float64)
    if frame.param_info[name].log:
        values = np.where(values > 0, values, np.nan)
    return values


def contour_blocker(
    frame: TrialsFrame, scores: Scores, x_param: str, y_param: str, shown: np.ndarray
) -> str | None:
    """Why the metric over these two hyperparameters cannot be drawn as contour lines (a
    sentence for the page), or None when it can."""
    if x_param == y_param:
        return "Contour lines need two different hyperparameters."
    rows = shown & np.isfinite(scores.values)
    for name in (x_param, y_param):
        info = frame.param_info[name]
        if info.kind == "categorical":
            listed = ", ".join(info.categories[:4]) + ("…" if len(info.categories) > 4 else "")
            return f"{name} is categorical ({listed}): contour lines need a number on both axes."
        distinct = np.unique(_numbers(frame, name)[rows & np.isfinite(_numbers(frame, name))]).size
        if distinct < MIN_CONTOUR_VALUES:
            return (
                f"{name} takes only {counted(distinct, 'distinct value')} among these trials: contour "
                f"lines need at least {MIN_CONTOUR_VALUES} on each axis."
            )
    usable = rows & np.isfinite(_numbers(frame, x_param)) & np.isfinite(_numbers(frame, y_param))
    if usable.sum() < 3:
        return (
            f"Only {counted(int(usable.sum()), 'trial')} passing the filters have a score and a value "
            f"for both {x_param} and {y_param}: contour lines need at least 3."
        )
    u, v = _plane(frame, x_param, y_param, np.flatnonzero(usable))
    if (
        np.unique(np.column_stack([u, v]), axis=0).shape[0] < 3
        or np.linalg.matrix_rank(np.column_stack([u - u.mean(), v - v.mean()]), tol=1e-9) < 2
    ):
        return (
            f"The trials lie on one line in {x_param} × {y_param}, so there is no area to draw "
            "contour lines over."
        )
    return None


def _plane(frame: TrialsFrame, x_param: str, y_param: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The trials' coordinates scaled to the unit square (log10 first on log axes), so the
    interpolation weighs both axes alike whatever their units."""

    def scaled(name: str) -> np.ndarray:
        values = _numbers(frame, name)[rows]
        if frame.param_info[name].log:
            values = np.log10(np.where(values > 0, values, np.nan))
        low, high = (float(np.nanmin(values)), float(np.nanmax(values))) if values.size else (0.0, 1.0)
        scaled_values: np.ndarray = (values - low) / (high - low if high > low else 1.0)
        return scaled_values

    return scaled(x_param), scaled(y_param)


def _axis_grid(values: np.ndarray, log: bool) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    grid: np.ndarray = np.geomspace(low, high, CONTOUR_GRID) if log else np.linspace(low, high, CONTOUR_GRID)
    return grid


def _interpolated(
    frame: TrialsFrame,
    scores: Scores,
    x_param: str,
    y_param: str,
    shown: np.ndarray,
    selected: np.ndarray,
    aggregate: str,
) -> go.Figure:
    """Contour lines of the metric, linearly interpolated (scipy's ``griddata``) between the
    trials in the plane of the two hyperparameters; blank outside the trials' hull, where there
    is nothing to interpolate between. Trials at the same point count once (their mean or best)."""
    from scipy.interpolate import griddata

    xs, ys = _numbers(frame, x_param), _numbers(frame, y_param)
    usable = shown & np.isfinite(scores.values) & np.isfinite(xs) & np.isfinite(ys)
    rows = np.flatnonzero(usable)
    left_out = int(np.sum(shown & np.isfinite(scores.values))) - rows.size
    u, v = _plane(frame, x_param, y_param, rows)
    points = pd.DataFrame({"u": u, "v": v, "z": scores.values[rows]})
    how = "mean" if aggregate == "mean" else ("max" if scores.maximize else "min")
    merged = points.groupby(["u", "v"], sort=False)["z"].agg(how).reset_index()
    gx, gy = (
        _axis_grid(xs[rows], frame.param_info[x_param].log),
        _axis_grid(ys[rows], frame.param_info[y_param].log),
    )
    grid_u, grid_v = np.meshgrid(np.linspace(0, 1, CONTOUR_GRID), np.linspace(0, 1, CONTOUR_GRID))
    surface = griddata(
        merged[["u", "v"]].to_numpy(), merged["z"].to_numpy(), (grid_u, grid_v), method="linear"
    )
    x_axis: dict[str, object] = {"title": {"text": x_param}}
    y_axis: dict[str, object] = {"title": {"text": y_param}}
    if frame.param_info[x_param].log:
        x_axis.update(log_axis(gx))
    if frame.param_info[y_param].log:
        y_axis.update(log_axis(gy))
    base = go.Contour(
        z=surface,
        x=gx,
        y=gy,
        colorscale="Viridis",
        reversescale=not scores.maximize,
        colorbar={"title": {"text": scores.metric}, "thickness": 14},
        contours={"showlabels": True, "labelfont": {"size": 12, "color": "white"}},
        line={"width": 0.8},
        hovertemplate=f"{x_param} %{{x:.3g}}<br>{y_param} %{{y:.3g}}<br>"
        f"{scores.metric} %{{z:.4f}} (interpolated)<extra></extra>",
    )
    traces = [base, *_marks(frame, scores, rows, xs[rows], ys[rows], selected, draw_points=True)]
    title = (
        f"Contour of {metric_title(scores)} over {x_param} × {y_param} · "
        f"interpolated between {rows.size:,} trials"
    )
    if left_out:
        title += f" ({left_out:,} with None left out)"
    return figure(traces, title, height=560, xaxis=x_axis, yaxis=y_axis, preset=ROOMY)


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
    """The metric over two hyperparameters. ``style="contour"``: contour lines interpolated
    between the trials, when :func:`contour_blocker` finds nothing against it; otherwise (and
    for ``style="heatmap"``) the trials binned on a grid (log bins on log axes), each cell the
    mean (or best) score of its trials. The trials are drawn on top."""
    if style == "contour" and contour_blocker(frame, scores, x_param, y_param, shown) is None:
        return _interpolated(frame, scores, x_param, y_param, shown, selected, aggregate)
    return _heatmap(frame, scores, x_param, y_param, shown, selected, aggregate, bins)


def _heatmap(
    frame: TrialsFrame,
    scores: Scores,
    x_param: str,
    y_param: str,
    shown: np.ndarray,
    selected: np.ndarray,
    aggregate: str,
    bins: int,
) -> go.Figure:
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
    if bx.edges is not None:
        gx: np.ndarray | list[str] = bx.edges
        if bx.log:
            x_axis.update(log_axis(bx.edges))
    else:
        gx = bx.labels
        x_axis["type"] = "category"
    if by.edges is not None:
        gy: np.ndarray | list[str] = by.edges
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
    traces: list[go.BaseTraceType] = [go.Heatmap(**common, hoverongaps=False)]

    def point_coords(b: Bins, name: str) -> np.ndarray:
        column = frame.params[name].to_numpy()[rows]
        if b.edges is not None:
            return np.asarray(column, dtype=np.float64)
        return np.asarray([b.labels[c] for c in b.codes], dtype=object)

    px, py = point_coords(bx, x_param), point_coords(by, y_param)
    # past this, points on a category axis only draw solid lines over the cells
    draw = rows.size <= POINTS_ON_GRID or (numeric and rows.size <= 5 * POINTS_ON_GRID)
    traces += _marks(frame, scores, rows, px, py, selected, draw_points=draw)
    return figure(
        traces,
        f"Heatmap of {aggregate} {metric_title(scores)} over {x_param} × {y_param} · {rows.size:,} trials",
        height=560,
        xaxis=x_axis,
        yaxis=y_axis,
        preset=ROOMY,
    )


def _marks(
    frame: TrialsFrame,
    scores: Scores,
    rows: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    selected: np.ndarray,
    draw_points: bool,
) -> list[go.BaseTraceType]:
    """The trials (when ``draw_points``), the selected ones ringed and the best one's star."""
    traces: list[go.BaseTraceType] = []
    if draw_points:
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
    return traces
