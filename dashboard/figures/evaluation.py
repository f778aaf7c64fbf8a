"""Evaluation charts: a model's predictions against the truth, on the Endpoint step (a live
test of the held-out split) and in the Trials page's best-trial panel (a trial's out-of-fold
predictions). One chart of each kind, fed by :class:`core.train.curves.Curve` for ROC and
precision-recall; the ``oof_*`` builders give the best-trial panel's titles and style. Also the
Endpoint step's comparison of registered versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.endpoint.intervals import Interval
from core.train.curves import Curve
from core.trials.oof import OutOfFold
from dashboard.figures.style import HOUSE, MARGIN, PALETTE, ROOMY, figure

__all__ = [
    "confusion_matrix",
    "oof_confusion_matrix",
    "oof_pr_curves",
    "oof_predicted_vs_actual",
    "oof_residuals",
    "oof_roc_curves",
    "pr_curves",
    "predicted_vs_actual",
    "residuals",
    "roc_curves",
    "version_metrics",
]

Preset = Mapping[str, object]
# ROC and PR legends sit under the plot, left-aligned: above it, beside a left-aligned title, a
# legend of several classes (or AUCs with intervals) ran into the title on a narrow chart. Anchored
# to the figure's bottom, Plotly grows the bottom margin to fit however many rows it wraps to.
LEGEND_BELOW: Mapping[str, object] = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "yref": "container",
    "y": 0,
    "yanchor": "bottom",
}


def _named(word: str, target: str) -> str:
    return f"{word} {target}" if target else word


def confusion_matrix(
    labels: Sequence[Any],
    matrix: Sequence[Sequence[int]] | np.ndarray,
    target: str = "",
    *,
    title: str = "Confusion matrix (share of each true class)",
    preset: Preset = HOUSE,
) -> go.Figure:
    """Counts with each row's share: rows are the truth, columns the prediction."""
    names = [str(label) for label in labels]
    counts = np.asarray(matrix, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    text = [
        [f"{int(c)}<br>{s:.0%}" for c, s in zip(row_c, row_s, strict=True)]
        for row_c, row_s in zip(counts, shares, strict=True)
    ]
    trace = go.Heatmap(
        z=shares,
        x=names,
        y=names,
        text=text,
        texttemplate="%{text}",
        textfont={"size": 16},
        colorscale="Blues",
        zmin=0,
        zmax=1,
        showscale=False,
        hovertemplate="true %{y} · predicted %{x}<br>%{text}<extra></extra>",
    )
    return figure(
        trace,
        title,
        height=max(400, 60 * len(names) + 160),
        preset=preset,
        xaxis={"title": {"text": _named("predicted", target)}, "type": "category", "side": "bottom"},
        yaxis={"title": {"text": _named("true", target)}, "type": "category", "autorange": "reversed"},
    )


def _bracket(interval: Interval | None) -> str:
    return f" ({interval.text()})" if interval is not None else ""


def roc_curves(
    curves: Sequence[Curve],
    *,
    title: str = "ROC curve",
    preset: Preset = HOUSE,
    intervals: Mapping[str, Interval] | None = None,
) -> go.Figure:
    """One ROC curve per positive class (one against the rest when there are several); a class's
    AUC interval, when given (a small test set), follows its AUC in the legend."""
    traces: list[go.BaseTraceType] = [
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dash", "color": "#ADB5BD"})
    ]
    for curve in curves:
        traces.append(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                mode="lines",
                name=f"{curve.label} · AUC {curve.area:.3f}" + _bracket((intervals or {}).get(curve.label)),
                line={"width": 3},
                hovertemplate="false positives %{x:.2f}, true positives %{y:.2f}<extra></extra>",
            )
        )
    several = len(curves) > 1  # the title's second line: "one class vs the rest", given room
    margin = {**MARGIN, **dict(preset).get("margin", {})}  # type: ignore[dict-item]
    return figure(
        traces,
        title + ("<br><sup>one class vs the rest</sup>" if several else ""),
        height=440,
        preset=preset,
        legend=LEGEND_BELOW,
        margin={**margin, "t": max(int(margin["t"]), 72)} if several else margin,
        xaxis={"title": {"text": "false positive rate"}, "range": [0, 1]},
        yaxis={"title": {"text": "true positive rate"}, "range": [0, 1.02]},
    )


