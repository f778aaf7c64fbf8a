"""Registered model versions: the version type, reading them from the registry, comparing them.

The tags a version carries are named in :mod:`core.mlflow_layout`. MLflow is imported inside
the functions: importing it takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.errors import NotFoundError, UserFacingError
from core.mlflow_layout import (
    MLFLOW_PREFIX,
    RECORDED_VERSION_TAGS,
    VERSION_DATASET,
    VERSION_DATASET_VERSION,
    VERSION_FAMILY,
    VERSION_GOAL,
    VERSION_METRIC_PREFIX,
    VERSION_PRIMARY,
    VERSION_SWEEP,
    VERSION_TASK,
    VERSION_TRIAL,
)
from core.naming import MODEL, validate_asset_name

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

CHAMPION = "champion"


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: int
    aliases: tuple[str, ...]
    description: str
    source: str  # where the model's files are (the logged model's artifact location)
    run_id: str | None
    created_at: str  # ISO 8601, UTC
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        """The cross-validated metrics recorded in the tags."""
        found = {}
        for key, value in self.tags.items():
            if key.startswith(VERSION_METRIC_PREFIX):
                try:
                    found[key.removeprefix(VERSION_METRIC_PREFIX)] = float(value)
                except ValueError:
                    continue
        return found

    @property
    def sweep_id(self) -> str | None:
        return self.tags.get(VERSION_SWEEP)

    @property
    def trial_number(self) -> int | None:
        text = self.tags.get(VERSION_TRIAL, "")
        return int(text) if text.lstrip("-").isdigit() else None

    @property
    def dataset(self) -> tuple[str, int] | None:
        name, version = self.tags.get(VERSION_DATASET), self.tags.get(VERSION_DATASET_VERSION, "")
        return (name, int(version)) if name and version.isdigit() else None

    @property
    def family(self) -> str:
        return self.tags.get(VERSION_FAMILY, "")

    @property
    def task(self) -> str:
        return self.tags.get(VERSION_TASK, "")

    @property
    def label(self) -> str:
        alias = f" @{', @'.join(self.aliases)}" if self.aliases else ""
        return f"{self.name} v{self.version}{alias}"


def default_model_name(family: str, trial_number: int | None = None) -> str:
    """``best_<family>`` for a sweep's best trial (None); ``<family>_trial<N>`` for another trial."""
    return f"best_{family}" if trial_number is None else f"{family}_trial{int(trial_number)}"


def _score(version: RegisteredVersion) -> tuple[str, str, float] | None:
    """The version's primary metric, its goal and its cross-validated value, from its tags."""
    import math

    from core.train.metrics import metric_goal

    metric = version.tags.get(VERSION_PRIMARY, "")
    value = version.metrics.get(metric)
    if not metric or value is None or math.isnan(value):
        return None
    goal = version.tags.get(VERSION_GOAL, "")
    if goal not in ("maximize", "minimize"):  # versions registered before the goal was recorded
        try:
            goal = metric_goal(metric)
        except UserFacingError:
            return None
    return metric, goal, value


def beats(candidate: RegisteredVersion, incumbent: RegisteredVersion | None) -> bool:
    """Whether ``candidate`` should take the champion alias from ``incumbent``: strictly better by
    the same recorded metric and goal. A version without a comparable score never takes it from
    one that has a champion already."""
    if incumbent is None:
        return True
    new, old = _score(candidate), _score(incumbent)
    if new is None:
        return False
    if old is None:
        return True
    (metric, goal, value), (old_metric, old_goal, old_value) = new, old
    if (metric, goal) != (old_metric, old_goal):
        return False
    return value > old_value if goal == "maximize" else value < old_value


def validate_model_name(name: str) -> str:
    """An Azure ML model name (``core.naming.MODEL``); a bad one raises ``InvalidNameError``."""
    return validate_asset_name(MODEL, name)


def client_for(tracking_uri: str) -> MlflowClient:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri)


def _to_version(mv: ModelVersion, aliases: list[str] | None = None) -> RegisteredVersion:
    stamp = datetime.fromtimestamp((mv.creation_timestamp or 0) / 1000, UTC).isoformat(timespec="seconds")
    return RegisteredVersion(
        name=str(mv.name),
        version=int(mv.version),
        aliases=tuple(sorted(mv.aliases or aliases or [])),
        description=str(mv.description or ""),
        source=str(mv.source),
        run_id=mv.run_id,
        created_at=stamp,
        tags=dict(mv.tags or {}),
    )


