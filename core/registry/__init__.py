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

- :mod:`~core.registry.versions`: the :class:`RegisteredVersion` type, reading versions, the
  champion comparison and the comparison table;
- :mod:`~core.registry.register`: registering a sweep's model, and the user's aliases and tags.

MLflow is imported inside the functions: importing it takes seconds.
"""

from core.registry.register import register_sweep_model, set_alias, set_version_tag
from core.registry.versions import (
    CHAMPION,
    RegisteredVersion,
    beats,
    comparison_rows,
    default_model_name,
    download_model,
    get_version,
    input_columns,
    list_models,
    model_versions,
    newest_model,
    user_tags,
    validate_model_name,
)

__all__ = [
    "CHAMPION",
    "RegisteredVersion",
    "beats",
    "comparison_rows",
    "default_model_name",
    "download_model",
    "get_version",
    "input_columns",
    "list_models",
    "model_versions",
    "newest_model",
    "register_sweep_model",
    "set_alias",
    "set_version_tag",
    "user_tags",
    "validate_model_name",
]
