"""What every "Show code" snippet shares: Python literals and the client headers.

Strings are written in double quotes, the style of the Azure docs, unless a snippet asks
for ``repr`` quoting (the endpoint step does).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable


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


def credential_code(subscription_id: str) -> str:
    """A DefaultAzureCredential and the subscription, for the management clients."""
    return f"""\
from azure.identity import DefaultAzureCredential

credential = DefaultAzureCredential()  # az login, or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET
subscription_id = {py_literal(subscription_id)}
"""


def ml_client_code(
    subscription_id: str,
    resource_group: str,
    workspace: str,
    *,
    azure_ml_imports: str = "from azure.ai.ml import MLClient\n",
    quote: Callable[[str], str] = py_literal,
) -> str:
    """The imports and an ``ml_client`` for one workspace; ``azure_ml_imports`` ends in a newline."""
    return f"""\
{azure_ml_imports}from azure.identity import DefaultAzureCredential

ml_client = MLClient(
    DefaultAzureCredential(),
    subscription_id={quote(subscription_id)},
    resource_group_name={quote(resource_group)},
    workspace_name={quote(workspace)},
)
"""
