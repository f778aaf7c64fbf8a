"""explain(): every Azure failure becomes a sentence with a fix; anything else stays a bug."""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)
from azure.identity import AuthenticationRequiredError, CredentialUnavailableError

from core.azure.clients import ClientFactory
from core.azure.errors import (
    AzureNetworkError,
    AzureNotFoundError,
    AzureProblem,
    AzureSignInError,
    explain,
)
from core.errors import ConflictError, NotFoundError, UserFacingError
from tests.azure.conftest import SUBSCRIPTION, FakeCredential, loopback_product_cloud
from tests.azure.fake import FakeAzure, arm_error
from tests.azure.fake.server import LoopbackCloud


def _sdk_error(
    fake_factory: ClientFactory, fake_azure: FakeAzure, status: int, code: str, message: str
) -> Exception:
    rg = f"rg-{status}"
    fake_azure.fail("GET", f"/resourcegroups/{rg}$", arm_error(status, code, message), times=50)
    with pytest.raises(HttpResponseError) as caught:
        fake_factory.resources().resource_groups.get(rg)
    return caught.value


def test_user_facing_errors_pass_through_and_bugs_stay_bugs() -> None:
    mine = UserFacingError("Already explained.", "Nothing to add.")
    assert explain(mine, doing="anything") is mine
    with pytest.raises(KeyError):
        explain(KeyError("bug"), doing="anything")


def test_no_sign_in_found() -> None:
    error = explain(
        CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token."), doing="listing"
    )
    assert isinstance(error, AzureSignInError)
    assert str(error).startswith("Listing failed: no Azure sign-in was found")
    assert "az login" in error.fix
    expired = explain(AuthenticationRequiredError(["scope"]), doing="listing")
    assert "expired" in str(expired) and "Sign in again" in expired.fix


def test_resource_group_not_found(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    error = explain(
        _sdk_error(
            fake_factory,
            fake_azure,
            404,
            "ResourceGroupNotFound",
            "Resource group 'rg-x' could not be found.",
        ),
        doing="reading resource group 'rg-x'",
    )
    assert isinstance(error, AzureNotFoundError) and isinstance(error, NotFoundError)
    assert str(error) == (
        "Reading resource group 'rg-x' failed: the resource group does not exist. Azure answered 404 "
        "ResourceGroupNotFound: Resource group 'rg-x' could not be found. Create the resource group "
        "first (Resources step), or check its name."
    )


def test_conflict_and_server_error(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    conflict = explain(
        _sdk_error(fake_factory, fake_azure, 409, "Conflict", "Operation on 'rg-x' is in progress."),
        doing="deleting",
    )
    assert isinstance(conflict, ConflictError) and "Wait for any running operation" in conflict.fix
    server = explain(
        _sdk_error(fake_factory, fake_azure, 500, "InternalServerError", "Something broke."), doing="deleting"
    )
    assert isinstance(server, AzureProblem) and server.status == 500
    assert str(server).startswith("Deleting failed: Azure had an internal error. Azure answered 500")


def test_arm_401_is_a_token_problem(fake_factory: ClientFactory, fake_azure: FakeAzure) -> None:
    raised = _sdk_error(
        fake_factory,
        fake_azure,
        401,
        "InvalidAuthenticationToken",
        "The access token is from the wrong issuer.",
    )
    assert isinstance(raised, ClientAuthenticationError)
    error = explain(raised, doing="reading")
    assert isinstance(error, AzureSignInError)
    assert str(error).startswith(
        "Reading failed: Azure did not accept the sign-in token. "
        "Azure answered 401 InvalidAuthenticationToken"
    )


def test_dns_failure_is_named() -> None:
    error = explain(
        ServiceRequestError(
            "<urllib3...>: Failed to resolve 'nowhere.invalid' ([Errno -2] Name or service not known)"
        ),
        doing="listing",
    )
    assert isinstance(error, AzureNetworkError)
    assert str(error).startswith("Listing failed: the Azure endpoint's host name could not be resolved")


def test_untrusted_certificate_is_named(
    loopback_cloud: LoopbackCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the test CA trusted, the loopback cloud's certificate is refused: the message says so."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    factory = ClientFactory(
        FakeCredential(), SUBSCRIPTION, loopback_product_cloud(loopback_cloud), extra={"retry_total": 0}
    )
    with pytest.raises(ServiceRequestError) as caught:
        factory.resources().resource_groups.get("rg-x")
    error = explain(caught.value, doing="reading resource group 'rg-x'")
    assert isinstance(error, AzureNetworkError)
    assert str(error).startswith(
        "Reading resource group 'rg-x' failed: the TLS certificate of the Azure endpoint is not trusted"
    )
    assert "REQUESTS_CA_BUNDLE" in error.fix


def test_blob_not_found_code_is_kept() -> None:
    error = explain(ResourceNotFoundError("The specified blob does not exist."), doing="downloading")
    assert isinstance(error, AzureNotFoundError) and error.status == 404
    assert str(error) == (
        "Downloading failed: what it needs does not exist. Azure answered 404: The specified blob does "
        "not exist. Check the name, or create it first, then try again."
    )
