"""Settings come from the shell or from the project's .env, the shell winning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.azure.cloud import cloud_from_environment
from core.settings import load_dotenv_file, load_settings


def test_dotenv_fills_what_the_shell_left_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        "# kept out of the shell\n"
        "export AZURE_SUBSCRIPTION_ID='11111111-2222-4333-8444-555555555555'\n"
        "AZML_AZURE_CLOUD=AzureUSGovernment\n"
        "AZML_BACKEND=azure\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AZML_BACKEND", "local")  # the shell's value wins over .env's
    for key in ("AZURE_SUBSCRIPTION_ID", "AZML_AZURE_CLOUD"):
        monkeypatch.setenv(key, "")  # registered for undo by monkeypatch, then removed
        monkeypatch.delenv(key)
    assert load_dotenv_file(tmp_path)
    assert os.environ["AZURE_SUBSCRIPTION_ID"] == "11111111-2222-4333-8444-555555555555"
    settings = load_settings()
    assert settings.subscription_id == "11111111-2222-4333-8444-555555555555"
    assert settings.backend == "local"
    assert cloud_from_environment().resource_manager == "https://management.usgovcloudapi.net/"


def test_no_dotenv_is_fine(tmp_path: Path) -> None:
    assert load_dotenv_file(tmp_path) is False
