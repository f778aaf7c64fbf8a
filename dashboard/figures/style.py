"""The house style of every chart: one helper, :func:`figure` (its :func:`layout` for a grid of
subplots), and the palette and font it uses.

Charts are readable on a projector: a 15 px font, the title on the left, the legend above the
plot on the right, thin margins. ``ROOMY`` is the Trials page's variant: more room above the plot
for its longer titles and legends, and larger hover labels.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

__all__ = ["FONT", "HOUSE", "LEGEND", "MARGIN", "PALETTE", "ROOMY", "figure", "layout"]

PALETTE = ["#0078D4", "#E8590C", "#2F9E44", "#AE3EC9", "#F59F00", "#1098AD", "#E03131", "#5C7CFA"]
FONT = {"size": 15}
MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}
LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1}

HOUSE: Mapping[str, object] = {"margin": MARGIN, "legend": LEGEND}
ROOMY: Mapping[str, object] = {
    "margin": {**MARGIN, "t": 70},
    "legend": {**LEGEND, "y": 1.02},
    "hoverlabel": {"font": {"size": 14}},
}


def layout(
    title: str, height: int = 380, *, preset: Mapping[str, object] = HOUSE, **extra: object
) -> dict[str, object]:
    """The house style's layout; ``extra`` adds to (or overrides) the ``preset``."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left"},
        "font": FONT,
        "height": height,
        "colorway": PALETTE,
        **preset,
        **extra,
    }


def figure(
    traces: object, title: str, height: int = 380, *, preset: Mapping[str, object] = HOUSE, **extra: object
) -> go.Figure:
    """A figure in the house style. The layout goes through the constructor in one piece:
    ``update_layout`` afterwards costs four times as much, which adds up on a page of charts
    (a grid of subplots, built by ``make_subplots``, takes :func:`layout` in one update)."""
    return go.Figure(data=traces, layout=layout(title, height, preset=preset, **extra))


def count_axis(title: str, largest: int) -> dict[str, object]:
    """An axis of counts (trial numbers, trials finished): a tick at every whole number while
    they fit (Plotly would otherwise label 0.5, 1.5 on a short one), its own ticks beyond."""
    return {"title": {"text": title}, "tick0": 0, "dtick": 1 if largest <= 20 else None}
