"""Azure region names accepted for resource groups and workspaces."""

from __future__ import annotations

from core.errors import UserFacingError

LOCATIONS = (
    "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus",
    "southcentralus", "westcentralus", "canadacentral", "canadaeast", "brazilsouth",
    "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "germanywestcentral",
    "switzerlandnorth", "norwayeast", "swedencentral", "polandcentral", "italynorth",
    "spaincentral", "uaenorth", "qatarcentral", "israelcentral", "southafricanorth",
    "centralindia", "southindia", "westindia", "eastasia", "southeastasia", "japaneast",
    "japanwest", "koreacentral", "koreasouth", "australiaeast", "australiasoutheast",
    "australiacentral", "newzealandnorth", "mexicocentral",
)  # fmt: skip


def validate_location(location: str) -> str:
    cleaned = location.strip().lower().replace(" ", "")
    if cleaned not in LOCATIONS:
        raise UserFacingError(
            f"'{location}' is not an Azure region name.",
            "Use the short form, such as eastus, westeurope or uksouth.",
        )
    return cleaned
