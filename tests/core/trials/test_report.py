"""The one-file review: plotly.js embedded once, every chart drawn from it, text escaped, and the
size against the same charts exported one by one."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from core.trials.report import (
    ReportChart,
    ReviewReport,
    plotly_js_bytes,
    review_html,
    separate_exports_bytes,
)


@pytest.fixture(scope="module")
def report() -> ReviewReport:
    charts = [
        ReportChart(
            f"chart {i}", go.Figure(go.Scatter(x=[1, 2, 3], y=[i, i + 1, i])), "a caption" if i else ""
        )
        for i in range(6)
    ]
    table = pd.DataFrame(
        {"trial": [0, 1], "status": [["completed"], ["failed"]], "accuracy": [0.8123456, float("nan")]}
    )
    return ReviewReport(
        title="Sweep review · sweep-1",
        facts=[("Sweep", "sweep-1"), ("Filters", "top 10 %")],
        table=table,
        notes=[("Trial #0 · completed", "Looks good <script>alert(1)</script>\nsecond line")],
        charts=charts,
        left_out=["Best trial #0's evaluation charts: it logged no out-of-fold predictions here."],
        generated=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
    )


def test_plotly_js_is_embedded_once_and_draws_every_chart(report: ReviewReport) -> None:
    page = review_html(report)
    header = get_plotlyjs()[:40]
    assert page.count(header) == 1, "plotly.js once, in the head"
    assert page.index(header) < page.index("Plotly.newPlot"), "loaded before the first chart draws"
    assert page.count("Plotly.newPlot(") == len(report.charts)
    ours = page.replace(get_plotlyjs(), "")
    assert "cdn.plot.ly" not in ours and "<script src=" not in ours, "self-contained: nothing fetched"
    assert all(f'aria-label="chart {i}"' in page and f">chart {i}</a>" in page for i in range(6))
    assert page.count("<figcaption>") == 5


def test_table_notes_and_facts_are_in_the_file_as_text(report: ReviewReport) -> None:
    page = review_html(report)
    assert "<dt>Filters</dt><dd>top 10 %</dd>" in page
    assert "Exported 2026-01-02 03:04 UTC" in page
    assert "<td>completed</td>" in page and "<td>0.8123</td>" in page and "<td>–</td>" in page
    assert "Looks good &lt;script&gt;alert(1)&lt;/script&gt;\nsecond line" in page, (
        "a note is text, never HTML"
    )
    assert "<script>alert(1)</script>" not in page
    assert "logged no out-of-fold predictions" in page, "what is left out, and why"
    assert "<h2>Trials (2)</h2>" in page


def test_one_file_weighs_about_one_plotly_js_where_separate_exports_weigh_one_each(
    report: ReviewReport,
) -> None:
    one_file = len(review_html(report).encode())
    separate = separate_exports_bytes(report.charts)
    js = plotly_js_bytes()
    assert js > 3_000_000, "the bundle the issue measured (4.8 MB)"
    assert js < one_file < js + 200_000, "one copy of plotly.js plus a little per chart"
    assert separate > len(report.charts) * js, "each separate export carries its own copy"
    assert separate / one_file > len(report.charts) * 0.9
