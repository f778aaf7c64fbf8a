"""The pages on the azure backend, driven as a user would, against the fake Azure and Azurite.

Two ways in, both the product's own: the sidebar's sign-in against the loopback fake cloud (its
HTTPS authority and Resource Manager, through the cloud settings), or a ``ClientFactory`` put in
the session as the sidebar would, reaching the fake in process (``FakeTransport``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from core.azure.clients import ClientFactory
from core.azure.cloud import custom_cloud
from dashboard import session
from tests.app.conftest import APP
from tests.azure.conftest import (  # noqa: F401 - fixtures used by name
    SUBSCRIPTION,
    TENANT,
    FakeCredential,
    fake_azure,
    fake_credential,
    fake_factory,
    loopback_cloud,
    loopback_product_cloud,
    workspace_mlflow,
)
from tests.azure.fake import FakeAzure
from tests.azure.fake.core import arm_error
from tests.azure.fake.server import LoopbackCloud
from tests.conftest import AZURITE_KEY


# -- helpers ---------------------------------------------------------------------------------
def texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def page_text(at: AppTest) -> str:
    """Everything the page sends to the browser, as text (every element's protobuf)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            text = text_format.MessageToString(proto, as_utf8=True)
            parts.append(text.replace("\\'", "'").replace('\\"', '"'))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return "\n".join(parts)


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def start(stem: str, factory: ClientFactory | None = None, ack: bool = False) -> AppTest:
    """The real app on azure, on ``stem``'s page, signed in with ``factory`` when given."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[session.BACKEND_CHOICE] = "azure"
    if factory is not None:
        at.session_state[session.AZURE_CONNECTION] = factory
    if ack:
        at.session_state[session.AZURE_BILLABLE_ACK] = True
    at.run()
    if stem:
        at.switch_page(f"../pages/{stem}.py")
        at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def loopback_env(loopback_cloud: LoopbackCloud, monkeypatch: pytest.MonkeyPatch) -> LoopbackCloud:  # noqa: F811
    """The product's own cloud settings pointing at the loopback fake (as a user of another
    cloud would set them), and its certificate trusted."""
    for name, value in loopback_cloud.environment().items():
        monkeypatch.setenv(name, value)
    return loopback_cloud


@pytest.fixture
def loopback_factory(loopback_env: LoopbackCloud) -> ClientFactory:
    """A signed-in connection to the loopback fake: what the sidebar builds after a sign-in."""
    return ClientFactory(
        FakeCredential(), SUBSCRIPTION, loopback_product_cloud(loopback_env), polling_interval=0
    )


def settle(at: AppTest, needle: str, timeout: float = 60) -> str:
    """Rerun the page (as its polling fragment would) until a success or info message names
    ``needle``; returns those messages."""
    deadline = time.monotonic() + timeout
    while True:
        said = texts(at.success) + " " + texts(at.info)
        if needle in said or time.monotonic() > deadline:
            return said
        time.sleep(0.2)
        at.run()
        assert not at.exception, at.exception


def unique(prefix: str) -> str:
    """A name no other test of the session uses (the loopback fake is shared)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# -- no sign-in: the pages say so and stop -------------------------------------------------
@pytest.mark.usefixtures("data_dir")
@pytest.mark.parametrize("stem", ["resources", "data", "eda", "teardown"])
def test_azure_without_a_sign_in_says_so_and_never_falls_back_to_local(stem: str) -> None:
    at = start(stem)
    assert "Sign in to Azure in the sidebar first" in texts(at.info)
    assert not [b for b in at.button if b.label.startswith("Create or get")]
    side = texts(at.sidebar.caption)
    assert "Active: **azure**, not signed in yet" in side
    assert "local" not in side.replace("**local**", "")  # nothing claims the local backend is active
    assert [e.label for e in at.sidebar.expander] == ["Azure connection"]


