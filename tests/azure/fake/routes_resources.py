"""Microsoft.Resources: resource groups (spec: resources/…/stable/2025-04-01/examples/
CreateResourceGroup.json and its siblings). A pattern for the other route modules."""

from __future__ import annotations

from typing import Any

from tests.azure.fake.core import FakeAzure, Request, Response, arm_error, route

RG = "/subscriptions/{sub}/resourcegroups/{rg}"


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def check_subscription(fake: FakeAzure, sub: str) -> Response | None:
    if sub not in fake.subscriptions:
        return arm_error(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    return None


def find_group(fake: FakeAzure, sub: str, rg: str) -> dict[str, Any] | None:
    return fake.resources.get(rg_id(sub, rg).lower())


def group_not_found(rg: str) -> Response:
    return arm_error(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


@route("PUT", RG)
def create_group(fake: FakeAzure, request: Request, sub: str, rg: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    location = (request.body or {}).get("location")
    if not location:
        return arm_error(400, "LocationRequired", "The location property is required for this definition.")
    existing = find_group(fake, sub, rg)
    if existing is not None:
        if existing["location"] != location:
            return arm_error(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists in "
                f"location '{existing['location']}'.",
            )
        existing["tags"] = (request.body or {}).get("tags") or existing.get("tags") or {}
        return Response(200, existing)
    body = {
        "id": rg_id(sub, rg),
        "name": rg,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": (request.body or {}).get("tags") or {},
        "properties": {"provisioningState": "Succeeded"},
    }
    fake.resources[rg_id(sub, rg).lower()] = body
    return Response(201, body)


@route("GET", RG)
def get_group(fake: FakeAzure, request: Request, sub: str, rg: str) -> Response:
    found = find_group(fake, sub, rg)
    return Response(200, found) if found else group_not_found(rg)


@route("HEAD", RG)
def group_exists(fake: FakeAzure, request: Request, sub: str, rg: str) -> Response:
    return Response(204 if find_group(fake, sub, rg) else 404)


@route("GET", "/subscriptions/{sub}/resourcegroups")
def list_groups(fake: FakeAzure, request: Request, sub: str) -> Response:
    if (missing := check_subscription(fake, sub)) is not None:
        return missing
    prefix = f"/subscriptions/{sub}/resourcegroups/".lower()
    groups = [r for key, r in fake.resources.items() if key.startswith(prefix) and key.count("/") == 4]
    return Response(200, {"value": groups})


@route("DELETE", RG)
def delete_group(fake: FakeAzure, request: Request, sub: str, rg: str) -> Response:
    if find_group(fake, sub, rg) is None:
        return group_not_found(rg)
    prefix = rg_id(sub, rg).lower()
    fake.resources[prefix]["properties"]["provisioningState"] = "Deleting"

    def finish() -> None:
        for key in [k for k in fake.resources if k == prefix or k.startswith(prefix + "/")]:
            del fake.resources[key]
        fake.data.setdefault("deleted_groups", []).append(rg)
        from tests.azure.fake.scoring import drop_group

        drop_group(fake, sub, rg)  # the scoring servers of its online endpoints stop

    return fake.begin(request, finish, status=202, async_operation=False)
