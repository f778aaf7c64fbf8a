"""A workspace's MLflow, reached over plain HTTPS with the app's own sign-in.

Decision (issue 16), and why. Azure ML reports a workspace's MLflow as
``azureml://<region>.api.azureml.ms/mlflow/v1.0/<workspace ARM id>``. MLflow only knows that
scheme through Microsoft's ``azureml-mlflow`` plugin, which this dashboard does NOT install:

- its pins clash with ours: it requires ``mlflow-skinny<=3.15.0`` and ``azure-storage-blob<=12.27.1``
  while this project runs MLflow 3.17 and azure-storage-blob>=12.28; pip then quietly resolves the
  plugin to a 2020 release (1.1.5) that drags azureml-core in;
- it builds its own credential chain, so a user already signed in to the sidebar could be asked
  to sign in a second time.

What the plugin does for tracking is small: its store is MLflow's own ``RestStore`` on
``https://<same host and path>`` with an Azure bearer token. This module does the same, with the
credential the user signed in with (token scope: the cloud's Resource Manager scope, as the
plugin asks for): :func:`ensure_registered` registers a builder for the ``azureml`` scheme in
MLflow's tracking-store registry (and its model-registry one), once per process, and
:func:`remember_credential` says which credential signs requests to which workspace URI. Every
request gets a token from a cache that renews it five minutes before it expires.

Run artifacts are NOT read through MLflow here (that would need the plugin's artifact repository):
Azure keeps them in the datastore ``workspaceartifactstore`` under ``ExperimentRun/dcid.<run id>/``,
which :meth:`TrackingMixin.run_artifact` reads with the backend's own blob access.

Azure's MLflow lacks some routes (model aliases, bulk metric histories): they answer 404, which
:func:`explain_failure` turns into a message saying what Azure does not offer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.azure.data_assets import DataAssetsMixin
from core.azure.lookups import WorkspaceArg, is_not_found
from core.errors import NotFoundError, UserFacingError

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential
    from mlflow.utils.rest_utils import MlflowHostCreds

SCHEME = "azureml"
ARTIFACT_DATASTORE = "workspaceartifactstore"
_RENEW_BEFORE_S = 300  # a cached token is renewed this long before it expires
_SIGN_IN_FIX = (
    "Sign in again in the sidebar; your account needs a role on the workspace that may read its "
    "jobs (AzureML Data Scientist, Contributor or Owner)."
)


class WorkspaceMlflowError(UserFacingError):
    """The workspace's MLflow could not be reached or refused the request."""


@dataclass
class _TokenSource:
    """One credential and scope; hands out a cached bearer token, renewed near its expiry."""

    credential: TokenCredential
    scope: str
    _token: AccessToken | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._token.expires_on - _RENEW_BEFORE_S <= time.time():
                self._token = self.credential.get_token(self.scope)
            return str(self._token.token)


_SOURCES: dict[str, _TokenSource] = {}  # normalised workspace URI -> who signs its requests
_LATEST: list[_TokenSource] = []  # the last credential remembered: for azureml URIs typed by hand
_REGISTRY_LOCK = threading.Lock()
_REGISTERED: list[bool] = []


def _key(uri: str) -> str:
    return uri.strip().rstrip("/").lower()


def https_url(uri: str) -> str:
    """``azureml://HOST/mlflow/v1.0/<ARM id>`` -> ``https://HOST/mlflow/v1.0/<ARM id>`` (what the
    REST calls go to, ``/api/2.0/mlflow/...`` appended by MLflow)."""
    text = uri.strip().rstrip("/")
    if not text.lower().startswith(SCHEME + "://"):
        raise UserFacingError(
            f"'{uri}' is not an azureml:// tracking URI.", "Use the workspace's tracking URI."
        )
    rest = text[len(SCHEME) + 3 :]
    host, _, path = rest.partition("/")
    if not host or not path.lower().startswith("mlflow/"):
        raise UserFacingError(
            f"'{uri}' is not a workspace's MLflow tracking URI (azureml://HOST/mlflow/v1.0/subscriptions/...).",
            "Copy the workspace's MLflow tracking URI from the Azure portal, or pick the workspace "
            "in the sidebar.",
        )
    return f"https://{host}/{path}"


