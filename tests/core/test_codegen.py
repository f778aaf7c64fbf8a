"""The "Show code" snippets: valid Python, filled with the user's values, no secrets."""

from __future__ import annotations

import ast

import pytest

from core import codegen
from core.azure.cloud import KNOWN_CLOUDS, PUBLIC_CLOUD, AzureCloud, custom_cloud
from core.codegen.common import py_literal
from core.compute import ComputeSpec
from core.environments import DEFAULT_CONDA_YAML

SUB = "11111111-2222-3333-4444-555555555555"
SNIPPETS = {
    "resource_group": (
        codegen.resource_group_code("rg-x", "westeurope", SUB),
        ["rg-x", "westeurope", SUB, "ResourceManagementClient"],
    ),
    "storage": (
        codegen.storage_account_code("rg-x", "acct123", "westeurope", SUB),
        [
            "acct123",
            "StorageV2",
            "Standard_LRS",
            "check_name_availability",
            "keys_property",
            'minimum_tls_version="TLS1_2"',
            "allow_blob_public_access=False",
            "enable_https_traffic_only=True",
            "BlobEndpoint={account.primary_endpoints.blob}",
        ],
    ),
    "container": (codegen.blob_container_code("data4ml"), ["data4ml", "AZURE_STORAGE_CONNECTION_STRING"]),
    "workspace": (
        codegen.workspace_code("rg-x", "ws-x", "westeurope", SUB),
        ["ws-x", "config.json", "workspace_name"],
    ),
    "environment": (
        codegen.environment_code("rg-x", "ws-x", SUB, "env-x", "python:3.11", DEFAULT_CONDA_YAML),
        ["env-x", "python:3.11", "scikit-learn>=1.6", "create_or_update"],
    ),
    "compute": (
        codegen.compute_code("rg-x", "ws-x", SUB, ComputeSpec("cluster-x", "STANDARD_D4s_v3", 1, 3, 300)),
        [
            "cluster-x",
            "STANDARD_D4s_v3",
            "min_instances=1",
            "max_instances=3",
            "idle_time_before_scale_down=300",
        ],
    ),
    "teardown": (codegen.teardown_code("rg-x", "ws-x", SUB), ["begin_delete", "rg-x", "ws-x"]),
    "data": (
        codegen.data_upload_code("rg-x", "ws-x", SUB, "data4ml", "heart/v3/train.csv", "heart"),
        [
            "heart/v3/train.csv",
            "get_default()",
            "upload_blob",
            "AssetTypes.URI_FILE",
            'name="heart"',
            "azureml://datastores/",
        ],
    ),
}


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippet_is_python_with_the_values(name: str) -> None:
    code, expected = SNIPPETS[name]
    ast.parse(code)
    for value in expected:
        assert value in code
    assert "AccountKey=" not in code.replace("AccountKey={keys", "")
    # today's SDKs: azure-mgmt-resource 26 moved the client, azure-mgmt-storage 25 renamed .keys
    assert "from azure.mgmt.resource import" not in code
    assert "list_keys" not in code or "keys_property" in code
    # the public cloud: the plain code of the Azure docs, no cloud settings
    for setting in ("authority=", "base_url=", "credential_scopes=", "cloud=", "cloud_metadata="):
        assert setting not in code


def test_environment_snippet_writes_the_conda_yaml_verbatim() -> None:
    code, _ = SNIPPETS["environment"]
    tree = ast.parse(code)
    literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert DEFAULT_CONDA_YAML in literals


def test_compute_snippet_builds_a_valid_amlcompute_offline() -> None:
    """Run the entity part of the snippet with the real SDK (no client, no network)."""
    from azure.ai.ml.entities import AmlCompute

    code, _ = SNIPPETS["compute"]
    start = code.index("cluster = AmlCompute(")
    end = code.index("cluster = ml_client")
    namespace: dict[str, object] = {"AmlCompute": AmlCompute}
    exec(code[start:end], namespace)
    cluster = namespace["cluster"]
    assert isinstance(cluster, AmlCompute)
    assert (cluster.size, cluster.min_instances, cluster.max_instances) == ("STANDARD_D4s_v3", 1, 3)


CHINA = KNOWN_CLOUDS["AzureChinaCloud"]
CUSTOM = custom_cloud("StackCloud", "https://management.stack.example/", "https://login.stack.example/")


