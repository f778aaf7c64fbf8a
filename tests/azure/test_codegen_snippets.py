"""Every Resources, Data and Teardown "Show code" snippet runs, as the user would paste it.

The snippets are executed (``exec`` in a fresh namespace, in a scratch folder) against the fake
Azure served as a loopback HTTPS cloud, with blob data in a real Azurite. Only two things differ
from a user's run, and neither is in the snippet's text:

- the cloud: the snippets are generated for the loopback cloud, built by the product's own
  ``cloud_from_environment`` from the cloud's settings, exactly as the dashboard would build it;
- the credential: ``DefaultAzureCredential`` signs in as a service principal through the
  standard ``AZURE_TENANT_ID``/``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET`` variables (MSAL against
  the fake's Entra authority), and ``REQUESTS_CA_BUNDLE`` trusts the loopback certificate.

The effects are then read from the fake's state and from Azurite.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient

from core import codegen
from core.azure.cloud import AzureCloud
from core.compute import ComputeSpec
from core.environments import DEFAULT_CONDA_YAML
from tests.azure.conftest import SUBSCRIPTION, TENANT, loopback_product_cloud
from tests.azure.fake.server import LoopbackCloud
from tests.conftest import AZURITE_KEY

CLIENT_ID = "5f0c1e2a-3b4c-4d5e-8f90-a1b2c3d4e5f6"
CLIENT_SECRET = "snippet-test-secret"  # noqa: S105 - the fake's test principal, not a secret
LOCATION = "westeurope"


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class Runner:
    """Runs snippets as a user would: in a scratch folder, signed in through the environment."""

    def __init__(self, cloud: LoopbackCloud, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loopback = cloud
        self.fake = cloud.fake
        self.cloud: AzureCloud = loopback_product_cloud(cloud)
        self.folder = folder
        self.fake.clients[CLIENT_ID] = CLIENT_SECRET
        monkeypatch.chdir(folder)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cloud.ca_bundle))
        monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
        monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        # Only the environment credential: nothing probes for a managed identity or the Azure CLI.
        monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
        monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)  # the snippet passes the authority itself
        # azure-ai-ml records the cloud for the whole process; put it back after the test.
        monkeypatch.setenv("AZUREML_CURRENT_CLOUD", os.environ.get("AZUREML_CURRENT_CLOUD", "AzureCloud"))

    def run(self, code: str) -> dict[str, Any]:
        namespace: dict[str, Any] = {"__name__": "__snippet__"}
        exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - the product's own snippet
        return namespace

    def resource(self, arm_id: str) -> dict[str, Any] | None:
        with self.fake.lock:
            return self.fake.resources.get(arm_id.lower())

    def tokens_for(self, scope: str) -> list[dict[str, Any]]:
        with self.fake.lock:
            return [t for t in self.fake.data.get("issued_tokens", []) if scope in t["scope"]]


@pytest.fixture
def runner(loopback_cloud: LoopbackCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    return Runner(loopback_cloud, tmp_path, monkeypatch)


def _rg_id(rg: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}"


def _ws_id(rg: str, ws: str) -> str:
    return f"{_rg_id(rg)}/providers/Microsoft.MachineLearningServices/workspaces/{ws}"


def test_the_snippets_sign_in_at_the_clouds_authority(runner: Runner) -> None:
    rg = _unique("rg-snip-")
    code = codegen.resource_group_code(rg, LOCATION, SUBSCRIPTION, runner.cloud)
    assert runner.loopback.url in code  # the cloud's own endpoints, not the public cloud's
    runner.run(code)
    assert runner.tokens_for(runner.cloud.scope), "no token was asked for the cloud's Resource Manager scope"


def test_resource_group_snippet_creates_the_group(runner: Runner) -> None:
    rg = _unique("rg-snip-")
    namespace = runner.run(codegen.resource_group_code(rg, LOCATION, SUBSCRIPTION, runner.cloud))
    group = runner.resource(_rg_id(rg))
    assert group is not None and group["location"] == LOCATION
    assert (namespace["rg"].name, namespace["rg"].location) == (rg, LOCATION)


def test_storage_snippet_creates_the_account_as_the_product_does(runner: Runner) -> None:
    rg, account = _unique("rg-snip-"), _unique("snip")
    runner.run(codegen.resource_group_code(rg, LOCATION, SUBSCRIPTION, runner.cloud))
    code = codegen.storage_account_code(rg, account, LOCATION, SUBSCRIPTION, runner.cloud)
    namespace = runner.run(code)

    checks = runner.fake.calls("POST", "/providers/Microsoft.Storage/checkNameAvailability")
    creates = runner.fake.calls("PUT", f"/storageAccounts/{account}$")
    assert len(creates) == 1 and checks, "the name is checked, then the account created once"
    assert runner.fake.requests.index(checks[-1]) < runner.fake.requests.index(creates[0])
    body = creates[0].body
    assert (body["kind"], body["sku"]["name"], body["location"]) == ("StorageV2", "Standard_LRS", LOCATION)
    assert body["properties"]["supportsHttpsTrafficOnly"] is True
    assert body["properties"]["minimumTlsVersion"] == "TLS1_2"
    assert body["properties"]["allowBlobPublicAccess"] is False
    assert runner.resource(f"{_rg_id(rg)}/providers/Microsoft.Storage/storageAccounts/{account}") is not None

    parts = dict(p.split("=", 1) for p in namespace["connection_string"].split(";"))
    assert parts["AccountName"] == account
    assert parts["AccountKey"] == AZURITE_KEY  # the fake's accounts hold Azurite's key
    assert parts["BlobEndpoint"] == runner.fake.blob_endpoint  # what Azure reports, not built from the name

    # Get-or-create: the name is taken now (by this account), so a second run reads it.
    again = runner.run(code)
    assert again["account"].name == account
    assert len(runner.fake.calls("PUT", f"/storageAccounts/{account}$")) == 1


def test_container_snippet_creates_the_container(
    runner: Runner, azurite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = _unique("snip-")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)  # what the storage step's .env holds
    code = codegen.blob_container_code(container)
    namespace = runner.run(code)
    assert container in [c.name for c in BlobServiceClient.from_connection_string(azurite).list_containers()]
    runner.run(code)  # get-or-create: a second run finds it
    assert namespace["service"].get_container_client(container).exists()


def test_workspace_environment_compute_data_and_teardown_snippets(runner: Runner, azurite: str) -> None:
    """The workspace's snippets in the order of the walkthrough, then teardown removes it all."""
    rg, ws = _unique("rg-snip-"), _unique("ws-snip-")
    runner.run(codegen.resource_group_code(rg, LOCATION, SUBSCRIPTION, runner.cloud))

    # Workspace, and the config.json that finds it again.
    runner.run(codegen.workspace_code(rg, ws, LOCATION, SUBSCRIPTION, runner.cloud))
    workspace = runner.resource(_ws_id(rg, ws))
    assert workspace is not None and workspace["location"] == LOCATION
    config = json.loads((runner.folder / "config.json").read_text())
    assert config == {"subscription_id": SUBSCRIPTION, "resource_group": rg, "workspace_name": ws}

    # Environment: a version registered with the conda YAML verbatim.
    env = runner.run(
        codegen.environment_code(
            rg,
            ws,
            SUBSCRIPTION,
            "sklearn-mlflow-env",
            "mcr.microsoft.com/azureml/x:latest",
            DEFAULT_CONDA_YAML,
            runner.cloud,
        )
    )
    assert env["environment"].name == "sklearn-mlflow-env"
    puts = runner.fake.calls("PUT", f"/workspaces/{ws}/environments/sklearn-mlflow-env/versions/")
    assert puts, "no environment version was registered"
    env_body = puts[-1].body["properties"]
    assert env_body["image"] == "mcr.microsoft.com/azureml/x:latest"
    assert "mlflow==3.15.0" in env_body["condaFile"]

    # Compute cluster, scaled to zero when idle.
    spec = ComputeSpec(_unique("cpu")[:12], "STANDARD_DS3_V2", 0, 2, 180)
    runner.run(codegen.compute_code(rg, ws, SUBSCRIPTION, spec, runner.cloud))
    compute = runner.fake.calls("PUT", f"/workspaces/{ws}/computes/{spec.name}$")
    assert compute, "no compute cluster was created"
    scale = compute[-1].body["properties"]["properties"]["scaleSettings"]
    assert (scale["minNodeCount"], scale["maxNodeCount"]) == (0, 2)

    # Data: the train split uploaded to the default datastore, registered at its azureml:// address.
    (runner.folder / "train.csv").write_text("age,target\n63,1\n41,0\n")
    blob_path = "heart/v1/train.csv"
    data = runner.run(codegen.data_upload_code(rg, ws, SUBSCRIPTION, None, blob_path, "heart", runner.cloud))
    datastore = data["datastore"]
    assert data["train_data"].path.endswith(f"datastores/{datastore.name}/paths/{blob_path}")
    registered = runner.fake.calls("PUT", f"/workspaces/{ws}/data/heart/versions/")
    assert registered and registered[-1].body["properties"]["dataUri"] == (
        f"azureml://datastores/{datastore.name}/paths/{blob_path}"
    )
    blob = BlobServiceClient.from_connection_string(azurite).get_blob_client(
        datastore.container_name, blob_path
    )
    assert blob.download_blob().readall() == b"age,target\n63,1\n41,0\n"

    # Teardown: the workspace (purged), then the resource group.
    runner.run(codegen.teardown_code(rg, ws, SUBSCRIPTION, runner.cloud))
    deletes = runner.fake.calls("DELETE", f"/workspaces/{ws}$")
    assert deletes and deletes[-1].query.get("forceToPurge") == "true"
    assert runner.resource(_ws_id(rg, ws)) is None
    assert runner.resource(_rg_id(rg)) is None
