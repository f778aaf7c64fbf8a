"""The one-click demo on the home page: every step runs, results stay, a second run reuses them;
the step cards and the sidebar follow it, and teardown clears its results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import defaults, demo
from core.local.backend import LocalBackend


def test_the_demo_runs_every_step_and_a_second_run_reuses_everything(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    at = open_page("")
    assert "Workspace: none yet" in " ".join(c.value for c in at.sidebar.caption)
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
    assert "(95 % interval 0." in text and ", Wilson)." in text, "issue 19: the live figure's interval"
    said = " ".join(c.value for c in at.caption)
    assert (
        "Cross-validated accuracy of the sweep's best trial: 0." in said and "the live 95 % interval" in said
    )
    assert "one row moves accuracy by 3.3 points" in said, "why the live and CV figures differ"
    assert "macro avg" in str(at.table[-1].value.to_dict()), "the classification report is shown"
    assert backend.get_endpoint(defaults.WORKSPACE, demo.DEMO_ENDPOINT).health.healthy

    # the step cards above the demo and the sidebar show what it made
    assert "still to create" not in text and "every resource exists" in text
    assert f"endpoint '{demo.DEMO_ENDPOINT}' is live" in text
    assert f"explored {demo.DEMO_DATASET} v1" in text, "the demo's step 3 explored it: Home's card agrees"
    assert "blocked" not in text
    assert at.sidebar.selectbox(key="sidebar_ws").value.name == defaults.WORKSPACE
    assert "Workspace: none yet" not in " ".join(c.value for c in at.sidebar.caption)

    at.button(key="demo_start").click()
    at.run(timeout=120)
    text = " ".join(m.value for m in at.markdown)
    assert "0 resources created, 6 reused." in text
    assert "Reused the finished demo sweep" in text
    assert len(backend.list_sweeps(defaults.WORKSPACE)) == 1, "idempotent: no second sweep"
    assert f"Reused model '{demo.DEMO_MODEL}' version 1" in text
    assert len(backend.model_versions(defaults.WORKSPACE, demo.DEMO_MODEL)) == 1
    assert f"Endpoint '{demo.DEMO_ENDPOINT}' exists already." in " ".join(c.value for c in at.caption)
    assert "Cross-validated accuracy of the sweep's best trial: 0." in " ".join(c.value for c in at.caption)

    at.switch_page("../pages/teardown.py").run()
    at.text_input(key="td_confirm").set_value(defaults.WORKSPACE).run()  # Enter turns Delete on
    next(b for b in at.button if b.label == "Delete for good").click().run()  # stops the endpoint too
    assert f"workspace '{defaults.WORKSPACE}'." in " ".join(m.value for m in at.success)
    at.switch_page("../pages/home.py").run()
    assert not at.exception, at.exception
    assert not at.status, "teardown cleared the demo's results"
    assert "The walkthrough ran end to end." not in " ".join(m.value for m in at.success)
