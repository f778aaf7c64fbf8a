"""Take full-page screenshots of dashboard pages in headless Debian Chromium.

Usage: python scripts/screenshot.py BASE_URL OUT_DIR [page ...]   (page = url path, "" for home)
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def main() -> None:
    base, out = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    pages = sys.argv[3:] or [""]
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for name in pages:
            page.goto(f"{base}/{name}")
            page.wait_for_selector("[data-testid='stAppViewContainer']")
            page.wait_for_timeout(2500)
            # Streamlit scrolls inside its main section, so grow the window to fit the content.
            height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
            page.set_viewport_size({"width": 1400, "height": min(int(height) + 40, 12000)})
            page.wait_for_timeout(800)
            page.screenshot(path=str(out / f"{name or 'home'}.png"), full_page=True)
            page.set_viewport_size({"width": 1400, "height": 900})
        browser.close()


if __name__ == "__main__":
    main()
