"""The workspace's model registry (MLflow): register a sweep's model, version it, tag it, alias it.

Registering a trial of a finished sweep creates a new version of a registered model (by default
``best_<model family>`` for the sweep's best trial, ``<family>_trial<N>`` for another), with:

- tags: the sweep id, the trial number and its MLflow run, the dataset it was trained on, the
  family, the primary metric and its goal, and each cross-validated metric as ``metric.<name>``
  (their names are in :mod:`core.mlflow_layout`);
- a description in words;
- the alias ``champion`` moved to the new version only when it beats the current champion by the
  recorded primary metric and goal (or when there is none). The user may move it to any version.

Users may add tags of their own; the tags recorded here are read-only.

The sweep's best trial was refit on the whole train split when the sweep ended; its model is
registered as it is. Any other completed trial is refit now with its own hyperparameters (the
same :func:`core.train.trainer.fit_final` call) and its model logged on the trial's run, once.

MLflow is imported inside the functions: importing it takes seconds.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.errors import NotFoundError, UserFacingError
from core.mlflow_layout import (
    MLFLOW_PREFIX,
    RECORDED_VERSION_TAGS,
    TAG_PARAMS_JSON,
    TAG_PARENT,
    TAG_REFIT_MODEL_URI,
    TAG_STATUS,
    TAG_TRIAL,
    VERSION_DATASET,
    VERSION_DATASET_VERSION,
    VERSION_FAMILY,
    VERSION_GOAL,
    VERSION_METRIC_PREFIX,
    VERSION_PARAMS,
    VERSION_PRIMARY,
    VERSION_SWEEP,
    VERSION_TASK,
    VERSION_TRIAL,
    VERSION_TRIAL_RUN,
)
from core.naming import MODEL, validate_asset_name

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

    from core.engine.job import SweepJob

__all__ = [
    "CHAMPION",
    "RegisteredVersion",
    "comparison_rows",
    "default_model_name",
    "beats",
    "get_version",
    "list_models",
    "model_versions",
    "newest_model",
    "register_sweep_model",
    "set_alias",
    "set_version_tag",
    "user_tags",
    "validate_model_name",
]

CHAMPION = "champion"
_FLUENT = threading.Lock()  # MLflow's fluent API uses one process-wide tracking URI


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


def _client(tracking_uri: str) -> MlflowClient:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri)


def register_sweep_model(
    tracking_uri: str,
    job: SweepJob,
    *,
    trial_number: int | None = None,
    name: str | None = None,
    description: str | None = None,
    alias: str = CHAMPION,
) -> RegisteredVersion:
    """Register the model of one trial of a finished sweep (default: the best trial)."""
    from mlflow.exceptions import MlflowException

    if job.state in ("starting", "running") or not job.run_id:
        raise UserFacingError(
            f"Sweep '{job.id}' has not finished yet.", "Register a model once it has finished."
        )
    if not job.model_uri or not job.best_run_id:
        raise UserFacingError(
            f"Sweep '{job.id}' has no model: no trial completed.",
            "Run a sweep in which at least one trial completes.",
        )
    spec = job.spec
    family, primary = str(spec["model_family"]), str(spec["primary_metric"])
    client = _client(tracking_uri)
    trial_run = _trial_run(client, job, trial_number)
    number = int(trial_run.data.tags.get(TAG_TRIAL, "-1"))
    is_best = trial_run.info.run_id == job.best_run_id
    name = validate_model_name(name or default_model_name(family, None if is_best else number))
    if is_best:
        model_uri, source_run = job.model_uri, job.run_id
    else:
        model_uri, source_run = _refit_trial(tracking_uri, job, trial_run), trial_run.info.run_id
    metrics = {
        key.removesuffix("_mean"): value
        for key, value in trial_run.data.metrics.items()
        if key.endswith("_mean")
    }
    tags = {
        VERSION_SWEEP: job.id,
        VERSION_TRIAL: str(number),
        VERSION_TRIAL_RUN: trial_run.info.run_id,
        VERSION_DATASET: job.dataset,
        VERSION_DATASET_VERSION: str(job.dataset_version),
        VERSION_FAMILY: family,
        VERSION_TASK: str(spec.get("task", "")),
        VERSION_PRIMARY: primary,
        VERSION_GOAL: str(spec.get("goal") or ""),
        VERSION_PARAMS: trial_run.data.tags.get(TAG_PARAMS_JSON, "{}"),
        **{f"{VERSION_METRIC_PREFIX}{key}": f"{value:.6g}" for key, value in sorted(metrics.items())},
    }
    score = metrics.get(primary)
    text = description or (
        f"{family.replace('_', ' ').capitalize()} from sweep {job.id}, trial {number}"
        + (f": {primary} {score:.4f} (cross-validated)" if score is not None else "")
        + f"; refit on the train split of {job.dataset} v{job.dataset_version}."
    )
    try:
        client.create_registered_model(name, description=f"Models registered from sweeps of {family}.")
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
    source, model_id = _storage(client, model_uri)
    created = client.create_model_version(
        name, source=source, run_id=source_run, tags=tags, description=text, model_id=model_id
    )
    version = get_version(tracking_uri, name, int(created.version))
    if alias and beats(version, _aliased(tracking_uri, name, alias)):
        client.set_registered_model_alias(name, alias, str(created.version))
        version = get_version(tracking_uri, name, version.version)
    return version


def _aliased(tracking_uri: str, name: str, alias: str) -> RegisteredVersion | None:
    try:
        return get_version(tracking_uri, name, alias)
    except NotFoundError:
        return None


def set_alias(tracking_uri: str, name: str, version: int, alias: str = CHAMPION) -> RegisteredVersion:
    """Point ``alias`` at ``version`` (the user's choice: no comparison)."""
    get_version(tracking_uri, name, int(version))  # a clear error for a missing version
    _client(tracking_uri).set_registered_model_alias(name, alias, str(int(version)))
    return get_version(tracking_uri, name, int(version))


def set_version_tag(tracking_uri: str, name: str, version: int, key: str, value: str) -> RegisteredVersion:
    """Add or change a tag of the user's on a version; the tags the registry recorded stay as they are."""
    key, value = key.strip(), value.strip()
    if not key:
        raise UserFacingError("The tag's key is empty.", "Type a key, such as 'reviewer' or 'stage'.")
    if key in RECORDED_VERSION_TAGS or key.startswith((VERSION_METRIC_PREFIX, MLFLOW_PREFIX)):
        raise UserFacingError(
            f"The tag '{key}' is recorded by the registry when a version is registered.",
            "Pick another key: this one says where the version came from.",
        )
    if len(key) > 250 or len(value) > 5000:
        raise UserFacingError(
            "The tag is too long.", "Keep the key under 250 characters and the value under 5,000."
        )
    get_version(tracking_uri, name, int(version))
    _client(tracking_uri).set_model_version_tag(name, str(int(version)), key, value)
    return get_version(tracking_uri, name, int(version))


def _storage(client: MlflowClient, model_uri: str) -> tuple[str, str | None]:
    """The logged model's artifact location and id. MLflow's SQL registry would resolve a
    ``models:/m-...`` source through the process-wide tracking URI, not this client's."""
    if not model_uri.startswith("models:/m-"):
        return model_uri, None
    model_id = model_uri.removeprefix("models:/")
    return str(client.get_logged_model(model_id).artifact_location), model_id


def _trial_run(client: MlflowClient, job: SweepJob, trial_number: int | None) -> Any:
    if trial_number is None:
        assert job.best_run_id is not None
        return client.get_run(job.best_run_id)
    parent = client.get_run(str(job.run_id))
    runs = client.search_runs(
        [parent.info.experiment_id],
        filter_string=(
            f"tags.`{TAG_PARENT}` = '{job.run_id}' and tags.{TAG_TRIAL} = '{int(trial_number)}'"
        ),
        max_results=5,
    )
    if not runs:
        raise NotFoundError(f"Sweep '{job.id}' has no trial {trial_number}.", "Pick one of its trials.")
    run = runs[0]
    if run.data.tags.get(TAG_STATUS, "completed") != "completed":
        raise UserFacingError(
            f"Trial {trial_number} of sweep '{job.id}' did not complete "
            f"({run.data.tags.get(TAG_STATUS)}), so it has no model to register.",
            "Pick a completed trial.",
        )
    return run


def _refit_trial(tracking_uri: str, job: SweepJob, trial_run: Any) -> str:
    """The trial's configuration refit on the whole train split, logged on the trial's run once."""
    existing = trial_run.data.tags.get(TAG_REFIT_MODEL_URI)
    if existing:
        return str(existing)
    import mlflow
    import pandas as pd
    from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

    from core.data.schema import Schema
    from core.train.tracking import log_model
    from core.train.trainer import fit_final

    params = json.loads(trial_run.data.tags.get(TAG_PARAMS_JSON, "{}"))
    frame = pd.read_csv(job.train_csv)
    schema = Schema.from_dict(job.schema)
    pipeline = fit_final(frame, schema, str(job.spec["model_family"]), params, int(job.spec.get("seed") or 0))
    run_id = trial_run.info.run_id
    with _FLUENT:
        previous = mlflow.get_tracking_uri() if is_tracking_uri_set() else None  # type: ignore[no-untyped-call]
        mlflow.set_tracking_uri(tracking_uri)
        try:
            with mlflow.start_run(run_id=run_id):
                info = log_model(pipeline, frame.head(500), name="model")
                mlflow.set_tag(TAG_REFIT_MODEL_URI, info.model_uri)
        finally:
            mlflow.set_tracking_uri(previous)  # type: ignore[arg-type]  # None: unset again, as it was
    # start_run(run_id=...) re-ended the trial's run: put its status and end time back
    _client(tracking_uri).set_terminated(
        run_id, status=trial_run.info.status, end_time=trial_run.info.end_time
    )
    return str(info.model_uri)


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
    return sorted(str(m.name) for m in _client(tracking_uri).search_registered_models(max_results=1000))


def newest_model(tracking_uri: str) -> str | None:
    """The registered model whose latest version was created last, or None when nothing is registered."""
    found = _client(tracking_uri).search_model_versions(max_results=1, order_by=["creation_timestamp DESC"])
    return str(found[0].name) if found else None


def model_versions(tracking_uri: str, name: str) -> list[RegisteredVersion]:
    """Every version of a registered model, oldest first, with aliases and tags."""
    from mlflow.exceptions import MlflowException

    client = _client(tracking_uri)
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

    client = _client(tracking_uri)
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
    uri = _client(tracking_uri).get_model_version_download_uri(name, str(version))
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

    uri = _client(tracking_uri).get_model_version_download_uri(name, str(int(version)))
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
