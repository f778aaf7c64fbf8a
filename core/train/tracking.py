"""How a trial and its model are written to MLflow, the same way locally and on Azure.

Per fold, the primary metric's running mean is logged under its own name with ``step`` = fold
index, so an early-termination policy (Azure's, or the local engine's) sees one value per
interval and the last value is the cross-validated score; each fold's own values are logged
as ``<metric>_fold``. At the
end every metric's mean and std over the folds that ran is logged as ``<metric>_mean`` and
``<metric>_std``, with the early-terminated flag as a tag (the tags: :mod:`core.mlflow_layout`).
A trial whose every fold ran also logs its out-of-fold predictions as the artifact
``oof_predictions.csv`` (:func:`log_out_of_fold`, format in :mod:`core.train.predictions`).

The model is logged in MLflow 3's default ``skops`` format (safe to load: no pickle). skops
refuses types it does not know, such as a random forest's ``sklearn.tree._tree.Tree``,
unless they are listed as trusted when saving; :func:`skops_trusted_types` lists exactly the
types this model holds and accepts them only from scikit-learn, NumPy and SciPy.
MLflow is imported inside the functions: it takes seconds to import.
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.mlflow_layout import OOF_ARTIFACT, TAG_EARLY_TERMINATED, TAG_FAMILY, TAG_FOLDS_DONE
from core.train.predictions import predictions_csv, split_order

if TYPE_CHECKING:
    from mlflow.models.model import ModelInfo
    from sklearn.pipeline import Pipeline

    from core.train.trainer import TrialResult

__all__ = [
    "log_fold",
    "log_model",
    "log_out_of_fold",
    "log_summary",
    "mean_name",
    "skops_trusted_types",
    "std_name",
    "summary_metrics",
    "trial_tags",
]

_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.")


def mean_name(metric: str) -> str:
    return f"{metric}_mean"


def std_name(metric: str) -> str:
    return f"{metric}_std"


def summary_metrics(result: TrialResult) -> dict[str, float]:
    """``<metric>_mean`` and ``<metric>_std`` of every metric, plus ``trial_seconds``."""
    summary: dict[str, float] = {}
    for name, value in result.mean.items():
        summary[mean_name(name)] = value
        summary[std_name(name)] = result.std[name]
    summary["trial_seconds"] = result.seconds
    return summary


def trial_tags(result: TrialResult) -> dict[str, str]:
    return {
        TAG_EARLY_TERMINATED: str(result.early_terminated).lower(),
        TAG_FAMILY: result.family,
        TAG_FOLDS_DONE: str(result.folds_done),
    }


def log_fold(primary_metric: str, fold: int, metrics: dict[str, float], running_mean: float) -> None:
    """One fold on the active run: the primary metric's running mean as step ``fold`` (so the
    last logged value is the trial's cross-validated score, whichever value a sweep service
    reads), and every metric's own fold value as ``<metric>_fold``."""
    import mlflow
    from mlflow.entities import Metric

    stamp = int(time.time() * 1000)
    values = [Metric(primary_metric, running_mean, stamp, fold)]
    values += [Metric(f"{name}_fold", float(v), stamp, fold) for name, v in metrics.items() if np.isfinite(v)]
    run = mlflow.active_run()
    assert run is not None, "log_fold needs an active MLflow run"
    mlflow.tracking.MlflowClient().log_batch(run.info.run_id, metrics=values)


def log_summary(result: TrialResult) -> None:
    """Means, stds and tags of a finished (or stopped) trial, on the active run."""
    import mlflow

    mlflow.log_metrics(summary_metrics(result))
    mlflow.set_tags(trial_tags(result))


def log_out_of_fold(result: TrialResult) -> bool:
    """The trial's out-of-fold predictions as the artifact :data:`OOF_ARTIFACT` of the active run.

    Only when every planned fold ran: a trial a policy stopped early has predictions for some
    rows only, which would draw a misleading confusion matrix, so it logs none (returns False).
    """
    import mlflow

    if result.folds_done < result.folds:
        return False
    mlflow.log_text(predictions_csv(split_order(result)), OOF_ARTIFACT)
    return True


def skops_trusted_types(model: Any, *, cached: bool = True) -> list[str]:
    """The types skops would refuse to load from this model, all of them from trusted libraries.

    Finding them means serialising the whole model (a second of work for a large forest). Two
    models made of the same types give the same answer, so it is kept per :func:`type_signature`
    for this process; ``cached=False`` always serialises. Raises RuntimeError if the model holds
    a type from any other library (custom code), which this app never builds.
    """
    import skops.io as sio

    key = type_signature(model)
    if cached and key in _UNTRUSTED_BY_SIGNATURE:
        return list(_UNTRUSTED_BY_SIGNATURE[key])
    untrusted = sorted(sio.get_untrusted_types(data=sio.dumps(model)))
    foreign = [name for name in untrusted if not name.startswith(_TRUSTED_PREFIXES)]
    if foreign:
        raise RuntimeError(f"the model holds types skops should not trust: {', '.join(foreign)}")
    _UNTRUSTED_BY_SIGNATURE[key] = tuple(untrusted)
    return untrusted


