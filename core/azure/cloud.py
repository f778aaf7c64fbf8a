"""Which Azure cloud the azure backend talks to: the public cloud, a sovereign cloud, or any
other cloud given by its endpoints (Azure Stack, a private deployment).

Azure's SDKs serve every cloud through public settings: the management clients take
``base_url`` and ``credential_scopes``, ``MLClient`` takes ``cloud`` and ``cloud_metadata``, and
Microsoft Entra sign-in takes an ``authority`` (and, for an authority Microsoft does not know,
``disable_instance_discovery``). This module is the one place those settings come from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from core.errors import UserFacingError

# Settings read from the environment (or .env); every one is optional.
CLOUD_ENV = "AZML_AZURE_CLOUD"  # AzureCloud, AzureChinaCloud, AzureUSGovernment, or a custom name
ARM_URL_ENV = "AZML_ARM_URL"  # a custom cloud's Resource Manager URL
ARM_SCOPE_ENV = "AZML_ARM_SCOPE"  # its token scope (default: <ARM URL>/.default)
AUTHORITY_ENV = "AZURE_AUTHORITY_HOST"  # the sign-in authority, as azure-identity reads it
SKIP_DISCOVERY_ENV = "AZML_DISABLE_INSTANCE_DISCOVERY"  # "1" for an authority Microsoft does not know
PORTAL_ENV = "AZML_PORTAL_URL"
STUDIO_ENV = "AZML_STUDIO_URL"
STORAGE_SUFFIX_ENV = "AZML_STORAGE_SUFFIX"


@dataclass(frozen=True)
class AzureCloud:
    """The endpoints of one Azure cloud. ``name`` is what ``MLClient`` calls it."""

    name: str
    resource_manager: str  # e.g. https://management.azure.com/
    authority: str  # e.g. https://login.microsoftonline.com/
    portal: str
    studio: str  # Azure ML studio, e.g. https://ml.azure.com/
    storage_suffix: str  # e.g. core.windows.net
    registry_discovery: str
    arm_scope: str = ""  # default: <resource_manager>/.default
    disable_instance_discovery: bool = False

    @property
    def scope(self) -> str:
        """The token scope of Resource Manager in this cloud."""
        return self.arm_scope or self.resource_manager.rstrip("/") + "/.default"

    @property
    def known(self) -> bool:
        """A cloud azure-ai-ml ships the endpoints of (it needs no ``cloud_metadata``)."""
        return self.name in KNOWN_CLOUDS and KNOWN_CLOUDS[self.name] == replace(
            self, arm_scope="", disable_instance_discovery=False
        )

    @property
    def ml_cloud_name(self) -> str:
        """The name ``MLClient`` registers this cloud under. azure-ai-ml keeps the endpoints it
        first saw under a cloud name for the whole process, so a cloud it does not know gets a
        name of its own endpoints: changing a custom cloud's URLs in the sidebar then really
        changes where the dashboard goes, instead of silently reusing the old ones."""
        if self.known:
            return self.name
        import hashlib

        endpoints = "|".join(
            (self.resource_manager, self.authority, self.portal, self.studio, self.storage_suffix)
        )
        return f"{self.name}-{hashlib.sha256(endpoints.encode()).hexdigest()[:10]}"

    def ml_client_kwargs(self) -> dict[str, Any]:
        """``MLClient``'s cloud arguments. azure-ai-ml records the cloud for the whole process
        (``AZUREML_CURRENT_CLOUD``), which is how its internal ARM-deployment executor finds it."""
        kwargs: dict[str, Any] = {"cloud": self.ml_cloud_name}
        if not self.known:
            kwargs["cloud_metadata"] = {
                "azure_portal": self.portal,
                "resource_manager": self.resource_manager,
                "active_directory": self.authority,
                "aml_resource_id": self.studio,
                "storage_endpoint": self.storage_suffix,
                "registry_discovery_endpoint": self.registry_discovery,
            }
        return kwargs

    def management_kwargs(self) -> dict[str, Any]:
        """The management clients' cloud arguments."""
        return {"base_url": self.resource_manager.rstrip("/"), "credential_scopes": [self.scope]}

    def credential_kwargs(self) -> dict[str, Any]:
        """azure-identity's cloud arguments, for every credential type."""
        return {"authority": self.authority, "disable_instance_discovery": self.disable_instance_discovery}

    def studio_url(self, subscription_id: str, resource_group: str, workspace: str) -> str:
        """The workspace's page in Azure ML studio."""
        wsid = (
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
        )
        return f"{self.studio.rstrip('/')}/home?wsid={wsid}"


