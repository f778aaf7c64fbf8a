"""Helpers of the Azure ML tests: a workspace in the in-process fake, and a backend on the
session's loopback cloud.

In process (``FakeTransport``), azure-ai-ml's ARM-deployment executor cannot reach the fake (it
takes no transport), so :func:`seed_workspace` makes the workspace the way that deployment would
(``routes_ml.new_workspace``: the workspace and its default datastore in the storage account),
after the resource group and the storage account were made through the product. Workspace
creation itself is tested on the loopback cloud (:func:`loopback_backend`).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.backend import WorkspaceRef
from tests.azure.conftest import SUBSCRIPTION, FakeCredential, loopback_product_cloud
from tests.azure.fake import FakeAzure
from tests.azure.fake.core import Request
from tests.azure.fake.server import LoopbackCloud

RG, SA, WS = "rg-ml-tests", "mltestsdata001", "ws-ml-tests"
REF = WorkspaceRef(RG, WS)


def seed_workspace(
    backend: AzureBackend, fake: FakeAzure, rg: str = RG, account: str = SA, ws: str = WS
) -> None:
    """The resource group and storage account through the product, the workspace as Azure's
    template deployment leaves it."""
    from tests.azure.fake.routes_ml import new_workspace

    backend.create_resource_group(rg, "eastus")
    backend.create_storage_account(rg, account)
    request = Request("PUT", "https://management.azure.com/", "/", {}, {}, None)
    with fake.lock:
        new_workspace(
            fake,
            request,
            SUBSCRIPTION,
            rg,
            {
                "workspaceName": ws,
                "location": "eastus",
                "storageAccountName": account,
                "storageAccountResourceGroupName": rg,
                "tagValues": {"created-at": "2026-01-01T00:00:00+00:00"},
            },
        )


def unique(prefix: str) -> str:
    """A name no other test of the session's shared loopback cloud uses."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def loopback_backend(cloud: LoopbackCloud, state_dir: Path) -> AzureBackend:
    """The product's backend on the loopback cloud, through its own cloud settings."""
    factory = ClientFactory(FakeCredential(), SUBSCRIPTION, loopback_product_cloud(cloud))
    return AzureBackend(factory, state_dir)
