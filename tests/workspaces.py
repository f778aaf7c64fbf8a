"""A ready workspace for tests: the tutorial's resources, a 2-instance cluster and the heart sample
stored as dataset ``heart`` version 1 (split stratified with seed 42)."""

from __future__ import annotations

from pathlib import Path

from core.backend import WorkspaceRef
from core.compute import ComputeSpec
from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.data.split import split_frame
from core.data.store import store_dataset
from core.local.backend import LocalBackend

RG, SA, BC, WS, CC = (
    "rg-dev-ml-eastus-001",
    "datadevmleastus001",
    "data4ml",
    "dev-heart-classifier",
    "heartcluster",
)
WS_REF = WorkspaceRef(RG, WS)  # how the Backend Protocol names the tutorial's workspace


def ready_workspace(data_dir: Path, test_fraction: float = 0.1) -> LocalBackend:
    backend = LocalBackend(data_dir)
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_blob_container(SA, BC)
    backend.create_workspace(RG, WS, SA)
    backend.create_compute(WS, ComputeSpec(CC, max_instances=2))
    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=test_fraction, seed=42, stratify=True)
    store_dataset(backend, WS, SA, BC, "heart", split, schema, "heart sample")
    return backend
