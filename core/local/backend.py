"""The local backend: Azure's resource tree mirrored by folders, SQLite and processes.

| Azure object      | local part                                                  |
| ----------------- | ----------------------------------------------------------- |
| resource group    | a record in ``state.json``                                  |
| storage account   | ``storage/<account>/`` or a real account by connection string |
| blob container    | a sub-folder, or a real container (Azurite or Azure)         |
| workspace         | ``workspaces/<name>/mlflow.db``: MLflow tracking + registry  |
| environment       | versioned conda YAML + image under the workspace folder      |
| compute cluster   | a record: max instances = worker processes for sweeps       |
| sweep job         | ``workspaces/<name>/sweeps/<id>.json`` + a runner process    |

One module per slice of the ``core.backend.Backend`` Protocol, each a mixin over
:class:`~core.local.base.LocalBase` (the state file, lookups, the workspace's folders):

- :mod:`~core.local.resources`: ``ResourcesAPI`` (resource tree, inventory, teardown)
- :mod:`~core.local.storage`: ``StorageAPI`` (blob containers and blobs)
- :mod:`~core.local.data_assets`: ``DataAssetsAPI``
- :mod:`~core.local.sweeps`: ``SweepsAPI`` (job records and runner processes)
- :mod:`~core.local.models`: ``ModelsAPI`` (the MLflow model registry)
- :mod:`~core.local.endpoints`: ``EndpointsAPI`` (local endpoint servers)
"""

from __future__ import annotations

from core.local.data_assets import DataAssetsMixin
from core.local.endpoints import EndpointsMixin
from core.local.models import ModelsMixin
from core.local.resources import ResourcesMixin
from core.local.storage import StorageMixin
from core.local.sweeps import SweepsMixin


class LocalBackend(ResourcesMixin, StorageMixin, DataAssetsMixin, SweepsMixin, ModelsMixin, EndpointsMixin):
    """Implements ``core.backend.Backend`` on this machine, with state in ``data_dir``."""
