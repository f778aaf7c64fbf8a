"""Plotly figure builders: pure functions from core's aggregates to figures, readable on a projector."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.data.eda import Histogram

PALETTE = ["#0078D4", "#E8590C", "#2F9E44", "#AE3EC9", "#F59F00", "#1098AD", "#E03131", "#5C7CFA"]
FONT = {"size": 15}


def _layout(traces: object, title: str, height: int = 380, **extra: object) -> go.Figure:
    """A figure in the house style. The layout goes through the constructor in one piece:
    ``update_layout`` afterwards costs four times as much, which adds up on a page of charts."""
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


def class_balance(counts: pd.Series, target: str) -> go.Figure:
    share = 100 * counts / max(1, counts.sum())
    traces = (
        go.Bar(
            x=counts.index.astype(str),
            y=counts.to_numpy(),
            text=[f"{c:,} ({s:.1f}%)" for c, s in zip(counts, share, strict=True)],
            textposition="auto",
            marker_color=PALETTE[: len(counts)] if len(counts) <= len(PALETTE) else PALETTE[0],
        )
    )
    return _layout(
        traces, f"Class balance of '{target}'", xaxis_title=target, yaxis_title="rows", xaxis_type="category"
    )


def split_balance(table: pd.DataFrame, target: str) -> go.Figure:
    traces = (
        [
            go.Bar(
                name=side,
                x=table.index.astype(str),
                y=table[f"{side} %"],
                text=table[side],
                textposition="auto",
            )
            for side in ("train", "test")
        ]
    )
    return _layout(
        traces,
        "Class shares in train and test",
        barmode="group",
        xaxis_title=target,
        yaxis_title="% of rows",
        xaxis_type="category",
    )


def numeric_distribution(hist: Histogram, column: str, title: str | None = None) -> go.Figure:
    centers = (hist.edges[:-1] + hist.edges[1:]) / 2
    width = float(np.diff(hist.edges).mean()) if len(hist.edges) > 1 else 1.0
    traces = (
        [
            go.Bar(name=label, x=centers, y=counts, width=width, opacity=0.6)
            for label, counts in hist.counts.items()
        ]
    )
    return _layout(
        traces,
        title or f"{column} by class",
        height=320,
        barmode="overlay",
        xaxis_title=column,
        yaxis_title="rows",
        bargap=0,
    )


def categorical_distribution(table: pd.DataFrame, column: str) -> go.Figure:
    labels = [str(v) for v in table.index]
    traces = [go.Bar(name=str(c), x=labels, y=table[c].to_numpy()) for c in table.columns]
    return _layout(
        traces,
        f"{column} by class",
        height=320,
        barmode="group",
        xaxis_title=column,
        yaxis_title="rows",
        xaxis_type="category",
    )


def correlation_heatmap(corr: pd.DataFrame) -> go.Figure:
    labels = [str(c) for c in corr.columns]
    show_text = len(labels) <= 16
    traces = (
        go.Heatmap(
            z=corr.to_numpy(),
            x=labels,
            y=labels,
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            reversescale=True,
            text=np.round(corr.to_numpy(), 2) if show_text else None,
            texttemplate="%{text}" if show_text else None,
            hovertemplate="%{y} × %{x}: %{z:.2f}<extra></extra>",
        )
    )
    size = max(420, 34 * len(labels) + 120)
    return _layout(traces, "Correlation (Pearson)", height=size, yaxis_autorange="reversed")


def associations_bar(scores: pd.Series, target: str, top: int = 15) -> go.Figure:
    best = scores.head(top)[::-1]
    traces = (
        go.Bar(x=best.to_numpy(), y=best.index.astype(str), orientation="h", marker_color=PALETTE[0])
    )
    return _layout(
        traces,
        f"Top features by association with '{target}'",
        height=max(320, 28 * len(best) + 100),
        xaxis_title="association (0 = none, 1 = perfect)",
        xaxis_range=[0, 1],
    )


def missing_values(summary: pd.DataFrame) -> go.Figure | None:
    """Missing share per column, or None when nothing is missing."""
    missing = summary[summary["missing"] > 0]["missing %"].sort_values()
    if missing.empty:
        return None
    traces = (go.Bar(x=missing.to_numpy(), y=missing.index.astype(str), orientation="h"))
    return _layout(
        traces, "Missing values", height=max(260, 26 * len(missing) + 100), xaxis_title="% of rows missing"
    )


def best_so_far(trials: Sequence[Mapping[str, Any]], metric: str, goal: str) -> go.Figure:
    """Each finished trial's score in finishing order, and the best-so-far line."""
    done = sorted(
        (t for t in trials if t.get("value") is not None and t.get("ended")), key=lambda t: float(t["ended"])
    )
    better = max if goal == "maximize" else min
    best: list[float] = []
    for t in done:
        if t["status"] == "completed":
            best.append(t["value"] if not best else better(best[-1], t["value"]))
        else:
            best.append(best[-1] if best else float("nan"))
    order = list(range(1, len(done) + 1))
    colours = {"completed": PALETTE[0], "early_terminated": PALETTE[4], "canceled": "#868E96"}
    traces = [
        go.Scatter(
            x=order,
            y=[t["value"] for t in done],
            mode="markers",
            name="trial",
            marker={"size": 10, "color": [colours.get(t["status"], PALETTE[6]) for t in done]},
            text=[f"trial {t['number']} · {t['status'].replace('_', '-')}" for t in done],
            hovertemplate="%{text}<br>" + metric + " %{y:.4f}<extra></extra>",
        ),
        go.Scatter(x=order, y=best, mode="lines", name="best so far", line={"color": PALETTE[1], "width": 3}),
    ]
    return _layout(
        traces,
        f"Best {metric} so far ({goal})",
        height=320,
        xaxis_title="trials finished",
        yaxis_title=metric,
    )
