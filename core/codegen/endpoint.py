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

from core.azure.cloud import AzureCloud
from core.codegen.common import ml_client_code

__all__ = [
    "KEY_VARIABLE",
    "AzureEndpointCode",
    "azure_client_code",
    "azure_delete_code",
    "azure_deploy_code",
    "azure_endpoint_code",
    "azure_entities_code",
    "azure_invoke_code",
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


def curl_snippet(
    scoring_uri: str, payload: dict[str, Any], deployment: str | None = None, *, classifier: bool = True
) -> str:
    """curl with the key from ``$ENDPOINT_KEY`` and the body from ``request.json``; a classifier's
    gets the hint for class probabilities too."""
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
    if classifier:
        lines += ["", "# Class probabilities as well: add ?probabilities=true to the URL."]
    return "\n".join(lines) + "\n"


def python_snippet(
    scoring_uri: str, payload: dict[str, Any], deployment: str | None = None, *, classifier: bool = True
) -> str:
    """``requests.post`` with the key from ``os.environ["ENDPOINT_KEY"]``; a classifier's gets
    the hint for class probabilities too."""
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
            *(
                [
                    "# Class probabilities as well:",
                    "# requests.post(scoring_uri, json={**body, 'params': {'probabilities': True}}, "
                    "headers=headers)",
                    "",
                ]
                if classifier
                else []
            ),
        ]
    )


@dataclass(frozen=True)
class AzureEndpointCode:
    """What the Azure code needs: the names, the model and where it runs.

    ``in_workspace``: the model version is registered in the workspace (the azure backend), so the
    deployment names it ``azureml:<name>:<version>``; otherwise (the local backend) the code uploads
    the MLflow model folder at ``model_path`` with the deployment."""

    endpoint: str
    deployment: str
    model_name: str
    model_version: int
    model_path: str  # the MLflow model folder (uploaded with the deployment when not in_workspace)
    subscription_id: str
    resource_group: str
    workspace: str
    instance_type: str = "Standard_DS3_v2"
    instance_count: int = 1
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    in_workspace: bool = False
    cloud: AzureCloud | None = None  # None: the public cloud


def _model_argument(spec: AzureEndpointCode) -> list[str]:
    """The lines before the deployment that name its model, and nothing for a registered one."""
    if spec.in_workspace:
        return []
    return [
        "# An MLflow model needs no scoring script or environment: a no-code deployment.",
        "model = Model(",
        f"    path={spec.model_path!r},",
        "    type=AssetTypes.MLFLOW_MODEL,",
        f"    name={spec.model_name!r},",
        f"    description={f'Version {spec.model_version} in the local registry.'!r},",
        ")",
    ]


def azure_entities_code(spec: AzureEndpointCode) -> str:
    """The imports and the two entities, ``endpoint`` and ``deployment``; no Azure call."""
    tags = {k: str(v) for k, v in spec.tags.items()}
    if spec.in_workspace:
        imports = ["from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint"]
        model = [
            "    # The registered MLflow model: a no-code deployment (no scoring script, no environment).",
            f"    model={f'azureml:{spec.model_name}:{spec.model_version}'!r},",
        ]
    else:
        imports = [
            "from azure.ai.ml.constants import AssetTypes",
            "from azure.ai.ml.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Model",
        ]
        model = ["    model=model,"]
    return "\n".join(
        [
            *imports,
            "",
            "endpoint = ManagedOnlineEndpoint(",
            f"    name={spec.endpoint!r},  # 3-32 letters, digits and '-'; unique in the region",
            f"    description={(spec.description or 'Scores ' + spec.model_name)!r},",
            '    auth_mode="key",',
            f"    tags={tags!r},",
            ")",
            "",
            *_model_argument(spec),
            "deployment = ManagedOnlineDeployment(",
            f"    name={spec.deployment!r},",
            f"    endpoint_name={spec.endpoint!r},",
            *model,
            f"    instance_type={spec.instance_type!r},  # billed per instance-hour",
            f"    instance_count={int(spec.instance_count)},",
            ")",
            "",
        ]
    )


