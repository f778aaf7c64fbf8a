"""Turn what Azure's SDKs raise into a message a user can act on.

Every Azure call of the backend goes through :meth:`core.azure.base.AzureBase.call`, which hands
any exception to :func:`explain`. A known Azure failure becomes a ``UserFacingError`` (a subclass
of :class:`AzureProblem`, which keeps Azure's status, error code and ``Retry-After``) saying what
was being done, what Azure answered and how to fix it. Anything else is re-raised unchanged: a bug
must show as a bug, not as a polite message.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from core.errors import ConflictError, NotFoundError, UserFacingError

_MAX_DETAIL = 300  # characters of Azure's own message kept in ours


class AzureProblem(UserFacingError):
    """An Azure request failed. ``status`` is the HTTP status (None without an answer),
    ``code`` Azure's error code (``AuthorizationFailed``, ``AADSTS7000215``…), ``retry_after``
    the seconds Azure asked to wait (429 and some 503)."""

    def __init__(
        self,
        problem: str,
        fix: str = "",
        *,
        status: int | None = None,
        code: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(problem, fix)
        self.status = status
        self.code = code
        self.retry_after = retry_after


class AzureSignInError(AzureProblem):
    """No credential, a wrong tenant, a wrong or expired secret, a sign-in that was declined."""


class AzurePermissionError(AzureProblem):
    """Signed in, but the identity has no role that allows the action (403)."""


class AzureNotFoundError(AzureProblem, NotFoundError):
    """The subscription, resource group or resource does not exist (404)."""


class AzureConflictError(AzureProblem, ConflictError):
    """The resource exists in a way that contradicts the request, or its name is taken (409)."""


class AzureThrottledError(AzureProblem):
    """Too many requests (429): ``retry_after`` says how long to wait."""


class AzureNetworkError(AzureProblem):
    """No answer at all: no network, a wrong address, a proxy, or a TLS certificate not trusted."""


class AzureQuotaError(AzureProblem):
    """The subscription's quota or policy does not allow the request."""


def _sentence(doing: str) -> str:
    doing = doing.strip().rstrip(".")
    return doing[:1].upper() + doing[1:] if doing else "The Azure request"


