"""DataAssetsAPI: versions are immutable, numbered from 1, and keep their files.

These run in the shared workspace, which holds the heart dataset as version 1; tests that add
versions use asset names of their own."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core.data.samples import heart_sample
from core.data.schema import Schema, Task, build_schema
from core.data.split import split_frame
from core.data.store import store_dataset
from core.errors import ConflictError, InvalidNameError, NotFoundError
from core.resources import DataAsset
from tests.contract.conftest import DATASET, Shared, store_heart
from tests.workspaces import BC, SA, WS_REF

pytestmark = pytest.mark.contract_slice("data_assets")


def test_storing_the_same_split_twice_makes_one_version(shared: Shared) -> None:
    backend, first = shared.backend, shared.stored
    assert first.created and first.asset.version == 1
    again = store_heart(backend)
    assert not again.created and again.asset == first.asset
    versions = backend.data_asset_versions(WS_REF, DATASET)
    assert versions == [first.asset] and all(isinstance(v, DataAsset) for v in versions)
    assert first.asset in backend.list_data_assets(WS_REF)
    assert backend.next_data_asset_version(WS_REF, DATASET) == 2
    assert [b.name for b in backend.list_blobs(SA, BC)].count(first.blob_name) == 1


def test_a_version_keeps_its_files(shared: Shared) -> None:
    backend, asset = shared.backend, shared.stored.asset
    assert asset.name == DATASET and asset.fingerprint and asset.created_at and asset.path
    train = backend.data_asset_file(WS_REF, DATASET, 1, "train.csv")
    assert train == backend.download_blob(SA, BC, shared.stored.blob_name)
    assert "output" in train.splitlines()[0].decode().split(",")
    schema = json.loads(backend.data_asset_file(WS_REF, DATASET, 1, "schema.json"))
    assert schema["target"] == "output"
    test_rows = backend.data_asset_file(WS_REF, DATASET, 1, "test.csv").count(b"\n") - 1
    assert test_rows == asset.properties["test_rows"]


def test_a_new_version_is_added_beside_the_old_one(shared: Shared) -> None:
    backend, heart = shared.backend, shared.stored.asset
    name = "versioned-asset"
    assert backend.data_asset_versions(WS_REF, name) == []
    assert backend.next_data_asset_version(WS_REF, name) == 1
    first = dataclasses.replace(heart, name=name, fingerprint="one", description="first")
    assert backend.register_data_asset(WS_REF, first, {"train.csv": b"a\n1\n"}) == first
    second = dataclasses.replace(first, version=2, fingerprint="two", description="second")
    assert backend.register_data_asset(WS_REF, second, {"train.csv": b"a\n2\n"}) == second
    assert backend.data_asset_versions(WS_REF, name) == [first, second]
    latest = [a for a in backend.list_data_assets(WS_REF) if a.name == name]
    assert latest == [second], "the list holds the latest version of each asset"
    assert backend.data_asset_file(WS_REF, name, 1, "train.csv") == b"a\n1\n", "version 1 is unchanged"
    assert backend.data_asset_file(WS_REF, name, 2, "train.csv") == b"a\n2\n"


def test_data_asset_mistakes_are_explained(shared: Shared) -> None:
    backend, heart = shared.backend, shared.stored.asset
    with pytest.raises(ConflictError, match="version 1 exists already") as caught:
        backend.register_data_asset(WS_REF, dataclasses.replace(heart, fingerprint="x"), {"train.csv": b"x"})
    assert caught.value.fix
    with pytest.raises(InvalidNameError, match="'-heart' is not a valid"):
        backend.register_data_asset(WS_REF, dataclasses.replace(heart, name="-heart"), {})
    with pytest.raises(NotFoundError, match="no file 'nope.csv'") as missing:
        backend.data_asset_file(WS_REF, DATASET, 1, "nope.csv")
    assert missing.value.fix
    with pytest.raises(NotFoundError, match="version 9"):
        backend.data_asset_file(WS_REF, DATASET, 9, "train.csv")
    with pytest.raises(NotFoundError, match="no workspace called 'no-such-ws'"):
        backend.list_data_assets("no-such-ws")
    assert backend.data_asset_versions(WS_REF, DATASET) == [heart], "nothing was changed"


@pytest.mark.parametrize("bad", ["-heart", "heart data", "héart", "x" * 256])
def test_a_bad_data_asset_name_states_the_data_asset_rule(shared: Shared, bad: str) -> None:
    """Registering, or storing a split, under a bad name names the data asset rule (not another kind's)."""
    backend, heart = shared.backend, shared.stored.asset
    before = backend.list_data_assets(WS_REF)
    split = split_frame(heart_sample(), "output", test_fraction=0.2, seed=42)
    with pytest.raises(InvalidNameError, match="not a valid data asset name") as registered:
        backend.register_data_asset(WS_REF, dataclasses.replace(heart, name=bad), {})
    with pytest.raises(InvalidNameError, match="not a valid data asset name") as stored:
        store_dataset(backend, WS_REF, SA, BC, bad, split, _schema(), "heart sample")
    for caught in (registered, stored):
        assert "environment" not in str(caught.value) and "Rule: " in caught.value.fix
    assert backend.list_data_assets(WS_REF) == before, "nothing was registered"


def _schema() -> Schema:
    return build_schema(heart_sample(), "output", Task.CLASSIFICATION)
