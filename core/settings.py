"""Where the local backend keeps its state, and other process-wide settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "AZML_DATA_DIR"
BACKEND_ENV = "AZML_BACKEND"
SUBSCRIPTION_ENV = "AZURE_SUBSCRIPTION_ID"
# The local backend has no subscription. The nil GUID says so plainly in config.json.
LOCAL_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    backend: str
    subscription_id: str


def load_settings() -> Settings:
    """Read the settings from the environment; every value has a working default."""
    data_dir = Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / ".data").expanduser().resolve()
    return Settings(
        data_dir=data_dir,
        backend=os.environ.get(BACKEND_ENV, "local").strip().lower() or "local",
        subscription_id=os.environ.get(SUBSCRIPTION_ENV, "").strip() or LOCAL_SUBSCRIPTION_ID,
    )