def _short(text: str) -> str:
    """Azure's message on one line, without request ids and timestamps, at most _MAX_DETAIL."""
    text = re.sub(r"\s+", " ", text or "").strip()
    text = re.sub(r"\s*(Trace ID|Correlation ID|Timestamp|RequestId):.*$", "", text, flags=re.IGNORECASE)
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1].rstrip() + "…"
    return text


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for name in ("Retry-After", "x-ms-retry-after-ms", "retry-after-ms"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        return seconds / 1000 if name.endswith("-ms") else seconds
    return None


def _reraise(exc: BaseException) -> NoReturn:
    raise exc


def explain(exc: BaseException, *, doing: str) -> UserFacingError:
    """The ``UserFacingError`` for an exception raised while ``doing`` (a phrase such as
    "creating storage account 'abc'"); a ``UserFacingError`` passes through unchanged, an
    exception that is not an Azure failure is re-raised."""
    if isinstance(exc, UserFacingError):
        return exc
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    try:
        from azure.identity import CredentialUnavailableError
    except ImportError:  # pragma: no cover - azure-identity is a dependency
        CredentialUnavailableError = ()  # type: ignore[assignment,misc]  # noqa: N806

    try:
        from azure.identity import AuthenticationRequiredError
    except ImportError:  # pragma: no cover
        AuthenticationRequiredError = ()  # type: ignore[assignment,misc]  # noqa: N806

    what = _sentence(doing)
    cause = exc.__cause__ or exc.__context__
    no_answer = isinstance(cause, (ServiceRequestError, ServiceResponseError))
    if isinstance(exc, ClientAuthenticationError) and no_answer and cause is not None:
        return _network_error(cause, what)  # sign-in could not reach the authority
    if isinstance(exc, AuthenticationRequiredError):
        return AzureSignInError(
            f"{what} failed: your Azure sign-in has expired or does not cover this request.",
            "Sign in again on the Connection page, then try again.",
        )
    if isinstance(exc, CredentialUnavailableError):
        return AzureSignInError(
            f"{what} failed: no Azure sign-in was found ({_short(str(exc)).split('. ')[0]}).",
            "Sign in on the Connection page (service principal or device code), or run `az login` "
            "in the terminal that starts the dashboard, then try again.",
        )
    sign_in_status = getattr(exc, "status_code", None) in (None, 400, 401)
    if isinstance(exc, ClientAuthenticationError) and sign_in_status and not _is_arm(exc):
        return _sign_in_error(exc, what)
    if isinstance(exc, HttpResponseError):
        return _http_error(exc, what)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return _network_error(exc, what)
    _reraise(exc)


def _is_arm(exc: Any) -> bool:
    """A ClientAuthenticationError from Resource Manager itself (a 401 answer with an ARM body),
    rather than from sign-in."""
    return getattr(exc, "response", None) is not None and _arm_code(exc) != ""


def _arm_code(exc: Any) -> str:
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or getattr(exc, "error_code", None) or ""
    return str(code)


def _arm_message(exc: Any) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    if message:
        return str(message)
    text = str(getattr(exc, "message", "") or exc)
    # azure-core puts "(Code) message\nCode: …\nMessage: …" in str(); keep the first line.
    return text.splitlines()[0] if text else ""


# Microsoft Entra's sign-in errors by AADSTS number: what it means and the fix.
_AADSTS: dict[str, tuple[str, str]] = {
    "7000215": (
        "the client secret is wrong",
        "Copy the secret's value (not its ID) from the app registration's Certificates & secrets "
        "page, or create a new secret, and sign in again.",
    ),
    "7000222": (
        "the client secret has expired",
        "Create a new secret in the app registration's Certificates & secrets page and sign in again.",
    ),
    "700016": (
        "no application with this client ID exists in the tenant",
        "Check the application (client) ID and the tenant ID on the app registration's Overview page.",
    ),
    "90002": (
        "the tenant does not exist",
        "Check the directory (tenant) ID: it is on the app registration's Overview page, or in the "
        "portal under Microsoft Entra ID.",
    ),
    "900023": (
        "the tenant ID is not valid",
        "The tenant is a GUID such as 72f988bf-…, or a domain such as contoso.onmicrosoft.com.",
    ),
    "50126": (
        "the user name or password is wrong",
        "Sign in again with the right account.",
    ),
    "70016": (
        "the device code sign-in is still waiting for you",
        "Open the sign-in page, enter the code, and finish signing in.",
    ),
    "70018": (
        "the sign-in was declined in the browser",
        "Start the sign-in again and approve it with the account that can use the subscription.",
    ),
    "70019": (
        "the device code expired before the sign-in was finished",
        "Start the sign-in again and enter the new code within 15 minutes.",
    ),
    "50020": (
        "this account does not belong to the tenant",
        "Sign in with an account of this tenant, or invite it as a guest.",
    ),
    "65001": (
        "the application has no consent to use Azure Resource Manager",
        "Ask an administrator to grant consent to the application.",
    ),
}


def _chain_text(exc: BaseException) -> str:
    """The messages of ``exc`` and the exceptions it came from (MSAL replaces Entra's answer
    with its own sentence and keeps the answer as the context)."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts.append(str(getattr(current, "message", "") or current))
        current = current.__cause__ or current.__context__
    return " | ".join(texts)


def _sign_in_error(exc: Any, what: str) -> AzureSignInError:
    text = str(getattr(exc, "message", "") or exc)
    found = re.search(r"AADSTS(\d+)", text) or re.search(r"AADSTS(\d+)", _chain_text(exc))
    if found and found.group(1) in _AADSTS:
        meaning, fix = _AADSTS[found.group(1)]
        return AzureSignInError(
            f"{what} failed: Microsoft Entra refused the sign-in because {meaning} (AADSTS{found.group(1)}).",
            fix,
            status=exc.status_code,
            code=f"AADSTS{found.group(1)}",
        )
    lowered = text.lower()
    if "failed to retrieve a token from the included credentials" in lowered:
        return AzureSignInError(
            f"{what} failed: no Azure sign-in was found on this machine (no environment credentials, "
            "managed identity or `az login`).",
            "Sign in on the Connection page (service principal or device code), or run `az login` in "
            "the terminal that starts the dashboard, then try again.",
            status=exc.status_code,
        )
    if "timed out waiting for user" in lowered:
        return AzureSignInError(
            f"{what} failed: nobody finished the sign-in in the browser before the code expired.",
            "Start the sign-in again, open the page shown and enter the new code.",
            status=exc.status_code,
        )
    if "unable to get authority configuration" in lowered or "oidc discovery failed" in lowered:
        return AzureSignInError(
            f"{what} failed: the sign-in authority did not answer for this tenant (no such tenant, "
            "or not a Microsoft Entra authority).",
            "Check the directory (tenant) ID and the cloud's sign-in authority in Settings.",
            status=exc.status_code,
        )
    if "authority" in lowered and ("not" in lowered or "invalid" in lowered):
        return AzureSignInError(
            f"{what} failed: the sign-in authority was not accepted ({_short(text)}).",
            "Check the tenant ID and the cloud's sign-in authority in Settings.",
            status=exc.status_code,
        )
    code = f"AADSTS{found.group(1)}" if found else ""
    return AzureSignInError(
        f"{what} failed: Azure could not sign you in ({_short(text)}).",
        "Check the tenant ID, client ID and secret (or sign in again on the Connection page), then "
        "try again.",
        status=exc.status_code,
        code=code,
    )


def _http_error(exc: Any, what: str) -> AzureProblem:
    from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

    status: int | None = exc.status_code
    if status is None and isinstance(exc, ResourceNotFoundError):
        status = 404
    elif status is None and isinstance(exc, ResourceExistsError):
        status = 409
    code = _arm_code(exc)
    answered = " ".join(str(x) for x in (status, code) if x)
    detail = _short(_arm_message(exc))
    if detail:
        said = f"Azure answered {answered}: {detail}" if answered else f"Azure answered: {detail}"
    else:
        said = f"Azure answered {answered or 'with an error'}."
    retry = _retry_after(getattr(exc, "response", None))
    common: dict[str, Any] = {"status": status, "code": code, "retry_after": retry}

    if status == 429 or code in {"TooManyRequests", "SubscriptionRequestsThrottled"}:
        wait = f"{retry:g} seconds" if retry is not None else "a minute"
        return AzureThrottledError(
            f"{what} failed: Azure is throttling this subscription (too many requests). {said}",
            f"Wait {wait} and try again.",
            **common,
        )
    if code == "MissingSubscriptionRegistration" or code == "SubscriptionNotRegistered":
        namespace = _namespace(detail) or "the resource provider"
        return AzureProblem(
            f"{what} failed: the subscription is not registered for {namespace}. {said}",
            f"Register it once: in the portal, Subscriptions → your subscription → Resource "
            f"providers → {namespace} → Register (or `az provider register --namespace "
            f"{namespace}`), wait until it shows Registered, then try again.",
            **common,
        )
    if code in {"AuthenticationFailed", "KeyBasedAuthenticationNotPermitted"}:
        return AzurePermissionError(
            f"{what} failed: the storage account refused its key. {said}",
            "If shared key access is turned off on the account (Configuration in the portal), turn it "
            "on; if the keys were just rotated, try again.",
            **common,
        )
    if status == 403 or code in {"AuthorizationFailed", "LinkedAuthorizationFailed"}:
        return AzurePermissionError(
            f"{what} failed: your identity has no permission for this. {said}",
            "Ask an owner of the subscription (or resource group) to give your account or service "
            "principal the Contributor role (Access control (IAM) in the portal), wait a few "
            "minutes for it to apply, then try again.",
            **common,
        )
    if status == 401 or code in {"InvalidAuthenticationToken", "ExpiredAuthenticationToken"}:
        return AzureSignInError(
            f"{what} failed: Azure did not accept the sign-in token. {said}",
            "Sign in again on the Connection page; check that the tenant is the subscription's tenant.",
            **common,
        )
    if code == "StorageAccountAlreadyTaken" or code == "StorageAccountAlreadyExists":
        return AzureConflictError(
            f"{what} failed: this storage account name is taken by someone else; storage account "
            f"names are unique across all of Azure. {said}",
            "Pick another name (3–24 lowercase letters and digits), for example with a short random suffix.",
            **common,
        )
    if code in {"QuotaExceeded", "OperationNotAllowed", "RequestDisallowedByPolicy", "InsufficientQuota"} or (
        "quota" in detail.lower()
    ):
        policy = code == "RequestDisallowedByPolicy"
        return AzureQuotaError(
            f"{what} failed: {'a policy of your organisation' if policy else 'the subscription quota'} "
            f"does not allow it. {said}",
            "Ask the subscription's administrator about the policy, or choose another location or size."
            if policy
            else "Choose a smaller size or another location, free some quota, or request more in "
            "the portal (Subscriptions → Usage + quotas), then try again.",
            **common,
        )
    if status == 404 or code.endswith("NotFound"):
        return AzureNotFoundError(
            f"{what} failed: {_not_found_subject(code)} does not exist. {said}",
            _not_found_fix(code),
            **common,
        )
    if status == 409:
        return AzureConflictError(
            f"{what} failed: it conflicts with what exists already. {said}",
            "Wait for any running operation on it to finish, or choose another name, then try again.",
            **common,
        )
    if status is not None and status >= 500:
        return AzureProblem(
            f"{what} failed: Azure had an internal error. {said}",
            "This is usually temporary: wait a minute and try again; if it persists, check the "
            "Azure status page.",
            **common,
        )
    return AzureProblem(
        f"{what} failed. {said}",
        "Check the values you entered against Azure's message, then try again.",
        **common,
    )


def _namespace(text: str) -> str:
    found = re.search(r"namespace '?([A-Za-z]+\.[A-Za-z.]+?)'?[ .,]", text + " ")
    if found:
        return found.group(1).rstrip(".")
    found = re.search(r"\b(Microsoft\.[A-Za-z]+)", text)
    return found.group(1) if found else ""


def _not_found_subject(code: str) -> str:
    return {
        "SubscriptionNotFound": "the subscription",
        "ResourceGroupNotFound": "the resource group",
        "ContainerNotFound": "the blob container",
        "BlobNotFound": "the blob",
        "ResourceNotFound": "the resource",
    }.get(code, "what it needs")


def _not_found_fix(code: str) -> str:
    if code == "SubscriptionNotFound":
        return (
            "Check the subscription ID, and that your account can see it (Subscriptions in the "
            "portal); pick the subscription again on the Connection page."
        )
    if code == "ResourceGroupNotFound":
        return "Create the resource group first (Resources step), or check its name."
    return "Check the name, or create it first, then try again."


def _network_error(exc: Any, what: str) -> AzureNetworkError:
    text = str(exc)
    lowered = text.lower()
    if "certificate" in lowered or "ssl" in lowered:
        return AzureNetworkError(
            f"{what} failed: the TLS certificate of the Azure endpoint is not trusted ({_short(text)}).",
            "If a company proxy inspects HTTPS, point REQUESTS_CA_BUNDLE at its CA bundle; otherwise "
            "check the cloud's URLs in Settings.",
        )
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or ("getaddrinfo" in lowered or "name resolution" in lowered)
    ):
        return AzureNetworkError(
            f"{what} failed: the Azure endpoint's host name could not be resolved (no DNS).",
            "Check the network connection (and proxy settings), and the cloud's URLs in Settings.",
        )
    return AzureNetworkError(
        f"{what} failed: Azure could not be reached ({_short(text)}).",
        "Check the network connection, any proxy (HTTPS_PROXY) or firewall, and the cloud's URLs "
        "in Settings, then try again.",
    )
