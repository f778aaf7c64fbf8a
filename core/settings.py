"""Where the local backend keeps its state, and other process-wide settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "AZML_DATA_DIR"
BACKEND_ENV = "AZML_BACKEND"
SUBSCRIPTION_ENV = "AZURE_SUBSCRIPTION_ID"
# Upper bound, in seconds, on how long a local compute cluster stays warm after a sweep (its
# idle seconds before scale-down otherwise); 0 scales every local cluster to zero at once.
WARM_CLUSTER_MAX_ENV = "AZML_WARM_CLUSTER_MAX_S"
# The local backend has no subscription. The nil GUID says so plainly in config.json.
LOCAL_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    backend: str
    subscription_id: str


DOTENV_FILE = ".env"  # in the project folder: settings kept out of the shell (never committed)


def load_dotenv_file(folder: Path = PROJECT_ROOT) -> bool:
    """Read ``folder/.env`` into the environment once at start, without overriding what the
    shell set (python-dotenv's rules: ``KEY=value``, ``export KEY=value``, quotes, comments).
    Every setting below, the cloud's and the subscription's included, then comes from either."""
    from dotenv import load_dotenv

    return bool(load_dotenv(folder / DOTENV_FILE, override=False))


def load_settings() -> Settings:
    """Read the settings from the environment; every value has a working default."""
    data_dir = Path(os.environ.get(DATA_DIR_ENV) or PROJECT_ROOT / ".data").expanduser().resolve()
    return Settings(
        data_dir=data_dir,
        backend=os.environ.get(BACKEND_ENV, "local").strip().lower() or "local",
        subscription_id=os.environ.get(SUBSCRIPTION_ENV, "").strip() or LOCAL_SUBSCRIPTION_ID,
    )


def warm_seconds(idle_seconds: float) -> float:
    """How long a local cluster stays warm after a sweep: its idle seconds before scale-down,
    capped by ``AZML_WARM_CLUSTER_MAX_S`` when that is set to a number."""
    cap = os.environ.get(WARM_CLUSTER_MAX_ENV, "").strip()
    try:
        return max(0.0, min(float(idle_seconds), float(cap))) if cap else max(0.0, float(idle_seconds))
    except ValueError:
        return max(0.0, float(idle_seconds))
