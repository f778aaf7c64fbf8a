"""The MLflow run layout of a sweep and of a registered model: every tag name in one place.

A sweep is a parent run, each trial a child run. The layout is shared with Azure ML sweeps
seen through MLflow, so the Trials page reads both.

- parent run: tags ``azml.sweep=true`` (:data:`TAG_SWEEP`), ``azml.sweep_id``, ``sampler``,
  ``primary_metric``, ``goal``, ``model_family``, ``task``, ``dataset``, ``spec_version``,
  ``best_child_run_id`` (as Azure's job property), ``trials_<status>`` (the counts, at the end),
  and ``refit_from_trial`` / ``refit_from_run`` (the trial the sweep's model was refit from);
  the spec as the ``sweep_spec.json`` artifact (:data:`SPEC_ARTIFACT`), the best value as
  metric ``best_<metric>``, the refit model as the logged model ``model``, and the out-of-fold
  predictions of the trial it was refit from as ``oof/<trial run id>.csv``
  (:func:`sweep_oof_artifact`, same format as :data:`OOF_ARTIFACT`; the Trials page adds the
  file of an older sweep's trial the first time it has to re-run it);
- child run (a trial): tag ``mlflow.parentRunId`` (:data:`TAG_PARENT`), ``trial_number``,
  ``draw`` (the index of its configuration among the sweep's draws, which a resume goes on
  from), ``sampler``, ``worker``, ``trial_status`` (completed / failed / early_terminated /
  canceled), ``early_terminated`` ("true" / "false"), ``folds_done``, ``model_family``, ``error``;
  params are the hyperparameters (``None`` written as "None") and the tag ``params_json`` keeps
  their exact types; metrics follow :mod:`core.train.tracking`. A trial whose every fold ran
  logs its out-of-fold predictions as the ``oof_predictions.csv`` artifact (:data:`OOF_ARTIFACT`:
  columns ``y_true``, ``y_pred`` and ``proba:<class>`` per class, rows in the train split's
  order; format in :mod:`core.train.predictions`), beside the model ``model``. A trial refit for the registry
  gets ``refit_model_uri``, so it is fitted once. ``mlflow.note.content`` (MLflow's own run
  description) holds the user's review note. A trial run as an Azure command job
  (``python -m core.train``) also tags ``primary_metric``, ``task``, ``folds``, ``seed``,
  ``target``, ``schema_source`` and ``params_json``.
- registered model version: tags ``sweep_id``, ``trial_number``, ``trial_run_id``, ``dataset``,
  ``dataset_version``, ``model_family``, ``task``, ``primary_metric``, ``goal``,
  ``hyperparameters`` (the trial's ``params_json``) and ``metric.<name>`` per cross-validated
  metric (:data:`RECORDED_VERSION_TAGS`: the user may not change them); MLflow's own tags start
  with ``mlflow.``.
"""

from __future__ import annotations

__all__ = [
    "MLFLOW_PREFIX",
    "OOF_ARTIFACT",
    "RECORDED_VERSION_TAGS",
    "SPEC_ARTIFACT",
    "SWEEP_OOF_FOLDER",
    "TAG_BEST",
    "TAG_DATASET",
    "TAG_DRAW",
    "TAG_EARLY_TERMINATED",
    "TAG_ERROR",
    "TAG_FAMILY",
    "TAG_FOLDS",
    "TAG_FOLDS_DONE",
    "TAG_GOAL",
    "TAG_NOTE",
    "TAG_PARAMS_JSON",
    "TAG_PARENT",
    "TAG_PRIMARY_METRIC",
    "TAG_REFIT_FROM_RUN",
    "TAG_REFIT_FROM_TRIAL",
    "TAG_REFIT_MODEL_URI",
    "TAG_SAMPLER",
    "TAG_SCHEMA_SOURCE",
    "TAG_SEED",
    "TAG_SPEC_VERSION",
    "TAG_STATUS",
    "TAG_SWEEP",
    "TAG_SWEEP_ID",
    "TAG_SWEEP_SPEC",
    "TAG_TARGET",
    "TAG_TASK",
    "TAG_TRIAL",
    "TAG_TRIALS_PREFIX",
    "TAG_WORKER",
    "sweep_oof_artifact",
    "VERSION_DATASET",
    "VERSION_DATASET_VERSION",
    "VERSION_FAMILY",
    "VERSION_GOAL",
    "VERSION_METRIC_PREFIX",
    "VERSION_PARAMS",
    "VERSION_PRIMARY",
    "VERSION_SWEEP",
    "VERSION_TASK",
    "VERSION_TRIAL",
    "VERSION_TRIAL_RUN",
]

