"""Teardown's warning: what a workspace holds that goes with it, as the backend lists it."""

from __future__ import annotations

from core.backend import WorkspaceRef
from core.local.backend import LocalBackend
from core.resources import DataAsset, now
from core.teardown import SHOWN_NAMES, Contents, workspace_contents

WS = WorkspaceRef("rg-td", "ws-td")


def _asset(name: str, version: int) -> DataAsset:
    return DataAsset(name, version, "file:///x", "d", f"f{version}", now(), {"target": "y"})


def test_lists_the_workspace_s_endpoints_and_datasets(backend: LocalBackend) -> None:
    backend.create_resource_group(WS.resource_group, "eastus")
    backend.create_workspace(WS.resource_group, WS.name)
    assert workspace_contents(backend, WS) == [], "an empty workspace holds nothing more"
    backend.register_data_asset(WS, _asset("heart", 1), {"test.csv": b"a"})
    backend.register_data_asset(WS, _asset("heart", 2), {"test.csv": b"b"})
    backend.create_endpoint(WS, "ep-td")
    lines = [c.line() for c in workspace_contents(backend, WS)]
    assert lines == ["online endpoints (1): ep-td", "datasets (1): heart (latest v2)"]


def test_a_long_list_is_cut_and_an_unlisted_kind_says_why() -> None:
    names = tuple(f"m{i}" for i in range(SHOWN_NAMES + 3))
    assert Contents("registered models", names).line().endswith(f"m{SHOWN_NAMES - 1} and 3 more")
    assert Contents("sweeps", unknown="Azure did not answer.").line() == (
        "sweeps: could not be listed (Azure did not answer.)"
    )
