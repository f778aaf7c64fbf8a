"""What every "Show code" snippet shares: Python literals, the credential and the clients.

Strings are written in double quotes, the style of the Azure docs, unless a snippet asks
for ``repr`` quoting (the endpoint step does).

The snippets follow the product's cloud setting (:class:`core.azure.cloud.AzureCloud`): for
the public Azure cloud they are the plain code of the Azure docs (``DefaultAzureCredential()``
and default clients); for any other cloud the credential gets the cloud's sign-in
``authority`` (and ``disable_instance_discovery``), the management clients its Resource
Manager ``base_url`` and ``credential_scopes``, and ``MLClient`` its ``cloud`` (and, for a cloud
azure-ai-ml does not know, ``cloud_metadata``). Nothing else differs between clouds.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable

from core.azure.cloud import PUBLIC_CLOUD, AzureCloud

CREDENTIAL_NOTE = "az login, or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or a managed identity"


def py_literal(value: object) -> str:
    """A Python literal: strings in double quotes like the Azure docs, lists element-wise. A
    string JSON escaping would not read back the same (a character outside the Basic Multilingual
    Plane becomes a surrogate pair) is written with ``repr``."""
    if isinstance(value, str):
        text = json.dumps(value)
        return text if ast.literal_eval(text) == value else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    return repr(value)


def text_block(text: str) -> str:
    """A multi-line literal that reads like the YAML it holds; a plain literal if unsafe."""
    if '"""' in text or "\\" in text:
        return py_literal(text)
    return '"""\\\n' + text + ("" if text.endswith("\n") else "\\n") + '"""'


def is_public(cloud: AzureCloud | None) -> bool:
    """The public Azure cloud with its default sign-in: the snippets need no cloud settings."""
    return cloud is None or cloud == PUBLIC_CLOUD


def credential_expression(cloud: AzureCloud | None = None, quote: Callable[[str], str] = py_literal) -> str:
    """``DefaultAzureCredential(...)`` for the cloud: its sign-in authority when not the public one."""
    if cloud is None or is_public(cloud):
        return "DefaultAzureCredential()"
    return (
        f"DefaultAzureCredential(authority={quote(cloud.authority)}, "
        f"disable_instance_discovery={cloud.disable_instance_discovery!r})"
    )


def _cloud_comment(cloud: AzureCloud) -> str:
    known = " (az login: run `az cloud set --name " + cloud.name + "` first)" if cloud.known else ""
    return f"# Cloud: {cloud.name}{known}; the credential signs in at its authority.\n"


def credential_code(subscription_id: str, cloud: AzureCloud | None = None) -> str:
    """A ``credential`` and the ``subscription_id``, for the management clients."""
    cloud_line = "" if cloud is None or is_public(cloud) else _cloud_comment(cloud)
    return f"""\
from azure.identity import DefaultAzureCredential

{cloud_line}credential = {credential_expression(cloud)}  # {CREDENTIAL_NOTE}
subscription_id = {py_literal(subscription_id)}
"""


def management_client(variable: str, client_class: str, cloud: AzureCloud | None = None) -> str:
    """``variable = ClientClass(credential, subscription_id)``, with the cloud's Resource Manager
    ``base_url`` and ``credential_scopes`` when it is not the public cloud."""
    if cloud is None or is_public(cloud):
        return f"{variable} = {client_class}(credential, subscription_id)\n"
    return f"""\
{variable} = {client_class}(
    credential,
    subscription_id,
    base_url={py_literal(cloud.resource_manager.rstrip("/"))},
    credential_scopes=[{py_literal(cloud.scope)}],
)
"""


def ml_cloud_arguments(cloud: AzureCloud | None, quote: Callable[[str], str] = py_literal) -> list[str]:
    """``MLClient``'s cloud keyword arguments, one per line (none for the public cloud)."""
    if cloud is None or is_public(cloud):
        return []
    lines = [f"cloud={quote(cloud.name)},"]
    metadata = cloud.ml_client_kwargs().get("cloud_metadata")
    if isinstance(metadata, dict):
        items = "".join(f"        {quote(str(k))}: {quote(str(v))},\n" for k, v in metadata.items())
        lines.append("cloud_metadata={\n" + items + "    },")
    return lines


def ml_client_call(
    credential: str,
    subscription_id: str,
    resource_group: str,
    workspace: str | None,
    cloud: AzureCloud | None = None,
    *,
    quote: Callable[[str], str] = py_literal,
    keywords: bool = True,
) -> str:
    """``MLClient(...)`` over several lines; ``subscription_id`` and ``credential`` are expressions
    (already quoted when they are literals)."""
    if keywords:
        args = [
            f"{credential},",
            f"subscription_id={subscription_id},",
            f"resource_group_name={quote(resource_group)},",
        ]
        if workspace is not None:
            args.append(f"workspace_name={quote(workspace)},")
    else:
        args = [f"{credential},", f"{subscription_id},", f"{quote(resource_group)},"]
        if workspace is not None:
            args.append(f"{quote(workspace)},")
    args += ml_cloud_arguments(cloud, quote)
    return "MLClient(\n" + "".join(f"    {a}\n" for a in args) + ")"


def ml_client_code(
    subscription_id: str,
    resource_group: str,
    workspace: str,
    *,
    azure_ml_imports: str = "from azure.ai.ml import MLClient\n",
    quote: Callable[[str], str] = py_literal,
    cloud: AzureCloud | None = None,
) -> str:
    """The imports and an ``ml_client`` for one workspace; ``azure_ml_imports`` ends in a newline."""
    call = ml_client_call(
        credential_expression(cloud, quote),
        quote(subscription_id),
        resource_group,
        workspace,
        cloud,
        quote=quote,
    )
    return f"""\
{azure_ml_imports}from azure.identity import DefaultAzureCredential

ml_client = {call}
"""