def pr_curves(
    curves: Sequence[Curve], *, title: str = "Precision-recall", preset: Preset = HOUSE
) -> go.Figure:
    """Precision against recall per positive class, each with its chance level (the class's share)."""
    traces: list[go.BaseTraceType] = []
    for i, curve in enumerate(curves):
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
    return figure(
        traces,
        title,
        height=440,
        preset=preset,
        legend=LEGEND_BELOW,
        xaxis={"title": {"text": "recall"}, "range": [0, 1]},
        yaxis={"title": {"text": "precision"}, "range": [0, 1.02]},
    )


def predicted_vs_actual(
    y_true: Sequence[float] | np.ndarray,
    y_pred: Sequence[float] | np.ndarray,
    target: str = "",
    *,
    title: str = "Predicted against actual",
    preset: Preset = HOUSE,
) -> go.Figure:
    actual = np.asarray(y_true, dtype=np.float64)
    predicted = np.asarray(y_pred, dtype=np.float64)
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
    return figure(
        traces,
        title,
        height=420,
        preset=preset,
        xaxis={"title": {"text": _named("actual", target)}},
        yaxis={"title": {"text": _named("predicted", target)}},
    )


def residuals(
    y_true: Sequence[float] | np.ndarray,
    y_pred: Sequence[float] | np.ndarray,
    *,
    title: str = "Residuals (actual − predicted) against the prediction",
    preset: Preset = HOUSE,
) -> go.Figure:
    actual = np.asarray(y_true, dtype=np.float64)
    predicted = np.asarray(y_pred, dtype=np.float64)
    traces = [
        go.Scattergl(
            x=predicted,
            y=actual - predicted,
            mode="markers",
            name="rows",
            marker={"size": 6, "color": PALETTE[1], "opacity": 0.6},
        )
    ]
    return figure(
        traces,
        title,
        height=420,
        preset=preset,
        xaxis={"title": {"text": "predicted"}},
        yaxis={"title": {"text": "residual"}, "zeroline": True, "zerolinewidth": 2},
    )


# -- the best-trial panel: a trial's out-of-fold predictions -------------------------------------
def oof_confusion_matrix(oof: OutOfFold, title: str = "Confusion matrix (out-of-fold)") -> go.Figure:
    assert oof.confusion is not None
    return confusion_matrix(oof.classes, oof.confusion, title=title, preset=ROOMY)


def oof_roc_curves(oof: OutOfFold) -> go.Figure:
    return roc_curves(oof.roc, title="ROC curve (out-of-fold)", preset=ROOMY)


def oof_pr_curves(oof: OutOfFold) -> go.Figure:
    return pr_curves(oof.pr, title="Precision-recall (out-of-fold)", preset=ROOMY)


def oof_predicted_vs_actual(oof: OutOfFold) -> go.Figure:
    return predicted_vs_actual(
        oof.y_true, oof.y_pred, title="Predicted vs actual (out-of-fold)", preset=ROOMY
    )


def oof_residuals(oof: OutOfFold) -> go.Figure:
    return residuals(oof.y_true, oof.y_pred, preset=ROOMY)


# -- registered versions ---------------------------------------------------------------------------
def version_metrics(rows: Sequence[dict[str, Any]], metrics: Sequence[str]) -> go.Figure:
    """One group of bars per metric, one bar per registered version."""
    traces = []
    for row in rows:
        label = f"v{row['version']}" + (f" @{row['aliases']}" if row.get("aliases") else "")
        values = [row.get(m) for m in metrics]
        traces.append(
            go.Bar(
                name=label,
                x=list(metrics),
                y=values,
                text=[f"{v:.3f}" if isinstance(v, float) else "" for v in values],
                textposition="auto",
            )
        )
    return figure(
        traces, "Cross-validated metrics of each version", height=400, barmode="group", yaxis_title="score"
    )
