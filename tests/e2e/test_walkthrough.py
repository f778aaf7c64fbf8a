"""The whole walkthrough in a real browser, clicking as a user would, with a screenshot per page.

One dashboard, one browser tab and ONE workspace for four steps, run in order:

1. the classification walk (heart CSV uploaded from disk) to a live prediction;
2. a regression walk on a generated CSV, as a new dataset in the same workspace, to a live prediction;
3. the one-click demo on that same, already-used workspace;
4. teardown of the resource group through the page.

After each step the walk checks that no label, selection or result on screen belongs to an earlier
object (a sweep, a dataset, a model, an endpoint). Such a check records its failure with a
screenshot and the walk goes on the way a user would (picking the right object by hand), so one
run reports every stale label at once; the step's test fails at its end if any check failed.
"""

from __future__ import annotations

import re
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from plotly.offline import get_plotlyjs

from core import defaults
from core.data.samples import heart_sample
from core.local.backend import LocalBackend
from tests.e2e.conftest import (
    DASHBOARDS,
    owned_processes,
    record,
    screenshot,
    sidebar_workspace,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a walk of 4 chained steps: all or none

MAX_CLICKS_TO_A_PREDICTION = 14  # opening the app to the held-out rows scored live, EDA and Trials included
REGRESSION_FILE = "grid_stability.csv"  # its data asset is named after the file
REGRESSION_ASSET = "grid_stability"
REGRESSION_ROWS = 400  # 360 train, 40 held out: no count the heart split (273 / 30) could give
REGRESSION_TARGET = "stab"
REGRESSION_TRIALS, REGRESSION_FOLDS = 4, 3  # a tiny sweep of a fast family
T = TypeVar("T")
RG = defaults.RESOURCE_GROUP
WALK: dict[str, Any] = {}  # what a step leaves for the next ones (ids, names, the state it saw)


class Clicks:
    """Counts the user's clicks and typed fields, for the closing note's click count."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    def button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()
        self.count += 1
        wait_idle(self.page)

    def nav(self, label: str) -> None:
        self.page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
        self.count += 1
        wait_idle(self.page)

    def fill(self, label: str, value: str) -> None:
        box = self.page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        self.count += 1
        wait_idle(self.page)

    def radio(self, group: str, option: str) -> None:
        radios = self.page.get_by_test_id("stRadio").filter(has_text=group)
        radios.get_by_text(option, exact=True).click()
        self.count += 1
        wait_idle(self.page)

    def choose(self, label: str, option: str) -> None:
        """Open the select box ``label`` and pick the first option that starts with ``option``."""
        box = _selectbox(self.page, label).first.get_by_role("combobox")
        box.click()
        box.fill(option)  # the box filters its list by what it holds, even a stale value
        self.page.get_by_role("option").filter(has_text=re.compile("^" + re.escape(option))).first.click()
        self.count += 1
        wait_idle(self.page)


@pytest.fixture(autouse=True)
def _screenshot_a_failure(request: pytest.FixtureRequest, module_page: Any) -> Iterator[None]:
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot(module_page, f"failed-{request.node.name}")


class Checks:
    """Checks that record a failure (with a screenshot) and let the walk go on."""

    def __init__(self, page: Any, step: str) -> None:
        self.page, self.step = page, step
        self.failures: list[str] = []

    def __call__(self, ok: bool, message: str) -> bool:
        if not ok:
            self.failures.append(message)
            sys.stderr.write(f"CHECK FAILED ({self.step}): {message}\n")
            screenshot(self.page, f"failed-{self.step}-{len(self.failures)}")
        return ok

    def verdict(self) -> None:
        assert not self.failures, f"{len(self.failures)} check(s) failed in the {self.step} step:\n- " + (
            "\n- ".join(self.failures)
        )


def expect(page: Any, snippet: str, timeout: float = 60_000) -> None:
    """Wait until ``snippet`` shows in the main section (a rerun may still be on its way)."""
    page.get_by_test_id("stMain").get_by_text(snippet, exact=False).first.wait_for(timeout=timeout)


def expect_metric(page: Any, label: str, timeout: float = 60_000) -> None:
    """Wait until a metric labelled exactly ``label`` shows."""
    metric = page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(f"^{re.escape(label)}$"))
    metric.first.wait_for(timeout=timeout)


def open_home(page: Any, url: str) -> None:
    page.goto(url)
    expect(page, "Azure ML walkthrough")
    page.get_by_role("button", name="Run the whole walkthrough").wait_for()
    wait_idle(page)


def text(page: Any) -> str:
    return str(page.inner_text("[data-testid='stMain']"))


def alerts(page: Any) -> str:
    """The text of every message box (success, info, warning, error) in the main section."""
    return "\n".join(page.get_by_test_id("stMain").get_by_test_id("stAlert").all_inner_texts())


def _selectbox(page: Any, label: str) -> Any:
    return page.get_by_test_id("stSelectbox").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    )


def selected(page: Any, label: str) -> str:
    """The option a select box shows, '' when there is no such box."""
    box = _selectbox(page, label)
    if box.count() == 0:
        return ""
    return str(box.first.get_by_role("combobox").input_value()).strip()


def radio_choice(page: Any, group: str) -> str:
    """The chosen option of a radio group."""
    radios = page.get_by_test_id("stRadio").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(group)
    )
    return str(
        radios.first.locator("[data-testid='stRadioOption'][data-selected='true']").inner_text()
    ).strip()


def options(page: Any, label: str) -> list[str]:
    """Every option of a select box, read from its opened list."""
    box = _selectbox(page, label).first
    box.wait_for(timeout=60_000)  # the page may still be drawing after a change of page
    for attempt in range(4):
        # a click on "Open" sometimes leaves the list shut while a rerun redraws the box;
        # the keyboard opens it too
        if attempt % 2 == 0:
            box.get_by_role("button", name="Open").click()
        else:
            box.get_by_role("combobox").press("ArrowDown")
        try:
            page.get_by_role("option").first.wait_for(timeout=8_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
    else:
        raise AssertionError(f"the select box {label!r} would not open its list")
    found = [str(t).strip() for t in page.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    wait_idle(page)
    return found


def settle(read: Callable[[], T], ok: Callable[[T], bool], timeout_s: float = 6) -> T:
    """Read until ``ok`` holds or time is up, and return the last value read: a page may still
    be redrawing after a rerun, while a stale label stays for good."""
    deadline = time.time() + timeout_s
    value = read()
    while not ok(value) and time.time() < deadline:
        time.sleep(0.3)
        value = read()
    return value


def wait_until(what: str, condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.time() + timeout_s
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.5)


def need(*steps: str) -> None:
    missing = [s for s in steps if not WALK.get(f"{s}:done")]
    if missing:
        pytest.skip(f"this step of the walk needs the earlier step(s) {', '.join(missing)} to have run")


def regression_frame() -> pd.DataFrame:
    """A deterministic regression table with a smart grid's column names (the target is continuous)."""
    from sklearn.datasets import make_regression

    x, y = make_regression(
        n_samples=REGRESSION_ROWS, n_features=6, n_informative=4, noise=8.0, random_state=12
    )
    frame = pd.DataFrame(np.round(x, 4), columns=["tau1", "tau2", "tau3", "tau4", "p1", "g1"])
    frame[REGRESSION_TARGET] = np.round(y / 100, 5)
    # the real file's leak: a stable/unstable label that is exactly the sign of the target
    frame["diagnosis"] = np.where(frame[REGRESSION_TARGET] > 0, "unstable", "stable")
    return frame


def backend_of(url: str) -> LocalBackend:
    """The dashboard's own state, read from its data folder (to check what the pages did)."""
    return LocalBackend(DASHBOARDS[url].data_dir)


def deployments_seen(backend: LocalBackend, workspace: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every endpoint's deployments: (name, model, version, dataset, dataset version, record)."""
    return {
        info.name: [
            (d.name, d.model_name, d.model_version, d.dataset, d.dataset_version, repr(d))
            for d in info.deployments
        ]
        for info in backend.list_endpoints(workspace)
    }


def launched_sweep(page: Any) -> str:
    found = re.search(r"Launched (sweep-[\w-]+) on", text(page))
    assert found, "the launch message names the sweep"
    return found.group(1)


# -- 1. classification -------------------------------------------------------------------------------------
def test_1_the_classification_walk_by_clicking(dashboard: str, module_page: Any, tmp_path: Path) -> None:
    page = module_page
    csv = tmp_path / "heart.csv"
    heart_sample().to_csv(csv, index=False)
    started = time.time()
    open_home(page, dashboard)
    screenshot(page, "home", gallery=True)
    clicks = Clicks(page)

    clicks.nav("1 · Resources")
    clicks.button("Create all with these defaults")
    expect(page, "All six resources are ready", timeout=120_000)
    body = text(page)
    assert "Inventory" in body and "heartclassifycluster" in body
    shown_keys = re.findall(r"AccountKey=([^;\s]+)", body)
    assert shown_keys and all("•" in key and len(key.strip("•")) <= 4 for key in shown_keys), shown_keys
    screenshot(page, "resources", gallery=True)

    clicks.nav("2 · Data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    clicks.count += 1
    expect(page, "Loaded 'heart.csv': 303 rows × 14 columns")  # read as soon as it is chosen
    clicks.button("Split and upload")
    expect(page, "registered data asset 'heart' version 1")
    assert re.search(r"Train: 27\d rows · held-out test: 3\d rows", text(page))
    screenshot(page, "data", gallery=True)

    clicks.nav("3 · Explore (EDA)")
    assert "Exploring data asset heart v1 (train split)" in text(page)
    page.get_by_text("Correlation (Pearson)").first.wait_for()
    page.get_by_text("Class balance of 'output'").first.wait_for()
    screenshot(page, "eda", gallery=True)

    clicks.nav("4 · Sweep")
    clicks.fill("Max total trials", "6")
    clicks.button("Launch sweep")
    expect(page, "Launched sweep-random-forest-")
    WALK["heart_sweep"] = launched_sweep(page)
    expect(page, "Finished. 6 completed.", timeout=240_000)
    expect(page, "refit on the whole train split")
    wait_idle(page)
    body = text(page)
    assert "Finished. 6 completed." in body
    assert "refit on the whole train split" in body
    screenshot(page, "sweep", gallery=True)

    clicks.nav("5 · Trials")
    expect(page, "Best accuracy")
    expect(page, "Optimisation history")
    body = text(page)
    assert "Best trial" in body and "completed" in body
    screenshot(page, "trials", gallery=True)

    clicks.nav("6 · Endpoint")
    clicks.button("Register model")
    expect(page, "version 1")
    assert "best_random_forest" in text(page)
    name_box = page.get_by_label("Endpoint name", exact=True)
    wait_until("the endpoint name the page suggests", lambda: bool(name_box.input_value()), 30)
    WALK["heart_endpoint"] = name_box.input_value()
    clicks.button("Create endpoint and deploy")
    page.get_by_text("healthy").first.wait_for(timeout=120_000)
    clicks.button("Send the test split")
    expect(page, "weighted avg")
    body = text(page)
    assert "macro avg" in body and "weighted avg" in body and "precision" in body
    assert "Confusion matrix" in body
    # 30 held-out rows: every figure with its interval, and why the live figure is not the CV one
    assert re.search(r"95 % interval 0\.\d+–0\.\d+ \(Wilson\)", body), "the accuracy's interval"
    assert "cross-validated" in body.lower()
    record(
        f"manual walkthrough to a first live prediction: {clicks.count} clicks, {time.time() - started:.0f} s"
    )
    assert clicks.count <= MAX_CLICKS_TO_A_PREDICTION, f"{clicks.count} clicks to a first live prediction"
    clicks.button("Predict")
    expect(page, "Prediction: output =")
    screenshot(page, "endpoint", gallery=True)

    # Past the measured path: the user also picks the heart sweep's best trial on 5 · Trials, so
    # the regression walk can check that this choice does not follow it to another sweep.
    clicks.nav("5 · Trials")
    # the two-parameter chart, on the importance chart's top two, and the review as one file
    page.get_by_role("tab", name="Hyperparameters").click()
    wait_idle(page)
    expect(page, "importance chart's top two", timeout=120_000)
    page.get_by_test_id("stPlotlyChart").last.wait_for()
    screenshot(page, "trials-hyperparameters", gallery=True)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Review as one HTML file").click()
    review = Path(download.value.path()).read_text(encoding="utf-8")
    assert review.count(get_plotlyjs()[:40]) == 1, "plotly.js is embedded once"
    assert review.count("Plotly.newPlot(") >= 5, "every chart of the review is in the file"
    assert WALK.get("heart_sweep", "") in review
    wait_idle(page)
    page.get_by_role("tab", name="Best trial").click()
    wait_idle(page)
    page.get_by_role("button", name=re.compile(r"^Use trial #\d+ on 6 · Endpoint")).click()
    wait_idle(page)
    expect(page, "goes to the endpoint step")
    WALK["1:done"] = True


# -- 2. regression, same workspace -------------------------------------------------------------------------
def test_2_a_regression_walk_in_the_same_workspace(dashboard: str, module_page: Any, tmp_path: Path) -> None:
    need("1")
    page, check = module_page, Checks(module_page, "regression")
    clicks = Clicks(page)
    csv = tmp_path / REGRESSION_FILE
    regression_frame().to_csv(csv, index=False)
    heart_sweep = WALK["heart_sweep"]

    # Home: the heart file was explored and its sweep reviewed, so both steps read done; Stop is
    # off while nothing runs
    open_home(page, dashboard)
    body = settle(lambda: text(page), lambda b: "explored heart v1" in b and "reviewed sweep" in b)
    check("explored heart v1" in body, "Home: EDA is not done after exploring heart v1")
    check(f"reviewed sweep {heart_sweep}" in body, "Home: Trials is not done after reviewing the sweep")
    stop = page.get_by_role("button", name="Stop", exact=True)
    check(stop.count() == 1 and stop.is_disabled(), "Home: Stop is enabled while nothing runs")
    screenshot(page, "home-progress", gallery=True)

    clicks.nav("2 · Data")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    expect(page, f"Loaded '{REGRESSION_FILE}': {REGRESSION_ROWS} rows × 8 columns")
    body = settle(
        lambda: alerts(page),
        lambda b: not re.search(r"Train: 27\d rows|heart/v1/train.csv|data asset 'heart'", b),
    )
    check(
        not re.search(r"Train: 27\d rows", body),
        "Data: the heart file's split message stays after a new load",
    )
    check("heart/v1/train.csv" not in body, "Data: the heart file's upload message stays after a new load")
    check("data asset 'heart'" not in body, "Data: the heart data asset's message stays after a new load")
    # as in the real grid file, the last column is the stable/unstable label: the user picks 'stab'
    target = settle(lambda: selected(page, "Target column"), lambda v: v == "diagnosis")
    check(target == "diagnosis", f"Data: the new file's target column reads {target!r}, not its last column")
    clicks.choose("Target column", REGRESSION_TARGET)
    # a continuous target: the task switches to regression by itself
    task = settle(lambda: radio_choice(page, "Task"), lambda v: v == "regression")
    if not check(task == "regression", f"Data: the new file's continuous target shows the task {task!r}"):
        clicks.radio("Task", "regression")
    # the label that is the target's sign is flagged, with its evidence, and left out by default
    expect(page, "'diagnosis' is excluded by default.")
    check("Target leakage check" in text(page), "Data: the leakage check's evidence is not offered")
    clicks.button("Split")
    expect(page, "Train: 360 rows · held-out test: 40 rows")
    clicks.button("Upload train split and register data asset")
    expect(page, f"registered data asset '{REGRESSION_ASSET}' version 1")
    screenshot(page, "regression-data", gallery=True)

    clicks.nav("3 · Explore (EDA)")
    expect(page, f"Exploring data asset {REGRESSION_ASSET} v1 (train split)")
    page.get_by_text(f"Distribution of '{REGRESSION_TARGET}'").first.wait_for()
    check("Class balance of 'output'" not in text(page), "EDA: the heart target's class balance is on screen")
    screenshot(page, "regression-eda")

    clicks.nav("4 · Sweep")
    dataset = settle(lambda: selected(page, "Dataset (train split)"), lambda v: v == f"{REGRESSION_ASSET} v1")
    if not check(dataset == f"{REGRESSION_ASSET} v1", f"Sweep: the dataset to sweep reads {dataset!r}"):
        clicks.choose("Dataset (train split)", f"{REGRESSION_ASSET} v1")
    clicks.radio("Model family", "Kernel ridge regression")
    clicks.fill("Max total trials", str(REGRESSION_TRIALS))
    clicks.fill("Cross-validation folds", str(REGRESSION_FOLDS))
    clicks.button("Launch sweep")
    expect(page, "Launched sweep-kernel-ridge-")
    sweep = WALK["regression_sweep"] = launched_sweep(page)
    watched = settle(lambda: selected(page, "Sweep to watch"), lambda v: v == sweep)
    if not check(watched == sweep, f"Sweep: after launching {sweep}, 'Sweep to watch' reads {watched!r}"):
        clicks.choose("Sweep to watch", sweep)
    expect(page, f"Finished. {REGRESSION_TRIALS} completed.", timeout=240_000)
    expect(page, "refit on the whole train split")
    wait_idle(page)
    body = text(page)
    assert f"{sweep} " in body and "kernel_ridge · random sampling · r2 (maximize)" in body
    screenshot(page, "regression-sweep", gallery=True)

    clicks.nav("5 · Trials")
    reviewed = settle(lambda: selected(page, "Sweep to review"), lambda v: v == sweep)
    if not check(
        reviewed == sweep, f"Trials: after the regression sweep, 'Sweep to review' reads {reviewed!r}"
    ):
        clicks.choose("Sweep to review", sweep)
    expect(page, "Best r2")
    expect(page, "Optimisation history")
    check("Best accuracy" not in text(page), "Trials: the heart sweep's best accuracy is on screen")
    screenshot(page, "regression-trials", gallery=True)
    # two numeric hyperparameters: a real contour of the metric between the trials
    page.get_by_role("tab", name="Hyperparameters").click()
    wait_idle(page)
    for axis, param in (("x axis", "alpha"), ("y axis", "gamma")):
        if selected(page, axis) != param:
            clicks.choose(axis, param)
    contour = settle(lambda: page.get_by_text(re.compile("^Contour of ")).count(), lambda n: n > 0, 20)
    check(contour > 0, "Trials: alpha × gamma (both numeric) is not drawn as a contour")
    screenshot(page, "regression-contour", gallery=True)

    clicks.nav("6 · Endpoint")
    banner = re.compile(rf"Trial #\d+ of {re.escape(heart_sweep)} was chosen")
    body = settle(lambda: text(page), lambda b: not banner.search(b))
    check(
        not banner.search(body),
        "Endpoint: the heart sweep's chosen-trial banner stays after the sweep changed",
    )
    finished = settle(lambda: selected(page, "Finished sweep"), lambda v: v.startswith(sweep))
    if not check(finished.startswith(sweep), f"Endpoint: 'Finished sweep' reads {finished!r}"):
        clicks.choose("Finished sweep", sweep)
    model_name = settle(
        lambda: page.get_by_label("Model name", exact=True).input_value(), lambda v: v == "best_kernel_ridge"
    )
    if not check(
        model_name == "best_kernel_ridge", f"Endpoint: the model name to register reads {model_name!r}"
    ):
        clicks.fill("Model name", "best_kernel_ridge")
    clicks.button("Register model")
    expect(page, "best_kernel_ridge version 1")
    to_deploy = settle(lambda: selected(page, "Model to deploy"), lambda v: v == "best_kernel_ridge")
    if not check(
        to_deploy == "best_kernel_ridge",
        f"Endpoint: after registering best_kernel_ridge, 'Model to deploy' reads {to_deploy!r}",
    ):
        clicks.choose("Model to deploy", "best_kernel_ridge")
    endpoint = page.get_by_label("Endpoint name", exact=True).input_value()
    deployment = page.get_by_label("Deployment name", exact=True).input_value()
    named = all("grid" in n and "heart" not in n for n in (endpoint, deployment))
    if not check(named, f"Endpoint: names for the regression model default to {endpoint!r} / {deployment!r}"):
        endpoint, deployment = "grid-stability-endpoint", "grid-stability-deployment"
        for label, value in (("Endpoint name", endpoint), ("Deployment name", deployment)):
            page.get_by_label(label, exact=True).fill(value)  # in a form: no rerun until it is sent
            clicks.count += 1
    WALK["regression_endpoint"] = endpoint
    clicks.button("Create endpoint and deploy")
    wait_until("the new endpoint to be shown", lambda: selected(page, "Endpoint") == endpoint, 120)
    wait_until(
        "the new endpoint to be healthy", lambda: bool(re.search(rf"{endpoint}\s*healthy", text(page))), 120
    )
    stale = re.compile("Classification report|macro avg|Prediction: output")
    body = settle(lambda: text(page), lambda b: not stale.search(b))
    assert f"test rows of {REGRESSION_ASSET} v1" in body, "the live test sends the regression split"
    check("Classification report" not in body, "Endpoint: a classification report is shown before any test")
    check("macro avg" not in body, "Endpoint: heart results are shown under the regression test heading")
    check(
        "Prediction: output" not in body, "Endpoint: the heart prediction is shown for the regression model"
    )
    clicks.button("Send the test split")
    expect_metric(page, "RMSE")
    body = text(page)
    assert "R²" in body and "MAE" in body
    check(
        "macro avg" not in body and "Classification report" not in body, "Endpoint: heart report after a test"
    )
    clicks.button("Predict")
    expect(page, f"Prediction: {REGRESSION_TARGET} =")
    line = next(x for x in text(page).splitlines() if "Prediction:" in x)
    assert re.search(rf"Prediction: {REGRESSION_TARGET} = -?[\d.]+(e[+-]?\d+)? ·", line), line
    check("probabilities" not in line, f"Endpoint: a regression prediction shows probabilities: {line!r}")
    screenshot(page, "regression-endpoint", gallery=True)

    # Back through the pages: each still shows the regression objects, none of the heart file's.
    clicks.nav("4 · Sweep")
    watched = settle(lambda: selected(page, "Sweep to watch"), lambda v: v == sweep)
    check(watched == sweep, f"Sweep (revisited): 'Sweep to watch' reads {watched!r}")
    clicks.nav("5 · Trials")
    reviewed = settle(lambda: selected(page, "Sweep to review"), lambda v: v == sweep)
    check(reviewed == sweep, f"Trials (revisited): 'Sweep to review' reads {reviewed!r}")
    clicks.nav("2 · Data")
    body = settle(lambda: alerts(page), lambda b: not re.search("heart.csv|heart/v1|data asset 'heart'", b))
    for heart_message in ("Loaded 'heart.csv'", "heart/v1/train.csv", "data asset 'heart'"):
        check(heart_message not in body, f"Data (revisited): {heart_message!r} is still on screen")
    check(REGRESSION_FILE in text(page), "Data (revisited): the loaded regression file is not named")

    backend = backend_of(dashboard)
    WALK["deployments"] = deployments_seen(backend, defaults.WORKSPACE)
    served = WALK["deployments"].get(endpoint, [])
    assert [(d[1], d[2], d[3]) for d in served] == [("best_kernel_ridge", 1, REGRESSION_ASSET)], served
    WALK["2:done"] = True
    check.verdict()


# -- 3. the demo on the used workspace ---------------------------------------------------------------------
def test_3_the_one_click_demo_on_the_used_workspace(dashboard: str, module_page: Any) -> None:
    need("1", "2")
    page, check = module_page, Checks(module_page, "demo")
    backend = backend_of(dashboard)
    datasets_before = {a.name: a.version for a in backend.list_data_assets(defaults.WORKSPACE)}
    open_home(page, dashboard)
    clicked = time.time()
    page.get_by_role("button", name="Run the whole walkthrough").click()
    main = page.get_by_test_id("stMain")
    main.get_by_text("held-out rows scored live").first.wait_for(timeout=300_000)
    to_prediction = time.time() - clicked
    main.get_by_text("The walkthrough ran end to end.").first.wait_for(timeout=30_000)
    wait_idle(page)
    record(
        f"one-click demo on a workspace already in use: click to first live prediction {to_prediction:.0f} s"
    )
    cards = ("every resource exists", "dataset versions in", "live")
    body = settle(
        lambda: text(page),
        lambda b: all(c in b for c in cards) and not re.search("still to create|blocked", b),
    )
    assert "Traceback" not in body
    assert "macro avg" in body, "the classification report of the live answers is on screen"
    check("still to create" not in body, "Home: a step card still says resources are to be created")
    check("blocked" not in body, "Home: a step card still says blocked after the demo")
    for card in cards:
        check(card in body, f"Home: no step card says {card!r} after the demo")
    named = settle(lambda: sidebar_workspace(page), lambda v: v == defaults.WORKSPACE)
    check(named == defaults.WORKSPACE, f"Sidebar: the workspace reads {named!r}")
    screenshot(page, "demo-used-workspace", gallery=True)

    # The demo used names of its own: the user's datasets, models on endpoints and endpoints are as they were.
    datasets_after = {a.name: a.version for a in backend.list_data_assets(defaults.WORKSPACE)}
    for name, version in datasets_before.items():
        versions = [a.version for a in backend.data_asset_versions(defaults.WORKSPACE, name)]
        check(versions == [version], f"Data: the user's dataset {name!r} now has versions {versions}")
    check(
        len(datasets_after) > len(datasets_before),
        f"Data: the demo stored no dataset of its own: {datasets_after}",
    )
    deployments = deployments_seen(backend, defaults.WORKSPACE)
    for endpoint, before in WALK["deployments"].items():
        check(
            deployments.get(endpoint) == before,
            f"Endpoint: the demo changed {endpoint!r}: {before} -> {deployments.get(endpoint)}",
        )
    check(
        set(deployments) > set(WALK["deployments"]),
        f"Endpoint: the demo has no endpoint of its own: {set(deployments)}",
    )

    Clicks(page).nav("2 · Data")
    picked = options(page, "Dataset the next steps use")
    check(
        f"{REGRESSION_ASSET} v1" in picked and "heart v1" in picked,
        f"Data: the user's datasets are listed: {picked}",
    )
    check("heart v2" not in picked, f"Data: the demo stored a second version of the user's 'heart': {picked}")
    Clicks(page).nav("6 · Endpoint")
    endpoints = options(page, "Endpoint")
    check(
        {WALK["heart_endpoint"], WALK["regression_endpoint"]} < set(endpoints),
        f"Endpoint: the user's endpoints {WALK['heart_endpoint']!r} and {WALK['regression_endpoint']!r} "
        f"and the demo's are listed: {endpoints}",
    )
    WALK["3:done"] = True
    check.verdict()


# -- 4. teardown -------------------------------------------------------------------------------------------
def _refuses(url: str) -> bool:
    parsed = urllib.parse.urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80), timeout=2):
            return False
    except OSError:
        return True


def test_4_teardown_through_the_page(dashboard: str, module_page: Any) -> None:
    need("1")
    page, check = module_page, Checks(module_page, "teardown")
    clicks = Clicks(page)
    backend = backend_of(dashboard)
    scoring = [e.scoring_uri for e in backend.list_endpoints(defaults.WORKSPACE) if e.scoring_uri]
    assert scoring, "the walk left live endpoints to tear down"

    clicks.nav("7 · Teardown")
    clicks.radio("What to delete", "A whole resource group")
    wait_until("the resource group to be offered", lambda: selected(page, "Resource group") == RG, 30)
    box = page.get_by_label(re.compile(rf"^Type \W*{re.escape(defaults.RESOURCE_GROUP)}\W* to confirm$"))
    warning = text(page)
    for kind in ("online endpoint", "registered models", "datasets", "sweeps"):
        check(kind in warning, f"Teardown: the warning does not list the workspace's {kind}")
    check(WALK["heart_sweep"] in warning, "Teardown: the warning does not name the user's sweep")
    delete = page.get_by_role("button", name="Delete for good", exact=True)
    assert delete.is_disabled(), "Delete for good is off until the name is typed"
    box.fill(defaults.RESOURCE_GROUP)
    box.press("Enter")
    clicks.count += 1
    wait_idle(page)
    screenshot(page, "teardown-confirmed")
    clicks.button("Delete for good")
    expect(page, f"resource group '{defaults.RESOURCE_GROUP}'")
    expect(page, "There is nothing to tear down.")
    screenshot(page, "teardown", gallery=True)
    assert backend.inventory() == []

    dashboard_info = DASHBOARDS[dashboard]
    try:
        wait_until("the workspace's processes to stop", lambda: not owned_processes(dashboard_info), 20)
    except AssertionError:
        check(
            False,
            f"Teardown: processes of the deleted workspace still run: {owned_processes(dashboard_info)}",
        )
    for uri in scoring:
        check(_refuses(uri), f"Teardown: the deleted endpoint at {uri} still answers")

    open_home(page, dashboard)
    leftovers = re.compile("The walkthrough ran end to end|1 · Create the resources|every resource exists")
    body = settle(lambda: text(page), lambda b: not leftovers.search(b))
    check("The walkthrough ran end to end" not in body, "Home: the demo's result box stays after teardown")
    check("1 · Create the resources" not in body, "Home: the demo's step results stay after teardown")
    named = settle(lambda: sidebar_workspace(page), lambda v: v == "none yet")
    check(named == "none yet", f"Sidebar: after teardown the workspace reads {named!r}")
    check("every resource exists" not in body, "Home: a step card says every resource exists after teardown")
    screenshot(page, "home-after-teardown")
    check.verdict()
