"""The whole walkthrough in a real browser, clicking as a user would, with a screenshot per page."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core.data.samples import heart_sample
from tests.e2e.conftest import record, screenshot, wait_idle

pytestmark = pytest.mark.browser

RESOURCE_BUTTONS = [
    "Create or get resource group",
    "Create or get storage account",
    "Create or get blob container",
    "Create or get workspace",
    "Validate and register environment",
    "Create or update compute cluster",
]


class Clicks:
    """Counts the user's clicks and typed fields, for the closing note's click count."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.count = 0

    def button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()  # type: ignore[attr-defined]
        self.count += 1
        wait_idle(self.page)

    def nav(self, label: str) -> None:
        self.page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()  # type: ignore[attr-defined]
        self.count += 1
        wait_idle(self.page)

    def fill(self, label: str, value: str) -> None:
        box = self.page.get_by_label(label, exact=True)  # type: ignore[attr-defined]
        box.fill(value)
        box.press("Enter")
        self.count += 1
        wait_idle(self.page)


def expect(page: object, snippet: str, timeout: float = 60_000) -> None:
    """Wait until ``snippet`` shows in the main section (a rerun may still be on its way)."""
    page.get_by_test_id("stMain").get_by_text(snippet, exact=False).first.wait_for(timeout=timeout)  # type: ignore[attr-defined]


def text(page: object) -> str:
    return str(page.inner_text("[data-testid='stMain']"))  # type: ignore[attr-defined]


def test_the_whole_walkthrough_by_clicking(dashboard: str, page: object, tmp_path: Path) -> None:
    csv = tmp_path / "heart.csv"
    heart_sample().to_csv(csv, index=False)
    started = time.time()
    page.goto(dashboard)  # type: ignore[attr-defined]
    wait_idle(page)
    assert "Azure ML walkthrough" in text(page)
    screenshot(page, "home", gallery=True)
    clicks = Clicks(page)

    clicks.nav("1 · Resources")
    for name in RESOURCE_BUTTONS:
        clicks.button(name)
    expect(page, "compute cluster 'heartclassifycluster'")
    body = text(page)
    assert "Inventory" in body and "heartclassifycluster" in body
    shown_keys = re.findall(r"AccountKey=([^;\s]+)", body)
    assert shown_keys and all("•" in key and len(key.strip("•")) <= 4 for key in shown_keys), shown_keys
    screenshot(page, "resources", gallery=True)

    clicks.nav("2 · Data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))  # type: ignore[attr-defined]
    clicks.count += 1
    clicks.button("Load this file")
    expect(page, "Loaded 'heart.csv': 303 rows × 14 columns")
    clicks.button("Split")
    expect(page, "held-out test:")
    assert re.search(r"Train: 27\d rows · held-out test: 3\d rows", text(page))
    clicks.button("Upload train split and register data asset")
    expect(page, "registered data asset 'heart' version 1")
    screenshot(page, "data", gallery=True)

    clicks.nav("3 · Explore (EDA)")
    assert "Exploring data asset heart v1 (train split)" in text(page)
    page.get_by_text("Correlation (Pearson)").first.wait_for()  # type: ignore[attr-defined]
    page.get_by_text("Class balance of 'output'").first.wait_for()  # type: ignore[attr-defined]
    screenshot(page, "eda", gallery=True)

    clicks.nav("4 · Sweep")
    clicks.fill("Max total trials", "6")
    clicks.button("Launch sweep")
    expect(page, "Launched sweep-random-forest-")
    expect(page, "Finished. 6 completed.", timeout=240_000)
    expect(page, "refit on the whole train split")
    wait_idle(page)
    body = text(page)
    assert "Finished. 6 completed." in body
    assert "refit on the whole train split" in body
    screenshot(page, "sweep", gallery=True)

    clicks.nav("5 · Trials")
    expect(page, "Best accuracy")
    expect(page, "Optimisation history")
    body = text(page)
    assert "Best trial" in body and "completed" in body
    screenshot(page, "trials", gallery=True)

    clicks.nav("6 · Endpoint")
    clicks.button("Register model")
    expect(page, "version 1")
    assert "best_random_forest" in text(page)
    clicks.button("Create endpoint and deploy")
    page.get_by_text("healthy").first.wait_for(timeout=120_000)  # type: ignore[attr-defined]
    clicks.button("Send the test split")
    expect(page, "weighted avg")
    body = text(page)
    assert "macro avg" in body and "weighted avg" in body and "precision" in body
    assert "Confusion matrix" in body
    clicks.button("Predict")
    expect(page, "Prediction:")
    screenshot(page, "endpoint", gallery=True)
    record(f"manual walkthrough to a live prediction: {clicks.count} clicks, {time.time() - started:.0f} s")
