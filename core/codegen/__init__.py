"""The "Show code" snippets: code equivalent to each step, with the user's values, to paste.

Every snippet is complete code for a notebook or a shell. Secrets never go in: they are
read from environment variables instead. One module per step:

- :mod:`~core.codegen.resources`: resource group, storage account, blob container,
  workspace, environment and compute cluster (azure-mgmt-*, azure-storage-blob, azure-ai-ml);
- :mod:`~core.codegen.data`: upload the train split and register it as a data asset;
- :mod:`~core.codegen.register`: register a sweep trial's MLflow model on Azure ML (its job
  output; the very ``Model`` fields the azure backend registers with);
- :mod:`~core.codegen.sweep`: azure-ai-ml that launches the sweep (from
  :mod:`core.sweep.azure`'s translation);
- :mod:`~core.codegen.endpoint`: curl and ``requests`` calls to the endpoint, and the
  azure-ai-ml code of the whole endpoint step;
- :mod:`~core.codegen.teardown`: delete the workspace and the resource group;
- :mod:`~core.codegen.preprocessing`: the training pipeline's preprocessing (scikit-learn),
  shown on the EDA page;
- :mod:`~core.codegen.common`: what they share (Python literals, the credential and
  ``MLClient`` headers).

Importing the package loads no Azure SDK; the sweep snippet loads azure-ai-ml when it is built.
"""

from core.codegen.data import data_upload_code
from core.codegen.endpoint import (
    KEY_VARIABLE,
    AzureEndpointCode,
    azure_endpoint_code,
    azure_entities_code,
    curl_snippet,
    python_snippet,
)
from core.codegen.preprocessing import preprocessing_code
from core.codegen.resources import (
    blob_container_code,
    compute_code,
    environment_code,
    resource_group_code,
    storage_account_code,
    workspace_code,
)
from core.codegen.sweep import sweep_code_snippet
from core.codegen.teardown import teardown_code

__all__ = [
    "KEY_VARIABLE",
    "AzureEndpointCode",
    "azure_endpoint_code",
    "azure_entities_code",
    "blob_container_code",
    "compute_code",
    "curl_snippet",
    "data_upload_code",
    "environment_code",
    "preprocessing_code",
    "python_snippet",
    "resource_group_code",
    "storage_account_code",
    "sweep_code_snippet",
    "teardown_code",
    "workspace_code",
]
