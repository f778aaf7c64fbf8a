"""Every page runs, the router knows them all, and the home page says where each step stands."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.nav import STEPS


@pytest.mark.parametrize("stem", ["", *[stem for stem, _, _ in STEPS]])
def test_page_runs_without_exception(open_page: Callable[[str], AppTest], stem: str) -> None:
    at = open_page(stem)
    assert at.title, "every page has a title"
    assert not at.exception


def test_home_lists_the_seven_steps_with_status(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("")
    text = " ".join(m.value for m in at.markdown)
    assert "still to create: resource group" in text
    assert "needs a workspace and a blob container (step 1)" in text
    assert "needs a stored dataset (step 2)" in text
    assert "needs a stored dataset (step 2) and a compute cluster (step 1)" in text
    assert "needs a finished sweep (step 4)" in text
    assert "needs a sweep (step 4), or open any MLflow experiment there" in text
    assert "not built yet" not in text, "every step is built"


def test_sidebar_says_plainly_that_azure_is_not_here_yet(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("")
    assert at.sidebar.radio(key="backend_choice").value == "local"
    at.sidebar.radio(key="backend_choice").set_value("azure").run()
    assert not at.exception
    assert "not available yet" in at.sidebar.warning[0].value
    assert "Create one on" in " ".join(c.value for c in at.sidebar.caption)
