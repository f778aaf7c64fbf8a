from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture
def open_page(data_dir: Path) -> Callable[[str], AppTest]:
    """Run the real app (router + sidebar) and switch to ``stem``'s page; "" is home."""

    def _open(stem: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.run()
        if stem:
            at.switch_page(f"../pages/{stem}.py")
            at.run()
        assert not at.exception, at.exception
        return at

    return _open
