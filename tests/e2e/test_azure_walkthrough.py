"""The azure backend in a real browser: `streamlit run` with the loopback fake Azure as its cloud.

The dashboard gets only the product's own cloud settings (``LoopbackCloud.environment()``: the
Resource Manager URL, the sign-in authority, instance discovery off, the test CA in
``REQUESTS_CA_BUNDLE``); no test mode. The walk chooses azure in the sidebar, signs in as a
service principal against the fake's authority, picks the subscription, tests the connection,
creates every resource, stores the heart sample, explores it, launches a small sweep on the
cluster (the fake runs each trial's generated command for real, logging to a real MLflow server
behind the workspace's MLflow address), watches it to its end, reviews it on the Trials page and
tears the resource group down, with a screenshot per step (test-artifacts/e2e/azure-*.png).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import defaults
from core.data.samples import heart_sample
from tests.azure.conftest import SUBSCRIPTION, TENANT, loopback_cloud  # noqa: F401 - a fixture
from tests.azure.fake.server import LoopbackCloud
from tests.e2e.conftest import _need_chromium, run_dashboard, screenshot, sidebar, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.azurite, pytest.mark.slow]

CLIENT_ID = str(uuid.uuid4())
CLIENT_SECRET = "e2e-sp-secret-" + uuid.uuid4().hex
RG, WS = defaults.RESOURCE_GROUP, defaults.WORKSPACE
RESOURCE_BUTTONS = [
    ("Create or get resource group", f"resource group '{RG}'"),
    # a polled operation: its progress box names the account too, so wait for what shows once
    # Azure has created it (its masked connection string)
    ("Create or get storage account", f"Connection string of '{defaults.STORAGE_ACCOUNT}'"),
    ("Create or get blob container", f"'{defaults.BLOB_CONTAINER}'"),
    ("Create or get workspace", f"workspace '{WS}'"),
    ("Validate and register environment", "environment 'sklearn-mlflow-env'"),
    ("Create or update compute cluster", f"compute cluster '{defaults.COMPUTE_CLUSTER}'"),
]


@pytest.fixture(scope="module")
def azure_dashboard(
    loopback_cloud: LoopbackCloud,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    """The dashboard with the loopback fake as its cloud; yields its url and its log file."""
    _need_chromium()
    loopback_cloud.fake.clients[CLIENT_ID] = CLIENT_SECRET
    data_dir = tmp_path_factory.mktemp("e2e-azure-data")
    with run_dashboard(data_dir, loopback_cloud.environment()) as url:
        yield url, data_dir.parent / "streamlit.log"


@pytest.fixture(autouse=True)
def _screenshot_a_failure(request: pytest.FixtureRequest, module_page: Any) -> Iterator[None]:
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot(module_page, f"failed-{request.node.name}")


def main_text(page: Any) -> str:
    return str(page.inner_text("[data-testid='stMain']"))


def expect(page: Any, snippet: str, timeout: float = 90_000) -> None:
    page.get_by_test_id("stMain").get_by_text(snippet, exact=False).first.wait_for(timeout=timeout)


def expect_side(page: Any, snippet: str, timeout: float = 60_000) -> None:
    page.get_by_test_id("stSidebar").get_by_text(snippet, exact=False).first.wait_for(timeout=timeout)


def fill(page: Any, label: str, value: str) -> None:
    box = page.get_by_test_id("stMain").get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_idle(page)


def click(page: Any, name: str, where: str = "stMain") -> None:
    page.get_by_test_id(where).get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def nav(page: Any, label: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
    wait_idle(page)


def radio(page: Any, group: str, option: str, where: str = "stMain") -> None:
    radios = page.get_by_test_id(where).get_by_test_id("stRadio").filter(has_text=group)
    radios.get_by_text(option, exact=True).click()
    wait_idle(page)


def choose(page: Any, label: str, option: str) -> None:
    """Open the select box ``label`` and pick the first option that starts with ``option``."""
    box = (
        page.get_by_test_id("stMain")
        .get_by_test_id("stSelectbox")
        .filter(has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))
        .first.get_by_role("combobox")
    )
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=re.compile("^" + re.escape(option))).first.click()
    wait_idle(page)


def test_the_azure_walk_against_the_fake_cloud(
    azure_dashboard: tuple[str, Path],
    loopback_cloud: LoopbackCloud,  # noqa: F811
    module_page: Any,
    tmp_path: Path,
) -> None:
    url, log = azure_dashboard
    page = module_page
    page.goto(url)
    expect(page, "Azure ML walkthrough")
    wait_idle(page)

    # 1. Choose azure: the pages wait for a sign-in, they do not fall back to local.
    radio(page, "Backend", "azure", where="stSidebar")
    expect(page, "Sign in to Azure in the sidebar first")
    assert "not signed in yet" in sidebar(page)
    screenshot(page, "azure-1-sign-in", gallery=True)

    # 2. Sign in as a service principal against the fake's authority.
    side = page.get_by_test_id("stSidebar")
    assert "FakeCloud from your settings" in side.inner_text()  # the cloud comes from the settings
    radio(page, "Sign in with", "Service principal (typed in)", where="stSidebar")
    side.get_by_label("Tenant id", exact=True).fill(TENANT)
    side.get_by_label("Client (application) id", exact=True).fill(CLIENT_ID)
    side.get_by_label("Client secret", exact=True).fill(CLIENT_SECRET)
    click(page, "Sign in", where="stSidebar")
    expect_side(page, f"Signed in: service principal {CLIENT_ID}")
    page.get_by_test_id("stSidebar").get_by_role("button", name="Connect", exact=True).wait_for()
    chosen = page.get_by_test_id("stSidebar").get_by_role("combobox").last.input_value()
    assert chosen.startswith("Fake subscription"), chosen
    screenshot(page, "azure-2-signed-in")
    click(page, "Connect", where="stSidebar")
    expect_side(page, "subscription Fake subscription")
    click(page, "Test connection", where="stSidebar")
    expect_side(page, "every check passed")
    assert SUBSCRIPTION in sidebar(page)
    screenshot(page, "azure-3-connected")

    # 3. Resources: acknowledge that it is billable, then create everything.
    nav(page, "1 · Resources")
    expect(page, "What you create here is billable")
    screenshot(page, "azure-4-billable")
    click(page, "I understand: create billable resources")
    for button, result in RESOURCE_BUTTONS:
        if button == "Validate and register environment":
            # Azure takes 10-20 s here: while it does, the page says what is happening
            loopback_cloud.fake.slow_down("PUT", r"/environments/[^/]+/versions/", 4.0)
            page.get_by_test_id("stMain").get_by_role("button", name=button, exact=True).click()
            expect(page, f"Registering the environment in workspace '{WS}'", timeout=20_000)
            screenshot(page, "azure-5-registering-environment")
        else:
            click(page, button)
        expect(page, result, timeout=180_000)
    body = main_text(page)
    keys = re.findall(r"AccountKey=([^;\s]+)", body)
    assert keys and all("•" in key for key in keys), keys
    assert "Open in Azure ML studio" in body or "studio" in body
    screenshot(page, "azure-5-resources", gallery=True)

    # 4. Data: the heart sample, uploaded from disk, split and stored in the default datastore.
    csv = tmp_path / "heart.csv"
    heart_sample().to_csv(csv, index=False)
    nav(page, "2 · Data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    expect(page, "Loaded 'heart.csv': 303 rows × 14 columns")  # read as soon as it is chosen
    click(page, "Split and upload")
    expect(page, "registered data asset 'heart' version 1", timeout=180_000)
    screenshot(page, "azure-6-data")

    # 5. EDA reads the stored version back.
    nav(page, "3 · Explore (EDA)")
    expect(page, "Exploring data asset heart v1 (train split)")
    page.get_by_test_id("stMetricValue").first.wait_for()
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    wait_idle(page)
    screenshot(page, "azure-7-eda")

    # 6. Sweep: a small one on the cluster; the fake trains each trial for real.
    nav(page, "4 · Sweep")
    expect(page, "code snapshot uploaded with the job")
    fill(page, "Max total trials", "3")
    fill(page, "Max concurrent trials", "2")
    fill(page, "Cross-validation folds", "3")
    click(page, "Launch sweep")
    expect(page, "Launched sweep_random_forest_", timeout=180_000)
    found = re.search(r"Launched (sweep_random_forest_\w+) on", main_text(page))
    assert found, "the launch message names the sweep job"
    sweep = found.group(1)
    assert "Open it in Azure ML studio" in main_text(page)
    expect(page, "Azure reports", timeout=60_000)
    screenshot(page, "azure-8-sweep-running")
    expect(page, "Azure reports Completed", timeout=360_000)
    wait_idle(page)
    body = main_text(page)
    assert "runs:/" in body and "/model" in body, "the best trial's logged model is the sweep's model"
    assert "nodes up now" in body or "1 node up now" in body
    screenshot(page, "azure-9-sweep", gallery=True)

    # 7. Trials: the same sweep, read from the workspace's MLflow over HTTPS with this sign-in.
    nav(page, "5 · Trials")
    expect(page, "Best accuracy", timeout=120_000)
    expect(page, "Optimisation history")
    reviewed = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first.get_by_role("combobox")
    assert reviewed.input_value() == sweep, "the sweep just launched is the one reviewed"
    screenshot(page, "azure-10-trials", gallery=True)

    # 8. Endpoint: the sweep's best model registered in the workspace, deployed to a managed
    # online endpoint (the fake serves it with the project's own scoring server), tested live.
    nav(page, "6 · Endpoint")
    click(page, "Register model")
    expect(page, "version 1", timeout=120_000)
    expect(page, "Billable per instance-hour")
    click(page, "Create endpoint and deploy")
    screenshot(page, "azure-11-endpoint-deploying")
    page.get_by_text("healthy").first.wait_for(timeout=300_000)
    # the deploy's last stage (100 % of the traffic) ends with a rerun of the whole page: a click
    # made before it could be lost, so wait for the deploy's own result first
    expect(page, "Created deployment", timeout=300_000)
    wait_idle(page)
    click(page, "Send the test split")
    expect(page, "weighted avg", timeout=120_000)
    body = main_text(page)
    assert "macro avg" in body and "Confusion matrix" in body
    click(page, "Predict")
    expect(page, "Prediction: output =", timeout=60_000)
    screenshot(page, "azure-12-endpoint", gallery=True)

    # 9. Teardown: the whole resource group, after seeing what goes and what is billed.
    nav(page, "7 · Teardown")
    radio(page, "What to delete", "A whole resource group")
    choose(page, "Resource group", RG)  # the shared fake cloud may hold other tests' groups
    expect(page, f"resource group {RG}")
    screenshot(page, "azure-13-teardown-plan", gallery=True)
    box = page.get_by_label(re.compile(rf"^Type \W*{re.escape(RG)}\W* to confirm$"))
    box.fill(RG)
    box.press("Enter")  # the typed name counts once it is sent; then the button turns on
    wait_idle(page)
    click(page, "Delete for good")
    # a polled operation (its endpoint's deployment goes first): wait for its result, not its box
    done = page.get_by_test_id("stMain").get_by_test_id("stAlertContentSuccess").filter(has_text="Deleted ")
    done.first.wait_for(timeout=300_000)
    assert f"resource group '{RG}'" in done.first.inner_text()
    screenshot(page, "azure-14-teardown")

    # The secret never reached the page or the dashboard's log.
    assert CLIENT_SECRET not in page.content()
    assert CLIENT_SECRET not in log.read_text(errors="replace")
