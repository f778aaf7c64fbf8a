"""Registering a sweep's model as a new version, and the user's changes: aliases and tags.

MLflow is imported inside the functions: importing it takes seconds.
"""

from __future__ import annotations

import json
import threading
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
from core.registry.versions import (
    CHAMPION,
    RegisteredVersion,
    beats,
    client_for,
    default_model_name,
    get_version,
    validate_model_name,
)

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from core.engine.job import SweepJob

_FLUENT = threading.Lock()  # MLflow's fluent API uses one process-wide tracking URI


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
    client = client_for(tracking_uri)
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
    client_for(tracking_uri).set_registered_model_alias(name, alias, str(int(version)))
    return get_version(tracking_uri, name, int(version))


def set_version_tag(tracking_uri: str, name: str, version: int, key: str, value: str) -> RegisteredVersion:
    """Add or change a tag of the user's on a version; the tags the registry recorded stay as they are."""
    key, value = check_user_tag(key, value)
    get_version(tracking_uri, name, int(version))
    client_for(tracking_uri).set_model_version_tag(name, str(int(version)), key, value)
    return get_version(tracking_uri, name, int(version))


def check_user_tag(key: str, value: str) -> tuple[str, str]:
    """A tag a user may set on a version (stripped); the recorded ones, an empty key or a too
    long tag raise. Both backends check through here."""
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
    return key, value


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
        filter_string=(f"tags.`{TAG_PARENT}` = '{job.run_id}' and tags.{TAG_TRIAL} = '{int(trial_number)}'"),
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
    client_for(tracking_uri).set_terminated(
        run_id, status=trial_run.info.status, end_time=trial_run.info.end_time
    )
    return str(info.model_uri)
