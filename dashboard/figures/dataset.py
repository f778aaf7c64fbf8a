"""Charts of the dataset on the Data and EDA steps: class balance, the split's class shares,
distributions by class (classification) or each feature against the target (regression),
correlation, associations with the target and missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.data.eda import Histogram, TargetTrend
from dashboard.figures.style import PALETTE, figure

__all__ = [
    "associations_bar",
    "categorical_against_target",
    "categorical_distribution",
    "class_balance",
    "correlation_heatmap",
    "missing_values",
    "numeric_against_target",
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
    """Each class's share of the train and of the test rows: the bars and their labels both say
    the share (the row count is in the label too, and in the hover)."""
    traces = [
        go.Bar(
            name=side,
            x=table.index.astype(str),
            y=table[f"{side} %"],
            text=[
                f"{share:.1f}% ({rows:,})"
                for share, rows in zip(table[f"{side} %"], table[side], strict=True)
            ],
            textposition="auto",
            hovertemplate=f"{side}: %{{y:.1f}}% of its rows (%{{customdata:,}} rows)<extra></extra>",
            customdata=table[side].to_numpy(),
        )
        for side in ("train", "test")
    ]
    return figure(
        traces,
        "Class shares in train and test",
        barmode="group",
        xaxis_title=target,
        yaxis_title="% of that split's rows",
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


def numeric_against_target(trend: TargetTrend, column: str, target: str) -> go.Figure:
    """The target against a numeric feature: a sample of the points, and per quantile bin of the
    feature the target's mean with its middle half (25th-75th percentile) as a band."""
    bins = trend.bins
    traces = [
        go.Scatter(  # SVG: a page of a dozen WebGL charts runs out of WebGL contexts in a browser
            x=trend.points["x"],
            y=trend.points["y"],
            mode="markers",
            name="rows (sample)",
            marker={"size": 4, "color": "rgba(120,120,120,0.25)"},
            hoverinfo="skip",
        ),
        go.Scatter(
            x=bins["x"], y=bins["q75"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
        ),
        go.Scatter(
            x=bins["x"],
            y=bins["q25"],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(0,120,212,0.2)",
            name="middle half",
            hoverinfo="skip",
        ),
        go.Scatter(
            x=bins["x"],
            y=bins["mean"],
            mode="lines+markers",
            name="mean per bin",
            line={"color": PALETTE[0], "width": 3},
            customdata=bins["rows"],
            hovertemplate=f"{column} ≈ %{{x:.3g}}: mean {target} %{{y:.3g}}"
            " (%{customdata:,} rows)<extra></extra>",
        ),
    ]
    return figure(
        traces, f"'{target}' against '{column}'", height=320, xaxis_title=column, yaxis_title=target
    )


def categorical_against_target(table: pd.DataFrame, column: str, target: str) -> go.Figure:
    """The target per category as a box from precomputed percentiles (whiskers 5th-95th)."""
    labels = [f"{label} ({rows:,})" for label, rows in zip(table.index, table["rows"], strict=True)]
    trace = go.Box(
        x=labels,
        q1=table["p25"],
        median=table["p50"],
        q3=table["p75"],
        lowerfence=table["p5"],
        upperfence=table["p95"],
        mean=table["mean"],
        marker_color=PALETTE[0],
        name=target,
    )
    return figure(
        trace,
        f"'{target}' per '{column}' category",
        height=320,
        xaxis_title=f"{column} (rows)",
        yaxis_title=target,
        xaxis_type="category",
        showlegend=False,
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
