"""What every slice of the azure backend shares: the client factory, the subscription's ARM ids,
and turning an SDK error into a message a user can act on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from core.azure.clients import ClientFactory

T = TypeVar("T")


class AzureBase:
    """The state the slices (``core.azure.groups``, ``storage``, ``workspaces``, …) build on.

    Nothing is cached across calls but what Azure itself cannot answer (the operations this
    process started, in ``state_dir``): Azure is the source of truth, so two browser tabs, a
    reload or a restart see the same resources."""

    def __init__(self, factory: ClientFactory, state_dir: Path) -> None:
        self.factory = factory
        self.state_dir = Path(state_dir)

    @property
    def subscription_id(self) -> str:
        return self.factory.subscription_id

    def rg_id(self, resource_group: str) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{resource_group}"

    def call(self, doing: str, action: Callable[[], T]) -> T:
        """Run one SDK call; an Azure error becomes a ``UserFacingError`` saying what was being
        done, what Azure answered and how to fix it (see ``core.azure.errors``)."""
        from core.azure.errors import explain

        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - explain() re-raises what it does not know
            raise explain(exc, doing=doing) from None
