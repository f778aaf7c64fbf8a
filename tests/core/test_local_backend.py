"""The local backend against real parts: a data folder in tmp_path and MLflow on SQLite."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from core.backend import open_backend
from core.compute import ComputeSpec, machine_cores
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from core.errors import ConflictError, InvalidNameError, NotFoundError, UserFacingError
from core.local.backend import LocalBackend
from core.local.blobstore import FolderBlobStore, open_blob_store
from core.resources import RESOURCE_STEP_KINDS, Kind, Outcome
from core.settings import LOCAL_SUBSCRIPTION_ID

RG, SA, BC, WS, CC = (
    "rg-dev-ml-eastus-001",
    "datadevmleastus001",
    "data4ml",
    "dev-heart-classifier",
    "heartclassifycluster",
)


def build_all(backend: LocalBackend) -> list[Outcome]:
    return [
        backend.create_resource_group(RG, "eastus"),
        backend.create_storage_account(RG, SA),
        backend.create_blob_container(SA, BC),
        backend.create_workspace(RG, WS, SA),
        backend.create_environment(WS, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)),
        backend.create_compute(WS, ComputeSpec(CC, max_instances=1)),
    ]


def test_every_step_is_get_or_create(backend: LocalBackend) -> None:
    first = build_all(backend)
    assert all(o.created for o in first)
    again = build_all(backend)
    assert not any(o.created for o in again)
    assert all("exists already" in o.message or "exact spec" in o.message for o in again)
    assert [r.kind for r in backend.inventory()] == list(RESOURCE_STEP_KINDS)


def test_state_survives_a_restart(data_dir: Path) -> None:
    build_all(LocalBackend(data_dir))
    reopened = open_backend("local")  # a new process would build it like this, from AZML_DATA_DIR
    assert [(r.kind, r.name, r.parent) for r in reopened.inventory()] == [
        (r.kind, r.name, r.parent) for r in LocalBackend(data_dir).inventory()
    ]
    assert {r.name for r in reopened.inventory()} == {RG, SA, BC, WS, CC, "sklearn-mlflow-env"}
    assert all(r.created_at.endswith("+00:00") for r in reopened.inventory())


def test_bad_names_create_nothing(backend: LocalBackend) -> None:
    with pytest.raises(InvalidNameError, match="1–90 characters"):
        backend.create_resource_group("rg.", "eastus")
    backend.create_resource_group(RG, "eastus")
    with pytest.raises(InvalidNameError, match="lowercase letters and digits"):
        backend.create_storage_account(RG, "Data-Dev")
    backend.create_storage_account(RG, SA)
    with pytest.raises(InvalidNameError, match="no '--'"):
        backend.create_blob_container(SA, "da--ta")
    with pytest.raises(InvalidNameError, match="3–33 characters"):
        backend.create_workspace(RG, "-ws")
    backend.create_workspace(RG, WS)
    with pytest.raises(InvalidNameError, match="followed later by a letter"):
        backend.create_compute(WS, ComputeSpec("cpu-1"))
    assert {r.kind for r in backend.inventory()} == {
        Kind.RESOURCE_GROUP,
        Kind.STORAGE_ACCOUNT,
        Kind.WORKSPACE,
    }


def test_unknown_location_and_missing_parents_are_explained(backend: LocalBackend) -> None:
    with pytest.raises(UserFacingError, match="not an Azure region"):
        backend.create_resource_group(RG, "moon-base")
    with pytest.raises(NotFoundError, match="no resource group called 'nope'"):
        backend.create_storage_account("nope", SA)
    with pytest.raises(NotFoundError, match="no workspace called 'ghost'"):
        backend.create_compute("ghost", ComputeSpec(CC))
    assert backend.inventory() == []


def test_conflicts_are_refused_without_change(backend: LocalBackend) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_resource_group("rg-other", "westeurope")
    with pytest.raises(ConflictError, match="location cannot change"):
        backend.create_resource_group(RG, "westeurope")
    backend.create_storage_account(RG, SA)
    with pytest.raises(ConflictError, match="unique across all of Azure"):
        backend.create_storage_account("rg-other", SA)
    backend.create_workspace(RG, WS)
    backend.create_compute(WS, ComputeSpec(CC, vm_size="STANDARD_DS3_v2"))
    with pytest.raises(ConflictError, match="cannot change a cluster's VM size"):
        backend.create_compute(WS, ComputeSpec(CC, vm_size="STANDARD_D4s_v3"))
    assert backend.inventory()[0].properties["location"] == "eastus"


def test_workspace_is_a_working_mlflow_store(backend: LocalBackend, data_dir: Path) -> None:
    from mlflow.tracking import MlflowClient

    backend.create_resource_group(RG, "eastus")
    backend.create_workspace(RG, WS)
    uri = backend.tracking_uri(WS)
    assert uri.startswith("sqlite:///") and uri.endswith("mlflow.db")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    default = client.get_experiment("0")
    assert default.artifact_location.startswith((data_dir / "workspaces" / WS).as_uri())
    run = client.create_run("0")
    client.log_metric(run.info.run_id, "accuracy", 0.9)
    client.set_terminated(run.info.run_id)
    assert client.get_run(run.info.run_id).data.metrics == {"accuracy": 0.9}
    client.create_registered_model("probe")  # the registry lives in the same store
    assert [m.name for m in client.search_registered_models()] == ["probe"]


def test_workspace_config_matches_config_json_format(backend: LocalBackend) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_workspace(RG, WS)
    assert backend.workspace_config(WS) == {
        "subscription_id": LOCAL_SUBSCRIPTION_ID,
        "resource_group": RG,
        "workspace_name": WS,
    }


def test_folder_storage_account_has_a_working_masked_connection_string(
    backend: LocalBackend, data_dir: Path
) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_blob_container(SA, BC)
    secret = backend.storage_connection_string(SA)
    assert "AccountKey=" in str(secret) and secret.reveal() not in repr(secret), "masked unless revealed"
    conn = secret.reveal()
    assert f"AccountName={SA}" in conn and "AccountKey=" in conn
    store = open_blob_store(conn)
    assert isinstance(store, FolderBlobStore) and store.container_exists(BC)
    tampered = conn.replace("AccountKey=", "AccountKey=x")
    with pytest.raises(UserFacingError, match="does not match"):
        open_blob_store(tampered)
    secrets_file = data_dir / "secrets.json"
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    assert "AccountKey" not in (data_dir / "state.json").read_text()


def test_environment_versions_follow_content(backend: LocalBackend) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_workspace(RG, WS)
    v1 = backend.create_environment(WS, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    changed = DEFAULT_CONDA_YAML.replace("- pandas>=2.2", "- pandas>=2.3")
    v2 = backend.create_environment(WS, build_environment_spec(changed, DEFAULT_BASE_IMAGE))
    same = backend.create_environment(WS, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    assert (v1.created, v2.created, same.created) == (True, True, False)
    assert "version 2" in v2.message and "version 1" in same.message
    envs = [r for r in backend.inventory() if r.kind == Kind.ENVIRONMENT]
    assert len(envs) == 1 and envs[0].properties["latest_version"] == 2


def test_compute_is_capped_at_the_cores_and_says_so(backend: LocalBackend) -> None:
    backend.create_resource_group(RG, "eastus")
    backend.create_workspace(RG, WS)
    many = machine_cores() + 3
    outcome = backend.create_compute(WS, ComputeSpec(CC, max_instances=many))
    assert outcome.resource.properties["local_workers"] == machine_cores()
    assert outcome.resource.properties["max_instances"] == many
    assert any(f"{machine_cores()} cores" in note for note in outcome.notes)
    updated = backend.create_compute(WS, ComputeSpec(CC, max_instances=1))
    assert not updated.created and "Updated" in updated.message
    assert updated.resource.properties["local_workers"] == 1 and updated.notes == ()
    with pytest.raises(UserFacingError, match="above maximum"):
        backend.create_compute(WS, ComputeSpec(CC, min_instances=3, max_instances=1))


def test_delete_workspace_keeps_the_rest(backend: LocalBackend, data_dir: Path) -> None:
    build_all(backend)
    gone = backend.delete_workspace(WS)
    assert [r.kind for r in gone][-1] == Kind.WORKSPACE
    assert {r.name for r in gone} == {WS, CC, "sklearn-mlflow-env"}
    assert {r.name for r in backend.inventory()} == {RG, SA, BC}
    assert not (data_dir / "workspaces" / WS).exists()
    assert backend.create_workspace(RG, WS).created  # it can be made again


def test_delete_resource_group_removes_everything(backend: LocalBackend, data_dir: Path) -> None:
    build_all(backend)
    backend.create_resource_group("rg-keep", "westeurope")
    gone = backend.delete_resource_group(RG)
    assert len(gone) == 6 and gone[-1].name == RG
    assert [r.name for r in backend.inventory()] == ["rg-keep"]
    assert not (data_dir / "storage" / SA).exists() and not (data_dir / "workspaces" / WS).exists()
    assert f"storage_account/{SA}" not in json.loads((data_dir / "secrets.json").read_text())
    with pytest.raises(NotFoundError):
        backend.delete_resource_group(RG)


def test_azure_backend_without_a_sign_in_says_what_it_needs() -> None:
    with pytest.raises(UserFacingError, match="needs a sign-in") as raised:
        open_backend("azure")
    assert "sidebar" in raised.value.fix
