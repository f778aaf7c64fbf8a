"""How to call the endpoint from code: curl, Python requests, and the same endpoint on Azure ML."""

from __future__ import annotations

import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo, WorkspaceRef
from core.codegen.endpoint import AzureEndpointCode, azure_endpoint_code, curl_snippet, python_snippet
from core.data.schema import Task
from core.data.store import LoadedDataset
from core.endpoint.client import split_payload
from core.settings import load_settings
from dashboard import session
from dashboard.widgets import show_code


def snippets_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### Call it from your code")
    if data is not None:
        example = split_payload(data.test.loc[:, list(data.schema.features)].head(2))
    else:
        example = {"input_data": {"columns": ["..."], "index": [0], "data": [["..."]]}}
    header = deployment.name  # the deployment tested here, whatever the traffic split says
    curl, python = st.tabs(["curl", "Python requests"])
    classifier = data is None or data.schema.task == Task.CLASSIFICATION  # unknown: keep the hint
    curl.code(curl_snippet(info.scoring_uri, example, header, classifier=classifier), language="bash")
    python.code(python_snippet(info.scoring_uri, example, header, classifier=classifier), language="python")
    st.caption("The key is read from the ENDPOINT_KEY environment variable: copy it from the key box above.")
    show_code(
        azure_endpoint_code(azure_spec(workspace, info, deployment), example),
        label="Show code: the same endpoint on Azure ML (azure-ai-ml)",
    )


def azure_spec(workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo) -> AzureEndpointCode:
    """The endpoint and deployment as the azure-ai-ml snippets need them. A model the backend keeps
    in the workspace (an ``azureml:`` location) is deployed by name; any other is uploaded."""
    location = session.backend().deployed_model(workspace, info.name, deployment.name).location
    return AzureEndpointCode(
        endpoint=info.name,
        deployment=deployment.name,
        model_name=deployment.model_name,
        model_version=deployment.model_version,
        model_path=location,
        subscription_id=load_settings().subscription_id,
        resource_group=workspace.resource_group,
        workspace=workspace.name,
        instance_type=deployment.instance_type,
        instance_count=deployment.instance_count,
        tags={"model": f"{deployment.model_name}:{deployment.model_version}"},
        in_workspace=location.startswith("azureml:"),
        cloud=session.snippet_cloud(),
    )
