"""The "Show code" snippet of registering a sweep trial's model on Azure ML, with azure-ai-ml.

The model is not uploaded: a trial of an Azure sweep logged its MLflow model as the job output
``artifacts/model``, so the version points at ``azureml://jobs/<trial job>/outputs/artifacts/
paths/model/``. :func:`model_fields` is what the azure backend itself passes to ``Model(...)``
(``core.azure.models``), so the snippet shows the very call the dashboard makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.azure.cloud import AzureCloud
from core.codegen.common import ml_client_code, py_literal

__all__ = ["AzureRegistration", "azure_register_body", "azure_register_code", "model_fields", "model_path"]

MLFLOW_MODEL = "mlflow_model"  # azure.ai.ml.constants.AssetTypes.MLFLOW_MODEL


def model_path(job: str) -> str:
    """Where a job's MLflow model ``model`` is, as Azure ML addresses a job output."""
    return f"azureml://jobs/{job}/outputs/artifacts/paths/model/"


@dataclass(frozen=True)
class AzureRegistration:
    """One model version to register: the trial job whose model it is, and what it records."""

    name: str
    version: int
    job: str  # the trial's job name (its MLflow run id)
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def model_fields(reg: AzureRegistration) -> dict[str, Any]:
    """The keyword arguments of ``azure.ai.ml.entities.Model`` for ``reg``."""
    return {
        "name": reg.name,
        "version": str(int(reg.version)),
        "type": MLFLOW_MODEL,
        "path": model_path(reg.job),
        "description": reg.description,
        "tags": dict(reg.tags),
    }


def azure_register_body(reg: AzureRegistration) -> str:
    """The imports, the ``Model`` and its registration, for an existing ``ml_client``."""
    fields = model_fields(reg)
    tags = "\n".join(f"        {py_literal(k)}: {py_literal(v)}," for k, v in fields["tags"].items())
    return "\n".join(
        [
            "from azure.ai.ml.constants import AssetTypes",
            "from azure.ai.ml.entities import Model",
            "",
            "# The trial's MLflow model is already in the workspace (its job's output): nothing to upload.",
            "model = Model(",
            f"    name={py_literal(fields['name'])},",
            f"    version={py_literal(fields['version'])},  # the next version of the model",
            "    type=AssetTypes.MLFLOW_MODEL,",
            f"    path={py_literal(fields['path'])},",
            f"    description={py_literal(fields['description'])},",
            "    tags={" + ("\n" + tags + "\n    }," if tags else "},"),
            ")",
            "model = ml_client.models.create_or_update(model)",
            'print(f"registered {model.name} version {model.version}")',
            "",
        ]
    )


def azure_register_code(
    reg: AzureRegistration,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    cloud: AzureCloud | None = None,
) -> str:
    """The whole step: sign in, an ``ml_client`` for the workspace, then the registration."""
    return (
        ml_client_code(subscription_id, resource_group, workspace, cloud=cloud)
        + "\n"
        + azure_register_body(reg)
    )
