"""The Trials page's charts as a person sees them (contour, its default axes, the importance
labels, the parallel-coordinates metric axis) and the review as one HTML file, on a real MLflow
store written by this app's sweep tracker."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from plotly.offline import get_plotlyjs
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from core.trials import JOBS
from core.trials.report import plotly_js_bytes
from dashboard.views import trials as view
from dashboard.views.trials.common import NOTES
from dashboard.views.trials.report import REPORT_LABEL
from tests.core.trials.stores import sqlite_uri, write_app_sweep


def texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def numbers(encoded: Any) -> list[float]:
    """A Plotly array from a chart's JSON (plain, or typed as base64)."""
    if isinstance(encoded, dict):
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]).tolist()
    return [float(v) for v in encoded]


def open_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state[view.W + "tab"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def pick(at: AppTest, label: str, value: str) -> AppTest:
    next(s for s in at.selectbox if s.label == label).set_value(value).run()
    assert not at.exception, at.exception
    return at


def axes(at: AppTest) -> tuple[str, str]:
    x = next(s for s in at.selectbox if s.label == "x axis").value
    y = next(s for s in at.selectbox if s.label == "y axis").value
    return str(x), str(y)


def open_store(at: AppTest, uri: str) -> AppTest:
    at.session_state[view.W + "source"] = "uri"
    at.run()
    at.text_input(key=view.W + "uri_text").set_value(uri)
    next(b for b in at.button if b.label == "Open").click().run()
    assert not at.exception and not at.error, texts(at.error)
    return at


@pytest.fixture
def reviewing(open_page: Callable[[str], AppTest], tmp_path: Path) -> tuple[AppTest, list[str]]:
    """The page open on a finished sweep of this app's layout (7 trials) with the Hyperparameters
    tab opened BEFORE the importance was ready (the one background worker held busy), then ready.
    Returns the app and the axes the contour showed while it was computing."""
    uri = sqlite_uri(tmp_path / "store")
    write_app_sweep(uri)
    busy = threading.Event()
    JOBS.submit(("test-busy", str(tmp_path)), lambda: busy.wait(60))
    try:
        at = open_store(open_page("trials"), uri)
        open_tab(at, "Hyperparameters")
        assert "Computing hyperparameter importance" in texts(at.info)
        assert "until the importance is ready" in " ".join(str(m.value) for m in at.markdown)
        before = list(axes(at))
    finally:
        busy.set()
    JOBS.wait(timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at, before


def test_contour_axes_importance_labels_and_metric_axis(reviewing: tuple[AppTest, list[str]]) -> None:
    at, before = reviewing
    importance = specs(at)[0]
    ranked = importance["data"][0]["y"][::-1]  # the bar chart lists the most important last (on top)
    assert tuple(before) != (ranked[0], ranked[1]), "while computing: the sweep's order, not the ranking"
    assert axes(at) == (ranked[0], ranked[1]), (
        "once ready, the contour moves to the importance chart's top two"
    )
    assert "importance chart's top two (PED-ANOVA)" in " ".join(str(m.value) for m in at.markdown)
    top_share = max(numbers(importance["data"][0]["x"]))
    assert importance["layout"]["xaxis"]["range"][1] >= top_share * 1.15, "room for the top bar's label"

    pick(at, "x axis", "learning_rate")
    pick(at, "y axis", "l2_regularization")
    contour = specs(at)[-1]
    assert contour["data"][0]["type"] == "contour" and contour["layout"]["title"]["text"].startswith(
        "Contour"
    )
    assert "interpolated linearly between the trials" in texts(at.caption)

    pick(at, "y axis", "class_weight")
    assert "class_weight is categorical" in texts(at.info) and "Drawn as a heatmap instead" in texts(at.info)
    assert specs(at)[-1]["data"][0]["type"] == "heatmap"

    next(r for r in at.radio if r.label == "Importance method").set_value("fanova").run()
    JOBS.wait(timeout=60)
    at.run()
    assert axes(at) == ("learning_rate", "class_weight"), "another ranking never overrides the user's axes"

    open_tab(at, "Overview")
    metric_axis = specs(at)[1]["data"][0]["dimensions"][-1]
    assert metric_axis["tickformat"] == ",.3~f", (
        "the parallel-coordinates metric axis: three decimals at most"
    )


def test_the_review_downloads_as_one_html_file(
    reviewing: tuple[AppTest, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    at, _ = reviewing
    built: dict[str, Callable[[], Any]] = {}
    register = MediaFileManager.add_deferred

    def keep(
        self: MediaFileManager, data: Callable[[], Any], mimetype: str | None, coordinates: str, **kw: Any
    ) -> str:
        built[str(kw.get("file_name"))] = data  # Streamlit's own registry, called through
        return register(self, data, mimetype, coordinates, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    run_id = str(at.dataframe[-1].value["run id"].iloc[0])
    at.session_state[NOTES] = {run_id: "Promising <b>start</b>; rerun with more folds"}
    at.run()
    button = next(b for b in at.get("download_button") if REPORT_LABEL in str(b.proto.label))
    assert "embedded once" in button.proto.help
    page = built["heart-sweeps-review.html"]().decode()  # named like the table's CSV
    assert page.count(get_plotlyjs()[:40]) == 1, "plotly.js once"
    charts = page.count("Plotly.newPlot(")
    assert charts >= 7, "history, parallel coordinates, importance, slices, contour, intermediate, timeline"
    for title in ("Optimisation history", "Parallel coordinates", "Hyperparameter importance", "Timeline"):
        assert f'aria-label="{title}"' in page
    assert "Promising &lt;b&gt;start&lt;/b&gt;; rerun with more folds" in page, "the review note, as text"
    assert "<h2>Trials (7)</h2>" in page, "the table of the trials in view (all 7)"
    assert len(page.encode()) < plotly_js_bytes() + 1_000_000, f"one file for {charts} charts"