_UNTRUSTED_BY_SIGNATURE: dict[frozenset[str], tuple[str, ...]] = {}


def type_signature(model: Any) -> frozenset[str]:
    """Every type reachable from ``model`` (attributes, containers, array dtypes), by name: what
    decides which types skops meets when it serialises the model, without serialising it."""
    seen: set[int] = set()
    names: set[str] = set()
    stack: list[Any] = [model]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        kind = type(obj)
        names.add(f"{kind.__module__}.{kind.__qualname__}")
        if isinstance(obj, np.ndarray):
            names.add(f"dtype:{obj.dtype.descr if obj.dtype.fields else obj.dtype.str}")
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, type):
            names.add(f"class:{obj.__module__}.{obj.__qualname__}")
        else:
            if callable(obj):  # a function held by the model (FunctionTransformer, say)
                names.add(f"callable:{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}")
            if hasattr(obj, "__dict__"):
                stack.extend(vars(obj).values())
    return frozenset(names)


def log_model(
    pipeline: Pipeline,
    frame_sample: pd.DataFrame,
    *,
    name: str = "model",
    registered_model_name: str | None = None,
    example_rows: int = 5,
    verify: bool = True,
) -> ModelInfo:
    """Log a fitted pipeline as an MLflow scikit-learn model, with signature and input example.

    ``frame_sample`` holds rows of the training data (extra columns, such as the target, are
    ignored); the signature is inferred from all of them, with the training dtypes (MLflow
    will not convert int64 input to a float64 column, so integer columns stay integers), and
    the first ``example_rows`` are the input example. With ``verify``, the logged model is loaded back with
    ``mlflow.pyfunc.load_model`` and must predict what the pipeline predicts.
    """
    import mlflow.sklearn
    from mlflow.models import infer_signature

    started = int(time.time() * 1000)
    columns = [str(c) for c in pipeline.feature_names_in_]
    sample = frame_sample.loc[:, columns]
    example = sample.head(example_rows)
    with warnings.catch_warnings():  # MLflow's hint that int columns cannot hold missing values
        warnings.filterwarnings("ignore", message=".*[Ii]nteger column", category=UserWarning)
        signature = infer_signature(sample, np.asarray(pipeline.predict(sample)))

    def log(trusted: list[str]) -> ModelInfo:
        logged: ModelInfo = mlflow.sklearn.log_model(
            pipeline,
            name=name,
            signature=signature,
            input_example=example,
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
            skops_trusted_types=trusted,
            # given, so MLflow does not start a Python process to infer them (seconds)
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True),
            registered_model_name=registered_model_name,
        )
        return logged

    try:
        info = log(skops_trusted_types(pipeline))
        if verify:
            _verify(info.model_uri, pipeline, example)
    except Exception as exc:  # a remembered answer missed a type: MLflow or skops refuses the model
        if "ntrusted types" not in str(exc):
            raise
        _drop_models_logged_since(started)
        info = log(skops_trusted_types(pipeline, cached=False))
        if verify:
            _verify(info.model_uri, pipeline, example)
    return info


def _drop_models_logged_since(started_ms: int) -> None:
    """Delete the models this run logged from ``started_ms`` on (a failed attempt's)."""
    import mlflow

    run = mlflow.active_run()
    if run is None:
        return
    client = mlflow.MlflowClient()
    for model in client.search_logged_models(
        experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id = '{run.info.run_id}'"
    ):
        if model.creation_timestamp >= started_ms:
            client.delete_logged_model(model.model_id)


def _verify(model_uri: str, pipeline: Pipeline, example: pd.DataFrame) -> None:
    import mlflow.pyfunc

    loaded = np.asarray(mlflow.pyfunc.load_model(model_uri).predict(example))
    expected = np.asarray(pipeline.predict(example))
    same = (
        np.allclose(loaded.astype(np.float64), expected.astype(np.float64))
        if expected.dtype.kind == "f"
        else np.array_equal(loaded, expected)
    )
    if not same:
        raise RuntimeError(
            f"the logged model {model_uri} predicts {loaded.tolist()} where the pipeline predicts "
            f"{expected.tolist()}"
        )
