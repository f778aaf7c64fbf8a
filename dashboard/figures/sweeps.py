"""Sweep charts: the Sweep page's live best-so-far, when each trial ran (the timeline), and
several sweeps compared on one axis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.trials.frame import TrialsFrame
from core.trials.scoring import best_so_far as running_best
from core.trials.status import STATUS_LABELS, STATUSES
from core.wording import counted
from dashboard.figures.marks import CHART_HEX, SELECTED_COLOUR, STATUS_COLOURS
from dashboard.figures.style import PALETTE, ROOMY, count_axis, figure

__all__ = ["SweepSeries", "assign_lanes", "best_so_far", "compare_history", "timeline"]


def best_so_far(trials: Sequence[Mapping[str, Any]], metric: str, goal: str) -> go.Figure:
    """The Sweep page's live chart: each finished trial's score in finishing order, and the
    best-so-far line (of the completed trials)."""
    done = sorted(
        (t for t in trials if t.get("value") is not None and t.get("ended")), key=lambda t: float(t["ended"])
    )
    values = np.asarray([t["value"] for t in done], dtype=np.float64)
    statuses = np.asarray([t["status"] for t in done], dtype=object)
    best = running_best(values, statuses, "maximize" if goal == "maximize" else "minimize")
    order = list(range(1, len(done) + 1))
    traces: list[go.BaseTraceType] = []
    seen = {t["status"] for t in done}
    for status in [s for s in STATUSES if s in seen] + sorted(seen - set(STATUSES)):  # one legend entry each
        pick = [i for i, t in enumerate(done) if t["status"] == status]
        traces.append(
            go.Scatter(
                x=[order[i] for i in pick],
                y=[done[i]["value"] for i in pick],
                mode="markers",
                name=STATUS_LABELS.get(status, status.replace("_", "-")),
                marker={"size": 10, "color": STATUS_COLOURS.get(status, CHART_HEX["gray"])},
                text=[f"trial {done[i]['number']} · {status.replace('_', '-')}" for i in pick],
                hovertemplate="%{text}<br>" + metric + " %{y:.4f}<extra></extra>",
            )
        )
    traces.append(
        go.Scatter(
            x=order,
            y=best.tolist(),
            mode="lines",
            name="best so far",
            line={"color": PALETTE[1], "width": 3, "shape": "hv"},
        )
    )
    return figure(
        traces,
        f"Best {metric} so far ({goal})",
        height=320,
        xaxis=count_axis("trials finished", len(done)),
        yaxis_title=metric,
    )


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
        return figure([], "Timeline · no trial has a start time", height=220, preset=ROOMY)
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
    return figure(
        traces,
        f"Timeline · {counted(len(order), 'lane')}, busy {use:.0%} of the time between first start and "
        "last end",
        height=max(260, 34 * len(order) + 160),
        xaxis={"title": {"text": "time (UTC)"}, "type": "date"},
        yaxis={
            "title": {"text": axis_title},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": order,
        },
        preset=ROOMY,
    )


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
        running = running_best(y, st, "maximize" if goal == "maximize" else "minimize")
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
    return figure(
        traces,
        f"Sweeps compared · {metric} ({goal}), best so far",
        height=460,
        xaxis=count_axis(
            "trial number", max((int(s.numbers.max()) for s in series if s.numbers.size), default=0)
        ),
        yaxis={"title": {"text": metric}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        preset=ROOMY,
    )
