"""``run_artifact`` on the local backend: a run's artifact read through MLflow from the
workspace's own store."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient

from core.backend import WorkspaceRef
from core.errors import NotFoundError
from core.local.backend import LocalBackend
from tests.workspaces import RG, SA, WS, WS_REF


def test_a_run_artifact_reads_back_and_a_missing_one_is_none(backend: LocalBackend) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_workspace(RG, WS, SA)
    client = MlflowClient(backend.tracking_uri(WS_REF))
    run = client.create_run(client.create_experiment("artifacts")).info.run_id
    client.log_text(run, "row,fold\n0,1\n", "oof_predictions.csv")
    client.log_text(run, "flavors: {}\n", "model/MLmodel")

    assert backend.run_artifact(WS_REF, run, "oof_predictions.csv") == b"row,fold\n0,1\n"
    assert backend.run_artifact(WS_REF, run, "model/MLmodel") == b"flavors: {}\n"
    assert backend.run_artifact(WS_REF, run, "model/conda.yaml") is None
    assert backend.run_artifact(WS_REF, run, "nothing.csv") is None
    assert backend.run_artifact(WS_REF, "0" * 32, "oof_predictions.csv") is None
    with pytest.raises(NotFoundError):
        backend.run_artifact(WorkspaceRef(RG, "no-such-workspace"), run, "oof_predictions.csv")
