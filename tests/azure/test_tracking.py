"""The workspace's MLflow over HTTPS with the app's own token (``core.azure.tracking``), against
the fake workspace MLflow (an HTTPS proxy in front of a real ``mlflow server``), and run artifacts
read from the workspace's artifact store (Azurite behind the fake's storage account)."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from mlflow.exceptions import MlflowException

from core.azure.backend import AzureBackend
from core.azure.tracking import explain_failure, https_url, remember_credential
from core.backend import WorkspaceRef
from core.errors import NotFoundError, UserFacingError
from core.trials.store import client, list_experiments, resolve_tracking_uri
from tests.azure.conftest import FakeCredential
from tests.azure.fake import FakeAzure
from tests.azure.fake.mlflow_proxy import WorkspaceMlflow
from tests.azure.ml_helpers import RG, seed_workspace
from tests.conftest import AZURITE_KEY


def _workspace(backend: AzureBackend, fake: FakeAzure) -> WorkspaceRef:
    """A fresh workspace (its own name: its tracking URI is its own) in the fake."""
    name = f"ws-track-{uuid.uuid4().hex[:6]}"
    seed_workspace(backend, fake, ws=name)
    return WorkspaceRef(RG, name)


def test_a_client_on_the_azureml_uri_writes_and_reads_runs_through_the_workspace_mlflow(
    azure_backend: AzureBackend,
    fake_azure: FakeAzure,
    fake_credential: FakeCredential,
    trust_workspace_mlflow: WorkspaceMlflow,
) -> None:
    ref = _workspace(azure_backend, fake_azure)
    uri = azure_backend.tracking_uri(ref)
    assert uri == trust_workspace_mlflow.tracking_uri(
        f"/subscriptions/{azure_backend.subscription_id}/resourceGroups/{RG}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/{ref.name}"
    )
    assert https_url(uri).startswith(f"https://{trust_workspace_mlflow.host}/mlflow/v1.0/subscriptions/")
    assert resolve_tracking_uri(uri) == uri

    before, asked_before = trust_workspace_mlflow.count(), len(fake_credential.scopes)
    mlflow_client = client(uri)
    experiment = mlflow_client.create_experiment(f"track-{uuid.uuid4().hex[:8]}")
    run = mlflow_client.create_run(experiment, run_name="trial-0")
    mlflow_client.log_param(run.info.run_id, "max_depth", "4")
    mlflow_client.log_metric(run.info.run_id, "roc_auc", 0.8, step=0)
    mlflow_client.log_metric(run.info.run_id, "roc_auc", 0.9, step=1)
    mlflow_client.set_terminated(run.info.run_id)

    read = client(uri).get_run(run.info.run_id)
    assert read.data.params == {"max_depth": "4"} and read.data.metrics == {"roc_auc": 0.9}
    assert [m.value for m in client(uri).get_metric_history(run.info.run_id, "roc_auc")] == [0.8, 0.9]
    assert any(e.experiment_id == experiment for e in list_experiments(uri))
    assert trust_workspace_mlflow.count() - before >= 8, "every call went through the proxy"
    # one sign-in: the sidebar's credential, asked for the cloud's Resource Manager scope, and
    # its token cached (not asked again per request)
    asked = fake_credential.scopes[asked_before:]
    assert asked == [(azure_backend.factory.cloud.scope,)] or asked == [], asked
    assert (azure_backend.factory.cloud.scope,) in fake_credential.scopes


def test_without_a_bearer_token_the_workspace_mlflow_answers_401_and_the_page_says_sign_in(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    ref = _workspace(azure_backend, fake_azure)
    azure_backend.factory.credential.token = ""  # type: ignore[attr-defined]  # a credential that yields no token
    uri = azure_backend.tracking_uri(ref)
    with pytest.raises(UserFacingError) as caught:
        list_experiments(uri)
    text = str(caught.value)
    assert "did not accept the app's sign-in (401)" in text and "Sign in again" in text
    assert "Traceback" not in text


def test_a_user_without_a_role_gets_403_and_is_told_which_role(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    azure_backend.factory.credential.token = "forbidden-token"  # type: ignore[attr-defined]
    ref = _workspace(azure_backend, fake_azure)
    with pytest.raises(UserFacingError) as caught:
        list_experiments(azure_backend.tracking_uri(ref))
    assert "may not read the workspace's MLflow" in str(caught.value) and "(403)" in str(caught.value)
    assert "AzureML Data Scientist" in str(caught.value)


class ShortLivedCredential(FakeCredential):
    """Tokens that expire within the renewal window: every request must ask for a fresh one."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(f"short-{len(self.scopes)}", int(time.time()) + 60)


