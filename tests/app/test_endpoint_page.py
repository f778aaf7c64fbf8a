"""Drive the Endpoint page: register a finished sweep's model, deploy it, test it live, delete it;
and what it says when there is nothing to deploy. Every server the test starts is stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.data.store import load_dataset
from core.endpoint.process import server_alive
from core.local.backend import LocalBackend
from tests.app.conftest import APP
from tests.core.engine.conftest import finished, small_spec, wait_for
from tests.workspaces import CC, WS, ready_workspace

EP = "heart-classify-endpoint"


def texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def everything(at: AppTest) -> str:
    parts = [
        texts(getattr(at, kind))
        for kind in ("markdown", "code", "caption", "success", "info", "error", "warning")
    ]
    parts += [str(m.value) for m in at.metric] + [str(t.value) for t in at.text_input]
    return " ".join(parts)


def workspace(data_dir: Path, sweep: bool) -> LocalBackend:
    backend = ready_workspace(data_dir, test_fraction=0.2)
    if sweep:
        job = backend.launch_sweep(WS, CC, "heart", 1, small_spec(), experiment="heart-sweeps")
        assert wait_for(backend, job.id, finished).state == "completed"
    return backend


@pytest.fixture
def cleanup(data_dir: Path) -> Iterator[None]:
    yield
    backend = LocalBackend(data_dir)
    if any(r.name == WS for r in backend.inventory()):
        for info in backend.list_endpoints(WS):
            backend.delete_endpoint(WS, info.name)


def test_without_a_finished_sweep_the_page_points_to_the_sweep_step(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    at = open_page("endpoint")
    assert at.title[0].value == "6 · Endpoint"
    assert "needs a workspace with a finished sweep" in texts(at.warning)
    workspace(data_dir, sweep=False)
    at = open_page("endpoint")
    assert "No sweep in this workspace has finished with a model yet" in texts(at.info)
    assert not at.button, "nothing to press yet"
    assert not at.exception


def test_register_deploy_test_and_delete(data_dir: Path, cleanup: None) -> None:
    backend = workspace(data_dir, sweep=True)
    job = backend.list_sweeps(WS)[-1]
    trials = [t for t in backend.sweep_status(WS, job.id).trials if t["status"] == "completed"]
    lowest = min(trials, key=lambda t: t["value"])
    assert lowest["value"] < max(t["value"] for t in trials), "the sweep needs a trial that is not the best"
    worst = lowest["number"]  # not the best: the page refits it
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["trials:chosen"] = {"sweep_id": job.id, "trial_number": worst}  # from 5 · Trials
    at.run()
    at.switch_page("../pages/endpoint.py").run()
    assert not at.exception
    assert f"Trial #{worst} of {job.id} was chosen on 5 · Trials." in texts(at.info)
    assert at.selectbox(key=f"endpoint:trial:{job.id}").value == worst
    assert at.text_input(key=f"endpoint:model_name:{job.id}").value == "best_random_forest"
    at.button(key="endpoint:register").click().run()
    assert not at.exception
    assert "Registered **best_random_forest** version 1; @champion points to it now." in texts(at.success)
    version = backend.model_versions(WS, "best_random_forest")[0]
    assert version.trial_number == worst and version.tags["trial_run_id"] != job.best_run_id
    assert "v1" in texts(at.caption) or at.dataframe

    # deploy the champion with the default names
    assert at.text_input(key="endpoint:new_endpoint").value == EP
    assert at.text_input(key="endpoint:new_deployment").value == "heart-classify-deployment"
    at.button(key="FormSubmitter:endpoint:create_form-Create endpoint and deploy").click().run()
    assert not at.exception, at.exception
    assert "Created deployment 'heart-classify-deployment' of best_random_forest v1" in texts(at.success)
    assert ":green-badge[healthy]" in texts(at.markdown)
    info = backend.get_endpoint(WS, EP)
    assert info.scoring_uri in texts(at.code)
    key = backend.endpoint_keys(WS, EP)
    assert key.primary not in everything(at) and key.primary[:4] + "•" in texts(at.code), "the key is masked"

    # the held-out split, live
    at.button(key="endpoint:test_live").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert {"Rows scored", "Round trip", "Accuracy"} <= set(labels)
    rows = next(m.value for m in at.metric if m.label == "Rows scored")
    assert int(str(rows).replace(",", "")) == len(load_dataset(backend, WS, "heart", 1).test)
    charts = at.get("plotly_chart")
    assert len(charts) >= 2, "confusion matrix and ROC"
    report = at.table[-1].value
    assert list(report.index) == ["0", "1", "accuracy", "macro avg", "weighted avg"]
    assert list(report.columns) == ["precision", "recall", "f1-score", "support"]

    at.button(key="endpoint:latency").click().run()
    assert {"One request, new connection", "p50 of a burst of 30", "p95 of the burst"} <= {
        m.label for m in at.metric
    }

    at.button(key=f"FormSubmitter:endpoint:single_form:{EP}-Predict").click().run()
    assert not at.exception
    assert "Prediction: output = " in texts(at.success) and "probabilities 0:" in texts(at.success)

    # regenerate the primary key: the old one stops working
    at.button(key="endpoint:regenerate").click().run()
    assert "New primary key" in texts(at.success)
    assert backend.endpoint_keys(WS, EP).primary != key.primary

    # a wrong confirmation deletes nothing; the right one stops the server
    at.text_input(key="endpoint:delete_confirm").set_value("nope")
    at.button(key="FormSubmitter:endpoint:delete_form-Delete endpoint").click().run()
    assert "Nothing was deleted" in texts(at.error) and server_alive(info.record)
    at.text_input(key="endpoint:delete_confirm").set_value(EP)
    at.button(key="FormSubmitter:endpoint:delete_form-Delete endpoint").click().run()
    assert not at.exception
    assert f"Deleted endpoint '{EP}' and stopped its server." in texts(at.success)
    assert backend.list_endpoints(WS) == [] and not server_alive(info.record)
    assert "No online endpoint in this workspace yet." in texts(at.info)
