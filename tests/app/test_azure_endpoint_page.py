"""The Endpoint page on the azure backend, driven as a user would, against the fake Azure whose
online endpoints are real scoring servers (``tests.azure.fake.scoring``).

The model version is registered in the fake as a trial job leaves it (``tests.azure.deployable``:
no sweep, the same random forest the trainer would save), the heart dataset is stored through
the product. The page then: asks for the billing OK and names the quota before deploying; says a
name taken in the region and offers a free one; shows the deploy's status and log while it runs
(a second session opened meanwhile picks it up); tests the endpoint live with a real prediction;
keeps the key out of the page; explains the 401 of a key regenerated elsewhere; deletes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.data.split import split_frame
from core.data.store import store_dataset
from core.endpoint.defaults import quota_cores
from dashboard import session
from tests.app.test_azure_pages import page_text, start, texts
from tests.app.test_azure_sweep_page import (  # noqa: F401 - fixtures used by name
    fake_azure,
    fake_credential,
    fake_factory,
    open_sweep_page,
    ready,
    small_sweep,
    trust_workspace_mlflow,
    watch,
    workspace_mlflow,
)
from tests.azure.conftest import SUBSCRIPTION
from tests.azure.deployable import (
    MODEL,
    Deployable,
    endpoint_world,
    seed_model_version,
    train_deployable,
    upload_broken_model,
)
from tests.azure.fake import FakeAzure, FakeTransport
from tests.azure.fake.routes_endpoints import set_quota, taken_endpoint_names
from tests.azure.ml_helpers import REF, RG, WS

pytestmark = pytest.mark.azurite

EP = "heart-classify-endpoint"
DEPLOY = "FormSubmitter:endpoint:create_form-Create endpoint and deploy"


class PacedTransport(FakeTransport):
    """The SDK's pollers wait 0.3 s between polls instead of Azure's seconds, so the page sees
    the operation's stages go by; while ``held`` is clear they wait (a deploy that takes its
    time, as on Azure, while a second session opens)."""

    held = threading.Event()

    def sleep(self, duration: float) -> None:
        self.held.wait(timeout=60)
        time.sleep(min(duration, 0.3))


@pytest.fixture
def world(azurite: str, data_dir: Path, tmp_path: Path) -> Iterator[tuple[FakeAzure, AzureBackend]]:
    """A workspace with the heart dataset (stored through the product) and the model registered
    as version 1 of ``MODEL``; the backend's state where the dashboard keeps it."""
    deployable: Deployable = train_deployable(tmp_path)
    PacedTransport.held.set()
    with endpoint_world(
        azurite, data_dir / "azure", deployable, account="endpointpage01", transport=PacedTransport
    ) as (fake, backend):
        fake.lro_polls = 2
        backend.create_blob_container("endpointpage01", "data4ml")
        frame = heart_sample()
        schema = build_schema(frame, "output", Task.CLASSIFICATION)
        split = split_frame(frame, "output", test_fraction=0.2, seed=42, stratify=True)
        store_dataset(backend, REF, "endpointpage01", "data4ml", "heart", split, schema, "heart sample")
        try:
            yield fake, backend
        finally:
            PacedTransport.held.set()


def open_page(backend: AzureBackend, ack: bool) -> AppTest:
    at = start("", backend.factory, ack=ack)
    at.session_state[session.CURRENT_WORKSPACE] = REF
    at.switch_page("../pages/endpoint.py")
    at.run()
    assert not at.exception, at.exception
    return at


def rerun_until(at: AppTest, done: object, timeout: float = 120) -> None:
    """Rerun the page, as its polling fragment would, until ``done(at)`` holds."""
    deadline = time.monotonic() + timeout
    while not done(at):  # type: ignore[operator]
        assert time.monotonic() < deadline, texts(at.markdown) + texts(at.error)
        time.sleep(0.2)
        at.run()
        assert not at.exception, at.exception


