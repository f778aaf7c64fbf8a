"""Plotly figures of the Endpoint step: confusion matrix, ROC, predicted vs actual, versions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from core.train.curves import Curve
from dashboard.figures import FONT, PALETTE


def _layout(traces: object, title: str, height: int = 400, **extra: object) -> go.Figure:
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "colorway": PALETTE,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        **extra,
    }
    return go.Figure(data=traces, layout=layout)


def confusion_matrix(labels: Sequence[Any], matrix: Sequence[Sequence[int]], target: str) -> go.Figure:
    """Counts with each row's share: rows are the truth, columns the endpoint's prediction."""
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
        zmin=0,
        zmax=1,
        colorscale="Blues",
        text=text,
        texttemplate="%{text}",
        textfont={"size": 17},
        hovertemplate="truth %{y}, predicted %{x}: %{text}<extra></extra>",
        showscale=False,
    )
    size = max(340, 80 * len(names) + 140)
    return _layout(
        trace,
        "Confusion matrix (share of each true class)",
        height=size,
        xaxis={"title": f"predicted {target}", "type": "category", "side": "bottom"},
        yaxis={"title": f"true {target}", "type": "category", "autorange": "reversed"},
    )


def roc_curves(curves: Sequence[Curve]) -> go.Figure:
    traces: list[go.Scatter] = [
        go.Scatter(
            x=c.x,
            y=c.y,
            mode="lines",
            name=f"class {c.label} (AUC {c.area:.3f})",
            line={"width": 3},
            hovertemplate="false positives %{x:.2f}, true positives %{y:.2f}<extra></extra>",
        )
        for c in curves
    ]
    traces.append(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dash", "color": "#999"})
    )
    title = "ROC curve" if len(curves) == 1 else "ROC curves (one class against the rest)"
    return _layout(
        traces,
        title,
        xaxis={"title": "false positive rate", "range": [0, 1]},
        yaxis={"title": "true positive rate", "range": [0, 1.02]},
    )


def predicted_vs_actual(y_true: Sequence[float], y_pred: Sequence[float], target: str) -> go.Figure:
    low = float(min(min(y_true), min(y_pred)))
    high = float(max(max(y_true), max(y_pred)))
    traces = [
        go.Scatter(
            x=list(y_true), y=list(y_pred), mode="markers", name="rows", marker={"size": 8, "opacity": 0.7}
        ),
        go.Scatter(
            x=[low, high], y=[low, high], mode="lines", name="perfect", line={"dash": "dash", "color": "#999"}
        ),
    ]
    return _layout(
        traces, "Predicted against actual", xaxis_title=f"actual {target}", yaxis_title=f"predicted {target}"
    )


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
    return _layout(traces, "Cross-validated metrics of each version", barmode="group", yaxis_title="score")
