"""The "Show code" snippets of the Endpoint step: curl, ``requests`` and azure-ai-ml.

Call the endpoint with curl or ``requests``, or do the same step on Azure ML. Keys never
appear in the snippets: they read ``$ENDPOINT_KEY`` / ``os.environ["ENDPOINT_KEY"]``.
The azure-ai-ml code builds ``ManagedOnlineEndpoint`` and ``ManagedOnlineDeployment`` (an
MLflow model: a no-code deployment, no scoring script or environment needed), creates them,
routes the traffic, reads the keys and invokes the endpoint. Its entity part
(:func:`azure_entities_code`) is what the tests run and check with the SDK's own schema.
"""

from __future__ import annotations

import json
import pprint
from dataclasses import dataclass, field
from typing import Any

from core.codegen.common import ml_client_code

__all__ = [
    "KEY_VARIABLE",
    "AzureEndpointCode",
    "azure_endpoint_code",
    "azure_entities_code",
    "curl_snippet",
    "python_snippet",
]

KEY_VARIABLE = "ENDPOINT_KEY"
DEPLOYMENT_HEADER = "azureml-model-deployment"


def _sh(text: str) -> str:
    """A single-quoted shell word."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def request_json(payload: dict[str, Any]) -> str:
    """The body as readable JSON: one line per row of data, the rest compact."""
    block = payload.get("input_data")
    if not isinstance(block, dict) or not isinstance(block.get("data"), list):
        return json.dumps(payload, indent=2)
    rows = ",\n".join(f"      {json.dumps(row)}" for row in block["data"])
    lines = ["{", '  "input_data": {', f'    "columns": {json.dumps(block.get("columns", []))},']
    if "index" in block:
        lines.append(f'    "index": {json.dumps(block["index"])},')
    lines += ['    "data": [', rows, "    ]", "  }"]
    extra = {k: v for k, v in payload.items() if k != "input_data"}
    if extra:
        lines[-1] += ","
        lines.append("  " + json.dumps(extra)[1:-1])
    return "\n".join([*lines, "}"])


def curl_snippet(scoring_uri: str, payload: dict[str, Any], deployment: str | None = None) -> str:
    """curl with the key from ``$ENDPOINT_KEY`` and the body from ``request.json``."""
    body = request_json(payload)
    lines = [
        "# Put the key in the environment, not in the command (copy it from the key box above):",
        f"export {KEY_VARIABLE}='<primary or secondary key>'",
        "",
        "cat > request.json <<'JSON'",
        body,
        "JSON",
        "",
        f"curl -sS -X POST {_sh(scoring_uri)} \\",
        f'  -H "Authorization: Bearer ${KEY_VARIABLE}" \\',
        "  -H 'Content-Type: application/json' \\",
    ]
    if deployment:
        lines.append(f"  -H {_sh(f'{DEPLOYMENT_HEADER}: {deployment}')} \\")
    lines.append("  --data @request.json")
    lines += ["", "# Class probabilities as well: add ?probabilities=true to the URL."]
    return "\n".join(lines) + "\n"


def python_snippet(scoring_uri: str, payload: dict[str, Any], deployment: str | None = None) -> str:
    """``requests.post`` with the key from ``os.environ["ENDPOINT_KEY"]``."""
    body = pprint.pformat(payload, width=96, sort_dicts=False, compact=True)
    header_lines = [f'    "Authorization": f"Bearer {{os.environ[{KEY_VARIABLE!r}]}}",']
    if deployment:
        header_lines.append(f"    {DEPLOYMENT_HEADER!r}: {deployment!r},  # optional: pick a deployment")
    return "\n".join(
        [
            "import os",
            "",
            "import requests",
            "",
            f"scoring_uri = {scoring_uri!r}",
            "headers = {",
            *header_lines,
            "}",
            f"body = {body}",
            "",
            "response = requests.post(scoring_uri, json=body, headers=headers, timeout=60)",
            "response.raise_for_status()",
            "print(response.json())  # one prediction per row",
            "",
            "# Class probabilities as well:",
            "# requests.post(scoring_uri, json={**body, 'params': {'probabilities': True}}, headers=headers)",
            "",
        ]
    )


@dataclass(frozen=True)
class AzureEndpointCode:
    """What the Azure code needs: the names, the model and where it runs."""

    endpoint: str
    deployment: str
    model_name: str
    model_version: int
    model_path: str  # the MLflow model folder (uploaded with the deployment)
    subscription_id: str
    resource_group: str
    workspace: str
    instance_type: str = "Standard_DS3_v2"
    instance_count: int = 1
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)


def azure_entities_code(spec: AzureEndpointCode) -> str:
    """The imports and the two entities, ``endpoint`` and ``deployment``; no Azure call."""
    tags = {k: str(v) for k, v in spec.tags.items()}
    return "\n".join(
        [
            "from azure.ai.ml.constants import AssetTypes",
            "from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Model",
            "",
            "endpoint = ManagedOnlineEndpoint(",
            f"    name={spec.endpoint!r},  # 3-32 letters, digits and '-'; unique in the region",
            f"    description={(spec.description or 'Scores ' + spec.model_name)!r},",
            '    auth_mode="key",',
            f"    tags={tags!r},",
            ")",
            "",
            "# An MLflow model needs no scoring script or environment: a no-code deployment.",
            "model = Model(",
            f"    path={spec.model_path!r},",
            "    type=AssetTypes.MLFLOW_MODEL,",
            f"    name={spec.model_name!r},",
            f"    description={f'Version {spec.model_version} in the local registry.'!r},",
            ")",
            "deployment = ManagedOnlineDeployment(",
            f"    name={spec.deployment!r},",
            f"    endpoint_name={spec.endpoint!r},",
            "    model=model,",
            f"    instance_type={spec.instance_type!r},",
            f"    instance_count={int(spec.instance_count)},",
            ")",
            "",
        ]
    )


def azure_endpoint_code(spec: AzureEndpointCode, request_file: str = "request.json") -> str:
    """The whole step on Azure ML with azure-ai-ml: create, route, keys, invoke, clean up."""
    return "\n".join(
        [
            ml_client_code(spec.subscription_id, spec.resource_group, spec.workspace, quote=repr),
            azure_entities_code(spec),
            "ml_client.online_endpoints.begin_create_or_update(endpoint).result()",
            "ml_client.online_deployments.begin_create_or_update(deployment).result()  # ~10 minutes",
            "",
            "# Route all traffic to the new deployment (a new deployment gets none by itself).",
            f"endpoint.traffic = {{{spec.deployment!r}: 100}}",
            "ml_client.online_endpoints.begin_create_or_update(endpoint).result()",
            "",
            f"endpoint = ml_client.online_endpoints.get(name={spec.endpoint!r})",
            'print("scoring URI:", endpoint.scoring_uri)',
            f"keys = ml_client.online_endpoints.get_keys(name={spec.endpoint!r})",
            "primary_key = keys.primary_key  # keep it out of notebooks and logs",
            "",
            f'# {request_file} holds {{"input_data": {{"columns": [...], "index": [...], "data": [[...]]}}}}',
            "predictions = ml_client.online_endpoints.invoke(",
            f"    endpoint_name={spec.endpoint!r},",
            f"    deployment_name={spec.deployment!r},",
            f"    request_file={request_file!r},",
            ")",
            "print(predictions)  # a JSON list, one prediction per row",
            "",
            "# A new primary key (the secondary keeps working meanwhile):",
            "# ml_client.online_endpoints.begin_regenerate_keys("
            f'name={spec.endpoint!r}, key_type="primary").result()',
            "# Delete the endpoint and its deployments when done (they bill while they run):",
            f"# ml_client.online_endpoints.begin_delete(name={spec.endpoint!r}).result()",
            "",
        ]
    )
