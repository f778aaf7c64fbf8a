"""The resource model shared by both backends: kinds, records and outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    RESOURCE_GROUP = "resource_group"
    STORAGE_ACCOUNT = "storage_account"
    BLOB_CONTAINER = "blob_container"
    WORKSPACE = "workspace"
    ENVIRONMENT = "environment"
    COMPUTE = "compute"
    ENDPOINT = "endpoint"
    DEPLOYMENT = "deployment"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Kind.RESOURCE_GROUP: "resource group",
    Kind.STORAGE_ACCOUNT: "storage account",
    Kind.BLOB_CONTAINER: "blob container",
    Kind.WORKSPACE: "workspace",
    Kind.ENVIRONMENT: "environment",
    Kind.COMPUTE: "compute cluster",
    Kind.ENDPOINT: "online endpoint",
    Kind.DEPLOYMENT: "deployment",
}

# What the Resources step creates, in its order.
RESOURCE_STEP_KINDS = (
    Kind.RESOURCE_GROUP,
    Kind.STORAGE_ACCOUNT,
    Kind.BLOB_CONTAINER,
    Kind.WORKSPACE,
    Kind.ENVIRONMENT,
    Kind.COMPUTE,
)

# The kind each kind lives in; teardown follows this tree downwards.
PARENT_KIND: dict[Kind, Kind | None] = {
    Kind.RESOURCE_GROUP: None,
    Kind.STORAGE_ACCOUNT: Kind.RESOURCE_GROUP,
    Kind.BLOB_CONTAINER: Kind.STORAGE_ACCOUNT,
    Kind.WORKSPACE: Kind.RESOURCE_GROUP,
    Kind.ENVIRONMENT: Kind.WORKSPACE,
    Kind.COMPUTE: Kind.WORKSPACE,
    Kind.ENDPOINT: Kind.WORKSPACE,
    Kind.DEPLOYMENT: Kind.ENDPOINT,
}


@dataclass(frozen=True)
class Resource:
    """One thing that exists: what it is, where it lives and when it was made."""

    kind: Kind
    name: str
    parent: str | None
    created_at: str  # ISO 8601, UTC
    properties: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "parent": self.parent,
            "created_at": self.created_at,
            "properties": self.properties,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Resource:
        return cls(
            kind=Kind(data["kind"]),
            name=data["name"],
            parent=data.get("parent"),
            created_at=data["created_at"],
            properties=dict(data.get("properties", {})),
        )


@dataclass(frozen=True)
class Outcome:
    """What a get-or-create call did: ``created`` is False when it found the resource."""

    resource: Resource
    created: bool
    message: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    last_modified: datetime
    url: str


@dataclass(frozen=True)
class DataAsset:
    name: str
    version: int
    path: str  # where the data lives: the blob's URL
    description: str
    fingerprint: str  # same content, same fingerprint: re-registering it makes no new version
    created_at: str
    properties: dict[str, Any] = field(default_factory=dict)


def subtree(resources: list[Resource], root: Resource) -> list[Resource]:
    """``root`` and everything inside it, deepest first, so children go before parents."""
    found = [root]
    frontier = [root]
    while frontier:
        node = frontier.pop()
        children = [r for r in resources if PARENT_KIND[r.kind] == node.kind and r.parent == node.name]
        found.extend(children)
        frontier.extend(children)
    return list(reversed(found))


def now() -> str:
    """The current UTC time as ISO 8601 to the second, as every record stores it."""
    return datetime.now(UTC).isoformat(timespec="seconds")