MLFLOW_PREFIX = "mlflow."  # MLflow's own tags

# -- the sweep's parent run ------------------------------------------------------------------
TAG_SWEEP = "azml.sweep"  # "true": a sweep's parent run, never a trial
TAG_SWEEP_ID = "azml.sweep_id"
TAG_SAMPLER = "sampler"  # on the trials too
TAG_PRIMARY_METRIC = "primary_metric"
TAG_GOAL = "goal"
TAG_FAMILY = "model_family"  # on the trials too
TAG_TASK = "task"
TAG_DATASET = "dataset"
TAG_SPEC_VERSION = "spec_version"
TAG_BEST = "best_child_run_id"
TAG_TRIALS_PREFIX = "trials_"  # trials_<status>: how many trials ended with that status
TAG_REFIT_FROM_TRIAL = "refit_from_trial"
TAG_REFIT_FROM_RUN = "refit_from_run"
SPEC_ARTIFACT = "sweep_spec.json"
TAG_SWEEP_SPEC = "azml.sweep_spec"  # the spec as JSON, where it is no artifact (an Azure sweep job's tag)
SWEEP_OOF_FOLDER = "oof"  # a trial's out-of-fold predictions, kept on the parent run


def sweep_oof_artifact(trial_run_id: str) -> str:
    """Where the sweep's parent run keeps one trial's out-of-fold predictions."""
    return f"{SWEEP_OOF_FOLDER}/{trial_run_id}.csv"


# -- a trial's child run ---------------------------------------------------------------------
TAG_PARENT = "mlflow.parentRunId"
TAG_TRIAL = "trial_number"
TAG_DRAW = "draw"
TAG_WORKER = "worker"
TAG_PARAMS_JSON = "params_json"
TAG_STATUS = "trial_status"  # completed / failed / early_terminated / canceled
TAG_EARLY_TERMINATED = "early_terminated"  # "true" / "false"
TAG_FOLDS_DONE = "folds_done"
TAG_ERROR = "error"
TAG_REFIT_MODEL_URI = "refit_model_uri"  # the model refit from this trial, so it is fitted once
TAG_NOTE = "mlflow.note.content"  # MLflow's own run description, shown by its UI too
OOF_ARTIFACT = "oof_predictions.csv"  # out-of-fold predictions, when every fold ran
# and of an Azure command job's trial run (with TAG_PRIMARY_METRIC and TAG_TASK)
TAG_FOLDS = "folds"
TAG_SEED = "seed"
TAG_TARGET = "target"
TAG_SCHEMA_SOURCE = "schema_source"

# -- a registered model version --------------------------------------------------------------
VERSION_SWEEP = "sweep_id"
VERSION_TRIAL = "trial_number"
VERSION_TRIAL_RUN = "trial_run_id"
VERSION_DATASET = "dataset"
VERSION_DATASET_VERSION = "dataset_version"
VERSION_FAMILY = "model_family"
VERSION_TASK = "task"
VERSION_PRIMARY = "primary_metric"
VERSION_GOAL = "goal"
VERSION_PARAMS = "hyperparameters"
VERSION_METRIC_PREFIX = "metric."  # metric.<name>: one cross-validated metric
RECORDED_VERSION_TAGS = frozenset(  # the tags a user may not change
    (VERSION_SWEEP, VERSION_TRIAL, VERSION_TRIAL_RUN, VERSION_DATASET, VERSION_DATASET_VERSION)
    + (VERSION_FAMILY, VERSION_TASK, VERSION_PRIMARY, VERSION_GOAL, VERSION_PARAMS)
)
