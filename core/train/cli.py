"""The trainer as a command: the script of an Azure ML command job (and of each sweep trial).

    python -m core.train --data <folder or csv> [--schema schema.json] --family random_forest \\
        [--primary-metric accuracy] [--folds 5] [--seed 0] [--no-model] \\
        --n_estimators 100 --max_depth None --criterion gini

The spellings of :func:`core.sweep.azure.trial_command` work too: ``--train_data``,
``--model_family``, ``--primary_metric``, ``--cv_folds`` and ``--task`` (checked against the
schema's task).
The run gets the per-fold steps, the summary metrics, the out-of-fold predictions (artifact
``oof_predictions.csv``) and the model ``model`` (a logged model, its files also in the run's
artifact folder ``model``: the job output Azure ML registers a model from).

Hyperparameters are passed as ``--<name> <value>`` (or ``--<name>=<value>``), one option per
hyperparameter, which is how an Azure sweep hands them over:
``command="python -m core.train ... --n_estimators ${{search_space.n_estimators}}"``.
Every value arrives as text and is coerced by the family's typed hyperparameters; the text
``None`` is None for the hyperparameters that accept None (Azure sweeps cannot carry None).

``--data`` is a data-asset folder holding ``train.csv`` and ``schema.json`` (as the Data step
stores them), or a CSV file with ``--schema`` (or a ``schema.json`` beside it). Without any
schema, one is inferred from the CSV with ``--target`` (default: ``output``, else the last
column) and ``--task``: that loses the typing corrections made on the Data page, so the run
is tagged ``schema_source=inferred`` and a note goes to stderr. The run is the active MLflow run (Azure sets
``MLFLOW_RUN_ID``; locally ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_NAME`` apply).
Exit codes: 0 done, 2 bad arguments or data (the message says how to fix them), 1 other errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.data.schema import Schema, Task, build_schema, default_target
from core.errors import UserFacingError
from core.train.families import Family, get_family
from core.train.folds import plan_trial
from core.train.metrics import default_metric

__all__ = ["TrainArgs", "load_inputs", "main", "parse_args"]

TRAIN_FILE, SCHEMA_FILE = "train.csv", "schema.json"


@dataclass(frozen=True)
class TrainArgs:
    data: Path
    schema: Path | None
    family: str
    task: Task | None  # checked against the schema (or used to infer one)
    target: str | None  # only used to infer a schema
    primary_metric: str | None
    folds: int
    seed: int
    log_model: bool
    model_name: str
    registered_model_name: str | None
    hyperparameters: dict[str, str]  # name -> value as text, not yet coerced


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core.train",
        description="Cross-validate one hyperparameter configuration and log it to MLflow.",
        epilog="Hyperparameters follow as --<name> <value>; 'None' means None where it is allowed.",
        allow_abbrev=False,
    )
    add = parser.add_argument
    add("--data", "--train_data", "--train-data", required=True, type=Path, help="data-asset folder or CSV")
    add("--schema", type=Path, help="schema JSON (default: schema.json next to the data)")
    add("--family", "--model_family", "--model-family", required=True, help="model family, e.g. svc")
    add("--primary-metric", "--primary_metric", help="default: accuracy, or r2 for regression")
    add("--folds", "--cv_folds", "--cv-folds", type=int, default=5, help="cross-validation folds")
    add("--task", choices=[t.value for t in Task], help="must match the schema's task")
    add("--target", help="target column, only to infer a schema when there is none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-model", action="store_true", help="do not refit and log the model")
    parser.add_argument("--model-name", default="model", help="name of the logged MLflow model")
    parser.add_argument("--registered-model-name", help="also register the model under this name")
    return parser


def parse_args(argv: Sequence[str]) -> TrainArgs:
    """The options and the ``--<name> <value>`` hyperparameters; UserFacingError if malformed."""
    parser = _parser()
    try:
        known, rest = parser.parse_known_args(list(argv))
    except SystemExit as exc:  # argparse has printed --help, or its usage and the problem
        if not exc.code:
            raise
        raise UserFacingError("The command-line options are incomplete.", "See the usage above.") from exc
    return TrainArgs(
        data=known.data,
        schema=known.schema,
        family=known.family,
        task=None if known.task is None else Task(known.task),
        target=known.target,
        primary_metric=known.primary_metric,
        folds=known.folds,
        seed=known.seed,
        log_model=not known.no_model,
        model_name=known.model_name,
        registered_model_name=known.registered_model_name,
        hyperparameters=_hyperparameters(rest),
    )


def _hyperparameters(tokens: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if not token.startswith("--") or token == "--":
            raise UserFacingError(
                f"Unexpected argument {token!r}.", "Pass hyperparameters as --<name> <value>."
            )
        name, equals, value = token[2:].partition("=")
        if not equals:
            if position + 1 >= len(tokens):
                raise UserFacingError(
                    f"The hyperparameter --{name} has no value.", f"Pass it as --{name} <value>."
                )
            value = tokens[position + 1]
            position += 1
        position += 1
        name = name.replace("-", "_")
        if name in found:
            raise UserFacingError(f"The hyperparameter {name!r} is given twice.", "Pass it once.")
        found[name] = value
    return found


def load_inputs(
    data: Path, schema_path: Path | None, *, task: Task | None = None, target: str | None = None
) -> tuple[pd.DataFrame, Schema, str]:
    """The training rows, their schema and where it came from ("file" or "inferred").

    ``data`` is a data-asset folder (``train.csv`` + ``schema.json``) or a CSV file; the
    schema is ``schema_path``, else ``schema.json`` beside the data, else inferred.
    """
    csv = data / TRAIN_FILE if data.is_dir() else data
    if not csv.is_file():
        raise UserFacingError(
            f"The training data file {str(csv)!r} does not exist.",
            "Pass --data <folder with train.csv and schema.json>, or --data <csv> --schema <json>.",
        )
    beside = (data if data.is_dir() else data.parent) / SCHEMA_FILE
    schema_file = schema_path or (beside if beside.is_file() else None)
    frame = pd.read_csv(csv)
    if schema_file is None:
        chosen = target or default_target([str(c) for c in frame.columns])
        return frame, build_schema(frame, chosen, task), "inferred"
    if not schema_file.is_file():
        raise UserFacingError(
            f"The schema file {str(schema_file)!r} does not exist.",
            "Pass the schema.json stored with the data asset as --schema.",
        )
    try:
        schema = Schema.from_dict(json.loads(schema_file.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserFacingError(
            f"The schema file {str(schema_file)!r} is not valid JSON ({exc}).",
            "Store the dataset again from the Data page to write a fresh schema.",
        ) from exc
    if task is not None and task != schema.task:
        raise UserFacingError(
            f"--task is {task.value}, but the schema's target {schema.target!r} is {schema.task.value}.",
            f"Pass --task {schema.task.value}, or store the data again with the task you want.",
        )
    return frame, schema, "file"


def _run(
    args: TrainArgs, frame: pd.DataFrame, schema: Schema, source: str, family: Family, metric: str
) -> dict[str, Any]:
    """The MLflow part: per-fold steps, summary, out-of-fold predictions and (unless --no-model)
    the refitted model."""
    import mlflow

    from core import mlflow_layout as layout
    from core.train import tracking
    from core.train.trainer import cross_validate_trial, fit_final

    params = family.coerce_params(args.hyperparameters)
    with mlflow.start_run() as run:
        mlflow.log_params(params)
        mlflow.set_tags(
            {
                layout.TAG_PRIMARY_METRIC: metric,
                layout.TAG_FOLDS: str(args.folds),
                layout.TAG_SEED: str(args.seed),
                layout.TAG_TASK: schema.task.value,
                layout.TAG_TARGET: schema.target,
                layout.TAG_SCHEMA_SOURCE: source,
                layout.TAG_PARAMS_JSON: json.dumps(params),  # exact types: None stays null
            }
        )

        seen: list[float] = []

        def on_fold(fold: int, metrics: dict[str, float]) -> bool:
            seen.append(metrics[metric])
            tracking.log_fold(metric, fold, metrics, sum(seen) / len(seen))
            return True  # on Azure, the sweep's policy cancels the job itself

        result = cross_validate_trial(
            frame,
            schema,
            family,
            params,
            primary_metric=metric,
            folds=args.folds,
            seed=args.seed,
            on_fold=on_fold,
        )
        tracking.log_summary(result)
        tracking.log_out_of_fold(result)  # every fold runs here: on Azure a policy kills the job
        summary: dict[str, Any] = {"run_id": run.info.run_id, **tracking.summary_metrics(result)}
        if args.log_model:
            pipeline = fit_final(frame, schema, family, params, seed=args.seed)
            info = tracking.log_model(
                pipeline, frame, name=args.model_name, registered_model_name=args.registered_model_name
            )
            summary["model_uri"] = info.model_uri
            keep_in_run_artifacts(info.model_uri, args.model_name)
    return summary


def keep_in_run_artifacts(model_uri: str, name: str) -> None:
    """Copy the logged model's files into the run's artifact folder ``name``. MLflow 3 keeps a
    logged model apart from its run's artifacts (under the experiment's ``models/<id>/``), while
    Azure ML registers and deploys a job's model from the job's output
    ``azureml://jobs/<job>/outputs/artifacts/paths/<name>/``, which is the run's artifact folder."""
    import tempfile

    import mlflow

    with tempfile.TemporaryDirectory() as folder:
        local = mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=folder)
        mlflow.log_artifacts(local, artifact_path=name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one trial from the command line; returns the exit code."""
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        frame, schema, source = load_inputs(args.data, args.schema, task=args.task, target=args.target)
        if source == "inferred":
            sys.stderr.write(
                f"note: no schema.json was given, so the column types were inferred and the target is "
                f"{schema.target!r}; pass --schema to train with the types set on the Data page.\n"
            )
        family = get_family(schema.task, args.family)
        metric = args.primary_metric or default_metric(schema.task)
        # everything a user can get wrong fails here, before an MLflow run exists
        plan_trial(
            frame,
            schema,
            family,
            args.hyperparameters,
            primary_metric=metric,
            folds=args.folds,
            seed=args.seed,
        )
        summary = _run(args, frame, schema, source, family, metric)
    except UserFacingError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(summary, sort_keys=True) + "\n")
    return 0
