"""Every page runs, the router knows them all, and the home page says where each step stands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.local.backend import LocalBackend
from dashboard import session
from dashboard.nav import STEPS
from tests.app.conftest import APP


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


def test_choosing_azure_asks_for_a_sign_in_and_never_falls_back_to_local(
    open_page: Callable[[str], AppTest],
) -> None:
    at = open_page("")
    assert at.sidebar.radio(key="backend_choice").value == "local"
    at.sidebar.radio(key="backend_choice").set_value("azure").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Active: **azure**, not signed in yet" in captions
    assert "Active: **local**" not in captions
    assert [e.label for e in at.sidebar.expander] == ["Azure connection"]
    assert "Sign in to Azure in the sidebar first" in " ".join(i.value for i in at.info)
    at.sidebar.radio(key="backend_choice").set_value("local").run()
    assert "Active: **local**" in " ".join(c.value for c in at.sidebar.caption)


def test_an_injected_backend_is_the_one_every_page_uses(
    open_page: Callable[[str], AppTest], tmp_path: Path
) -> None:
    """A test (or an app embedding the dashboard) hands the pages a backend of its own."""
    other = LocalBackend(tmp_path / "elsewhere")
    other.create_resource_group("rg-injected", "eastus")
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[session.BACKEND_INJECTED] = other
    at.run()
    assert not at.exception
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert str(tmp_path / "elsewhere") in captions, "the sidebar names the injected backend's state"
    at.switch_page("../pages/resources.py").run()
    assert not at.exception
    assert "rg-injected" in " ".join(str(s.value) for s in at.selectbox) + " ".join(
        m.value for m in at.markdown
    ) + " ".join(str(d.value) for d in at.dataframe), "the page lists the injected backend's resources"


def test_the_backend_setting_is_the_sidebars_default(
    open_page: Callable[[str], AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZML_BACKEND", "azure")
    at = open_page("")
    assert at.sidebar.radio(key="backend_choice").value == "azure"
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Active: **azure**, not signed in yet" in captions, "and says plainly nobody signed in"
    assert "Active: **local**" not in captions