def _cloud(
    name: str, arm: str, login: str, portal: str, studio: str, suffix: str, registry: str
) -> AzureCloud:
    return AzureCloud(name, arm, login, portal, studio, suffix, registry)


# The clouds azure-ai-ml knows by name (azure/ai/ml/_azure_environments.py), with the same URLs.
KNOWN_CLOUDS: dict[str, AzureCloud] = {
    "AzureCloud": _cloud(
        "AzureCloud",
        "https://management.azure.com/",
        "https://login.microsoftonline.com/",
        "https://portal.azure.com/",
        "https://ml.azure.com/",
        "core.windows.net",
        "https://eastus.api.azureml.ms/",
    ),
    "AzureChinaCloud": _cloud(
        "AzureChinaCloud",
        "https://management.chinacloudapi.cn/",
        "https://login.chinacloudapi.cn/",
        "https://portal.azure.cn/",
        "https://ml.azure.cn/",
        "core.chinacloudapi.cn",
        "https://chinaeast2.api.ml.azure.cn/",
    ),
    "AzureUSGovernment": _cloud(
        "AzureUSGovernment",
        "https://management.usgovcloudapi.net/",
        "https://login.microsoftonline.us/",
        "https://portal.azure.us/",
        "https://ml.azure.us/",
        "core.usgovcloudapi.net",
        "https://usgovarizona.api.ml.azure.us/",
    ),
}
PUBLIC_CLOUD = KNOWN_CLOUDS["AzureCloud"]


def custom_cloud(
    name: str,
    resource_manager: str,
    authority: str,
    *,
    arm_scope: str = "",
    disable_instance_discovery: bool = True,
    portal: str = "",
    studio: str = "",
    storage_suffix: str = "",
) -> AzureCloud:
    """A cloud given by its endpoints. The URLs must be https: tokens are sent to them."""
    name = name.strip() or "CustomCloud"
    arm = _https_url(resource_manager, "Resource Manager URL")
    login = _https_url(authority, "sign-in authority")
    return AzureCloud(
        name=name,
        resource_manager=arm,
        authority=login,
        portal=_https_url(portal, "portal URL") if portal.strip() else arm,
        studio=_https_url(studio, "studio URL") if studio.strip() else PUBLIC_CLOUD.studio,
        storage_suffix=storage_suffix.strip() or PUBLIC_CLOUD.storage_suffix,
        registry_discovery=arm,
        arm_scope=arm_scope.strip(),
        disable_instance_discovery=disable_instance_discovery,
    )


def _https_url(value: str, what: str) -> str:
    url = value.strip()
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.netloc:
        raise UserFacingError(
            f"The {what} '{url}' is not an https URL.",
            "Give the full address, starting with https:// (tokens are only ever sent over HTTPS).",
        )
    return url if url.endswith("/") else url + "/"


def cloud_from_environment(environ: dict[str, str] | None = None) -> AzureCloud:
    """The cloud the settings name: a known cloud by name, or a custom one when its Resource
    Manager URL is set; the public cloud when nothing is set."""
    env = dict(os.environ if environ is None else environ)
    name = env.get(CLOUD_ENV, "").strip()
    arm = env.get(ARM_URL_ENV, "").strip()
    authority = env.get(AUTHORITY_ENV, "").strip()
    skip = env.get(SKIP_DISCOVERY_ENV, "").strip().lower() in {"1", "true", "yes"}
    if arm:
        return custom_cloud(
            name or "CustomCloud",
            arm,
            authority or PUBLIC_CLOUD.authority,
            arm_scope=env.get(ARM_SCOPE_ENV, ""),
            disable_instance_discovery=skip,
            portal=env.get(PORTAL_ENV, ""),
            studio=env.get(STUDIO_ENV, ""),
            storage_suffix=env.get(STORAGE_SUFFIX_ENV, ""),
        )
    if name and name not in KNOWN_CLOUDS:
        raise UserFacingError(
            f"{CLOUD_ENV}={name} is not a cloud this dashboard knows.",
            f"Use one of {', '.join(KNOWN_CLOUDS)}, or set {ARM_URL_ENV} (and {AUTHORITY_ENV}) "
            "for another cloud.",
        )
    cloud = KNOWN_CLOUDS[name or "AzureCloud"]
    if authority:
        cloud = replace(cloud, authority=_https_url(authority, "sign-in authority"))
    return replace(cloud, disable_instance_discovery=skip)
