"""The one-click demo on the home page: every step runs, results stay, a second run reuses them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import defaults
from core.local.backend import LocalBackend


def test_the_demo_runs_every_step_and_a_second_run_reuses_everything(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    at = open_page("")
    at.button(key="demo_start").click()
    at.run(timeout=300)
    assert not at.exception, at.exception
    labels = [s.label for s in at.status]
    assert labels[:4] == [
        "1 · Create the resources",
        "2 · Load, split and store the heart sample",
        "3 · Explore the train split",
        "4 · Run a 12-trial sweep",
    ]
    assert all(s.state == "complete" for s in at.status), [s.state for s in at.status]
    assert "The walkthrough ran end to end." in " ".join(m.value for m in at.success)
    backend = LocalBackend(data_dir)
    sweeps = backend.list_sweeps(defaults.WORKSPACE)
    assert len(sweeps) == 1 and sweeps[0].state == "completed" and sweeps[0].counts["completed"] == 12

    at.button(key="demo_start").click()
    at.run(timeout=120)
    text = " ".join(m.value for m in at.markdown)
    assert "0 resource(s) created, 6 reused." in text
    assert "Reused the finished demo sweep" in text
    assert len(backend.list_sweeps(defaults.WORKSPACE)) == 1, "idempotent: no second sweep"