def _all_snippets(cloud: AzureCloud) -> dict[str, str]:
    spec = ComputeSpec("cluster-x", "STANDARD_D4s_v3", 0, 2, 120)
    return {
        "resource_group": codegen.resource_group_code("rg-x", "westeurope", SUB, cloud),
        "storage": codegen.storage_account_code("rg-x", "acct123", "westeurope", SUB, cloud),
        "workspace": codegen.workspace_code("rg-x", "ws-x", "westeurope", SUB, cloud),
        "environment": codegen.environment_code("rg-x", "ws-x", SUB, "e", "python:3.11", "name: e\n", cloud),
        "compute": codegen.compute_code("rg-x", "ws-x", SUB, spec, cloud),
        "data": codegen.data_upload_code("rg-x", "ws-x", SUB, None, "d/v1/train.csv", "d", cloud),
        "teardown": codegen.teardown_code("rg-x", "ws-x", SUB, cloud),
    }


@pytest.mark.parametrize("cloud", [CHINA, CUSTOM], ids=["sovereign", "custom"])
def test_snippets_of_another_cloud_carry_its_settings(cloud: AzureCloud) -> None:
    for name, code in _all_snippets(cloud).items():
        ast.parse(code)
        assert f"authority={py_literal(cloud.authority)}" in code, name
        assert f"disable_instance_discovery={cloud.disable_instance_discovery!r}" in code, name
        if "ManagementClient" in code:
            assert f"base_url={py_literal(cloud.resource_manager.rstrip('/'))}" in code, name
            assert f"credential_scopes=[{py_literal(cloud.scope)}]" in code, name
        if "MLClient" in code:
            assert f"cloud={py_literal(cloud.name)}" in code, name
            assert ("cloud_metadata=" in code) == (not cloud.known), name
            if not cloud.known:
                assert py_literal(cloud.resource_manager) in code, name


def test_the_public_cloud_is_the_default() -> None:
    assert _all_snippets(PUBLIC_CLOUD) == {
        "resource_group": codegen.resource_group_code("rg-x", "westeurope", SUB),
        "storage": codegen.storage_account_code("rg-x", "acct123", "westeurope", SUB),
        "workspace": codegen.workspace_code("rg-x", "ws-x", "westeurope", SUB),
        "environment": codegen.environment_code("rg-x", "ws-x", SUB, "e", "python:3.11", "name: e\n"),
        "compute": codegen.compute_code(
            "rg-x", "ws-x", SUB, ComputeSpec("cluster-x", "STANDARD_D4s_v3", 0, 2, 120)
        ),
        "data": codegen.data_upload_code("rg-x", "ws-x", SUB, None, "d/v1/train.csv", "d"),
        "teardown": codegen.teardown_code("rg-x", "ws-x", SUB),
    }


def test_teardown_says_whether_the_workspace_is_purged() -> None:
    assert "permanently_delete=True" in codegen.teardown_code("rg", "ws", SUB)
    kept = codegen.teardown_code("rg", "ws", SUB, permanently_delete=False)
    assert "permanently_delete=False" in kept and "soft-deleted" in kept
    assert "MLClient" not in codegen.teardown_code("rg", None, SUB)


def test_default_conda_yaml_pins_a_matching_mlflow_pair() -> None:
    """azureml-mlflow 1.62.0.post6 requires mlflow-skinny<=3.15.0: the two are pinned together."""
    pins = dict(
        line.strip().removeprefix("- ").split("==")
        for line in DEFAULT_CONDA_YAML.splitlines()
        if "==" in line
    )
    assert pins == {"mlflow": "3.15.0", "azureml-mlflow": "1.62.0.post6"}


CLOUD_KEYWORDS = {
    "authority",
    "disable_instance_discovery",
    "base_url",
    "credential_scopes",
    "cloud",
    "cloud_metadata",
}


def _without_cloud_settings(code: str) -> str:
    """The snippet's syntax tree with the cloud's keyword arguments taken out of every call."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            node.keywords = [k for k in node.keywords if k.arg not in CLOUD_KEYWORDS]
    return ast.dump(tree)


@pytest.mark.parametrize("cloud", [CHINA, CUSTOM], ids=["sovereign", "custom"])
def test_another_clouds_snippets_differ_only_in_the_cloud_settings(cloud: AzureCloud) -> None:
    """What runs against the fake cloud in tests/azure is, but for these keywords, what a public
    cloud user pastes."""
    public, other = _all_snippets(PUBLIC_CLOUD), _all_snippets(cloud)
    for name in public:
        assert _without_cloud_settings(other[name]) == _without_cloud_settings(public[name]), name