def list_models(tracking_uri: str) -> list[str]:
    """The registered model names of the workspace, sorted."""
    return sorted(str(m.name) for m in client_for(tracking_uri).search_registered_models(max_results=1000))


def newest_model(tracking_uri: str) -> str | None:
    """The registered model whose latest version was created last, or None when nothing is registered."""
    found = client_for(tracking_uri).search_model_versions(
        max_results=1, order_by=["creation_timestamp DESC"]
    )
    return str(found[0].name) if found else None


def model_versions(tracking_uri: str, name: str) -> list[RegisteredVersion]:
    """Every version of a registered model, oldest first, with aliases and tags."""
    from mlflow.exceptions import MlflowException

    client = client_for(tracking_uri)
    try:
        model = client.get_registered_model(name)
    except MlflowException:
        return []
    by_version: dict[str, list[str]] = {}
    for alias, version in (model.aliases or {}).items():  # searching versions leaves aliases out
        by_version.setdefault(str(version), []).append(alias)
    found = client.search_model_versions(f"name = '{name.replace(chr(39), '')}'", max_results=10000)
    return sorted((_to_version(mv, by_version.get(str(mv.version))) for mv in found), key=lambda v: v.version)


def get_version(tracking_uri: str, name: str, version: int | str) -> RegisteredVersion:
    """One version, by number or by alias (``"champion"``)."""
    from mlflow.exceptions import MlflowException

    client = client_for(tracking_uri)
    try:
        if isinstance(version, str) and not version.isdigit():
            mv = client.get_model_version_by_alias(name, version)
        else:
            mv = client.get_model_version(name, str(version))
    except MlflowException:
        raise NotFoundError(
            f"The registry has no version {version} of model '{name}'.", "Pick a registered version."
        ) from None
    return _to_version(mv)


def download_model(tracking_uri: str, name: str, version: int, destination: str) -> str:
    """Copy a registered version's MLflow model folder to ``destination``; returns its path."""
    uri = client_for(tracking_uri).get_model_version_download_uri(name, str(version))
    if uri.startswith("file://"):  # the local store: a plain copy, without MLflow's progress bar
        import shutil
        from pathlib import Path
        from urllib.parse import unquote, urlparse

        source = Path(unquote(urlparse(uri).path))
        target = Path(destination) / "model"
        shutil.copytree(source, target)
        return str(target)
    import mlflow.artifacts

    return str(
        mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=destination, tracking_uri=tracking_uri)
    )


def input_columns(tracking_uri: str, name: str, version: int) -> list[str] | None:
    """The input columns of a version's signature (None when they cannot be read)."""
    import tempfile
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    from core.endpoint.model import MLMODEL, signature_of

    uri = client_for(tracking_uri).get_model_version_download_uri(name, str(int(version)))
    try:
        if uri.startswith("file://"):
            return [c.name for c in signature_of(Path(unquote(urlparse(uri).path)))]
        import mlflow.artifacts

        with tempfile.TemporaryDirectory() as folder:
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"{uri.rstrip('/')}/{MLMODEL}", dst_path=folder, tracking_uri=tracking_uri
            )
            return [c.name for c in signature_of(Path(folder))]
    except (UserFacingError, OSError):
        return None


def user_tags(version: RegisteredVersion) -> dict[str, str]:
    """The tags a user added (not the ones recorded at registration, nor MLflow's)."""
    return {
        k: t
        for k, t in version.tags.items()
        if k not in RECORDED_VERSION_TAGS and not k.startswith((VERSION_METRIC_PREFIX, MLFLOW_PREFIX))
    }


def comparison_rows(versions: list[RegisteredVersion]) -> list[dict[str, Any]]:
    """One row per version for a comparison table: version, aliases, trial, every metric (the
    primary metric first), then where it came from."""
    primary = {v.tags.get(VERSION_PRIMARY, "") for v in versions}
    names = sorted({m for v in versions for m in v.metrics}, key=lambda m: (m not in primary, m))
    rows = []
    for v in versions:
        row: dict[str, Any] = {"version": v.version, "aliases": ", ".join(v.aliases), "trial": v.trial_number}
        row |= {m: v.metrics.get(m) for m in names}
        row |= {
            "dataset": f"{v.dataset[0]} v{v.dataset[1]}" if v.dataset else "",
            "sweep": v.sweep_id or "",
            "registered (UTC)": v.created_at.replace("T", " ")[:19],
            "your tags": ", ".join(f"{k}={t}" for k, t in sorted(user_tags(v).items())),
        }
        rows.append(row)
    return rows
