"""Drive the Sweep page: configure, launch, watch progress, cancel; and what it says when blocked."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.backend import Capabilities
from core.compute import ComputeSpec
from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.data.split import split_frame
from core.data.store import store_dataset
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.local.backend import LocalBackend
from dashboard import session
from tests.app.conftest import APP
from tests.workspaces import BC, SA, WS, ready_workspace


def texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def launch(at: AppTest, total: int, folds: int = 3) -> AppTest:
    at.number_input(key="sweep_total").set_value(total)
    at.number_input(key="sweep_folds").set_value(folds).run()
    assert not at.error, texts(at.error)
    at.button(key="sweep_launch_button").click().run()
    assert not at.exception, at.exception
    assert "Launched sweep-random-forest-" in texts(at.success)
    return at


def poll(at: AppTest, backend: LocalBackend, until: Callable[[str, dict[str, int]], bool]) -> AppTest:
    deadline = time.time() + 180
    while time.time() < deadline:
        job = backend.list_sweeps(WS)[-1]
        state = backend.sweep_status(WS, job.id).state
        if until(state, job.counts):
            at.run()
            return at
        time.sleep(0.5)
    raise AssertionError(f"the sweep did not get there: {state} {job.counts}")


def metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def test_launch_and_watch_a_sweep_to_the_end(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    backend = ready_workspace(data_dir)
    at = open_page("sweep")
    rows = at.get("arrow_data_frame")  # the default random-forest space is shown for editing
    assert at.radio(key="sweep_family:classification").value == "random_forest"
    assert "Show code: launch this sweep on an Azure compute cluster" in [e.label for e in at.expander]
    said = texts(at.caption)  # the table's rows explained, then what a new row could tune
    assert "`n_estimators`: Number of trees." in said
    assert "Also tunable, as a new row: `min_samples_split`" in said and "`min_samples_split`:" not in said
    assert "n_estimators" in texts(at.get("code")) or rows
    launch(at, total=3)
    poll(at, backend, lambda state, _: state == "completed")
    assert metric(at, "Completed") == "3"
    assert "Finished. 3 completed." in texts(at.caption)
    assert "refit on the whole train split" in texts(at.success)
    job = backend.list_sweeps(WS)[-1]
    assert job.model_uri and job.best_value is not None
    assert metric(at, "Best accuracy") == f"{job.best_value:.4f}"
    assert ":green-badge[completed]" in texts(at.markdown), "the badge every page uses for completed"
    best_line = next(c.value for c in at.caption if c.value.startswith("Best configuration"))
    assert best_line.startswith("Best configuration: `"), "a finished sweep's best is not 'so far'"
    table = at.table[0].value  # all sweeps: a static table wraps its cells instead of cutting them
    assert table.loc[job.id, "best"] == f"{job.best_value:.4f}" and table.loc[job.id, "trials"] == "3 of 3"
    assert table.loc[job.id, "created (UTC)"] == job.created_at.replace("T", " ")[:19]


def test_cancel_keeps_the_finished_trials(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    backend = ready_workspace(data_dir)
    at = open_page("sweep")
    launch(at, total=300)
    poll(at, backend, lambda state, counts: counts.get("completed", 0) >= 1)
    at.button(key=f"cancel:{backend.list_sweeps(WS)[-1].id}").click().run()
    assert not at.exception
    poll(at, backend, lambda state, _: state == "canceled")
    assert ":orange-badge[canceled]" in texts(at.markdown)
    assert int(metric(at, "Completed")) >= 1
    assert "kept in MLflow. Next: compare them on 5 · Trials, or launch a new sweep above" in texts(at.info)
    assert "Compare the finished trials on 5 · Trials" in [link.label for link in at.get("page_link")]


def test_bad_settings_block_the_launch_with_a_reason(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    ready_workspace(data_dir)
    at = open_page("sweep")
    at.radio(key="sweep_sampling").set_value("bayesian").run()
    assert "80" in texts(at.warning), "Azure's advice: 20 trials per searched hyperparameter (4 here)"
    assert not at.button(key="sweep_launch_button").disabled, "a warning does not block"
    at.number_input(key="sweep_concurrent").set_value(8).run()
    assert "limits.max_concurrent_trials" in texts(at.error)
    assert at.button(key="sweep_launch_button").disabled


def test_without_a_dataset_the_page_says_what_it_needs(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("sweep")
    assert "A sweep needs a workspace, a compute cluster and a stored dataset." in texts(at.warning)


def test_a_second_launch_becomes_the_watched_sweep(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = ready_workspace(data_dir)
    at = open_page("sweep")
    launch(at, total=2, folds=2)
    first = backend.list_sweeps(WS)[-1].id
    assert at.selectbox(key="sweep_pick").value == first
    poll(at, backend, lambda state, _: state == "completed")
    launch(at, total=2, folds=2)
    second = backend.list_sweeps(WS)[-1].id
    assert second != first
    assert f"Launched {second}" in texts(at.success)
    assert at.selectbox(key="sweep_pick").value == second, "the sweep just launched is the one watched"
    assert second in texts(at.markdown)
    at.selectbox(key="sweep_pick").set_value(first).run()
    at.run()
    assert at.selectbox(key="sweep_pick").value == first, "the user's pick stays"
    poll(at, backend, lambda state, _: state == "completed")


def test_the_dataset_follows_the_newest_stored_one_until_picked(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = ready_workspace(data_dir)
    at = open_page("sweep")
    assert at.selectbox(key="sweep_dataset").value == ("heart", 1)
    store_second_dataset(backend)
    at.session_state[session.DATA_CURRENT] = ("heart-small", 1)  # what storing on the Data page records
    at.run()
    assert at.selectbox(key="sweep_dataset").value == ("heart-small", 1), "the dataset just stored"
    experiment = next(t for t in at.text_input if t.label == "Experiment")
    assert experiment.value == "heart-small-sweeps", "the experiment named after the dataset shown"
    at.selectbox(key="sweep_dataset").set_value(("heart", 1)).run()
    at.run()
    assert at.selectbox(key="sweep_dataset").value == ("heart", 1), "the user's pick stays"
    assert at.session_state[session.DATA_CURRENT] == ("heart", 1), "and the next steps use it"
    backend.create_compute(WS, ComputeSpec("secondcluster", max_instances=1))
    at.run()
    assert at.selectbox(key="sweep_cluster").value == "secondcluster", "the newest cluster"


def store_second_dataset(backend: LocalBackend) -> None:
    frame = heart_sample().iloc[:250]
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=0.1, seed=42, stratify=True)
    store_dataset(backend, WS, SA, BC, "heart-small", split, schema, "heart, fewer rows")


def _interrupted_sweep(backend: LocalBackend, started_at: str | None = None) -> str:
    """A sweep record whose runner is gone (as after a machine restart), without running one."""
    from core.engine.job import SweepJob
    from core.sweep.space import Choice
    from core.sweep.spec import Limits, SweepSpec

    spec = SweepSpec(
        model_family="random_forest",
        task="classification",
        space={"n_estimators": Choice((5, 10))},
        limits=Limits(max_total_trials=2, max_concurrent_trials=1),
    )
    job = SweepJob(
        id="sweep-random-forest-20261203-000000-dead",
        workspace=WS,
        experiment="heart-sweeps",
        dataset="heart",
        dataset_version=1,
        spec=spec.to_dict(),
        workers=1,
        created_at="2026-12-03T00:00:00",
        tracking_uri=backend.tracking_uri(WS),
        train_csv="train.csv",
        schema={},
        state="running",
        pid=None,
        heartbeat_at=time.time(),
        started_at=started_at,
    )
    backend._sweeps(WS).save(job)
    return job.id


class _NoResumeBackend(LocalBackend):
    """The local backend, told to answer like a backend that cannot resume a sweep (as Azure)."""

    @property
    def capabilities(self) -> Capabilities:
        return replace(super().capabilities, resume_sweeps=False)


def test_resume_is_offered_only_by_a_backend_that_can_resume(data_dir: Path) -> None:
    backend = ready_workspace(data_dir)
    _interrupted_sweep(backend)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("../pages/sweep.py").run()
    assert "runner stopped before it finished" in texts(at.warning)
    assert [b for b in at.button if b.label == "Resume"], "local can resume"

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[session.BACKEND_INJECTED] = _NoResumeBackend(data_dir)
    at.run()
    at.switch_page("../pages/sweep.py").run()
    assert not at.exception
    assert not [b for b in at.button if b.label == "Resume"], "the page never offers what cannot be done"
    assert "cannot resume a sweep" in texts(at.caption)


def test_the_configure_form_teaches_instead_of_confusing(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = ready_workspace(data_dir)
    backend.create_environment(WS, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    at = open_page("sweep")
    for key in ("sweep_timeout", "sweep_trial_timeout"):
        assert at.number_input(key=key).value == 0 and type(at.number_input(key=key).value) is int, "not 0.00"
    code = texts(at.get("code"))
    assert "environment='sklearn-mlflow-env:1'" in code or 'environment="sklearn-mlflow-env:1"' in code
    assert "<your-environment>" not in code
    at.radio(key="sweep_family:classification").set_value("logistic_regression").run()
    space = at.dataframe[0].value.set_index("hyperparameter")
    assert (space.loc["C", "low"], space.loc["C", "high"]) == (0.001, 1000.0), "round log bounds"
    at.radio(key="sweep_sampling").set_value("bayesian").run()
    assert "Change it to Choice, Uniform or QUniform, or use random sampling." in texts(at.error)


def test_a_row_that_changed_mode_is_tidied_and_normal_on_c_warns(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    ready_workspace(data_dir)
    at = open_page("sweep")
    at.radio(key="sweep_family:classification").set_value("logistic_regression").run()
    at.session_state["sweep_space:classification:logistic_regression:rows"] = [  # as the editor leaves them
        {"hyperparameter": "C", "mode": "normal", "values": "", "low": 1.0, "high": 1.0, "q": None},
        {"hyperparameter": "class_weight", "mode": "uniform", "values": "1, 5", "low": None, "high": None},
    ]
    at.run()
    assert not at.exception
    space = at.dataframe[0].value.set_index("hyperparameter")
    assert space.loc["class_weight", "values"] == "", "the Choice list is not left beside a range"
    assert (space.loc["class_weight", "low"], space.loc["class_weight", "high"]) == (1, 5)
    assert "C must be above 0, but Normal is unbounded: about 16% of its draws" in texts(at.warning)


def test_elapsed_counts_from_the_first_start_so_resume_does_not_restart_it(data_dir: Path) -> None:
    from datetime import UTC, datetime, timedelta

    backend = ready_workspace(data_dir)
    first = datetime.now(UTC) - timedelta(hours=1, minutes=5)
    _interrupted_sweep(backend, started_at=first.isoformat(timespec="seconds"))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("../pages/sweep.py").run()
    assert metric(at, "Elapsed").startswith("1h 0"), "since the first start, not since the last runner"
