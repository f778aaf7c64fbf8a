"""How the dashboard signs in to Azure: the machine's own sign-in (``az login``, environment,
managed identity), a service principal with a client secret, or a device-code sign-in started
from the app.

Every credential is built for one :class:`~core.azure.cloud.AzureCloud`: its sign-in authority
and, for an authority Microsoft does not know, instance discovery off. Secrets stay
:class:`~core.backend.Secret` until they are handed to azure-identity.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from core.backend import Secret
from core.errors import UserFacingError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from core.azure.cloud import AzureCloud

CredentialKind = Literal["default", "service_principal", "device_code"]
DeviceCodeState = Literal["starting", "waiting_for_user", "signed_in", "failed"]

# The Azure CLI's public client: a multi-tenant app every Entra tenant accepts for user sign-in
# to Resource Manager, so the device-code flow needs no app registration of its own.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TENANT = re.compile(r"^[0-9A-Za-z.-]{1,253}$")  # a GUID or a domain such as contoso.onmicrosoft.com


@dataclass(frozen=True)
class ServicePrincipal:
    """An app registration's sign-in: its tenant, application (client) ID and a client secret."""

    tenant_id: str
    client_id: str
    client_secret: Secret

    def __post_init__(self) -> None:
        if not isinstance(self.client_secret, Secret):
            object.__setattr__(self, "client_secret", Secret(str(self.client_secret)))

    def validated(self) -> ServicePrincipal:
        """The same sign-in with blanks trimmed; a clear error when a field cannot be right."""
        tenant = self.tenant_id.strip()
        client = self.client_id.strip()
        secret = self.client_secret.reveal().strip()
        if not tenant or not _TENANT.match(tenant):
            raise UserFacingError(
                f"'{tenant}' is not a tenant ID." if tenant else "The tenant ID is empty.",
                "Copy the directory (tenant) ID from the app registration's Overview page: a GUID, "
                "or a domain such as contoso.onmicrosoft.com.",
            )
        if not _GUID.match(client):
            raise UserFacingError(
                f"'{client}' is not an application (client) ID." if client else "The client ID is empty.",
                "Copy the application (client) ID, a GUID, from the app registration's Overview page.",
            )
        if not secret:
            raise UserFacingError(
                "The client secret is empty.",
                "Paste the secret's value (shown once, when it was created under Certificates & secrets).",
            )
        return ServicePrincipal(tenant, client, Secret(secret))


def default_credential(cloud: AzureCloud) -> TokenCredential:
    """The machine's own sign-in, as the Azure CLI and SDKs find it: environment variables, a
    workload or managed identity, ``az login``, ``azd auth login``, Azure PowerShell."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(**cloud.credential_kwargs())


def service_principal_credential(sp: ServicePrincipal, cloud: AzureCloud) -> TokenCredential:
    """A service principal's credential (``ClientSecretCredential``); nothing is sent until a
    token is asked for (``core.azure.connection.test_connection`` does that first)."""
    from azure.identity import ClientSecretCredential

    sp = sp.validated()
    return ClientSecretCredential(
        sp.tenant_id,
        sp.client_id,
        sp.client_secret.reveal(),
        **cloud.credential_kwargs(),
    )


class DeviceCodeSignIn:
    """A device-code sign-in run from the app: :meth:`start` asks Entra for a code on a thread;
    the page shows :attr:`user_code` and :attr:`verification_uri` and polls :meth:`poll` until
    the user has signed in in their browser (``signed_in``: :attr:`credential` is ready, its
    tokens cached in memory) or it failed (:attr:`error` says why and what to do)."""

    def __init__(
        self,
        cloud: AzureCloud,
        tenant_id: str = "organizations",
        client_id: str = AZURE_CLI_CLIENT_ID,
        *,
        timeout: int | None = None,
    ) -> None:
        self.cloud = cloud
        self.tenant_id = tenant_id.strip() or "organizations"
        self.client_id = client_id.strip() or AZURE_CLI_CLIENT_ID
        self.timeout = timeout  # seconds to wait for the user (None: until the code expires)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.state: DeviceCodeState = "starting"
        self.user_code = ""
        self.verification_uri = ""
        self.message = ""
        self.expires_at: float | None = None
        self.error = ""
        self.username = ""
        self.credential: TokenCredential | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sign-in on a daemon thread and return at once (a second call does nothing)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="azure-device-code", daemon=True)
        self._thread.start()

    def poll(self) -> str:
        with self._lock:
            return self.state

    def wait(self, states: tuple[str, ...], timeout: float) -> str:
        """Block until the state is one of ``states`` or ``timeout`` seconds pass; the state."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.state not in states:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return self.state

    def _prompt(self, verification_uri: str, user_code: str, expires_on: datetime) -> None:
        with self._changed:
            self.verification_uri = verification_uri
            self.user_code = user_code
            self.expires_at = expires_on.timestamp()
            self.message = f"Open {verification_uri} in a browser and enter the code {user_code} to sign in."
            self.state = "waiting_for_user"
            self._changed.notify_all()

    def _run(self) -> None:
        from azure.identity import DeviceCodeCredential

        from core.azure.errors import explain

        try:
            credential = DeviceCodeCredential(
                self.client_id,
                tenant_id=self.tenant_id,
                prompt_callback=self._prompt,
                timeout=self.timeout,
                disable_automatic_authentication=True,  # never block a page later: sign in again instead
                **self.cloud.credential_kwargs(),
            )
            record = credential.authenticate(scopes=[self.cloud.scope])
        except Exception as exc:  # noqa: BLE001 - every failure becomes the page's message
            try:
                problem = str(explain(exc, doing="signing in with a device code"))
            except Exception as other:  # noqa: BLE001 - not an Azure error: still say something
                problem = f"Signing in with a device code failed: {other}."
            with self._changed:
                self.error = problem
                self.state = "failed"
                self._changed.notify_all()
            return
        with self._changed:
            self.credential = credential
            self.username = record.username
            self.state = "signed_in"
            self._changed.notify_all()
