"""The training layer: model families, metrics, the cross-validating trainer and its MLflow logging.

- :mod:`core.train.families` (with :mod:`~core.train.params`): model families per task, their
  typed hyperparameters and default search spaces.
- :mod:`core.train.metrics`: metric names, goals, and computing them on one fold.
- :mod:`core.train.preprocessing`: the schema's preprocessing (a ColumnTransformer) and its
  summary; :mod:`~core.codegen.preprocessing` writes it as paste-able Python.
- :mod:`core.train.trainer`: the one entry point (``build_pipeline``, ``cross_validate_trial``,
  ``fit_final``, ``log_model``), called as functions by local workers; built on
  :mod:`~core.train.pipeline`, :mod:`~core.train.folds` and :mod:`~core.train.target`.
- :mod:`core.train.setup`: :class:`~core.train.setup.TrialSetup`, what a trial trains on and
  how it is cross-validated (schema, family, primary metric, folds, seed).
- :mod:`core.train.tracking`: per-fold steps, summaries and the MLflow model (skops).
- :mod:`core.train.cli`: the same trainer as the Azure command job, ``python -m core.train``.

Importing any of these is cheap: scikit-learn and MLflow load only when a model is built or
logged.
"""