def test_deploy_test_live_keys_delete_and_failures_on_azure(
    world: tuple[FakeAzure, AzureBackend], tmp_path: Path
) -> None:
    fake, backend = world
    at = open_page(backend, ack=False)
    # Before anything billable: the notice, the quota, and no deploy until the OK.
    warned = texts(at.warning)
    assert "Billable per instance-hour" in warned and "1 × Standard_DS3_v2" in warned
    assert "needs 8 vCPUs of the Standard DSv2 family" in warned and "spare for upgrades" in warned
    assert at.selectbox(key="endpoint:instance_type").value == "Standard_DS3_v2"
    assert "5–15 minutes on Azure" in texts(at.caption)
    assert at.button(key=DEPLOY).disabled, "no deploy before the billing OK"
    at.selectbox(key="endpoint:instance_type").set_value("Standard_DS2_v2").run()
    assert "needs 4 vCPUs of the Standard DSv2 family" in texts(at.warning)
    next(b for b in at.button if b.label == "I understand: create billable resources").click().run()
    assert not at.button(key=DEPLOY).disabled
    assert at.text_input(key="endpoint:new_endpoint").value == EP

    # A name used in the region by someone else: said, and a free name offered in one click.
    taken_endpoint_names(fake).add(EP)
    at.button(key=DEPLOY).click().run()
    assert "already used in this region" in texts(at.error), texts(at.error)
    offer = next(b for b in at.button if b.label.startswith("Use "))
    free = offer.label.removeprefix("Use ")
    assert free.startswith("heart-classify-endpoint-") and free != EP
    offer.click().run()
    assert at.text_input(key="endpoint:new_endpoint").value == free
    assert "already used" not in texts(at.error)

    # The deploy runs as an operation: its status, and the log once the deployment exists.
    fake.lro_polls = 4
    PacedTransport.held.clear()  # the deploy takes its time, as on Azure, while a second session opens
    at.button(key=DEPLOY).click().run()
    assert not at.exception, at.exception
    assert backend.running_operations(), texts(at.error)
    assert f"Deploy '{free}'" in " ".join(e.label for e in at.expander) or "state:" in texts(at.markdown)
    other = open_page(backend, ack=True)  # a reload or another tab picks the running deploy up
    shown = page_text(other)
    assert "Started at" in shown and "state: **" in shown, "the second session shows the running deploy"
    PacedTransport.held.set()
    seen: list[str] = [page_text(at), shown]

    def finished(page: AppTest) -> bool:
        seen.append(page_text(page))
        return f"Created deployment 'heart-classify-deployment' of {MODEL} v1" in texts(page.success)

    fake.lro_polls = 2
    rerun_until(at, finished)
    said = " ".join(seen)
    assert "state: **Creating" in said or "state: **Updating" in said, "Azure's provisioning state"
    assert "[fake-azure]" in said, "the deployment's log tail was shown while it ran"
    info = backend.get_endpoint(REF, free)
    assert info.traffic == {"heart-classify-deployment": 100}
    assert info.scoring_uri in texts(at.code)

    # Live: the held-out split in one request, over real HTTP, against the truth.
    at.button(key="endpoint:test_live").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(str(metrics["Rows scored"]).replace(",", "")) > 0 and float(metrics["Accuracy"]) > 0.6
    assert len(at.get("plotly_chart")) >= 2, "confusion matrix and ROC"

    table = next(d.value for d in at.dataframe if "instance type" in d.value.columns)
    assert table["instance type"].tolist() == ["Standard_DS2_v2"]
    assert "Answered in" in texts(at.caption) and "model process" not in texts(at.caption)
    at.button(key="endpoint:latency").click().run()
    assert "p95 of the burst" in [m.label for m in at.metric], texts(at.error)
    next(b for b in at.button if b.label == "Predict").click().run()
    assert "Prediction: output = " in texts(at.success), texts(at.error)

    # The key: masked, never in the page unless revealed, saved to a file without showing it.
    key = backend.endpoint_keys(REF, free).primary.reveal()
    assert key not in page_text(at) and key[:4] + "•" in texts(at.code)
    assert at.get("download_button"), "a copy path that does not show the key"
    at.toggle(key=f"endpoint:reveal:{free}").set_value(True).run()
    assert key in texts(at.code), "revealed on purpose"
    at.toggle(key=f"endpoint:reveal:{free}").set_value(False).run()
    assert key not in page_text(at)

    # Regenerated elsewhere while the page holds the old key: 401, and the page says what to do.
    backend.regenerate_endpoint_key(REF, free, "primary")
    at.button(key="endpoint:test_live").click().run()
    refused = texts(at.error)
    assert "answered 401" in refused and "the key changed: press Refresh" in refused, refused
    at.button(key="endpoint:refresh").click().run()
    at.button(key="endpoint:test_live").click().run()
    assert "answered 401" not in texts(at.error)
    assert "Rows scored" in [m.label for m in at.metric]

    # A deployment that still takes all the traffic while another exists is not deleted.
    backend.create_deployment(REF, free, "green", MODEL, 1, instance_type="Standard_DS2_v2")
    at.run()
    at.selectbox(key=f"endpoint:delete_deployment_pick:{free}").set_value("heart-classify-deployment").run()
    at.button(key="endpoint:delete_deployment").click().run()
    rerun_until(at, lambda page: "takes 100% of the traffic" in texts(page.error))
    assert backend.get_endpoint(REF, free).deployment("heart-classify-deployment") is not None

    # Delete: said as Azure does it, then polled to its end; nothing is left billing.
    assert "sets its deployments' traffic to 0, deletes its 2 deployments" in texts(at.warning)
    assert "billed until the deployments are gone" in texts(at.warning)
    at.text_input(key="endpoint:delete_confirm").set_value(free)
    at.button(key="FormSubmitter:endpoint:delete_form-Delete endpoint").click().run()
    rerun_until(at, lambda page: f"Deleted endpoint '{free}'." in texts(page.success))
    assert backend.list_endpoints(REF) == []
    assert "No online endpoint in this workspace yet." in texts(at.info)
    assert "Traceback" not in page_text(at)

    # Quota: the deploy fails, and the page names the VM family and the cores it needs.
    set_quota(fake, 4)
    at.text_input(key="endpoint:new_endpoint").set_value("heart-quota-endpoint")
    at.number_input(key="endpoint:instances").set_value(2).run()
    at.button(key=DEPLOY).click().run()
    rerun_until(at, lambda page: "quota" in texts(page.error).lower())
    refused = texts(at.error)
    assert "Standard DSv2 Family" in refused and f"{quota_cores('Standard_DS2_v2', 2)} vCPUs" in refused, (
        refused
    )
    set_quota(fake, None)

    # A deployment whose model does not load: the error, and the log tail with the real traceback.
    uri = upload_broken_model(fake, tmp_path / "model", "broken_job_1")
    seed_model_version(fake, SUBSCRIPTION, RG, WS, "broken-model", 1, uri, {"task": "classification"})
    at.run()
    at.selectbox(key="endpoint:deploy_model").set_value("broken-model").run()
    at.text_input(key="endpoint:new_endpoint").set_value("heart-broken-endpoint")
    at.number_input(key="endpoint:instances").set_value(1)
    at.button(key=DEPLOY).click().run()
    rerun_until(at, lambda page: "ResourceNotReady" in texts(page.error))
    failed_log = next(e for e in at.expander if e.label.startswith("The log of the failed deployment"))
    logged = texts(failed_log.code)
    assert "load_model" in logged and "Application startup failed" in logged, "the server's own log"
    assert "Traceback" not in texts(at.error), "the error is a sentence; the traceback is in the log box"


