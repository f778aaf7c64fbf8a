"""The Trials review on an Azure workspace's MLflow (``azureml://``, the fake workspace MLflow):
runs as Azure's sweep jobs leave them (string params, ``mlflow.parentRunId``, no spec artifact;
the spec of an app-launched sweep in the parent's ``azml.sweep_spec`` tag), loaded through the
registered store, histories one run at a time, and what a load costs in REST calls."""

from __future__ import annotations

import json
import uuid
from typing import Any

import numpy as np
import pandas as pd
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from core.azure.backend import AzureBackend
from core.backend import WorkspaceRef
from core.mlflow_layout import TAG_PARENT, TAG_SWEEP_SPEC
from core.trials import frame_for_group, is_bulk, load_histories, load_runs, load_sweep, sweep_groups
from core.trials.history import LAZY_LIMIT, one_run_at_a_time_note
from core.trials.load import PARALLEL_PARTS, last_update
from core.trials.store import client
from tests.azure.fake import FakeAzure
from tests.azure.fake.mlflow_proxy import WorkspaceMlflow
from tests.azure.ml_helpers import RG, seed_workspace
from tests.core.trials.stores import APP_SPEC

T0 = 1_700_000_000_000


def write_azure_sweep(
    mlflow_client: MlflowClient, trials: int, *, with_spec: bool, experiment: str | None = None
) -> tuple[str, str, list[str]]:
    """A sweep job's runs as Azure's MLflow shows them: the parent (the sweep job), child runs
    with string params, per-fold steps of the primary metric and the cross-fold mean; no spec
    artifact anywhere. Returns (experiment id, parent run id, child run ids)."""
    experiment_id = mlflow_client.create_experiment(experiment or f"azure-sweep-{uuid.uuid4().hex[:8]}")
    parent = mlflow_client.create_run(experiment_id, run_name="sweep-job").info.run_id
    if with_spec:
        mlflow_client.set_tag(parent, TAG_SWEEP_SPEC, json.dumps(APP_SPEC.to_dict()))
    children = []
    for n in range(trials):
        run = mlflow_client.create_run(experiment_id, run_name=f"trial_{n}", tags={TAG_PARENT: parent})
        rate = 0.001 * (1.5**n)
        folds = [0.7 + 0.01 * (n % 7) + 0.002 * f for f in range(3)]
        mlflow_client.log_batch(
            run.info.run_id,
            params=[
                Param("learning_rate", repr(rate)),
                Param("max_iter", str(50 if n % 2 else 100)),
                Param("class_weight", "None" if n % 3 else "balanced"),
                Param("l2_regularization", str(round(0.1 * (n % 10), 2))),
            ],
            metrics=[Metric("accuracy_fold", v, T0 + f, f) for f, v in enumerate(folds)]
            + [
                Metric("accuracy", float(np.mean(folds)), T0 + 9, 2),
                Metric("accuracy_mean", float(np.mean(folds)), T0 + 9, 0),
                Metric("accuracy_std", float(np.std(folds)), T0 + 9, 0),
            ],
            tags=[RunTag("task", "classification")],
        )
        mlflow_client.set_terminated(run.info.run_id)
        children.append(run.info.run_id)
    mlflow_client.set_terminated(parent)
    return experiment_id, parent, children


def _uri(backend: AzureBackend, fake: FakeAzure) -> str:
    name = f"ws-trials-{uuid.uuid4().hex[:6]}"
    seed_workspace(backend, fake, ws=name)
    return backend.tracking_uri(WorkspaceRef(RG, name))


