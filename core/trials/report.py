"""One self-contained HTML file of a sweep's review: what was reviewed, the trials table, the
review notes and every chart, with plotly.js embedded ONCE in the page's head.

Each "Chart as HTML" export embeds plotly.js (about 4.6 MB) on its own, so N charts shared one by
one weigh N times that; here every chart is a ``<div>`` that draws itself with the one copy
(Plotly's own ``to_html(include_plotlyjs=False, full_html=False)``). The file needs no network
and no server: it opens in any browser, charts interactive. Text is escaped (notes are shown as
written, never interpreted as HTML).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

__all__ = ["ReportChart", "ReviewReport", "plotly_js_bytes", "review_html", "separate_exports_bytes"]


@dataclass(frozen=True)
class ReportChart:
    title: str
    figure: Any  # a plotly.graph_objects.Figure
    caption: str = ""


@dataclass(frozen=True)
class ReviewReport:
    """What the report shows. ``facts`` are (label, value) lines at the top; ``notes`` are
    (trial heading, note text); ``left_out`` says which charts are missing and why."""

    title: str
    facts: Sequence[tuple[str, str]]
    table: pd.DataFrame
    notes: Sequence[tuple[str, str]] = ()
    charts: Sequence[ReportChart] = ()
    left_out: Sequence[str] = ()
    generated: datetime = field(default_factory=lambda: datetime.now(UTC))


STYLE = """
body { font-family: "Source Sans Pro", "Segoe UI", Arial, sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #212529; font-size: 15px; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #DEE2E6; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { color: #495057; } dl.facts dd { margin: 0; font-weight: 600; }
.muted { color: #6C757D; } .note { white-space: pre-wrap; background: #F8F9FA; padding: .6rem .8rem;
       border-left: 3px solid #0078D4; margin: .3rem 0 1rem; }
.table-wrap { overflow-x: auto; max-height: 36rem; border: 1px solid #DEE2E6; }
table.trials { border-collapse: collapse; font-size: 13px; white-space: nowrap; }
table.trials th { position: sticky; top: 0; background: #F1F3F5; }
table.trials th, table.trials td { padding: .25rem .5rem; border-bottom: 1px solid #E9ECEF;
                                   text-align: right; }
nav ol { columns: 2; } figure { margin: 1.5rem 0; } figcaption { color: #495057; }
"""


@functools.cache
def plotly_js_bytes() -> int:
    """The size of the plotly.js bundle Plotly embeds in a self-contained export."""
    from plotly.offline import get_plotlyjs

    return len(get_plotlyjs().encode())


def _chart_div(figure: Any) -> str:
    """The chart as a ``<div>`` drawn by the page's plotly.js. Outside Streamlit nothing grows
    the thin margins for tick labels, so the axes make room themselves (on a copy)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    standalone = go.Figure(figure)
    standalone.update_xaxes(automargin=True)
    standalone.update_yaxes(automargin=True)
    standalone.update_layout(template="plotly_white")
    html_div: str = pio.to_html(
        standalone,
        include_plotlyjs=False,
        full_html=False,
        config={"displaylogo": False, "responsive": True},
    )
    return html_div


def _table_html(table: pd.DataFrame) -> str:
    shown = table.copy()
    for column in shown.columns:
        if shown[column].dtype == object:
            shown[column] = [
                ", ".join(map(str, v)) if isinstance(v, list | tuple) else v for v in shown[column]
            ]
    rendered: str = shown.to_html(
        index=False,
        escape=True,
        na_rep="–",
        float_format=lambda v: f"{v:.4g}",
        classes="trials",
        border=0,
    )
    return rendered


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:60] or "chart"


def review_html(report: ReviewReport) -> str:
    """The whole review as one HTML document, plotly.js embedded once in its head."""
    from plotly.offline import get_plotlyjs

    e = html.escape
    facts = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in report.facts)
    contents = "".join(
        f'<li><a href="#{_slug(c.title)}-{i}">{e(c.title)}</a></li>' for i, c in enumerate(report.charts)
    )
    notes = (
        "".join(f"<h3>{e(head)}</h3><div class='note'>{e(text)}</div>" for head, text in report.notes)
        if report.notes
        else "<p class='muted'>No review notes on the trials in this view.</p>"
    )
    charts = "".join(
        f'<figure id="{_slug(c.title)}-{i}" aria-label="{e(c.title)}">{_chart_div(c.figure)}'
        + (f"<figcaption>{e(c.caption)}</figcaption>" if c.caption else "")
        + "</figure>"
        for i, c in enumerate(report.charts)
    )
    left_out = "".join(f"<li>{e(item)}</li>" for item in report.left_out)
    stamp = report.generated.strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(report.title)}</title>"
        f"<style>{STYLE}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>{e(report.title)}</h1><p class='muted'>Exported {stamp} from the Azure ML walkthrough "
        "dashboard's Trials step. Self-contained: the charts stay interactive offline.</p>"
        f"<dl class='facts'>{facts}</dl>"
        f"<nav><h2>Charts</h2><ol>{contents}</ol></nav>"
        + (f"<p class='muted'>Not in this report:</p><ul class='muted'>{left_out}</ul>" if left_out else "")
        + f"<h2>Review notes</h2>{notes}"
        f"<h2>Trials ({len(report.table):,})</h2><div class='table-wrap'>{_table_html(report.table)}</div>"
        f"<h2>Charts</h2>{charts}</body></html>\n"
    )


def separate_exports_bytes(charts: Sequence[ReportChart]) -> int:
    """What the same charts weigh as separate "Chart as HTML" files (plotly.js in each)."""
    return sum(len(c.figure.to_html(include_plotlyjs=True, full_html=True).encode()) for c in charts)
