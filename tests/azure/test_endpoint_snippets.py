"""The Endpoint step's azure-ai-ml "Show code" runs, as a user would paste it: register a trial
job's MLflow model, deploy it, invoke it, delete it, against the fake Azure served as a loopback
HTTPS cloud (its endpoints score for real: the fake serves them with the project's own scoring
server, the model files downloaded from Azurite where a trial job leaves them).

Every snippet is executed whole, its ``MLClient(...)`` construction included: it signs in through
the environment (``tests.azure.test_codegen_snippets.Runner``). Only the cloud differs from a
user's run: the snippets are generated for the loopback cloud, as the dashboard would generate
them for a custom cloud. The effects are read back from the fake's state and from the server.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.codegen.common import ml_client_code
from core.codegen.endpoint import (
    AzureEndpointCode,
    azure_client_code,
    azure_delete_code,
    azure_deploy_code,
    azure_invoke_code,
)
from core.codegen.register import AzureRegistration, azure_register_code
from core.endpoint.client import EndpointClient, split_payload
from tests.azure.conftest import SUBSCRIPTION
from tests.azure.ml_helpers import loopback_backend, seed_workspace, unique
from tests.azure.test_codegen_snippets import Runner, runner  # noqa: F401 - fixture used by name

pytestmark = pytest.mark.azurite

FEATURES = ["age", "chol", "thalach"]


def _trial_model(folder: Path) -> tuple[Path, pd.DataFrame, list[int]]:
    """An MLflow scikit-learn model as a trial logs it, with rows to score and its predictions."""
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.normal(size=(60, 3)) * [9, 40, 20] + [54, 240, 150], columns=FEATURES)
    target = (frame["thalach"] > 150).astype(int)
    model = LogisticRegression(max_iter=500).fit(frame, target)
    path = folder / "model"
    signature = infer_signature(frame, model.predict(frame))
    mlflow.sklearn.save_model(model, str(path), serialization_format="cloudpickle", signature=signature)
    rows = frame.head(4)
    return path, rows, model.predict(rows).tolist()


def test_register_deploy_invoke_and_delete_snippets_run_against_the_fake(
    runner: Runner,  # noqa: F811
    tmp_path: Path,
) -> None:
    from tests.azure.fake.routes_jobs import jobs_of
    from tests.azure.fake.routes_storage import _azurite

    fake = runner.fake
    rg, sa, ws = unique("rg-eps-"), unique("epsnip"), unique("ws-eps-")
    seed_workspace(loopback_backend(runner.loopback, tmp_path / "state"), fake, rg, sa, ws)
    job = unique("sweep_snip_3_")
    with fake.lock:
        jobs_of(fake, SUBSCRIPTION, rg, ws)[job] = {"name": job, "properties": {"status": "Completed"}}
    model_dir, rows, expected = _trial_model(tmp_path)
    container = _azurite(fake).get_container_client("azureml")
    if not container.exists():
        container.create_container()
    for file in model_dir.rglob("*"):
        if file.is_file():
            blob = f"ExperimentRun/dcid.{job}/model/{file.relative_to(model_dir).as_posix()}"
            container.upload_blob(blob, file.read_bytes(), overwrite=True)

    client = ml_client_code(SUBSCRIPTION, rg, ws, quote=repr, cloud=runner.cloud)
    assert runner.loopback.url in client

    # 1. Register: the trial job's logged model, by its azureml://jobs/ path, with the tags.
    register = azure_register_code(  # the same Model(...) fields the azure backend registers with
        AzureRegistration(
            name="best_logistic",
            version=1,
            job=job,
            description="The best trial.",
            tags={"sweep_id": "sweep_snip", "task": "classification", "metric.accuracy": "0.9"},
        ),
        SUBSCRIPTION,
        rg,
        ws,
        runner.cloud,
    )
    assert runner.loopback.url in register, "the snippet's own client, for the loopback cloud"
    registered = runner.run(register)["model"]
    assert (registered.name, registered.version) == ("best_logistic", "1")
    put = fake.calls("PUT", f"/workspaces/{ws}/models/best_logistic/versions/1")[-1].body["properties"]
    assert put["modelUri"] == f"azureml://jobs/{job}/outputs/artifacts/paths/model/"
    assert put["modelType"] == "mlflow_model" and put["tags"]["sweep_id"] == "sweep_snip"

    # 2. Deploy: the endpoint (key auth), the deployment of azureml:best_logistic:1, 100 % traffic.
    endpoint = unique("snip-ep-")
    spec = AzureEndpointCode(
        endpoint=endpoint,
        deployment="blue",
        model_name="best_logistic",
        model_version=1,
        model_path="azureml:best_logistic:1",
        subscription_id=SUBSCRIPTION,
        resource_group=rg,
        workspace=ws,
        instance_type="Standard_DS2_v2",
        instance_count=1,
        in_workspace=True,
        cloud=runner.cloud,
    )
    assert azure_client_code(spec) == client
    deployed = runner.run(client + "\n" + azure_deploy_code(spec))
    scoring_uri = deployed["endpoint"].scoring_uri
    assert deployed["endpoint"].traffic == {"blue": 100} and scoring_uri.startswith("http://127.0.0.1:")
    body = fake.calls("PUT", f"/onlineEndpoints/{endpoint}/deployments/blue$")[-1].body["properties"]
    assert body["model"].endswith(f"/workspaces/{ws}/models/best_logistic/versions/1")
    assert fake.calls("PUT", f"/onlineEndpoints/{endpoint}$")[0].body["properties"]["authMode"] == "Key"

    # 3. Invoke: from the request file, through the deployment header; then the key works by hand.
    invoked = runner.run(client + "\n" + azure_invoke_code(spec, split_payload(rows)))
    assert json.loads(invoked["answer"]) == expected
    assert json.loads((runner.folder / "request.json").read_text()) == split_payload(rows)
    key = invoked["primary_key"]
    by_hand = EndpointClient(scoring_uri, key, deployment="blue").score(rows)
    assert by_hand.predictions == expected

    # 4. Delete: traffic to 0, the deployment, then the endpoint; its server stops.
    runner.run(client + "\n" + azure_delete_code(spec))
    traffic = [
        c.body["properties"].get("traffic") for c in fake.calls("PUT", f"/onlineEndpoints/{endpoint}$")
    ]
    # azure-ai-ml strips the zeroes from the map it sends: {"blue": 0} goes out as no traffic at all.
    assert traffic[-2:] == [{"blue": 100}, {}], traffic
    deletes = [c.path for c in fake.requests if c.method == "DELETE" and endpoint in c.path]
    assert len(deletes) == 2 and "/deployments/blue" in deletes[0] and deletes[1].endswith(endpoint), deletes
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError):
        deployed["ml_client"].online_endpoints.get(name=endpoint)
    with pytest.raises(Exception, match="could not be reached|nothing answers|closed the connection"):
        EndpointClient(scoring_uri, key, deployment="blue", timeout=5).score(rows)