# -- the sign-in panel against the loopback fake's authority ------------------------------
@pytest.mark.usefixtures("data_dir")
def test_service_principal_sign_in_picks_a_subscription_and_tests_the_connection(
    loopback_env: LoopbackCloud, caplog: pytest.LogCaptureFixture
) -> None:
    client = str(uuid.uuid4())
    secret = "sp-secret-" + uuid.uuid4().hex
    loopback_env.fake.clients[client] = secret
    caplog.set_level(logging.DEBUG)
    at = start("")
    # The cloud comes from the environment: the loopback fake as a custom cloud.
    assert at.sidebar.selectbox(key="az_cloud").value == "custom"
    assert f"Resource Manager `{loopback_env.url}/`" in texts(at.sidebar.caption)
    at.sidebar.toggle(key="az_cloud_edit").set_value(True).run()
    assert at.sidebar.text_input(key="az_arm_url").value == loopback_env.url + "/"
    assert at.sidebar.checkbox(key="az_skip_discovery").value is True
    at.sidebar.toggle(key="az_cloud_edit").set_value(False).run()
    at.sidebar.radio(key="az_how").set_value("service_principal").run()

    def sign_in(with_secret: str) -> None:
        at.sidebar.text_input(key="az_sp_tenant").input(TENANT)
        at.sidebar.text_input(key="az_sp_client").input(client)
        at.sidebar.text_input(key="az_sp_secret").input(with_secret)
        click(at, "Sign in")

    sign_in("not-the-secret")
    error = texts(at.sidebar.error)
    assert "secret" in error.lower() and "not-the-secret" not in page_text(at)
    assert session.AZURE_CONNECTION not in at.session_state

    sign_in(secret)
    assert f"Signed in: service principal {client}." in texts(at.sidebar.success)
    assert "az_sp_secret" not in [t.key for t in at.sidebar.text_input]  # the form is gone
    assert secret not in page_text(at)
    picked = at.sidebar.selectbox(key="az_sub_pick").value
    assert picked.id == SUBSCRIPTION and picked.name == "Fake subscription"
    click(at, "Connect")
    caption = texts(at.sidebar.caption)
    assert "subscription **Fake subscription**" in caption and "cloud **FakeCloud**" in caption
    assert "connection not tested yet" in caption

    click(at, "Test connection")
    assert not at.sidebar.error
    assert "every check passed" in texts(at.sidebar.caption)
    markdown = texts(at.sidebar.markdown)
    for check in ("Sign-in", "Subscription", "Provider Microsoft.MachineLearningServices"):
        assert f"**{check}**" in markdown

    # The pages now work on azure, and the secret shows nowhere, not in the logs either.
    at.switch_page("../pages/resources.py")
    at.run()
    assert not at.exception and "Sign in to Azure" not in texts(at.info)
    assert secret not in page_text(at)
    assert secret not in caplog.text

    click(at, "Sign out")
    assert session.AZURE_CONNECTION not in at.session_state
    assert "not signed in yet" in texts(at.sidebar.caption)


