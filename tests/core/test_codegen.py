"""The "Show code" snippets: valid Python, filled with the user's values, no secrets."""

from __future__ import annotations

import ast

import pytest

from core import codegen
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
        ["acct123", "StorageV2", "list_keys"],
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
        ["data4ml", "heart/v3/train.csv", "upload_blob", "AssetTypes.URI_FILE", 'name="heart"'],
    ),
}


@pytest.mark.parametrize("name", list(SNIPPETS))
def test_snippet_is_python_with_the_values(name: str) -> None:
    code, expected = SNIPPETS[name]
    ast.parse(code)
    for value in expected:
        assert value in code
    assert "AccountKey=" not in code.replace("AccountKey={keys", "")


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
