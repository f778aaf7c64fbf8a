"""Microsoft Entra ID on the fake's authority: OpenID discovery, the token endpoint (client
credentials with a secret, the device-code grant, refresh tokens) and the device-code endpoint,
with Entra's error bodies (``{"error", "error_description": "AADSTS…", "error_codes"}``).

What MSAL 1.39 calls (msal/authority.py, msal/oauth2cli/oauth2.py), with instance discovery off:
``GET {authority}/{tenant}/v2.0/.well-known/openid-configuration``, then
``POST {token_endpoint}`` (form) and ``POST {device_authorization_endpoint}`` (form).

Tests register service principals in ``fake.clients`` (client id → secret) and approve a device
code with :func:`approve_device_code` (or decline it with :func:`decline_device_code`).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from typing import Any

from tests.azure.fake.core import FakeAzure, Request, Response, route

# Tenants that stand for "any account" (multi-tenant sign-in, as the Azure CLI's public client uses).
GENERIC_TENANTS = {"organizations", "common", "consumers"}
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def known_tenants(fake: FakeAzure) -> set[str]:
    return {fake.tenant_id.lower(), *(t.lower() for t in fake.data.get("tenants", []))}


def _tenant_ok(fake: FakeAzure, tenant: str) -> bool:
    return tenant.lower() in known_tenants(fake) or tenant.lower() in GENERIC_TENANTS


def entra_error(status: int, error: str, code: int, description: str) -> Response:
    """Entra's OAuth error body."""
    trace = str(uuid.uuid4())
    return Response(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: "
            f"{uuid.uuid4()} Timestamp: 2026-01-01 00:00:00Z",
            "error_codes": [code],
            "timestamp": "2026-01-01 00:00:00Z",
            "trace_id": trace,
            "correlation_id": str(uuid.uuid4()),
        },
    )