@pytest.mark.usefixtures("data_dir")
def test_default_credential_signs_in_from_the_environment(
    loopback_env: LoopbackCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, secret = str(uuid.uuid4()), "env-secret-" + uuid.uuid4().hex
    loopback_env.fake.clients[client] = secret
    for name, value in {
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": client,
        "AZURE_CLIENT_SECRET": secret,
    }.items():
        monkeypatch.setenv(name, value)
    at = start("")
    assert at.sidebar.radio(key="az_how").value == "default"
    click(at, "Sign in")
    assert "Signed in: DefaultAzureCredential." in texts(at.sidebar.success)
    assert at.sidebar.selectbox(key="az_sub_pick").value.id == SUBSCRIPTION
    assert secret not in page_text(at)


@pytest.mark.usefixtures("data_dir")
def test_an_unknown_tenant_is_explained(loopback_env: LoopbackCloud) -> None:
    at = start("")
    at.sidebar.radio(key="az_how").set_value("service_principal").run()
    at.sidebar.text_input(key="az_sp_tenant").input("contoso-typo.onmicrosoft.com")
    at.sidebar.text_input(key="az_sp_client").input(str(uuid.uuid4()))
    at.sidebar.text_input(key="az_sp_secret").input("whatever")
    click(at, "Sign in")
    error = texts(at.sidebar.error)
    assert "tenant" in error.lower()
    assert "Traceback" not in page_text(at)


@pytest.mark.usefixtures("data_dir")
def test_device_code_sign_in_shows_the_code_and_the_link_then_signs_in(loopback_env: LoopbackCloud) -> None:
    from tests.azure.fake.routes_auth import approve_device_code

    at = start("")
    at.sidebar.radio(key="az_how").set_value("device_code").run()
    at.sidebar.text_input(key="az_dc_tenant").input(TENANT)
    click(at, "Get a sign-in code")
    code = ""
    for _ in range(50):  # the code comes from a thread; the fragment shows it when it is there
        at.run()
        codes = [c.value for c in at.sidebar.code]
        if codes:
            code = codes[0]
            break
        time.sleep(0.1)
    assert code, "no device code was shown"
    assert "enter the code" in texts(at.sidebar.markdown) and loopback_env.url in texts(at.sidebar.markdown)
    assert "expires in" in texts(at.sidebar.caption)
    assert session.AZURE_CONNECTION not in at.session_state  # not signed in before the user is

    approve_device_code(loopback_env.fake, code)
    for _ in range(50):
        at.run()
        if "Signed in: device code" in texts(at.sidebar.success):
            break
        time.sleep(0.1)
    assert "Signed in: device code" in texts(at.sidebar.success)
    assert at.sidebar.selectbox(key="az_sub_pick").value.id == SUBSCRIPTION


# -- Test connection: what is wrong and how to fix it ---------------------------------------
FAULTS = {
    "403": (
        (
            "GET",
            r"^/subscriptions/[^/]+$",
            arm_error(403, "AuthorizationFailed", "The client has no access."),
        ),
        ("no permission", "Contributor role"),
    ),
    "429": (
        (
            "GET",
            r"^/subscriptions/[^/]+$",
            arm_error(429, "TooManyRequests", "Too many requests.", {"Retry-After": "17"}),
        ),
        ("throttling", "Wait 17 seconds"),
    ),
}


@pytest.mark.usefixtures("data_dir")
@pytest.mark.parametrize("fault", list(FAULTS))
def test_test_connection_says_what_is_wrong_and_how_to_fix_it(
    fault: str,
    fake_azure: FakeAzure,  # noqa: F811
    fake_factory: ClientFactory,  # noqa: F811
) -> None:
    (method, path, answer), expected = FAULTS[fault]
    fake_azure.fail(method, path, answer, times=10)
    at = start("", fake_factory)
    click(at, "Test connection")
    error = texts(at.sidebar.error)
    for words in expected:
        assert words in error
    assert "found problems" in texts(at.sidebar.caption)
    assert "every check passed" not in texts(at.sidebar.caption)
    assert "Traceback" not in page_text(at)


@pytest.mark.usefixtures("data_dir")
def test_test_connection_names_a_provider_not_registered(
    fake_azure: FakeAzure,  # noqa: F811
    fake_factory: ClientFactory,  # noqa: F811
) -> None:
    fake_azure.data.setdefault("providers", {})[(SUBSCRIPTION, "microsoft.machinelearningservices")] = (
        "NotRegistered"
    )
    at = start("", fake_factory)
    click(at, "Test connection")
    error = texts(at.sidebar.error)
    assert "not registered for Microsoft.MachineLearningServices" in error
    assert "az provider register --namespace Microsoft.MachineLearningServices" in error
    assert "Microsoft.Storage is registered" in texts(at.sidebar.markdown)


@pytest.mark.usefixtures("data_dir")
def test_a_create_refused_for_a_missing_registration_says_how_to_register(
    fake_azure: FakeAzure,  # noqa: F811
    fake_factory: ClientFactory,  # noqa: F811
) -> None:
    at = start("resources", fake_factory, ack=True)
    click(at, "Create or get resource group")
    fake_azure.fail(
        "PUT",
        r"/providers/Microsoft\.Storage/storageAccounts/",
        arm_error(
            409,
            "MissingSubscriptionRegistration",
            "The subscription is not registered to use namespace 'Microsoft.Storage'. See "
            "https://aka.ms/rps-not-found for how to register subscriptions.",
        ),
    )
    click(at, "Create or get storage account")
    error = texts(at.error)
    assert "not registered for Microsoft.Storage" in error and "az provider register" in error
    assert "Traceback" not in page_text(at)


@pytest.mark.usefixtures("data_dir")
def test_test_connection_without_a_network_says_so() -> None:
    nowhere = custom_cloud("Nowhere", "https://127.0.0.1:9/", "https://127.0.0.1:9/")
    factory = ClientFactory(FakeCredential(), SUBSCRIPTION, nowhere, extra={"retry_total": 0})
    at = start("", factory)
    click(at, "Test connection")
    error = texts(at.sidebar.error).lower()
    assert "network" in error or "reach" in error
    assert "Traceback" not in page_text(at)


# -- Resources: billable acknowledgement, creates, secrets, storage name taken -------------
@pytest.mark.usefixtures("data_dir")
def test_resources_ask_once_for_a_billing_acknowledgement_then_create(
    fake_azure: FakeAzure,  # noqa: F811
    fake_factory: ClientFactory,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    at = start("resources", fake_factory)
    assert "billable" in texts(at.warning)
    create = next(b for b in at.button if b.label == "Create or get resource group")
    assert create.disabled
    click(at, "I understand: create billable resources")
    assert "billable" not in texts(at.warning).lower().replace("billed", "")
    assert not next(b for b in at.button if b.label == "Create or get resource group").disabled

    click(at, "Create or get resource group")
    assert "rg-dev-ml-eastus-001" in texts(at.success)
    assert fake_azure.calls("PUT", r"/resourcegroups/rg-dev-ml-eastus-001$")
    click(at, "Create or get storage account")
    assert "datadevmleastus001" in settle(at, "datadevmleastus001")
    assert "datadevmleastus001" in texts(at.success)
    click(at, "Create or get blob container")
    assert "data4ml" in texts(at.success)

    # The connection string is masked; the key is nowhere in the page or the logs.
    assert any("AccountKey=" in c.value and "•" in c.value for c in at.code)
    assert AZURITE_KEY not in page_text(at)
    assert AZURITE_KEY not in caplog.text
    at.toggle(key="reveal_datadevmleastus001").set_value(True).run()
    assert any(AZURITE_KEY in c.value for c in at.code)  # on request only

    # Another page of the same session does not ask again.
    at.switch_page("../pages/data.py")
    at.run()
    assert "I understand: create billable resources" not in [b.label for b in at.button]

    # The inventory says what is billed now.
    at.switch_page("../pages/resources.py")
    at.run()
    assert "Billed now" in str(at.dataframe[0].value.columns.tolist())


@pytest.mark.usefixtures("data_dir")
def test_a_storage_name_taken_by_someone_else_is_a_clear_message(
    fake_azure: FakeAzure,  # noqa: F811
    fake_factory: ClientFactory,  # noqa: F811
) -> None:
    at = start("resources", fake_factory, ack=True)
    click(at, "Create or get resource group")
    fake_azure.fail(
        "POST",
        r"/checkNameAvailability$",
        _name_taken(),
    )
    click(at, "Create or get storage account")
    error = texts(at.error)
    assert "taken" in error and "Pick another name" in error
    assert "Traceback" not in page_text(at)


@pytest.mark.usefixtures("data_dir")
def test_an_account_without_shared_keys_says_why_it_has_no_connection_string(
    fake_azure: FakeAzure,  # noqa: F811
    fake_factory: ClientFactory,  # noqa: F811
) -> None:
    at = start("resources", fake_factory, ack=True)
    click(at, "Create or get resource group")
    click(at, "Create or get storage account")
    settle(at, "datadevmleastus001")
    with fake_azure.lock:
        account = next(
            r for k, r in fake_azure.resources.items() if k.endswith("/storageaccounts/datadevmleastus001")
        )
        account["properties"]["allowSharedKeyAccess"] = False
    at.run()
    assert not at.exception and not at.error, texts(at.error)
    assert "does not allow shared key access" in texts(at.info)
    assert "Storage Blob Data Contributor" in texts(at.info)
    assert not any("AccountKey=" in c.value and "•" in c.value for c in at.code)  # no masked string
    assert "Create or get blob container" in [b.label for b in at.button]  # the page goes on


def _name_taken() -> Any:
    from tests.azure.fake.core import Response

    return Response(
        200,
        {
            "nameAvailable": False,
            "reason": "AlreadyExists",
            "message": "The storage account named datadevmleastus001 is already taken.",
        },
    )


# -- long-running operations: progress, and a new session picks them up -----------------------
@pytest.fixture
def slow_operations(loopback_env: LoopbackCloud) -> Iterator[FakeAzure]:
    fake = loopback_env.fake
    before = fake.lro_polls
    fake.lro_polls = 10
    yield fake
    fake.lro_polls = before


@pytest.mark.usefixtures("data_dir")
def test_a_workspace_create_shows_progress_and_a_new_session_picks_it_up(
    loopback_factory: ClientFactory, slow_operations: FakeAzure
) -> None:
    rg, ws = unique("rg-app-"), unique("ws-app-")
    at = start("resources", loopback_factory, ack=True)
    at.text_input(key="rg_name").input(rg)
    click(at, "Create or get resource group")
    at.text_input(key="ws_name").input(ws)
    click(at, "Create or get workspace")
    body = page_text(at)
    assert f"Create workspace '{ws}'…" in body
    assert "Started at" in body and "so far" in body

    # A reload (a new browser session on the same dashboard) picks the operation up again.
    again = start("resources", loopback_factory, ack=True)
    assert f"Create workspace '{ws}'…" in page_text(again) and "Started at" in page_text(again)

    settle(at, ws, timeout=120)  # as the page's polling fragment would, however busy the machine
    assert ws in texts(at.success) + texts(at.info)
    assert "Open in Azure ML studio" in page_text(at)
    assert "Download config.json" in page_text(at)


@pytest.mark.usefixtures("data_dir")
def test_a_storage_account_create_shows_azure_s_state_then_the_created_message(
    loopback_factory: ClientFactory, slow_operations: FakeAzure
) -> None:
    rg, sa = unique("rg-app-"), unique("appsa")
    at = start("resources", loopback_factory, ack=True)
    at.text_input(key="rg_name").input(rg)
    click(at, "Create or get resource group")
    at.text_input(key="sa_name").input(sa)
    click(at, "Create or get storage account")
    body = page_text(at)
    assert f"Create storage account '{sa}'…" in body, "the page does not wait for Azure"
    assert "Started at" in body and "so far" in body
    assert "state: **Creating**" in body, "the state Azure reports (the account's provisioningState)"
    assert not [c for c in at.code if "AccountKey=" in c.value and "•" in c.value], "no keys yet"

    # A reload (a new browser session on the same dashboard) picks the operation up again.
    again = start("resources", loopback_factory, ack=True)
    assert f"Create storage account '{sa}'…" in page_text(again)

    said = settle(at, sa)
    assert f"Created storage account '{sa}'" in said, said
    assert f"Create storage account '{sa}'…" not in page_text(at)
    assert any("AccountKey=" in c.value and "•" in c.value for c in at.code), "masked, once created"
    assert AZURITE_KEY not in page_text(at)
    assert "Traceback" not in page_text(at)


# -- teardown: what goes, what is still billed, purge -----------------------------------------
@pytest.mark.usefixtures("data_dir")
def test_teardown_lists_what_goes_and_purges_a_workspace(
    loopback_env: LoopbackCloud, loopback_factory: ClientFactory, tmp_path: Path
) -> None:
    from core.azure.backend import AzureBackend

    rg, ws = unique("rg-td-"), unique("ws-td-")
    backend = AzureBackend(loopback_factory, tmp_path / "setup")
    backend.create_resource_group(rg, "eastus")
    operation = backend.begin_create_workspace(rg, ws)
    for _ in range(60):
        operation = backend.poll_operation(operation)
        if operation.done:
            break
    assert operation.state == "succeeded", operation.error
    # Billed right now: a cluster that keeps one node up, and an online endpoint.
    from core.backend import WorkspaceRef
    from core.compute import VM_SIZES, ComputeSpec
    from tests.azure.fake.routes_ml import seed_endpoint

    operation = backend.begin_create_compute(
        WorkspaceRef(rg, ws), ComputeSpec("cpu-td", VM_SIZES[0], 1, 2, 120)
    )
    for _ in range(60):
        operation = backend.poll_operation(operation)
        if operation.done:
            break
    assert operation.state == "succeeded", operation.error
    seed_endpoint(loopback_env.fake, SUBSCRIPTION, rg, ws, "ep-td", {"blue": 100})

    resources = start("resources", loopback_factory)
    running = texts(resources.warning)
    assert "Running now, and billed while it runs" in running
    assert "compute cluster 'cpu-td' (yes: 1 node running)" in running and "'ep-td'" in running

    at = start("teardown", loopback_factory)
    at.radio(key="td_scope").set_value("workspace").run()
    box = at.selectbox(key="td_target")
    box.set_value(next(o for o in box.options if o.name == ws) if not isinstance(box.options[0], str) else ws)
    at.run()
    assert f"workspace **{ws}**" in texts(at.warning)
    assert "soft-deleted for 14 days" in texts(at.caption)
    billed = texts(at.error)
    assert "Still billable right now" in billed
    assert "compute cluster **cpu-td** with 1 node up" in billed and "online endpoint **ep-td**" in billed
    at.checkbox(key="td_purge").check().run()
    at.text_input(key="td_confirm").input(ws).run()  # Enter turns the delete button on
    click(at, "Delete permanently")
    for _ in range(30):
        if "Deleted" in texts(at.success):
            break
        at.run()
    assert "Deleted" in texts(at.success)
    deletes = loopback_env.fake.calls("DELETE", f"/workspaces/{ws}$")
    assert deletes and any(d.query.get("forceToPurge", "").lower() == "true" for d in deletes), deletes


def test_open_backend_says_the_azure_backend_needs_a_sign_in(
    fake_factory: ClientFactory,  # noqa: F811
    tmp_path: Path,
) -> None:
    from core.backend import open_backend
    from core.errors import UserFacingError

    with pytest.raises(UserFacingError, match="needs a sign-in"):
        open_backend("azure")
    backend = open_backend("azure", factory=fake_factory, state_dir=tmp_path / "azure")
    assert backend.info.name == "azure" and backend.capabilities.billable
    assert SUBSCRIPTION in backend.info.location


# -- Data and EDA on azure: upload to the default datastore, read it back -------------------
@pytest.mark.usefixtures("data_dir")
def test_data_stores_the_split_on_azure_and_eda_reads_it_back(
    loopback_env: LoopbackCloud, loopback_factory: ClientFactory, tmp_path: Path
) -> None:
    from core.azure.backend import AzureBackend
    from core.backend import WorkspaceRef
    from core.data.samples import heart_sample
    from core.data.store import load_dataset

    rg, sa, ws = unique("rg-data-"), unique("sadata"), unique("ws-data-")
    backend = AzureBackend(loopback_factory, tmp_path / "setup")
    backend.create_resource_group(rg, "eastus")
    backend.create_storage_account(rg, sa)
    backend.create_blob_container(sa, "data4ml")
    operation = backend.begin_create_workspace(rg, ws, sa)
    for _ in range(60):
        operation = backend.poll_operation(operation)
        if operation.done:
            break
    assert operation.state == "succeeded", operation.error

    at = start("data", loopback_factory)
    at.session_state[session.CURRENT_WORKSPACE] = WorkspaceRef(rg, ws)
    at.file_uploader(key="data_upload").upload(
        "heart.csv", heart_sample().to_csv(index=False).encode(), "text/csv"
    )
    at.run()  # parsed on upload
    click(at, "Split")
    assert "billable" in texts(at.warning)  # not acknowledged in this session yet
    click(at, "I understand: create billable resources")
    at.selectbox(key="store_container").set_value(f"{sa}/data4ml").run()
    click(at, "Upload train split and register data asset")
    assert "registered data asset 'heart' version 1" in texts(at.success), texts(at.error)
    stored = load_dataset(backend, WorkspaceRef(rg, ws), "heart")
    assert len(stored.train) == 273

    at.switch_page("../pages/eda.py")
    at.run()
    assert not at.exception, at.exception
    assert "heart v1" in texts(at.caption) + texts(at.markdown)
    assert len(at.get("plotly_chart")) >= 4


@pytest.mark.usefixtures("data_dir")
def test_the_endpoint_step_on_azure_says_what_it_needs_first(
    fake_factory: ClientFactory,  # noqa: F811
) -> None:
    """Endpoints are on the azure backend now (issue 17): without a workspace, the page says it
    needs one; the whole walk is in tests/app/test_azure_endpoint_page.py."""
    at = start("endpoint", fake_factory)
    assert "needs a workspace with a finished sweep" in texts(at.warning)
    assert "later release" not in texts(at.info) + texts(at.error)
    assert "Traceback" not in page_text(at)


@pytest.mark.usefixtures("data_dir")
def test_the_demo_on_azure_says_it_is_billable_and_slow_and_waits_for_an_ok(
    fake_factory: ClientFactory,  # noqa: F811
) -> None:
    """On a subscription one click would create billable resources for tens of minutes: the home
    page says so first, and the demo's button appears only after an explicit OK (the run itself on
    azure: tests/azure/test_demo_azure.py)."""
    at = start("", fake_factory)
    warned = texts(at.warning)
    assert "billable" in warned and "tens of minutes" in warned and "5–15 minutes" in warned
    assert "Run the whole walkthrough" not in [b.label for b in at.button]
    at.checkbox(key="demo_billing_ack").check().run()
    assert not at.exception, at.exception
    assert "Run the whole walkthrough" in [b.label for b in at.button]
    assert at.session_state[session.AZURE_BILLABLE_ACK] is True, "one OK covers the pages' creates"
