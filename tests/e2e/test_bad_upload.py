"""A bad CSV in a real browser: a clear message, no traceback, and the page still works."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import screenshot, wait_idle

pytestmark = pytest.mark.browser


def test_a_bad_csv_upload_shows_the_message_and_no_traceback(
    dashboard: str, page: object, tmp_path: Path
) -> None:
    bad = tmp_path / "report.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)  # an image renamed to .csv
    page.goto(f"{dashboard}/data")  # type: ignore[attr-defined]
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))  # type: ignore[attr-defined]
    wait_idle(page)  # the file is read as soon as it is chosen
    alert = page.get_by_test_id("stAlertContentError")  # type: ignore[attr-defined]
    alert.first.wait_for()
    text = alert.first.inner_text()
    assert "not a CSV" in text or "binary" in text.lower() or "image" in text.lower(), text
    body = page.inner_text("body")  # type: ignore[attr-defined]
    assert "Traceback" not in body and 'File "/' not in body
    assert page.get_by_test_id("stException").count() == 0  # type: ignore[attr-defined]
    screenshot(page, "bad-upload")