def test_register_the_best_trial_of_an_azure_sweep_from_the_page(
    ready: ClientFactory,  # noqa: F811
) -> None:
    """A sweep run on the fake (its trials are real processes that log their models), then the
    Endpoint page registers its best trial: no refit, the version points at the trial job's
    output, the champion marker shown as on local, and the register Show code names that output."""
    at = open_sweep_page(ready, ack=True)
    small_sweep(at, total=2)
    next(b for b in at.button if b.label == "Launch sweep").click().run()
    watch(at, "Azure reports **Completed**")
    at.switch_page("../pages/endpoint.py")
    at.run(timeout=120)
    assert not at.exception, at.exception
    assert "nothing is refit" in (
        at.selectbox(key=f"endpoint:trial:{at.selectbox(key='endpoint:sweep').value}").help or ""
    )
    at.button(key="endpoint:register").click().run(timeout=120)
    assert not at.exception, at.exception
    said = texts(at.success)
    assert "Registered **best_random_forest** version 1; @champion points to it now." in said, texts(at.error)
    table = at.dataframe[0].value
    assert table["aliases"].tolist() == ["champion"] or "champion" in str(table.iloc[0].to_dict())
    code = next(e for e in at.expander if e.label.startswith("Show code: register v1"))
    shown = texts(code.code)
    assert "azureml://jobs/" in shown and "/outputs/artifacts/paths/model/" in shown
    assert "type=AssetTypes.MLFLOW_MODEL" in shown
    # The deploy form is there for the new version, behind the billing notice already acknowledged.
    assert at.selectbox(key="endpoint:deploy_model").value == "best_random_forest"
    assert not at.button(key=DEPLOY).disabled
