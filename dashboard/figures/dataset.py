"""Charts of the dataset on the Data and EDA steps: class balance, the split's class shares,
distributions by class, correlation, associations with the target and missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.data.eda import Histogram
from dashboard.figures.style import PALETTE, figure

__all__ = [
    "associations_bar",
    "categorical_distribution",
    "class_balance",
    "correlation_heatmap",
    "missing_values",
    "numeric_distribution",
    "split_balance",
]


def class_balance(counts: pd.Series, target: str) -> go.Figure:
    share = 100 * counts / max(1, counts.sum())
    traces = go.Bar(
        x=counts.index.astype(str),
        y=counts.to_numpy(),
        text=[f"{c:,} ({s:.1f}%)" for c, s in zip(counts, share, strict=True)],
        textposition="auto",
        marker_color=PALETTE[: len(counts)] if len(counts) <= len(PALETTE) else PALETTE[0],
    )
    return figure(
        traces, f"Class balance of '{target}'", xaxis_title=target, yaxis_title="rows", xaxis_type="category"
    )


def split_balance(table: pd.DataFrame, target: str) -> go.Figure:
    traces = [
        go.Bar(
            name=side,
            x=table.index.astype(str),
            y=table[f"{side} %"],
            text=table[side],
            textposition="auto",
        )
        for side in ("train", "test")
    ]
    return figure(
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
    traces = [
        go.Bar(name=label, x=centers, y=counts, width=width, opacity=0.6)
        for label, counts in hist.counts.items()
    ]
    return figure(
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
    return figure(
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
    traces = go.Heatmap(
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
    size = max(420, 34 * len(labels) + 120)
    return figure(traces, "Correlation (Pearson)", height=size, yaxis_autorange="reversed")


def associations_bar(scores: pd.Series, target: str, top: int = 15) -> go.Figure:
    best = scores.head(top)[::-1]
    traces = go.Bar(x=best.to_numpy(), y=best.index.astype(str), orientation="h", marker_color=PALETTE[0])
    return figure(
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
    traces = go.Bar(x=missing.to_numpy(), y=missing.index.astype(str), orientation="h")
    return figure(
        traces, "Missing values", height=max(260, 26 * len(missing) + 100), xaxis_title="% of rows missing"
    )
