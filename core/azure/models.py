"""The azure backend's ``ModelsAPI``: a sweep trial's MLflow model registered as a model version
of the workspace, with azure-ai-ml.

What a version is on Azure (issue 17, decisions 1 and 2):

- **The files**: every completed trial of an Azure sweep logged its MLflow model ``model``
  (``core.azure.sweeps``), so a version is registered at the trial job's output,
  ``azureml://jobs/<trial job>/outputs/artifacts/paths/model/``, type ``mlflow_model``: nothing is
  uploaded or refit. ``RegisteredVersion.source`` is that path and ``run_id`` the trial's job name
  (its MLflow run id).
- **The tags**: the same keys as on the local backend (``core.mlflow_layout``: sweep, trial, trial
  run, dataset, family, task, primary metric, goal, hyperparameters, ``metric.<name>`` per
  cross-validated metric), read from the trial's run in the workspace's MLflow.
- **The version number**: the next integer after the highest version of the model (archived ones
  count too), passed explicitly so the tags and the snippet name it.
- **The champion**: Azure ML has no model aliases, so the champion is the tag ``champion=true`` on
  one version (:data:`CHAMPION_TAG`); ``RegisteredVersion.aliases`` shows it as ``("champion",)``
  and its ``tags`` leave it out, so the pages show it as on the local backend. A move tags the new
  holder FIRST, then untags the others: a failure in between leaves two holders, never none, and
  a refusal (a missing job, a bad path) never loses the champion. Readers resolve two holders
  to the one tagged last (``last_modified_at``), which is where the interrupted move was going;
  the next move untags every other holder. Only ``champion`` can be set as an alias: any other
  alias is refused (Azure has none to store it in, and a tag of the user's says the same through
  ``set_model_version_tag``). ``champion`` is a recorded tag there.

REST calls per method (against the fake, counted in ``tests/azure/test_models.py``):
``model_versions`` 1 (the versions list), ``registered_models`` 1 (the containers list),
``newest_model`` 1 + one GET per model (its latest version), ``set_model_version_tag`` 3 (the
version, then azure-ai-ml's create_or_update: its latest-version check and the PUT),
``set_model_alias`` 1 + 2 per version whose tag changes, ``register_model`` the workspace and
the sweep job (2), the sweep's runs in MLflow (2), the versions (1), the PUT (2) and 2 more per
former champion untagged. A missing workspace costs one more GET (to say so).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from core.azure.lookups import WorkspaceArg, or_missing
from core.azure.sweeps import (
    AzureSweepsMixin,
    _by_start,
    _child_runs,
    _parent_run,
    trial_number,
    trial_status,
)
from core.backend import SweepInfo, WorkspaceRef
from core.codegen.register import AzureRegistration, model_fields
from core.errors import NotFoundError, UserFacingError
from core.mlflow_layout import (
    TAG_PARAMS_JSON,
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
from core.registry.versions import CHAMPION, RegisteredVersion, beats, default_model_name, validate_model_name

if TYPE_CHECKING:
    from azure.ai.ml.entities import Model
    from mlflow.entities import Run

CHAMPION_TAG = CHAMPION  # the tag that marks the champion on Azure (value "true")
CHAMPION_VALUE = "true"


def is_champion(model: Model) -> bool:
    return str((model.tags or {}).get(CHAMPION_TAG, "")).lower() == CHAMPION_VALUE


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if value:
        try:
            return _when(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
        except ValueError:
            pass
    return datetime.fromtimestamp(0, UTC)


def _created(model: Model) -> datetime:
    return _when(getattr(model.creation_context, "created_at", None))


def _modified(model: Model) -> datetime:
    context = model.creation_context
    return _when(getattr(context, "last_modified_at", None) or getattr(context, "created_at", None))


def champion_of(models: Sequence[Model]) -> Model | None:
    """The version holding the champion tag; of two (an interrupted move), the one tagged last."""
    holders = [m for m in models if is_champion(m)]
    return max(holders, key=lambda m: (_modified(m), int(str(m.version)))) if holders else None


def to_version(model: Model, champion: bool) -> RegisteredVersion:
    """An azure-ai-ml ``Model`` as the pages see a version (the champion tag as the alias)."""
    tags = {str(k): str(v) for k, v in (model.tags or {}).items() if k != CHAMPION_TAG}
    return RegisteredVersion(
        name=str(model.name),
        version=int(str(model.version)),
        aliases=(CHAMPION,) if champion else (),
        description=str(model.description or ""),
        source=str(model.path or ""),
        run_id=str(getattr(model, "job_name", None) or tags.get(VERSION_TRIAL_RUN) or "") or None,
        created_at=_created(model).astimezone(UTC).isoformat(timespec="seconds"),
        tags=tags,
    )


def _missing_version(name: str, version: int | str) -> NotFoundError:
    return NotFoundError(
        f"The registry has no version {version} of model '{name}'.", "Pick a registered version."
    )


class AzureModelsMixin(AzureSweepsMixin):
    """Registered model versions, their tags and the champion tag (reads sweeps through
    ``AzureSweepsMixin`` and their trials through the workspace's MLflow)."""

    # -- reading --------------------------------------------------------------------------
    def registered_models(self, workspace: WorkspaceArg) -> list[str]:
        """The workspace's model names, sorted: one list call."""
        ref = self._workspace_ref(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        found = self.call(
            f"listing the models of workspace '{ref.name}'", or_missing(lambda: list(ml.models.list()), None)
        )
        if found is None:
            self._workspace(ref)  # says which workspace is missing
            return []
        return sorted(str(m.name) for m in found)

    def model_versions(self, workspace: WorkspaceArg, name: str) -> list[RegisteredVersion]:
        """Every version of a model, oldest first, the champion marked: one list call."""
        ref = self._workspace_ref(workspace)
        models = self._model_versions_of(ref, name)
        champion = champion_of(models)
        found = (to_version(m, m is champion) for m in models)
        return sorted(found, key=lambda v: v.version)

    def newest_model(self, workspace: WorkspaceArg) -> str | None:
        """The model whose latest version was created last (None when nothing is registered):
        the containers list, then each model's latest version."""
        ref = self._workspace_ref(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        listed = self.call(
            f"listing the models of workspace '{ref.name}'", or_missing(lambda: list(ml.models.list()), None)
        )
        if listed is None:
            self._workspace(ref)
            return None
        newest: tuple[datetime, str] | None = None
        for container in listed:
            name, latest = str(container.name), str(getattr(container, "latest_version", "") or "")
            if not latest:
                continue
            model = self.call(
                f"reading version {latest} of model '{name}'",
                or_missing(lambda n=name, v=latest: ml.models.get(n, v), None),  # type: ignore[misc]
            )
            if model is not None and (newest is None or _created(model) > newest[0]):
                newest = (_created(model), name)
        return newest[1] if newest else None

    def _model_versions_of(self, ref: WorkspaceRef, name: str) -> list[Model]:
        """Every version of ``name``, archived ones too (one list call); [] for no such model.
        A missing workspace is said (one more GET)."""
        from azure.ai.ml.constants import ListViewType

        ml = self._ml(ref.resource_group, ref.name)

        def listed() -> list[Model]:
            return list(ml.models.list(name=name, list_view_type=ListViewType.ALL))

        found = self.call(f"listing the versions of model '{name}'", or_missing(listed, None))
        if found is None:
            self._workspace(ref)
            return []
        return found

    # -- registering ----------------------------------------------------------------------
    def register_model(
        self,
        workspace: WorkspaceArg,
        sweep_id: str,
        trial_number: int | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> RegisteredVersion:
        """Register a finished sweep's trial model (default: its best trial) as the model's next
        version; it becomes the champion when it is the first or strictly better (``beats``)."""
        if name is not None:
            validate_model_name(name)  # a bad name is said before anything is read
        ref, ws = self._workspace(workspace)
        info = self._info(ref, ws, self._sweep(ref, sweep_id), nodes=None)
        if info.state in ("starting", "running"):
            raise UserFacingError(
                f"Sweep '{sweep_id}' has not finished yet.", "Register a model once it has finished."
            )
        if not info.best_run_id:
            raise UserFacingError(
                f"Sweep '{sweep_id}' has no model: no trial completed.",
                "Run a sweep in which at least one trial completes.",
            )
        run, number = self._trial_run(info, trial_number)
        is_best = run.info.run_id == info.best_run_id
        family = str(info.spec.get("model_family") or "")
        name = validate_model_name(name or default_model_name(family, None if is_best else number))
        tags, text = _recorded(info, run, number)
        existing = self._model_versions_of(ref, name)
        version = max((int(str(m.version)) for m in existing if str(m.version).isdigit()), default=0) + 1
        candidate = RegisteredVersion(name, version, (), description or text, "", run.info.run_id, "", tags)
        incumbent = champion_of(existing)
        crown = beats(candidate, None if incumbent is None else to_version(incumbent, True))
        reg = AzureRegistration(
            name,
            version,
            run.info.run_id,
            description or text,
            tags | ({CHAMPION_TAG: CHAMPION_VALUE} if crown else {}),
        )
        created = self._put(
            ref, self._model(model_fields(reg)), f"registering version {version} of model '{name}'"
        )
        if crown:
            self._untag_others(ref, existing, keep=None)
        return to_version(created, crown)

    def _trial_run(self, info: SweepInfo, number: int | None) -> tuple[Run, int]:
        """The trial's MLflow run (the best trial's for None) and its number, among the sweep's
        child runs: the parent run and one search of its children."""
        from core.trials.store import client

        mlflow = client(info.tracking_uri)

        def runs() -> list[Run]:
            parent = _parent_run(mlflow, info.id)
            return (
                [] if parent is None else _by_start(_child_runs(mlflow, parent.info.experiment_id, info.id))
            )

        try:
            children = runs()
        except UserFacingError:
            raise
        except Exception as exc:  # noqa: BLE001 - MLflow's REST and network failures
            from core.azure.tracking import explain_failure

            raise explain_failure(info.tracking_uri, exc, "reading the trials of") from None
        numbered = [(trial_number(r.info.run_id, i), r) for i, r in enumerate(children)]
        if number is None:
            found = next(((n, r) for n, r in numbered if r.info.run_id == info.best_run_id), None)
            if found is None:
                raise NotFoundError(
                    f"Sweep '{info.id}' names trial run '{info.best_run_id}' as its best, but its "
                    "MLflow runs do not hold it.",
                    "Open the sweep on the Trials page and pick a trial to register.",
                )
        else:
            found = next(((n, r) for n, r in numbered if n == int(number)), None)
            if found is None:
                raise NotFoundError(f"Sweep '{info.id}' has no trial {number}.", "Pick one of its trials.")
        n, run = found
        status = trial_status(run, info.provider_state in ("Canceled", "CancelRequested"))
        if status != "completed":
            raise UserFacingError(
                f"Trial {n} of sweep '{info.id}' did not complete ({status}), "
                "so it has no model to register.",
                "Pick a completed trial.",
            )
        return run, n

    # -- the user's changes -----------------------------------------------------------------
    def set_model_alias(
        self, workspace: WorkspaceArg, name: str, version: int, alias: str = CHAMPION
    ) -> RegisteredVersion:
        """Make ``version`` the champion (the user's choice: no comparison)."""
        if alias != CHAMPION:
            raise UserFacingError(
                f"Azure ML has no model aliases, so '{alias}' cannot be set; on Azure this dashboard "
                f"marks only the champion (with the tag '{CHAMPION_TAG}').",
                "Make this version the champion, or add a tag of your own to it (such as stage=staging).",
            )
        ref = self._workspace_ref(workspace)
        existing = self._model_versions_of(ref, name)
        target = next((m for m in existing if str(m.version) == str(int(version))), None)
        if target is None:
            raise _missing_version(name, version)
        if not is_champion(target) or champion_of(existing) is not target:
            target.tags = {**(target.tags or {}), CHAMPION_TAG: CHAMPION_VALUE}
            target = self._put(ref, target, f"making version {version} of model '{name}' the champion")
        self._untag_others(ref, existing, keep=int(version))
        return to_version(target, True)

    def set_model_version_tag(
        self, workspace: WorkspaceArg, name: str, version: int, key: str, value: str
    ) -> RegisteredVersion:
        """Add or change a tag of the user's; the recorded tags and the champion tag stay as they are."""
        from core.registry.register import check_user_tag

        key, value = check_user_tag(key, value)
        if key == CHAMPION_TAG:
            raise UserFacingError(
                f"The tag '{key}' is recorded by the registry: on Azure it marks the champion.",
                "Pick another key; make a version the champion with the champion button.",
            )
        ref = self._workspace_ref(workspace)
        ml = self._ml(ref.resource_group, ref.name)
        model = self.call(
            f"reading version {version} of model '{name}'",
            or_missing(lambda: ml.models.get(name, str(int(version))), None),
        )
        if model is None:
            self._workspace(ref)
            raise _missing_version(name, version)
        model.tags = {**(model.tags or {}), key: value}
        saved = self._put(ref, model, f"tagging version {version} of model '{name}'")
        return to_version(saved, is_champion(saved))

    # -- writing ----------------------------------------------------------------------------
    @staticmethod
    def _model(fields: dict[str, Any]) -> Model:
        from azure.ai.ml.entities import Model

        return Model(**fields)

    def _put(self, ref: WorkspaceRef, model: Model, doing: str) -> Model:
        ml = self._ml(ref.resource_group, ref.name)
        saved: Model = self.call(doing, lambda: ml.models.create_or_update(model))
        return saved

    def _untag_others(self, ref: WorkspaceRef, existing: Sequence[Model], keep: int | None) -> None:
        """Take the champion tag off every version but ``keep`` (after the new holder was tagged)."""
        for model in existing:
            if is_champion(model) and int(str(model.version)) != keep:
                model.tags = {k: v for k, v in (model.tags or {}).items() if k != CHAMPION_TAG}
                self._put(
                    ref, model, f"moving the champion off version {model.version} of model '{model.name}'"
                )


def _recorded(info: SweepInfo, run: Run, number: int) -> tuple[dict[str, str], str]:
    """The recorded tags of a version (the local backend's keys) and its default description."""
    spec = info.spec
    family, primary = str(spec.get("model_family") or ""), str(spec.get("primary_metric") or "")
    metrics = {k.removesuffix("_mean"): v for k, v in run.data.metrics.items() if k.endswith("_mean")}
    params = run.data.tags.get(TAG_PARAMS_JSON) or json.dumps(dict(run.data.params), sort_keys=True)
    tags = {
        VERSION_SWEEP: info.id,
        VERSION_TRIAL: str(number),
        VERSION_TRIAL_RUN: run.info.run_id,
        VERSION_DATASET: info.dataset,
        VERSION_DATASET_VERSION: str(info.dataset_version),
        VERSION_FAMILY: family,
        VERSION_TASK: str(spec.get("task", "")),
        VERSION_PRIMARY: primary,
        VERSION_GOAL: str(spec.get("goal") or ""),
        VERSION_PARAMS: params,
        **{f"{VERSION_METRIC_PREFIX}{key}": f"{value:.6g}" for key, value in sorted(metrics.items())},
    }
    score = metrics.get(primary)
    text = (
        f"{family.replace('_', ' ').capitalize()} from sweep {info.id}, trial {number}"
        + (f": {primary} {score:.4f} (cross-validated)" if score is not None else "")
        + f"; refit on the train split of {info.dataset} v{info.dataset_version}."
    )
    return tags, text
