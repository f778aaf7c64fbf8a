"""Storing a split: train split to blob + versioned data asset; test split and schema kept with it."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from core.data.samples import heart_sample
from core.data.schema import FeatureType, Schema, Task, build_schema
from core.data.split import Split, split_frame
from core.data.store import load_dataset, store_dataset
from core.errors import InvalidNameError, UserFacingError
from core.local.backend import LocalBackend

RG, SA, BC, WS = "rg-dev-ml-eastus-001", "datadevmleastus001", "data4ml", "dev-heart-classifier"


def workspace_with_container(backend: LocalBackend, connection_string: str | None = None) -> LocalBackend:
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA, connection_string)
    backend.create_blob_container(SA, BC)
    backend.create_workspace(RG, WS, SA)
    return backend


def heart_split(seed: int = 7) -> tuple[Split, Schema]:
    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    return split_frame(frame, "output", test_fraction=0.1, seed=seed, stratify=True), schema


def test_store_uploads_only_the_train_split_and_registers_a_version(backend: LocalBackend) -> None:
    workspace_with_container(backend)
    split, schema = heart_split()
    stored = store_dataset(backend, WS, SA, BC, "heart", split, schema, "heart sample")
    assert stored.created and stored.asset.version == 1
    assert stored.blob_name == "heart/v1/train.csv"
    assert [b.name for b in backend.list_blobs(SA, BC)] == ["heart/v1/train.csv"]
    uploaded = pd.read_csv(io.BytesIO(backend.download_blob(SA, BC, stored.blob_name)))
    assert len(uploaded) == len(split.train) == 273
    assert stored.asset.properties["test_rows"] == len(split.test) == 30
    assert stored.asset.properties["target"] == "output"
    assert "registered data asset 'heart' version 1" in stored.message


def test_storing_the_same_split_twice_is_get_or_create(backend: LocalBackend) -> None:
    workspace_with_container(backend)
    split, schema = heart_split()
    first = store_dataset(backend, WS, SA, BC, "heart", split, schema, "s")
    again = store_dataset(backend, WS, SA, BC, "heart", split, schema, "s")
    assert not again.created and again.asset.version == first.asset.version == 1
    assert "holds this split already" in again.message
    other_split, _ = heart_split(seed=8)
    second = store_dataset(backend, WS, SA, BC, "heart", other_split, schema, "s")
    assert second.created and second.asset.version == 2
    assert [a.version for a in backend.data_asset_versions(WS, "heart")] == [1, 2]


def test_a_restart_finds_both_splits_and_the_schema(data_dir: Path) -> None:
    backend = workspace_with_container(LocalBackend(data_dir))
    split, schema = heart_split()
    overrides = {"age": None, "cp": FeatureType.NUMERIC}
    schema = build_schema(split.train, "output", Task.CLASSIFICATION, overrides)
    store_dataset(backend, WS, SA, BC, "heart", split, schema, "heart sample")

    loaded = load_dataset(LocalBackend(data_dir), WS, "heart")  # a new process would do exactly this
    assert loaded.asset.version == 1
    assert loaded.schema == schema
    assert "age" in loaded.schema.excluded
    assert "cp" in loaded.schema.columns_of(FeatureType.NUMERIC)
    pd.testing.assert_frame_equal(loaded.train, split.train.reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(loaded.test, split.test.reset_index(drop=True), check_dtype=False)


def test_loading_what_is_not_there_is_explained(backend: LocalBackend) -> None:
    workspace_with_container(backend)
    with pytest.raises(UserFacingError, match="has no dataset 'heart'"):
        load_dataset(backend, WS, "heart")
    split, schema = heart_split()
    store_dataset(backend, WS, SA, BC, "heart", split, schema, "s")
    with pytest.raises(UserFacingError, match="has no version 9"):
        load_dataset(backend, WS, "heart", 9)


def test_a_bad_asset_name_creates_nothing(backend: LocalBackend) -> None:
    workspace_with_container(backend)
    split, schema = heart_split()
    with pytest.raises(InvalidNameError):
        store_dataset(backend, WS, SA, BC, "bad name!", split, schema, "s")
    assert backend.list_blobs(SA, BC) == []
    assert backend.list_data_assets(WS) == []


@pytest.mark.azurite
def test_store_on_an_azurite_account(backend: LocalBackend, azurite: str) -> None:
    workspace_with_container(backend, azurite)
    split, schema = heart_split()
    stored = store_dataset(backend, WS, SA, BC, "heart", split, schema, "heart sample")
    assert stored.asset.path.startswith("http://127.0.0.1:")
    assert [b.name for b in backend.list_blobs(SA, BC)] == ["heart/v1/train.csv"]
    assert load_dataset(backend, WS, "heart").train.shape == split.train.shape
