"""A logged MLflow scikit-learn model: its signature, and loading it once per server process.

Models are logged by :func:`core.train.tracking.log_model` in MLflow's ``skops`` format with
the exact types to trust listed in the ``MLmodel`` file. :func:`load_model` loads the
scikit-learn flavour the way ``mlflow.sklearn.load_model`` does for that format
(``skops.io.load(path, trusted=skops_trusted_types)``) without importing MLflow, which saves
each server process about 3 s of start-up; any other format goes through MLflow itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from core.endpoint.payload import Column
from core.errors import UserFacingError

__all__ = ["MLMODEL", "load_model", "read_mlmodel", "signature_of"]

MLMODEL = "MLmodel"


def read_mlmodel(model_dir: Path) -> dict[str, Any]:
    """The parsed ``MLmodel`` file of a model folder."""
    path = Path(model_dir) / MLMODEL
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserFacingError(
            f"{model_dir} is not an MLflow model folder: it has no {MLMODEL} file.",
            "Register the model again from its sweep.",
        ) from None
    if not isinstance(data, dict):
        raise UserFacingError(
            f"The {MLMODEL} file in {model_dir} is not readable.", "Register the model again."
        )
    return data


def signature_of(model_dir: Path) -> list[Column]:
    """The model's input columns and their MLflow types, from its signature."""
    mlmodel = read_mlmodel(model_dir)
    raw = (mlmodel.get("signature") or {}).get("inputs")
    if not raw:
        raise UserFacingError(
            f"The model in {model_dir} was logged without an input signature, so requests cannot be checked.",
            "Log the model with a signature (this app's trainer always does) and register it again.",
        )
    columns = json.loads(raw) if isinstance(raw, str) else raw
    if not all(isinstance(c, dict) and "name" in c for c in columns):
        raise UserFacingError(
            f"The model in {model_dir} has a tensor signature; the endpoint needs named columns.",
            "Log the model from a DataFrame so its signature names the columns.",
        )
    return [Column(str(c["name"]), str(c.get("type", "any"))) for c in columns]


def load_model(model_dir: Path) -> Any:
    """The scikit-learn model (a fitted Pipeline) stored in an MLflow model folder."""
    model_dir = Path(model_dir)
    flavor = read_mlmodel(model_dir).get("flavors", {}).get("sklearn")
    if not isinstance(flavor, dict):
        raise UserFacingError(
            f"The model in {model_dir} has no scikit-learn flavour; "
            "this endpoint serves scikit-learn models.",
            "Register a model trained by a sweep of this app.",
        )
    if flavor.get("serialization_format") == "skops":
        import skops.io

        trusted = [str(t) for t in flavor.get("skops_trusted_types") or []]
        return skops.io.load(model_dir / str(flavor["pickled_model"]), trusted=trusted)
    import mlflow.sklearn

    return mlflow.sklearn.load_model(str(model_dir))
