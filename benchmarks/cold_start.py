"""Cold start: `streamlit run` to the first render of the home page, against a bare one-line app.

Both apps are started the same way, alternately, in the same run, and timed from process start
to the moment headless Chromium shows their first text. Prints the medians and the ratio.
Goal (issue 2): ratio <= 1.3.

    .venv/bin/python benchmarks/cold_start.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.screenshot import CHROMIUM_ARGS  # noqa: E402

BARE_APP = 'import streamlit as st\n\nst.write("Hello")\n'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_first_render(page: Page, script: Path, marker: str, env: dict[str, str]) -> float:
    """Seconds from spawning `streamlit run` to ``marker`` being visible in the browser."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:  # the server is not listening yet; keep knocking
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_text(marker, exact=True).first.wait_for(timeout=60_000)
        return time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        env = os.environ | {"AZML_DATA_DIR": str(Path(tmp) / "data")}
        apps = {
            "bare one-line app": (bare, "Hello"),
            "dashboard": (ROOT / "dashboard" / "app.py", "Azure ML walkthrough"),
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            for script, marker in apps.values():  # warm the OS file cache, not counted
                time_first_render(page, script, marker, env)
            for _ in range(args.rounds):
                for name, (script, marker) in apps.items():
                    times[name].append(time_first_render(page, script, marker, env))
            browser.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:>18}: median {medians[name]:.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})")
    ratio = medians["dashboard"] / medians["bare one-line app"]
    print(f"cold-start ratio dashboard / bare app: {ratio:.2f}x  (goal <= 1.30x)")


if __name__ == "__main__":
    main()
