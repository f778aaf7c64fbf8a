"""Real-browser tests: the dashboard under `streamlit run`, driven by Playwright in Debian's Chromium.

In CI (CI=true) a missing Chromium fails the run; elsewhere these tests skip and say why.
Screenshots go to test-artifacts/e2e/ (and the README gallery in docs/screenshots/).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
GALLERY = ROOT / "docs" / "screenshots"


@dataclass(frozen=True)
class Dashboard:
    """A running dashboard: where the tests point the browser, and what is its own."""

    url: str
    data_dir: Path  # its AZML_DATA_DIR
    pid: int  # the streamlit process


DASHBOARDS: dict[str, Dashboard] = {}  # by url, for tests that check the state the pages wrote


def _need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = "Debian's chromium is not installed (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{reason}; CI must run the browser tests.")
    pytest.skip(reason)


def _kill_leftovers(data_dir: Path) -> None:
    """Stop sweep runners and endpoint servers the app started with this data folder."""
    marker = str(data_dir).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker in cmdline or marker in environ:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)


@contextlib.contextmanager
def run_dashboard(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port with ``data_dir`` as its AZML_DATA_DIR and
    ``extra_env`` added to its environment; yields its url. Its output goes to streamlit.log next
    to ``data_dir``."""
    port = free_port()
    # AZUREML_* is what azure-ai-ml records for its own process (the current cloud): an earlier test
    # in this process may have set it; the dashboard starts as a user's would, without it.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AZUREML_")}
    env = {**inherited, **(extra_env or {}), "AZML_DATA_DIR": str(data_dir)}
    log = (data_dir.parent / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            pytest.fail(
                "the dashboard did not start: " + (data_dir.parent / "streamlit.log").read_text()[-2000:]
            )
        time.sleep(0.3)
    DASHBOARDS[url] = Dashboard(url, data_dir, proc.pid)
    try:
        yield url
    finally:
        DASHBOARDS.pop(url, None)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()
        _kill_leftovers(data_dir)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free port with its own data folder (per test file)."""
    _need_chromium()
    with run_dashboard(tmp_path_factory.mktemp("e2e-data")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def module_page(browser: object) -> Iterator[object]:
    """One browser tab for every test of a module: a walk whose steps are separate tests."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def owned_processes(dashboard: Dashboard) -> list[tuple[int, str]]:
    """(pid, command line) of every live process the dashboard started with its data folder,
    other than the dashboard itself (sweep runners, workers, endpoint servers)."""
    marker = str(dashboard.data_dir).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) in (os.getpid(), dashboard.pid):
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and (marker in cmdline or marker in environ):
            found.append((int(proc.name), cmdline.replace(b"\0", b" ").decode(errors="replace").strip()))
    return found


def screenshot(page: object, name: str, gallery: bool = False) -> Path:
    """A full-page screenshot of the current page (Streamlit scrolls inside its main section)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(  # type: ignore[attr-defined]
        "document.querySelector('[data-testid=\"stMain\"]').scrollHeight"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 12000)})  # type: ignore[attr-defined]
    page.wait_for_timeout(600)  # type: ignore[attr-defined]
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1400, "height": 900})  # type: ignore[attr-defined]
    if gallery:
        GALLERY.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, GALLERY / f"{name}.png")
    return path


def wait_idle(page: object) -> None:
    """Wait until Streamlit has finished the current run: no running-status widget and no
    stale elements left over from the previous run."""
    page.wait_for_timeout(400)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-stale="true"]')""",
        timeout=120_000,
    )


def sidebar_workspace(page: Any) -> str:
    """The workspace the sidebar names: its select box, or its 'none yet' caption."""
    side = page.get_by_test_id("stSidebar")
    label = page.get_by_test_id("stWidgetLabel").get_by_text("Workspace", exact=True)
    box = side.get_by_test_id("stSelectbox").filter(has=label)
    if box.count():
        return str(box.first.get_by_role("combobox").input_value())
    return "none yet" if "none yet" in sidebar(page) else ""


def sidebar(page: Any) -> str:
    return str(page.inner_text("[data-testid='stSidebar']"))


def record(line: str) -> None:
    """Keep a measured figure (click counts, time to a prediction) in the artifacts folder."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "figures.txt").open("a") as handle:
        handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Keep each phase's report on the test item, so a fixture can screenshot a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
