"""The Trials page on the azure backend: the workspace's own MLflow (``azureml://``, the fake
workspace MLflow over HTTPS with the app's token), opened from the URI the workspace reports."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.backend import WorkspaceRef
from core.mlflow_layout import OOF_ARTIFACT
from core.trials.store import client
from dashboard import session
from dashboard.views import trials as view
from tests.app.conftest import APP
from tests.azure.conftest import (  # noqa: F401 - fixtures used by name
    fake_azure,
    fake_credential,
    fake_factory,
    trust_workspace_mlflow,
    workspace_mlflow,
)
from tests.azure.fake import FakeAzure
from tests.azure.fake.mlflow_proxy import WorkspaceMlflow
from tests.azure.ml_helpers import RG, seed_workspace
from tests.azure.test_azure_trials import write_azure_sweep
from tests.conftest import AZURITE_KEY


def texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def open_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state[view.W + "tab"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.usefixtures("data_dir")
def test_the_trials_page_reviews_the_workspace_mlflow_on_azure(
    fake_factory: ClientFactory,  # noqa: F811
    fake_azure: FakeAzure,  # noqa: F811
    trust_workspace_mlflow: WorkspaceMlflow,  # noqa: F811
    tmp_path: Path,
) -> None:
    backend = AzureBackend(fake_factory, tmp_path / "seed")
    name = f"ws-page-{uuid.uuid4().hex[:6]}"
    seed_workspace(backend, fake_azure, ws=name)
    uri = backend.tracking_uri(WorkspaceRef(RG, name))
    experiment = f"azure-page-{uuid.uuid4().hex[:6]}"
    _, _, children = write_azure_sweep(client(uri), 6, with_spec=True, experiment=experiment)
    best = children[5]  # the highest accuracy (see write_azure_sweep)
    from azure.storage.blob import BlobServiceClient

    BlobServiceClient(fake_azure.blob_endpoint, credential=AZURITE_KEY).get_container_client(
        "azureml"
    ).upload_blob(
        f"ExperimentRun/dcid.{best}/{OOF_ARTIFACT}",
        b"y_true,y_pred,proba:0,proba:1\n0,0,0.8,0.2\n1,1,0.3,0.7\n1,0,0.6,0.4\n0,0,0.9,0.1\n",
        overwrite=True,
    )

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[session.BACKEND_CHOICE] = "azure"
    at.session_state[session.AZURE_CONNECTION] = fake_factory
    at.session_state[view.W + "source"] = "uri"
    at.run()
    at.switch_page("../pages/trials.py")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error) + texts(at.info) + texts(at.warning)
    uri_box = at.text_input(key=view.W + "uri_text")
    assert uri_box.placeholder == uri, "the workspace's own store is offered"
    next(b for b in at.button if b.label == "Open").click().run()  # empty: the workspace's URI
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)

    experiments = next(s for s in at.selectbox if s.label == "Experiment")
    labels = [str(o) for o in experiments.options]  # "name · id N"
    experiments.select_index(next(i for i, o in enumerate(labels) if o.startswith(experiment + " "))).run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert str(next(m.value for m in at.metric if m.label == "Trials")) == "6"
    assert at.get("plotly_chart"), "the overview charts render"

    open_tab(at, "Intermediate values")
    assert not at.error, texts(at.error)
    assert "Azure's MLflow has no bulk metric history" in texts(at.caption)
    assert at.get("plotly_chart"), "the intermediate values chart renders (the best trial's history)"
    assert trust_workspace_mlflow.count("get-history-bulk") == 0

    open_tab(at, "Best trial")
    assert not at.error, texts(at.error)
    assert f"From the predictions the trial logged ({OOF_ARTIFACT})" in texts(at.caption)
    assert best in " ".join(str(m.value) for m in at.markdown)
