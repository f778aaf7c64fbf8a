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
    assert labels == [
        "1 · Create the resources",
        "2 · Load, split and store the heart sample",
        "3 · Explore the train split",
        "4 · Run a 12-trial sweep",
        "5 · Register the best model",
        "6 · Deploy it to an online endpoint",
        "7 · Score the held-out rows live",
    ]
    assert all(s.state == "complete" for s in at.status), [s.state for s in at.status]
    assert "The walkthrough ran end to end." in " ".join(m.value for m in at.success)
    backend = LocalBackend(data_dir)
    sweeps = backend.list_sweeps(defaults.WORKSPACE)
    assert len(sweeps) == 1 and sweeps[0].state == "completed" and sweeps[0].counts["completed"] == 12
    text = " ".join(m.value for m in at.markdown)
    assert "30 held-out rows scored live" in text and "accuracy 0." in text
    assert "macro avg" in str(at.table[-1].value.to_dict()), "the classification report is shown"
    assert backend.get_endpoint(defaults.WORKSPACE, defaults.ENDPOINT).health.healthy

    at.button(key="demo_start").click()
    at.run(timeout=120)
    text = " ".join(m.value for m in at.markdown)
    assert "0 resource(s) created, 6 reused." in text
    assert "Reused the finished demo sweep" in text
    assert len(backend.list_sweeps(defaults.WORKSPACE)) == 1, "idempotent: no second sweep"
    assert "Reused model 'best_random_forest' version 1" in text
    assert len(backend.model_versions(defaults.WORKSPACE, "best_random_forest")) == 1
    assert "Endpoint 'heart-classify-endpoint' exists already." in " ".join(c.value for c in at.caption)
    backend.delete_workspace(defaults.WORKSPACE)  # stops the endpoint's server
