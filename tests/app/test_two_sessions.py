"""Two browser sessions at once (a teacher and a student): own page state, shared workspace."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.test_sweep_page import launch
from tests.workspaces import WS, ready_workspace


def test_each_session_keeps_its_state_and_both_see_the_same_sweep(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = ready_workspace(data_dir)
    teacher, student = open_page("sweep"), open_page("sweep")
    student.number_input(key="sweep_total").set_value(7).run()
    launch(teacher, total=2)
    assert student.number_input(key="sweep_total").value == 7, "the student's form is the student's"
    assert teacher.number_input(key="sweep_total").value == 2
    job = backend.list_sweeps(WS)[-1]
    deadline = time.time() + 120
    while backend.sweep_status(WS, job.id).state in ("starting", "running") and time.time() < deadline:
        time.sleep(0.5)
    student.run()
    assert student.selectbox(key="sweep_pick").value == job.id, "a sweep started by the teacher"
    assert "Finished. 2 completed." in " ".join(c.value for c in student.caption)
    assert "Launched" not in " ".join(s.value for s in student.success), "results stay per session"