def remember_credential(uri: str, credential: TokenCredential, scope: str) -> None:
    """Requests to the workspace MLflow at ``uri`` are signed with ``credential`` (token for ``scope``)."""
    ensure_registered()
    source = _SOURCES.get(_key(uri))
    if source is None or source.credential is not credential or source.scope != scope:
        source = _TokenSource(credential, scope)
        _SOURCES[_key(uri)] = source
    _LATEST[:] = [source]


def host_creds(uri: str) -> MlflowHostCreds:
    """The REST address of ``uri`` and a bearer token from the credential remembered for it (or
    the latest one remembered: a workspace URI typed by hand, in the same sign-in)."""
    from mlflow.utils.rest_utils import MlflowHostCreds

    source = _SOURCES.get(_key(uri)) or (_LATEST[0] if _LATEST else None)
    if source is None:
        raise WorkspaceMlflowError(
            f"The app is not signed in to Azure, so it cannot read the workspace's MLflow "
            f"({https_url(uri)}).",
            "Choose the azure backend and sign in in the sidebar, then open the store again.",
        )
    return MlflowHostCreds(https_url(uri), token=source.token())  # type: ignore[no-untyped-call]


def _tracking_store(store_uri: str, artifact_uri: str | None = None, **_: Any) -> Any:
    from functools import partial

    from mlflow.store.tracking.rest_store import RestStore

    https_url(store_uri)  # a clear error for a malformed URI, before any request
    return RestStore(partial(host_creds, store_uri))  # type: ignore[no-untyped-call]


def _registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> Any:
    from functools import partial

    from mlflow.store.model_registry.rest_store import RestStore

    https_url(store_uri)
    return RestStore(partial(host_creds, store_uri))  # type: ignore[no-untyped-call]


def ensure_registered() -> None:
    """Register the ``azureml`` scheme's stores with MLflow, once per process."""
    with _REGISTRY_LOCK:
        if _REGISTERED:
            return
        from mlflow.tracking._model_registry.utils import _get_store_registry
        from mlflow.tracking._tracking_service.utils import _tracking_store_registry

        _tracking_store_registry.register(SCHEME, _tracking_store)  # type: ignore[no-untyped-call]
        _get_store_registry().register(SCHEME, _registry_store)  # type: ignore[no-untyped-call]
        _REGISTERED.append(True)


# -- failures ---------------------------------------------------------------------------------
def _status_of(exc: BaseException) -> int | None:
    """The HTTP status of an MLflow REST failure (from its error code) or of a requests error."""
    from mlflow.exceptions import MlflowException

    if isinstance(exc, MlflowException):
        return int(exc.get_http_status_code())  # type: ignore[no-untyped-call]
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return int(status) if isinstance(status, int) else None