def _unknown_tenant(tenant: str) -> Response:
    return entra_error(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT (MSAL no longer validates ID tokens; tokens here are opaque to the SDKs)."""
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64url(json.dumps(claims).encode())}.fake-signature"


@route("GET", "/{tenant}/v2.0/.well-known/openid-configuration")
def openid_configuration(fake: FakeAzure, request: Request, tenant: str) -> Response:
    if not _tenant_ok(fake, tenant):
        return _unknown_tenant(tenant)
    base = f"{request.base}/{tenant}"
    issuer_tenant = "{tenantid}" if tenant.lower() in GENERIC_TENANTS else tenant
    return Response(
        200,
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{request.base}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{request.base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tid", "ver", "oid"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": request.base.split("://", 1)[1],
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        },
    )


def _form(request: Request) -> dict[str, str]:
    body = request.body
    return dict(body) if isinstance(body, dict) else {}


def _access_token(fake: FakeAzure, subject: str, scope: str) -> dict[str, Any]:
    token = f"fake-access-{secrets.token_hex(8)}"
    fake.data.setdefault("issued_tokens", []).append({"subject": subject, "scope": scope, "token": token})
    return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}


def _user_tokens(fake: FakeAzure, request: Request, client_id: str, scope: str) -> dict[str, Any]:
    """What Entra answers a user sign-in: access, refresh and ID tokens plus client_info."""
    user = fake.data.get(
        "device_user",
        {
            "oid": "11111111-2222-4333-8444-555555555555",
            "name": "Ada Lovelace",
            "preferred_username": "ada@contoso.example",
        },
    )
    now = int(time.time())
    claims = {
        "aud": client_id,
        "iss": f"{request.base}/{fake.tenant_id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": user["name"],
        "oid": user["oid"],
        "preferred_username": user["preferred_username"],
        "sub": f"sub-{user['oid']}",
        "tid": fake.tenant_id,
        "ver": "2.0",
    }
    answer = _access_token(fake, user["preferred_username"], scope)
    refresh = f"fake-refresh-{secrets.token_hex(8)}"
    fake.data.setdefault("refresh_tokens", {})[refresh] = client_id
    answer |= {
        "scope": scope,
        "refresh_token": refresh,
        "id_token": _jwt(claims),
        "client_info": _b64url(json.dumps({"uid": user["oid"], "utid": fake.tenant_id}).encode()),
    }
    return answer


@route("POST", "/{tenant}/oauth2/v2.0/token")
def token(fake: FakeAzure, request: Request, tenant: str) -> Response:
    if not _tenant_ok(fake, tenant):
        return _unknown_tenant(tenant)
    form = _form(request)
    grant = form.get("grant_type", "")
    client_id = form.get("client_id", "")
    scope = form.get("scope", "")
    if grant == "client_credentials":
        if tenant.lower() in GENERIC_TENANTS:
            return entra_error(
                400,
                "invalid_request",
                1002012,
                "The provided value for scope or tenant is not valid: a service principal signs in "
                "to its own tenant, not 'organizations' or 'common'.",
            )
        if client_id not in fake.clients:
            return entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
            )
        if form.get("client_secret") != fake.clients[client_id]:
            return entra_error(
                401,
                "invalid_client",
                7000215,
                f"Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        return Response(200, _access_token(fake, client_id, scope))
    if grant == DEVICE_CODE_GRANT:
        return _device_code_token(fake, request, form)
    if grant == "refresh_token":
        owner = fake.data.get("refresh_tokens", {}).get(form.get("refresh_token", ""))
        if owner is None or owner != client_id:
            return entra_error(400, "invalid_grant", 70000, "The provided refresh token is not valid.")
        return Response(200, _user_tokens(fake, request, client_id, scope))
    return entra_error(
        400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'."
    )


def _device_code_token(fake: FakeAzure, request: Request, form: dict[str, str]) -> Response:
    flow = fake.data.get("device_codes", {}).get(form.get("device_code", ""))
    if flow is None:
        return entra_error(400, "invalid_grant", 70000, "The provided device code is not valid.")
    if time.time() > flow["expires_at"]:
        return entra_error(
            400, "expired_token", 70019, "Verification code expired. The user did not sign in in time."
        )
    if flow["state"] == "declined":
        return entra_error(400, "authorization_declined", 70018, "The user declined the sign-in request.")
    if flow["state"] != "approved":
        return entra_error(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )
    del fake.data["device_codes"][form["device_code"]]
    return Response(200, _user_tokens(fake, request, flow["client_id"], flow["scope"]))


@route("POST", "/{tenant}/oauth2/v2.0/devicecode")
def device_code(fake: FakeAzure, request: Request, tenant: str) -> Response:
    if not _tenant_ok(fake, tenant):
        return _unknown_tenant(tenant)
    form = _form(request)
    user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
    code = secrets.token_urlsafe(24)
    expires_in = int(fake.data.get("device_code_expires_in", 900))
    verification = f"{request.base}/devicelogin"
    fake.data.setdefault("device_codes", {})[code] = {
        "user_code": user_code,
        "client_id": form.get("client_id", ""),
        "scope": form.get("scope", ""),
        "state": "pending",
        "expires_at": time.time() + expires_in,
    }
    return Response(
        200,
        {
            "user_code": user_code,
            "device_code": code,
            "verification_uri": verification,
            "expires_in": expires_in,
            "interval": int(fake.data.get("device_code_interval", 1)),
            "message": f"To sign in, use a web browser to open the page {verification} and enter "
            f"the code {user_code} to authenticate.",
        },
    )


def pending_user_codes(fake: FakeAzure) -> list[str]:
    with fake.lock:
        return [f["user_code"] for f in fake.data.get("device_codes", {}).values() if f["state"] == "pending"]


def _set_state(fake: FakeAzure, user_code: str | None, state: str) -> str:
    with fake.lock:
        flows = [f for f in fake.data.get("device_codes", {}).values() if f["state"] == "pending"]
        for flow in flows:
            if user_code is None or flow["user_code"] == user_code:
                flow["state"] = state
                return str(flow["user_code"])
    raise LookupError(f"no pending device code {user_code or ''}".strip())


def approve_device_code(fake: FakeAzure, user_code: str | None = None) -> str:
    """What the user does in the browser: enter ``user_code`` (None: the pending one) and sign in."""
    return _set_state(fake, user_code, "approved")


def decline_device_code(fake: FakeAzure, user_code: str | None = None) -> str:
    return _set_state(fake, user_code, "declined")
