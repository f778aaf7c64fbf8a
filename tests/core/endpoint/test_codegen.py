"""The endpoint snippets: the Azure entities pass the SDK's own schema offline; the curl and
``requests`` snippets run against a real server with the key from the environment."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from core.codegen.endpoint import (
    KEY_VARIABLE,
    AzureEndpointCode,
    azure_endpoint_code,
    azure_entities_code,
    curl_snippet,
    python_snippet,
)
from core.endpoint.client import split_payload

SUB = "11111111-2222-3333-4444-555555555555"


def spec(model_path: str) -> AzureEndpointCode:
    return AzureEndpointCode(
        endpoint="heart-classify-endpoint",
        deployment="heart-classify-deployment",
        model_name="best_random_forest",
        model_version=3,
        model_path=model_path,
        subscription_id=SUB,
        resource_group="rg-dev-ml-eastus-001",
        workspace="dev-heart-classifier",
        instance_count=2,
        tags={"sweep_id": "sweep-x", "accuracy": "0.85"},
    )


def test_the_azure_entities_round_trip_through_the_sdks_schema(
    served: dict[str, Any], tmp_path: Path
) -> None:
    from azure.ai.ml import load_online_deployment, load_online_endpoint

    model_dir = served["record"].deployments[0].model_dir
    namespace: dict[str, Any] = {}
    exec(compile(azure_entities_code(spec(model_dir)), "<snippet>", "exec"), namespace)  # the shown code
    for entity, loader in (
        (namespace["endpoint"], load_online_endpoint),
        (namespace["deployment"], load_online_deployment),
    ):
        data = json.loads(json.dumps(entity._to_dict()))
        path = tmp_path / f"{entity.name}.yml"
        path.write_text(yaml.safe_dump(data))
        loaded = loader(str(path))  # raises ValidationError with field paths on a bad entity
        assert json.loads(json.dumps(loaded._to_dict())) == data
    deployment = namespace["deployment"]
    assert deployment.model.type == "mlflow_model" and deployment.instance_count == 2
    assert namespace["endpoint"].auth_mode == "key"


def test_the_whole_azure_script_is_valid_python_with_every_step() -> None:
    code = azure_endpoint_code(spec("/tmp/model"))
    ast.parse(code)
    for needle in (
        "ManagedOnlineEndpoint(",
        "ManagedOnlineDeployment(",
        "type=AssetTypes.MLFLOW_MODEL",
        "online_endpoints.begin_create_or_update(endpoint)",
        "online_deployments.begin_create_or_update(deployment)",
        "endpoint.traffic = {'heart-classify-deployment': 100}",
        "online_endpoints.get_keys(name='heart-classify-endpoint')",
        "online_endpoints.invoke(",
        "deployment_name='heart-classify-deployment'",
        "begin_regenerate_keys",
        SUB,
    ):
        assert needle in code, needle


def test_the_python_snippet_scores_against_the_live_server(served: dict[str, Any], tmp_path: Path) -> None:
    rows = served["features"].head(3)
    record, key = served["record"], served["keys"].primary.reveal()
    code = python_snippet(record.scoring_uri, split_payload(rows), "heart-classify-deployment")
    assert key not in code and f"os.environ['{KEY_VARIABLE}']" in code
    script = tmp_path / "call.py"
    script.write_text(code)
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, KEY_VARIABLE: key},
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip()) == served["model"].pipeline.predict(rows).tolist()


def test_the_curl_snippet_scores_against_the_live_server(served: dict[str, Any], tmp_path: Path) -> None:
    rows = served["features"].head(2)
    record, key = served["record"], served["keys"].primary.reveal()
    code = curl_snippet(record.scoring_uri, split_payload(rows), "heart-classify-deployment")
    assert key not in code and f"${KEY_VARIABLE}" in code
    runnable = code.replace(f"export {KEY_VARIABLE}='<primary or secondary key>'", "")  # the env holds it
    out = subprocess.run(
        ["bash", "-euc", runnable],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, KEY_VARIABLE: key},
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == served["model"].pipeline.predict(rows).tolist()


def test_request_json_is_readable_and_exact() -> None:
    from core.codegen.endpoint import request_json

    payload = {"input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[1, 0.1 + 0.2], [3, None]]}}
    text = request_json(payload)
    assert text.count("\n") == 9 and "[1, 0.30000000000000004]" in text
    assert json.loads(text) == payload
    with_params = {**payload, "params": {"probabilities": True}}
    assert json.loads(request_json(with_params)) == with_params


def test_a_workspace_model_is_deployed_by_name_and_the_script_deletes_nothing(tmp_path: Path) -> None:
    from dataclasses import replace

    from azure.ai.ml import load_online_deployment

    registered = replace(
        spec("azureml:best_random_forest:3"), in_workspace=True, instance_type="Standard_F4s_v2"
    )
    namespace: dict[str, Any] = {}
    exec(compile(azure_entities_code(registered), "<snippet>", "exec"), namespace)  # the shown code
    deployment = namespace["deployment"]
    assert (
        deployment.model == "azureml:best_random_forest:3" and deployment.instance_type == "Standard_F4s_v2"
    )
    path = tmp_path / "deployment.yml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(deployment._to_dict()))))
    assert str(load_online_deployment(str(path)).model).endswith(
        "best_random_forest:3"
    )  # the schema reads it back

    script = azure_endpoint_code(registered)
    tree = ast.parse(script)
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert (
        "ml_client.online_endpoints.invoke" in calls
        and "ml_client.online_endpoints.begin_delete" not in calls
    )
    assert "# ml_client.online_endpoints.begin_delete(name='heart-classify-endpoint').result()" in script


def test_a_regressors_snippets_do_not_offer_class_probabilities() -> None:
    payload = {"input_data": {"columns": ["tau1"], "index": [0], "data": [[2.5]]}}
    uri = "https://example.invalid/score"
    for make in (curl_snippet, python_snippet):
        assert "probabilities" in make(uri, payload, None), "a classifier's snippet keeps the hint"
        assert "probabilities" not in make(uri, payload, None, classifier=False)
