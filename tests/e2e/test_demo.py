"""The one-click class demo in a real browser, on a fresh install, must reach a live prediction;
the home page's step cards and the sidebar then show what it created."""

from __future__ import annotations

import time

import pytest

from core import defaults
from tests.e2e.conftest import record, screenshot, sidebar_workspace, wait_idle

pytestmark = pytest.mark.browser


def test_one_click_reaches_a_live_prediction(dashboard: str, page: object) -> None:
    page.goto(dashboard)  # type: ignore[attr-defined]
    wait_idle(page)
    clicked = time.time()
    page.get_by_role("button", name="Run the whole walkthrough").click()  # type: ignore[attr-defined]
    main = page.get_by_test_id("stMain")  # type: ignore[attr-defined]
    main.get_by_text("held-out rows scored live").first.wait_for(timeout=240_000)
    to_prediction = time.time() - clicked
    main.get_by_text("The walkthrough ran end to end.").first.wait_for(timeout=30_000)
    wait_idle(page)
    body = main.inner_text()
    for title in ("1 · Create the resources", "4 · Run a 12-trial sweep", "7 · Score the held-out rows live"):
        assert title in body
    assert "Traceback" not in body
    assert "macro avg" in body, "the classification report of the live answers is on screen"
    record(f"one-click demo: click to first live prediction {to_prediction:.0f} s (12-trial sweep)")
    screenshot(page, "demo", gallery=True)
    # The step cards above the demo and the sidebar were drawn before it ran: they must not stay so.
    assert "still to create" not in body, "a step card still says resources are to be created"
    assert "blocked" not in body, "a step card still says blocked after the demo"
    for card in ("every resource exists", "dataset version in", "is live"):
        assert card in body, f"no step card says {card!r} after the demo"
    assert sidebar_workspace(page) == defaults.WORKSPACE, "the sidebar names the demo's workspace"
