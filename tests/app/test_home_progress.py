"""Home: EDA and Trials reach "done" once the current dataset was explored and the newest finished
sweep was reviewed (kept on disk, per dataset version and sweep); Stop is off when nothing runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.sweep.spec import Limits
from tests.core.engine.conftest import finished, small_spec, wait_for
from tests.workspaces import CC, WS, ready_workspace


def status_of(at: AppTest, step: str) -> str:
    """The status line of the home page's card for ``step`` (e.g. "3 · Explore")."""
    lines = [m.value for m in at.markdown if m.value.startswith("**:")]
    names = [str(p.proto.label) for p in at.get("page_link")]
    return next(line for name, line in zip(names, lines, strict=False) if name.startswith(step))


def test_eda_and_trials_are_done_once_explored_and_reviewed(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = ready_workspace(data_dir)
    home = open_page("")
    assert status_of(home, "3 ·") == "**:blue[ready]** · explore heart v1"

    open_page("eda")  # the EDA of heart v1 is drawn
    home = open_page("")  # a new session: the mark is kept on disk
    assert status_of(home, "3 ·") == "**:green[done]** · explored heart v1"

    job = backend.launch_sweep(
        WS,
        CC,
        "heart",
        1,
        small_spec(limits=Limits(max_total_trials=2, max_concurrent_trials=2)),
        experiment="heart-sweeps",
    )
    assert wait_for(backend, job.id, finished).state == "completed"
    assert status_of(open_page(""), "5 ·").startswith(f"**:blue[ready]** · review sweep {job.id}")
    trials = open_page("trials")
    assert not trials.exception, trials.exception
    assert status_of(open_page(""), "5 ·").startswith(f"**:green[done]** · reviewed sweep {job.id}")


def test_stop_is_off_when_no_demo_runs(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("")
    assert at.button(key="demo_stop").disabled
    assert not at.button(key="demo_start").disabled