def azure_client_code(spec: AzureEndpointCode) -> str:
    """The ``ml_client`` of the workspace the endpoint lives in."""
    return ml_client_code(
        spec.subscription_id, spec.resource_group, spec.workspace, quote=repr, cloud=spec.cloud
    )


def azure_deploy_code(spec: AzureEndpointCode) -> str:
    """Create the endpoint (key auth), the deployment, and give it all the traffic."""
    return "\n".join(
        [
            azure_entities_code(spec),
            "ml_client.online_endpoints.begin_create_or_update(endpoint).result()",
            "ml_client.online_deployments.begin_create_or_update(deployment).result()  # 5-15 minutes",
            "",
            "# Route all traffic to the new deployment (a new deployment gets none by itself).",
            f"endpoint.traffic = {{{spec.deployment!r}: 100}}",
            "ml_client.online_endpoints.begin_create_or_update(endpoint).result()",
            "",
            f"endpoint = ml_client.online_endpoints.get(name={spec.endpoint!r})",
            'print("scoring URI:", endpoint.scoring_uri)',
            "",
        ]
    )


def azure_invoke_code(
    spec: AzureEndpointCode, payload: dict[str, Any], request_file: str = "request.json"
) -> str:
    """Write the request body to a file and invoke the deployment with azure-ai-ml."""
    body = pprint.pformat(payload, width=96, sort_dicts=False, compact=True)
    return "\n".join(
        [
            "import json",
            "",
            "# A DataFrame in split orientation: the body a no-code MLflow deployment takes.",
            f"request = {body}",
            f"with open({request_file!r}, 'w') as f:",
            "    json.dump(request, f)",
            "",
            "# invoke reads the endpoint's key itself and sends the azureml-model-deployment header.",
            "answer = ml_client.online_endpoints.invoke(",
            f"    endpoint_name={spec.endpoint!r},",
            f"    request_file={request_file!r},",
            f"    deployment_name={spec.deployment!r},",
            ")",
            "print(json.loads(answer))  # a JSON list, one prediction per row",
            "",
            "# The keys, for curl or requests (keep them out of notebooks and logs):",
            f"keys = ml_client.online_endpoints.get_keys(name={spec.endpoint!r})",
            "primary_key = keys.primary_key",
            "# A new primary key (the secondary keeps working meanwhile):",
            "# ml_client.online_endpoints.begin_regenerate_keys("
            f'name={spec.endpoint!r}, key_type="primary").result()',
            "",
        ]
    )


def azure_delete_code(spec: AzureEndpointCode) -> str:
    """Take the deployment's traffic away, delete it, then the endpoint (they bill until gone)."""
    return "\n".join(
        [
            "# Billed per instance-hour until deleted. Traffic to 0 first: a deployment that still",
            "# takes traffic cannot be deleted while the endpoint has others.",
            f"endpoint = ml_client.online_endpoints.get(name={spec.endpoint!r})",
            f"endpoint.traffic = {{{spec.deployment!r}: 0}}",
            "ml_client.online_endpoints.begin_create_or_update(endpoint).result()",
            "ml_client.online_deployments.begin_delete(",
            f"    name={spec.deployment!r}, endpoint_name={spec.endpoint!r}",
            ").result()",
            f"ml_client.online_endpoints.begin_delete(name={spec.endpoint!r}).result()",
            "",
        ]
    )


def azure_endpoint_code(
    spec: AzureEndpointCode, payload: dict[str, Any] | None = None, request_file: str = "request.json"
) -> str:
    """The whole step on Azure ML with azure-ai-ml: the client, deploy, invoke; delete commented
    out (pasting the script must not delete what it just made)."""
    example = payload or {"input_data": {"columns": ["..."], "index": [0], "data": [["..."]]}}
    delete = "\n".join(
        ("# " + line if line and not line.startswith("#") else line)
        for line in azure_delete_code(spec).splitlines()
    )
    return "\n".join(
        [
            azure_client_code(spec),
            "# -- 1. Deploy -------------------------------------------------------------------",
            azure_deploy_code(spec),
            "# -- 2. Invoke -------------------------------------------------------------------",
            azure_invoke_code(spec, example, request_file),
            "# -- 3. Delete when done (uncomment) ---------------------------------------------",
            delete,
            "",
        ]
    )