def explain_failure(uri: str, exc: BaseException, doing: str = "reading") -> UserFacingError:
    """A failure of a request to the workspace's MLflow as a message saying what to do. Never
    quotes a header (the token stays out of every message)."""
    if isinstance(exc, UserFacingError):
        return exc
    host = https_url(uri).split("/mlflow/", 1)[0]
    names = {type(c).__name__ for c in _chain(exc)}
    if "ClientAuthenticationError" in names or "CredentialUnavailableError" in names:
        return WorkspaceMlflowError(
            f"The app's Azure sign-in could not get a token for the workspace's MLflow at {host}.",
            _SIGN_IN_FIX,
        )
    if "SSLError" in names or "SSLCertVerificationError" in names:
        return WorkspaceMlflowError(
            f"The workspace's MLflow at {host} did not present a certificate this machine trusts.",
            "Check the machine's clock and proxy; behind a TLS-inspecting proxy, point REQUESTS_CA_BUNDLE "
            "at its CA bundle.",
        )
    if names & {"ConnectionError", "MaxRetryError", "NewConnectionError", "ConnectTimeout", "URLError"}:
        return WorkspaceMlflowError(
            f"Could not reach the workspace's MLflow at {host}.",
            "Check the network (and any proxy or firewall): Azure ML's MLflow answers on port 443 of "
            "the workspace's region host.",
        )
    status = _status_of(exc)
    if status == 401:
        return WorkspaceMlflowError(
            f"The workspace's MLflow at {host} did not accept the app's sign-in (401).", _SIGN_IN_FIX
        )
    if status == 403:
        return WorkspaceMlflowError(
            f"Your account may not read the workspace's MLflow at {host} (403).",
            "Ask an owner of the workspace for the AzureML Data Scientist role (or Contributor).",
        )
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    if status == 404:
        return WorkspaceMlflowError(
            f"The workspace's MLflow at {host} does not offer this ({text}).",
            "Azure ML's MLflow lacks some MLflow routes (model aliases, bulk metric histories); "
            "this page reads what it offers.",
        )
    return WorkspaceMlflowError(
        f"{doing.capitalize()} the workspace's MLflow at {host} failed: {text}",
        "Try again; if it keeps failing, check the workspace in the Azure portal.",
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        for arg in getattr(current, "args", ()):  # requests wraps urllib3's errors in args
            if isinstance(arg, BaseException) and arg not in seen:
                seen.append(arg)
                inner = getattr(arg, "reason", None)
                if isinstance(inner, BaseException):
                    seen.append(inner)
        current = current.__cause__ or current.__context__
    return seen


def is_workspace_uri(uri: str) -> bool:
    return uri.strip().lower().startswith(SCHEME + "://")


# -- the backend's part -----------------------------------------------------------------------
class TrackingMixin(DataAssetsMixin):
    """The workspace's MLflow tracking URI (signed with this backend's credential) and its runs'
    artifacts (``SweepsAPI``)."""

    def tracking_uri(self, workspace: WorkspaceArg) -> str:
        """The workspace's MLflow tracking URI, as Azure reports it; MLflow clients on it sign
        their requests with this backend's credential."""
        _, ws = self._workspace(workspace)
        uri = str(ws.mlflow_tracking_uri or "")
        if not uri:
            raise UserFacingError(
                f"Azure reports no MLflow tracking URI for workspace '{ws.name}'.",
                "Open the workspace in Azure ML studio once (it finishes its setup), then try again.",
            )
        remember_credential(uri, self.factory.credential, self.factory.cloud.scope)
        return uri

    def run_artifact(self, workspace: WorkspaceArg, run_id: str, path: str) -> bytes | None:
        """One artifact of a run, read from the workspace's artifact store (the datastore
        ``workspaceartifactstore``, ``ExperimentRun/dcid.<run id>/<path>``); None when the run has
        no such artifact."""
        from azure.core.exceptions import ResourceNotFoundError

        ref, ws = self._workspace(workspace)
        ml = self._ml(ref.resource_group, ref.name)

        def datastore() -> Any:
            try:
                return ml.datastores.get(ARTIFACT_DATASTORE)
            except Exception as exc:
                if is_not_found(exc):
                    raise NotFoundError(
                        f"Workspace '{ref.name}' has no datastore '{ARTIFACT_DATASTORE}', where Azure keeps "
                        "run artifacts.",
                        "Open the workspace in Azure ML studio once (it creates its system datastores).",
                    ) from None
                raise

        store = self.call(f"reading datastore '{ARTIFACT_DATASTORE}'", datastore)
        container = self._datastore_container(ws, store)
        blob = f"ExperimentRun/dcid.{run_id}/{path.lstrip('/')}"

        def download() -> bytes | None:
            try:
                return bytes(container.download_blob(blob).readall())
            except ResourceNotFoundError:
                return None

        return self.call(f"reading artifact '{path}' of run {run_id}", download)