def test_a_token_near_its_expiry_is_renewed_and_a_fresh_one_is_cached(
    fake_credential: FakeCredential, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    ws = f"ws-{uuid.uuid4().hex[:6]}"
    arm = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
    uri = trust_workspace_mlflow.tracking_uri(arm)
    short = ShortLivedCredential()
    remember_credential(uri, short, "https://management.azure.com/.default")
    for _ in range(3):
        client(uri).search_experiments()
    assert len(short.scopes) == 3, "a token 60 s from expiry is renewed on every request"
    remember_credential(uri, fake_credential, "https://management.azure.com/.default")
    asked = len(fake_credential.scopes)
    for _ in range(3):
        client(uri).search_experiments()
    assert len(fake_credential.scopes) - asked == 1, "an hour-long token is asked for once"


def test_routes_azure_lacks_answer_404_and_read_as_what_azure_does_not_offer(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    ref = _workspace(azure_backend, fake_azure)
    uri = azure_backend.tracking_uri(ref)
    mlflow_client = client(uri)
    name = f"model-{uuid.uuid4().hex[:8]}"
    mlflow_client.create_registered_model(name)  # the registry works (through the azureml scheme too)
    with pytest.raises(MlflowException) as alias:
        mlflow_client.get_model_version_by_alias(name, "champion")
    assert alias.value.get_http_status_code() == 404
    message = str(explain_failure(uri, alias.value))
    assert "does not offer this" in message and "model aliases" in message
    store = mlflow_client._tracking_client.store
    assert not hasattr(store, "get_metric_history_bulk"), "the REST store has no bulk history"
    assert trust_workspace_mlflow.count("registered-models/alias") >= 1


def test_the_token_is_never_in_logs_or_messages(
    azure_backend: AzureBackend,
    fake_azure: FakeAzure,
    trust_workspace_mlflow: WorkspaceMlflow,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = f"tok-{uuid.uuid4().hex}"
    azure_backend.factory.credential.token = secret  # type: ignore[attr-defined]
    ref = _workspace(azure_backend, fake_azure)
    caplog.set_level(logging.DEBUG)
    uri = azure_backend.tracking_uri(ref)
    texts: list[str] = []
    mlflow_client = client(uri)
    mlflow_client.search_experiments()
    for failing in (
        lambda: mlflow_client.get_model_version_by_alias("nope", "champion"),
        lambda: mlflow_client.get_run("0" * 32),
    ):
        with pytest.raises(MlflowException) as caught:
            failing()
        texts += [str(caught.value), str(explain_failure(uri, caught.value))]
    assert texts and all(secret not in t for t in texts)
    assert secret not in caplog.text


def test_an_unreachable_or_untrusted_workspace_mlflow_is_explained(
    monkeypatch: pytest.MonkeyPatch, workspace_mlflow: WorkspaceMlflow, closed_port_url: str
) -> None:
    arm = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
    port = closed_port_url.rstrip("/").rsplit(":", 1)[1]
    with pytest.raises(UserFacingError, match="Could not reach the workspace's MLflow at https://127.0.0.1"):
        resolve_tracking_uri(f"azureml://127.0.0.1:{port}/mlflow/v1.0{arm}")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with pytest.raises(UserFacingError, match="certificate this machine trusts"):
        resolve_tracking_uri(workspace_mlflow.tracking_uri(arm))
    with pytest.raises(UserFacingError, match="not a workspace's MLflow tracking URI"):
        resolve_tracking_uri("azureml://somewhere/else")


# -- run artifacts ------------------------------------------------------------------------------
def test_a_run_artifact_is_read_from_the_workspace_artifact_store(
    azure_backend: AzureBackend, fake_azure: FakeAzure
) -> None:
    from azure.storage.blob import BlobServiceClient

    ref = _workspace(azure_backend, fake_azure)
    run_id = f"job_{uuid.uuid4().hex[:10]}"
    container = BlobServiceClient(fake_azure.blob_endpoint, credential=AZURITE_KEY).get_container_client(
        "azureml"
    )
    container.upload_blob(
        f"ExperimentRun/dcid.{run_id}/oof_predictions.csv", b"row,fold\n0,1\n", overwrite=True
    )

    assert azure_backend.run_artifact(ref, run_id, "oof_predictions.csv") == b"row,fold\n0,1\n"
    assert azure_backend.run_artifact(ref, run_id, "model/MLmodel") is None
    assert azure_backend.run_artifact(ref, "job_never_ran", "oof_predictions.csv") is None
    with pytest.raises(NotFoundError):
        azure_backend.run_artifact(WorkspaceRef(RG, "ws-not-there"), run_id, "oof_predictions.csv")