def test_an_azure_sweep_loads_with_its_spec_from_the_parent_tag_and_typed_params(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    uri = _uri(azure_backend, fake_azure)
    experiment_id, parent, children = write_azure_sweep(client(uri), 6, with_spec=True)

    frame = load_sweep(uri, parent, "sweep-job")
    assert len(frame) == 6 and set(frame.run_ids) == set(children)
    assert frame.meta.spec == APP_SPEC.to_dict(), "the spec comes from the parent's azml.sweep_spec tag"
    assert pd.api.types.is_float_dtype(frame.params["learning_rate"])
    assert {frame.exact_params[i]["max_iter"] for i in range(len(frame))} == {50, 100}  # a Choice: ints
    assert {frame.exact_params[i]["class_weight"] for i in range(len(frame))} == {None, "balanced"}

    # the same runs opened as an experiment (the Trials page's "any MLflow store" path)
    table = load_runs(uri, experiment_id)
    groups = sweep_groups(table)
    group = next(g for g in groups if g.parent_run_id == parent)
    grouped = frame_for_group(table, group)
    assert len(grouped) == 6 and grouped.meta.spec == APP_SPEC.to_dict()


def test_runs_this_app_did_not_launch_are_typed_from_their_string_params(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    uri = _uri(azure_backend, fake_azure)
    experiment_id, parent, _ = write_azure_sweep(client(uri), 5, with_spec=False)
    table = load_runs(uri, experiment_id)
    group = next(g for g in sweep_groups(table) if g.parent_run_id == parent)
    frame = frame_for_group(table, group)
    assert frame.meta.spec is None
    assert pd.api.types.is_float_dtype(frame.params["learning_rate"])
    assert pd.api.types.is_numeric_dtype(frame.params["l2_regularization"])
    assert "accuracy" in frame.metric_names()


def test_histories_load_one_run_at_a_time_and_the_page_is_told(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    uri = _uri(azure_backend, fake_azure)
    experiment_id, _, children = write_azure_sweep(client(uri), 4, with_spec=True)
    assert not is_bulk(uri)
    note = one_run_at_a_time_note(uri)
    assert note is not None and "Azure's MLflow has no bulk metric history" in note
    assert "one run at a time" in note and str(LAZY_LIMIT) in note

    trust_workspace_mlflow.reset_calls()
    rows = load_histories(uri, experiment_id, children[:2], ["accuracy_fold"])
    assert sorted(set(rows["run_id"])) == sorted(children[:2])
    assert sorted(rows["step"].unique().tolist()) == [0, 1, 2]
    assert trust_workspace_mlflow.count("metrics/get-history") == 2, "one call per run and key only"
    assert trust_workspace_mlflow.count("get-history-bulk") == 0, (
        "the bulk routes Azure lacks are never asked"
    )


def test_rest_calls_of_a_trials_load(
    azure_backend: AzureBackend, fake_azure: FakeAzure, trust_workspace_mlflow: WorkspaceMlflow
) -> None:
    """A sweep of N trials: one get of the parent, then ceil(N / page) searches."""
    uri = _uri(azure_backend, fake_azure)
    experiment_id, parent, _ = write_azure_sweep(client(uri), 25, with_spec=True)
    calls: dict[str, Any] = {}
    trust_workspace_mlflow.reset_calls()
    frame = load_sweep(uri, parent, "sweep-job")
    calls["sweep"] = trust_workspace_mlflow.count()
    assert len(frame) == 25
    assert trust_workspace_mlflow.count("runs/get") == 1 and trust_workspace_mlflow.count("runs/search") == 1
    assert calls["sweep"] == 2, trust_workspace_mlflow.calls

    trust_workspace_mlflow.reset_calls()
    table = load_runs(uri, experiment_id, page_size=10)
    assert len(table) == 26  # the parent too
    # the newest page, the oldest start time, then at once the runs sharing the page's last start
    # time and PARALLEL_PARTS start-time slices of the 16 others (under 10 each: one page each)
    assert trust_workspace_mlflow.count("runs/search") == 3 + PARALLEL_PARTS
    every = client(uri).search_runs([experiment_id])
    assert sorted(table.runs["run_id"]) == sorted(r.info.run_id for r in every)

    # what the page pays on every rerun to know whether its cached load is stale: two one-row searches
    trust_workspace_mlflow.reset_calls()
    last_update(uri, experiment_id)
    assert trust_workspace_mlflow.count() == 2 == trust_workspace_mlflow.count("runs/search")
