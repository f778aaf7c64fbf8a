"""Drive the Trials page: a real sweep of this app, any tracking URI, and the empty states."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import mlflow
from mlflow.tracking import MlflowClient
from streamlit.testing.v1 import AppTest

from core.mlflow_layout import TAG_NOTE as NOTE_TAG
from core.sweep.spec import Limits
from core.trials import JOBS
from dashboard.views import trials as view
from tests.core.engine.conftest import finished, small_spec, wait_for
from tests.core.trials.stores import sqlite_uri, write_app_sweep, write_plain_runs
from tests.workspaces import CC, WS, ready_workspace


def texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def metric(at: AppTest, label: str) -> str:
    return str(next(m.value for m in at.metric if m.label == label))


def open_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state[view.W + "tab"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def open_uri(at: AppTest, typed: str) -> AppTest:
    at.text_input(key=view.W + "uri_text").set_value(typed)
    next(b for b in at.button if b.label == "Open").click().run()
    assert not at.exception, at.exception
    return at


def test_without_a_workspace_or_a_sweep_the_page_says_where_to_go(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    at = open_page("trials")
    assert at.title[0].value == "5 · Trials"
    assert "no workspace yet" in texts(at.info)
    ready_workspace(data_dir)
    at.run()
    assert "No sweep has run in workspace 'dev-heart-classifier' yet" in texts(at.info)
    links = [e.proto.page for e in at.get("page_link")]
    assert links == ["sweep"], "a link to the Sweep page"


def test_review_a_sweep_of_this_app(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    backend = ready_workspace(data_dir)
    spec = small_spec(limits=Limits(max_total_trials=6, max_concurrent_trials=2))
    launched = backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    status = wait_for(backend, launched.id, finished)
    assert status.state == "completed", status.job.message
    job = status.job
    at = open_page("trials")
    assert not at.error, texts(at.error)
    sweeps = at.table[0].value  # a static table: long cells wrap instead of being cut off
    assert sweeps.index.tolist() == [job.id], "the list of sweeps…"
    assert sweeps["best value"].iloc[0] == f"{job.best_value:.4f}", "…shows each sweep's best value"
    assert sweeps["trials"].iloc[0] == "6 of 6"
    assert metric(at, "Best accuracy") == f"{job.best_value:.4f}", "the best value at a glance"
    assert metric(at, "Trials") == "6"
    assert f"accuracy {job.best_value:.4f} ± " in texts(at.markdown), "the ± says of what"
    assert "Recorded by the sweep: **accuracy**, maximize." in texts(at.caption)
    table = at.dataframe[0].value
    assert len(table) == 6 and table["best"].tolist().count("★") == 1
    best_row = table[table["best"] == "★"]
    assert best_row["run id"].iloc[0] == job.best_run_id, "the table marks the sweep's own best trial"
    assert len(at.get("plotly_chart")) == 2, "overview: history and parallel coordinates"

    JOBS.wait(timeout=60)  # importance is computed in the background, started by the first load
    open_tab(at, "Hyperparameters")
    charts = [str(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 3 and "PED-ANOVA" in charts[0], "importance (its method named), slices, contour"
    open_tab(at, "Intermediate values")
    assert len(at.get("plotly_chart")) == 1
    open_tab(at, "Timeline")
    assert "worker-" in str(at.get("plotly_chart")[0].proto.spec)
    open_tab(at, "Compare sweeps")
    assert "no other sweep here" in texts(at.info)

    next(s for s in at.slider if s.label == "Top k % by the ranking").set_value(50).run()
    assert len(at.dataframe[0].value) == 3, "top 50 % of 6 trials"

    open_tab(at, "Best trial")
    assert not at.error, texts(at.error)
    charts = [str(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 3, "confusion matrix, ROC, PR from out-of-fold predictions"
    assert "Confusion matrix" in charts[0] and "ROC" in charts[1] and "Precision-recall" in charts[2]
    assert f"stored with the sweep (oof/{job.best_run_id}.csv)" in texts(at.caption), "read, not re-run"
    assert "nothing was re-run" in texts(at.caption)

    # a sweep from before the refit stored them: re-run once, then stored with the sweep
    parent_artifacts = Path(
        url2pathname(
            urlparse(MlflowClient(job.tracking_uri).get_run(job.run_id or "").info.artifact_uri).path
        )
    )
    shutil.rmtree(parent_artifacts / "oof")
    at.run()
    assert "it was re-run once" in texts(at.caption) and "now stored with the sweep" in texts(at.caption)
    assert (parent_artifacts / "oof" / f"{job.best_run_id}.csv").is_file()
    assert len(at.get("plotly_chart")) == 3
    next(b for b in at.button if b.label.startswith("Use trial #")).click().run()
    chosen = at.session_state[view.CHOSEN]
    assert chosen.run_id == job.best_run_id and chosen.model_uri == job.model_uri
    assert chosen.params == job.best_params and chosen.is_best
    assert "goes to the endpoint step" in texts(at.success)


def test_notes_are_saved_to_mlflow(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    backend = ready_workspace(data_dir)
    launched = backend.launch_sweep(WS, CC, "heart", 1, small_spec(), experiment="heart-sweeps")
    job = wait_for(backend, launched.id, finished).job
    at = open_page("trials")
    run_id = job.best_run_id
    assert run_id
    at.text_area(key=view.W + "note_text:" + run_id).set_value("Best so far; **check the depth**.")
    next(b for b in at.button if b.label == "Save note").click().run()
    assert not at.exception, at.exception
    notes_panel = next(e for e in at.expander if e.label.startswith("Review notes"))
    assert notes_panel.proto.expanded, "the panel stays open after a save…"
    assert "Saved the note of trial #" in texts(notes_panel.success), "…and says the note was saved"
    tags = MlflowClient(job.tracking_uri).get_run(run_id).data.tags
    assert tags[NOTE_TAG] == "Best so far; **check the depth**."
    table = at.dataframe[0].value
    assert table[table["run id"] == run_id]["note"].iloc[0] == "Best so far; **check the depth**."

    # selecting rows in the table highlights them in the charts and picks them for the panels
    table_key = at.dataframe[0].proto.id.split("-", 2)[2]
    others = [i for i in range(len(table)) if table["run id"].iloc[i] != run_id][:2]
    at.session_state[table_key] = {"selection": {"rows": others, "columns": [], "cells": []}}
    at.run()
    assert "· 2 selected" in texts(at.caption)
    history, parcoords = (str(c.proto.spec) for c in at.get("plotly_chart"))
    assert '"name":"selected"' in history, "a ring around each selected trial"
    assert "selected trials" in parcoords, "the lines of the selected trials stand out"
    first = str(table["run id"].iloc[others[0]])
    assert at.text_area(key=view.W + "note_text:" + first).value == "", (
        "the notes editor follows the selection"
    )


def test_filters_and_top_k_are_kept_when_the_user_leaves_and_comes_back(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = ready_workspace(data_dir)
    spec = small_spec(limits=Limits(max_total_trials=6, max_concurrent_trials=2))
    job = wait_for(backend, backend.launch_sweep(WS, CC, "heart", 1, spec, "heart-sweeps").id, finished).job
    at = open_page("trials")
    next(s for s in at.slider if s.label == "Top k % by the ranking").set_value(50).run()
    depth = next(m for m in at.multiselect if m.label == "max_depth")
    depth.set_value([depth.options[0]]).run()
    shown = at.dataframe[0].value["run id"].tolist()
    assert 0 < len(shown) < job.counts["completed"]

    at.switch_page("../pages/sweep.py")
    at.run()
    at.switch_page("../pages/trials.py")
    at.run()
    assert not at.exception, at.exception
    assert next(s for s in at.slider if s.label == "Top k % by the ranking").value == 50
    assert next(m for m in at.multiselect if m.label == "max_depth").value == [depth.options[0]]
    assert at.dataframe[0].value["run id"].tolist() == shown, "the same trials as before leaving"

    # Show code: the MLflow query of this view, run as a user would paste it, gives these trials
    code = next(c.value for c in at.code if "mlflow.search_runs(" in c.value)
    namespace: dict[str, object] = {"print": lambda *_: None}
    try:
        exec(compile(code, "<show code>", "exec"), namespace)
    finally:
        mlflow.set_tracking_uri(None)
    assert sorted(namespace["view"]["run_id"]) == sorted(shown), code  # type: ignore[index]


def test_open_any_tracking_uri(open_page: Callable[[str], AppTest], tmp_path: Path) -> None:
    uri = sqlite_uri(tmp_path / "elsewhere")
    write_plain_runs(uri)
    at = open_page("trials")
    at.session_state[view.W + "source"] = "uri"
    at.run()
    open_uri(at, str(tmp_path / "elsewhere" / "typo.db"))
    assert "There is no file at" in texts(at.error)
    assert not (tmp_path / "elsewhere" / "typo.db").exists()

    open_uri(at, uri)
    assert not at.error, texts(at.error)
    assert "does not record the primary metric" in texts(at.caption)
    metric_box = next(s for s in at.selectbox if s.label == "Primary metric")
    assert metric_box.options == ["accuracy", "loss"] and metric_box.value == "accuracy"
    assert metric(at, "Trials") == "5"
    assert metric(at, "Best accuracy") == "0.6500", "1 - final loss 0.35 of the best run"
    metric_box.set_value("loss").run()
    goal = next(r for r in at.radio if r.label == "Goal")
    assert goal.value == "minimize", "a loss is minimised unless the user says otherwise"
    assert metric(at, "Best loss") == "0.3500"
    lr = next(s for s in at.select_slider if s.label.startswith("lr"))
    lr.set_range(0.01, 0.3).run()  # leaves out lr 0.001
    shown = at.dataframe[-1].value["run id"].tolist()
    assert len(shown) == 4
    at.switch_page("../pages/sweep.py").run()
    at.switch_page("../pages/trials.py").run()
    assert not at.exception, at.exception
    assert at.dataframe[-1].value["run id"].tolist() == shown, "a numeric range is kept across pages"
    open_tab(at, "Best trial")
    assert "needs the training data" in texts(at.info)


def test_an_empty_experiment_says_so(open_page: Callable[[str], AppTest], tmp_path: Path) -> None:
    uri = sqlite_uri(tmp_path / "empty")
    MlflowClient(uri).create_experiment("nothing-yet")
    at = open_page("trials")
    at.session_state[view.W + "source"] = "uri"
    at.run()
    open_uri(at, uri)
    assert "Experiment 'nothing-yet' has no runs." in texts(at.info)


def test_a_running_sweep_refreshes_live(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    backend = ready_workspace(data_dir)
    spec = small_spec(limits=Limits(max_total_trials=200, max_concurrent_trials=2))
    launched = backend.launch_sweep(WS, CC, "heart", 1, spec, experiment="heart-sweeps")
    try:
        wait_for(backend, launched.id, lambda s: s.job.counts.get("completed", 0) >= 2)
        at = open_page("trials")
        assert "Live: refreshes every 3 s" in texts(at.caption)
        first = int(metric(at, "Trials"))
        wait_for(backend, launched.id, lambda s: s.job.counts.get("completed", 0) >= first + 2)
        at.run()
        assert int(metric(at, "Trials")) > first, "a rerun loads the trials that finished since"
    finally:
        backend.cancel_sweep(WS, launched.id)
        wait_for(backend, launched.id, finished, timeout=60)


def test_runs_without_metrics_are_listed_not_ranked(
    open_page: Callable[[str], AppTest], tmp_path: Path
) -> None:
    uri = sqlite_uri(tmp_path / "bare")
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("params-only")
    for lr in ("0.1", "None"):
        client.log_param(client.create_run(experiment_id).info.run_id, "lr", lr)
    at = open_page("trials")
    at.session_state[view.W + "source"] = "uri"
    at.run()
    open_uri(at, uri)
    assert "logged no metric" in texts(at.warning)
    table = at.dataframe[0].value
    assert sorted(table["lr"].tolist()) == ["0.1", "None"] and "status" in table


def test_the_sweep_under_review_follows_the_newest_until_picked(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = ready_workspace(data_dir)
    spec = small_spec(limits=Limits(max_total_trials=2, max_concurrent_trials=2), cv_folds=2)
    first = wait_for(backend, backend.launch_sweep(WS, CC, "heart", 1, spec, "heart-sweeps").id, finished).job
    at = open_page("trials")
    assert at.selectbox(key=view.W + "sweep").value == first.id
    second = wait_for(
        backend, backend.launch_sweep(WS, CC, "heart", 1, spec, "heart-sweeps").id, finished
    ).job
    at.run()
    assert at.selectbox(key=view.W + "sweep").value == second.id, "the sweep that finished since"
    assert metric(at, "Best accuracy") == f"{second.best_value:.4f}"
    at.selectbox(key=view.W + "sweep").set_value(first.id).run()
    at.run()
    assert at.selectbox(key=view.W + "sweep").value == first.id, "the user's pick stays"
    open_tab(at, "Best trial")
    next(b for b in at.button if b.label.startswith("Use trial #")).click().run()
    chosen = at.session_state[view.CHOSEN]
    assert (chosen.sweep_id, chosen.workspace) == (first.id, WS), "the chosen trial names its sweep"


def importance_caption(at: AppTest) -> str:
    return next((str(c.value) for c in at.caption if str(c.value).startswith("Importance:")), "")


def test_importance_is_computed_once_in_the_background_and_kept_across_tabs(
    open_page: Callable[[str], AppTest], tmp_path: Path
) -> None:
    uri = sqlite_uri(tmp_path / "store")
    write_app_sweep(uri)
    at = open_page("trials")
    at.session_state[view.W + "source"] = "uri"
    at.run()
    before = JOBS.started
    open_uri(at, uri)
    assert JOBS.started == before + 1, "the first load starts the importance, without waiting for it"
    JOBS.wait(timeout=60)
    open_tab(at, "Hyperparameters")
    caption = importance_caption(at)
    assert caption.startswith("Importance: PED-ANOVA"), "the method named"
    assert "computed once over 5 completed trials" in caption, "the number of trials it used"
    assert "PED-ANOVA" in str(at.get("plotly_chart")[0].proto.spec)
    for tab in ("Overview", "Timeline", "Intermediate values", "Hyperparameters"):
        open_tab(at, tab)
    assert JOBS.started == before + 1, "switching tabs never recomputes it"
    assert importance_caption(at) == caption
    next(r for r in at.radio if r.label == "Importance method").set_value("fanova").run()
    assert JOBS.started == before + 2, "another method: computed once too"
    JOBS.wait(timeout=60)
    at.run()
    assert importance_caption(at).startswith("Importance: fANOVA")
    next(r for r in at.radio if r.label == "Importance method").set_value("ped_anova").run()
    assert JOBS.started == before + 2 and importance_caption(at) == caption, "the first one, kept"


def test_the_tab_says_importance_is_on_its_way_until_it_is_ready(
    open_page: Callable[[str], AppTest], tmp_path: Path
) -> None:
    uri = sqlite_uri(tmp_path / "store")
    write_app_sweep(uri)
    busy = threading.Event()
    JOBS.submit(("test-busy", str(tmp_path)), lambda: busy.wait(60))  # the one worker is taken
    try:
        at = open_page("trials")
        at.session_state[view.W + "source"] = "uri"
        at.run()
        open_uri(at, uri)
        open_tab(at, "Hyperparameters")
        assert "Computing hyperparameter importance (PED-ANOVA) over the 5 completed trials" in texts(at.info)
        assert importance_caption(at) == ""
        assert len(at.get("plotly_chart")) == 2, "slices and the two-at-once chart do not wait for it"
    finally:
        busy.set()
    JOBS.wait(timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert importance_caption(at).startswith("Importance: PED-ANOVA")
    assert "Computing hyperparameter importance" not in texts(at.info)
