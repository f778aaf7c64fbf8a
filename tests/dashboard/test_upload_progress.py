"""The Data page's upload progress: store_dataset reports the upload, then the registration."""

from __future__ import annotations

from pathlib import Path

from core.backend import WorkspaceRef
from core.data.samples import heart_sample
from core.data.schema.build import build_schema
from core.data.split import split_frame
from core.data.store import store_dataset
from core.local.backend import LocalBackend


def test_store_dataset_reports_progress_to_the_whole_size(data_dir: Path) -> None:
    backend = LocalBackend(data_dir)
    backend.create_resource_group("rg", "eastus")
    backend.create_storage_account("rg", "acct0001")
    backend.create_blob_container("acct0001", "data")
    backend.create_workspace("rg", "ws-heart", "acct0001")
    frame = heart_sample()
    schema = build_schema(frame, "output")
    split = split_frame(frame, "output")
    seen: list[tuple[int, int]] = []
    stored = store_dataset(
        backend,
        WorkspaceRef("rg", "ws-heart"),
        "acct0001",
        "data",
        "heart",
        split,
        schema,
        "heart.csv",
        progress=lambda sent, total: seen.append((sent, total)),
    )
    assert stored.created
    assert len(seen) >= 2, seen  # the upload, then the registration
    totals = {total for _, total in seen}
    assert len(totals) == 1, "one scale for the whole store"
    sent = [s for s, _ in seen]
    assert sent == sorted(sent) and sent[-1] == totals.pop()
    assert 0 < sent[0] < sent[-1]  # the upload's share comes first
