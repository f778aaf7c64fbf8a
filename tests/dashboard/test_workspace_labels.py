"""Workspace labels in the pickers: the resource group shows only when a name is ambiguous."""

from __future__ import annotations

from core.backend import WorkspaceRef
from dashboard.session import workspace_labels


def test_the_resource_group_shows_only_for_namesakes() -> None:
    refs = [WorkspaceRef("rg-a", "ws"), WorkspaceRef("rg-b", "ws"), WorkspaceRef("rg-a", "other")]
    label = workspace_labels(refs)
    assert [label(ref) for ref in refs] == ["ws (rg-a)", "ws (rg-b)", "other"]
    assert workspace_labels(refs[2:])(refs[2]) == "other"
