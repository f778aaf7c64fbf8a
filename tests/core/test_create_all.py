"""'Create all with these defaults': the six resources in order, reported step by step, reused on
a second run, and a clear stop at the first failure that keeps what was made."""

from __future__ import annotations

from core.create_all import create_all_with_defaults, default_names
from core.local.backend import LocalBackend
from core.resources import RESOURCE_STEP_KINDS, Kind


def test_creates_the_six_in_order_then_reuses_them(backend: LocalBackend) -> None:
    reports: list[tuple[int, str]] = []
    result = create_all_with_defaults(backend, lambda i, text: reports.append((i, text)))
    assert result.failed is None, result.error
    assert [o.resource.kind for o in result.outcomes] == list(RESOURCE_STEP_KINDS)
    assert all(o.created for o in result.outcomes)
    assert [i for i, _ in reports] == [0, 1, 2, 3, 4, 5], "one report per step, in order"
    assert "Registering environment 'sklearn-mlflow-env'" in reports[4][1]
    assert result.summary() == "All six resources are ready: 6 created, 0 existed already."
    names = default_names()
    assert {(r.kind, r.name) for r in backend.inventory()} == set(names.items())
    assert result.workspace is not None and result.workspace.name == names[Kind.WORKSPACE]

    again = create_all_with_defaults(backend, lambda i, text: None)
    assert again.summary() == "All six resources are ready: 0 created, 6 existed already."


def test_stops_at_the_first_failure_and_keeps_what_was_made(backend: LocalBackend) -> None:
    names = default_names()
    backend.create_resource_group("rg-someone-else", "eastus")
    backend.create_storage_account("rg-someone-else", names[Kind.STORAGE_ACCOUNT])  # the name is taken
    reports: list[int] = []
    result = create_all_with_defaults(backend, lambda i, text: reports.append(i))
    assert result.failed == Kind.STORAGE_ACCOUNT
    assert reports == [0, 1], "nothing is tried after the failed step"
    assert [o.resource.kind for o in result.outcomes] == [Kind.RESOURCE_GROUP]
    summary = result.summary()
    assert summary.startswith(f"Stopped at step 2 of 6, the storage account '{names[Kind.STORAGE_ACCOUNT]}':")
    assert "is taken by resource group 'rg-someone-else'" in summary
    assert f"Kept what was made before it: resource group '{names[Kind.RESOURCE_GROUP]}'." in summary
    assert "press the button again" in summary
    kinds = {r.kind for r in backend.inventory() if r.parent != "rg-someone-else"}
    assert kinds == {Kind.RESOURCE_GROUP}, "the group made before the failure is kept, nothing after"
