"""Signing in for real against the loopback cloud: MSAL (through azure-identity) discovers the fake
authority, posts to its token and device-code endpoints over HTTPS, and the product turns each
refusal into the sentence a page would show."""

from __future__ import annotations

import uuid

import pytest

from core.azure.credentials import (
    AZURE_CLI_CLIENT_ID,
    DeviceCodeSignIn,
    ServicePrincipal,
    service_principal_credential,
)
from core.azure.errors import AzureNetworkError, AzureSignInError, explain
from core.backend import Secret
from core.errors import UserFacingError
from tests.azure.conftest import TENANT, loopback_product_cloud
from tests.azure.fake.routes_auth import approve_device_code, decline_device_code
from tests.azure.fake.server import LoopbackCloud


def _principal(cloud: LoopbackCloud, secret: str = "s3cret-value-123") -> ServicePrincipal:
    client_id = str(uuid.uuid4())
    cloud.fake.clients[client_id] = secret
    return ServicePrincipal(TENANT, client_id, Secret(secret))


def _sign_in_error(action: object) -> UserFacingError:
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the SDK's own exception type, explained below
        action()  # type: ignore[operator]
    return explain(caught.value, doing="signing in")


def test_service_principal_gets_a_token_from_the_fake_authority(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    sp = _principal(trust_loopback)
    credential = service_principal_credential(sp, cloud)

    token = credential.get_token(cloud.scope)

    assert token.token.startswith("fake-access-")
    posts = trust_loopback.fake.calls("POST", f"/{TENANT}/oauth2/v2.0/token$")
    form = posts[-1].body
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == sp.client_id
    assert form["scope"] == f"{trust_loopback.url}/.default"
    assert trust_loopback.fake.calls("GET", f"/{TENANT}/v2.0/.well-known/openid-configuration")


def test_wrong_secret_says_so_and_how_to_fix_it(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    sp = _principal(trust_loopback)
    wrong = ServicePrincipal(sp.tenant_id, sp.client_id, Secret("not-the-secret"))

    error = _sign_in_error(lambda: service_principal_credential(wrong, cloud).get_token(cloud.scope))

    assert isinstance(error, AzureSignInError)
    assert error.code == "AADSTS7000215"
    assert str(error).startswith(
        "Signing in failed: Microsoft Entra refused the sign-in because the client secret is wrong "
        "(AADSTS7000215). Copy the secret's value (not its ID)"
    )
    assert "not-the-secret" not in str(error)


def test_unknown_tenant_and_unknown_client(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    sp = _principal(trust_loopback)
    other_tenant = ServicePrincipal(str(uuid.uuid4()), sp.client_id, sp.client_secret)
    unknown_app = ServicePrincipal(TENANT, str(uuid.uuid4()), sp.client_secret)

    tenant_error = _sign_in_error(
        lambda: service_principal_credential(other_tenant, cloud).get_token(cloud.scope)
    )
    app_error = _sign_in_error(
        lambda: service_principal_credential(unknown_app, cloud).get_token(cloud.scope)
    )

    assert "because the tenant does not exist (AADSTS90002). Check the directory (tenant) ID" in str(
        tenant_error
    )
    assert "no application with this client ID exists in the tenant (AADSTS700016)" in str(app_error)


def test_service_principal_fields_are_checked_before_anything_is_sent(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    with pytest.raises(UserFacingError, match="is not an application \\(client\\) ID"):
        service_principal_credential(ServicePrincipal(TENANT, "my-app", Secret("x")), cloud)
    with pytest.raises(UserFacingError, match="The tenant ID is empty"):
        service_principal_credential(ServicePrincipal(" ", str(uuid.uuid4()), Secret("x")), cloud)
    with pytest.raises(UserFacingError, match="The client secret is empty"):
        service_principal_credential(ServicePrincipal(TENANT, str(uuid.uuid4()), Secret("  ")), cloud)


def test_secret_never_printed() -> None:
    sp = ServicePrincipal(TENANT, str(uuid.uuid4()), Secret("abcd-very-secret-value"))
    assert "very-secret" not in repr(sp)
    assert "very-secret" not in str(sp)


def test_authority_unreachable_is_a_network_error(closed_port_url: str) -> None:
    from core.azure.cloud import custom_cloud

    cloud = custom_cloud("Nowhere", closed_port_url, closed_port_url)
    sp = ServicePrincipal(TENANT, str(uuid.uuid4()), Secret("x"))

    error = _sign_in_error(lambda: service_principal_credential(sp, cloud).get_token(cloud.scope))

    assert isinstance(error, AzureNetworkError)
    assert str(error).startswith("Signing in failed: Azure could not be reached")
    assert "Check the network connection" in str(error)


@pytest.mark.parametrize("tenant", [TENANT, "organizations"])
def test_device_code_sign_in_waits_for_the_user_then_signs_in(
    trust_loopback: LoopbackCloud, tenant: str
) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    sign_in = (
        DeviceCodeSignIn(cloud) if tenant == "organizations" else DeviceCodeSignIn(cloud, tenant_id=tenant)
    )
    sign_in.start()

    assert sign_in.wait(("waiting_for_user", "failed"), timeout=20) == "waiting_for_user", sign_in.error
    assert sign_in.user_code and sign_in.verification_uri == f"{trust_loopback.url}/devicelogin"
    assert sign_in.user_code in sign_in.message
    assert sign_in.expires_at is not None
    assert sign_in.poll() == "waiting_for_user"  # Entra answers authorization_pending meanwhile
    assert sign_in.credential is None

    approve_device_code(trust_loopback.fake, sign_in.user_code)

    assert sign_in.wait(("signed_in", "failed"), timeout=20) == "signed_in", sign_in.error
    assert sign_in.username == "ada@contoso.example"
    assert sign_in.credential is not None
    # Later tokens come from the in-memory cache: no new device code is asked for.
    codes_before = len(trust_loopback.fake.calls("POST", "/devicecode$"))
    assert sign_in.credential.get_token(cloud.scope).token.startswith("fake-access-")
    assert len(trust_loopback.fake.calls("POST", "/devicecode$")) == codes_before
    device_post = trust_loopback.fake.calls("POST", f"/{tenant}/oauth2/v2.0/devicecode$")[-1]
    assert device_post.body["client_id"] == AZURE_CLI_CLIENT_ID
    assert cloud.scope in device_post.body["scope"]


def test_device_code_declined_fails_with_a_message(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    sign_in = DeviceCodeSignIn(cloud, tenant_id=TENANT)
    sign_in.start()
    assert sign_in.wait(("waiting_for_user", "failed"), timeout=20) == "waiting_for_user", sign_in.error

    decline_device_code(trust_loopback.fake, sign_in.user_code)

    assert sign_in.wait(("signed_in", "failed"), timeout=20) == "failed"
    assert sign_in.error.startswith(
        "Signing in with a device code failed: Microsoft Entra refused the sign-in because the "
        "sign-in was declined in the browser (AADSTS70018)."
    )
    assert sign_in.credential is None


def test_device_code_times_out_when_nobody_signs_in(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    sign_in = DeviceCodeSignIn(cloud, tenant_id=TENANT, timeout=2)
    sign_in.start()

    assert sign_in.wait(("signed_in", "failed"), timeout=30) == "failed"
    assert "nobody finished the sign-in in the browser before the code expired" in sign_in.error


def test_device_code_unknown_tenant(trust_loopback: LoopbackCloud) -> None:
    cloud = loopback_product_cloud(trust_loopback)
    sign_in = DeviceCodeSignIn(cloud, tenant_id="nosuchtenant.onmicrosoft.com")
    sign_in.start()

    assert sign_in.wait(("signed_in", "failed"), timeout=20) == "failed"
    assert "the tenant does not exist (AADSTS90002)" in sign_in.error


def _only_environment_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    """DefaultAzureCredential's chain narrowed to its environment credential (azure-identity's own
    AZURE_TOKEN_CREDENTIALS setting), so the test does not depend on this machine's `az login`."""
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")
    for name in (
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    ):
        monkeypatch.delenv(name, raising=False)


def test_default_credential_signs_in_at_the_clouds_authority(
    trust_loopback: LoopbackCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.azure.credentials import default_credential

    cloud = loopback_product_cloud(trust_loopback)
    sp = _principal(trust_loopback)
    _only_environment_credential(monkeypatch)
    monkeypatch.setenv("AZURE_TENANT_ID", sp.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", sp.client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", sp.client_secret.reveal())

    token = default_credential(cloud).get_token(cloud.scope)

    assert token.token.startswith("fake-access-")
    assert (
        trust_loopback.fake.calls("POST", f"/{TENANT}/oauth2/v2.0/token$")[-1].body["client_id"]
        == sp.client_id
    )


def test_default_credential_with_nothing_to_find(
    trust_loopback: LoopbackCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.azure.credentials import default_credential

    cloud = loopback_product_cloud(trust_loopback)
    _only_environment_credential(monkeypatch)

    error = _sign_in_error(lambda: default_credential(cloud).get_token(cloud.scope))

    assert isinstance(error, AzureSignInError)
    assert str(error).startswith("Signing in failed: no Azure sign-in was found on this machine")
    assert "az login" in error.fix
