"""The sidebar's "Azure connection" panel: the cloud, a credential, a subscription, and a test.

What it builds is one ``core.azure.clients.ClientFactory`` under ``session.AZURE_CONNECTION``;
``session.backend()`` opens the azure backend from it. Nothing here claims Azure was reached
unless a call to Azure answered: a chosen credential is "not checked yet" until it got a token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.azure.cloud import KNOWN_CLOUDS, PUBLIC_CLOUD, AzureCloud, cloud_from_environment, custom_cloud
from core.backend import Secret
from core.errors import UserFacingError
from core.settings import LOCAL_SUBSCRIPTION_ID, SUBSCRIPTION_ENV
from dashboard import session

if TYPE_CHECKING:
    from core.azure.clients import ClientFactory
    from core.azure.connection import ConnectionReport, SubscriptionChoice

SIGNED_IN = "azure:signed_in"  # a SignedIn: a credential that got a token, before a subscription
DEVICE_CODE = "azure:device_code"  # the DeviceCodeSignIn running on its thread
SUBSCRIPTIONS = "azure:subscriptions"  # (cloud name, list[SubscriptionChoice]) the credential sees
CONNECTED_AS = "azure:connected_as"  # words for the connection: subscription name, credential
REPORT = "azure:report"  # (ClientFactory, ConnectionReport, time) of the last "Test connection"
DEVICE_POLL_S = 2.0

CUSTOM = "custom"
CLOUD_LABELS = {
    "AzureCloud": "Azure (public cloud)",
    "AzureChinaCloud": "Azure China (21Vianet)",
    "AzureUSGovernment": "Azure US Government",
    CUSTOM: "Other cloud (its endpoints)",
}
HOW = {
    "default": "Azure CLI, environment or managed identity",
    "service_principal": "Service principal (typed in)",
    "device_code": "Device code (sign in in a browser)",
}


@dataclass(frozen=True)
class SignedIn:
    """A credential that got a token from ``cloud``'s authority."""

    credential: Any  # an azure.core.credentials.TokenCredential
    cloud: AzureCloud
    how: str  # in words, for the sidebar


@dataclass(frozen=True)
class ConnectedAs:
    subscription: str  # its display name (its id when unknown)
    how: str


def azure_panel() -> None:
    """The panel, in the sidebar, when the azure backend is chosen."""
    factory = session.azure_connection()
    report = _report_for(factory) if factory is not None else None
    settled = report is not None and report[0].ok  # open until a test found everything fine
    with st.expander("Azure connection", expanded=not settled, icon=":material/key:"):
        if factory is not None:
            _connected(factory)
            return
        cloud = _cloud_picker()
        if cloud is None:
            return
        signed = st.session_state.get(SIGNED_IN)
        if not isinstance(signed, SignedIn) or signed.cloud != cloud:
            _credential_picker(cloud)
            return
        st.success(f"Signed in: {signed.how}.", icon=":material/verified_user:")
        if st.button("Use another credential", key="az_signout_credential"):
            _forget_sign_in()
            st.rerun()
        _subscription_picker(signed)


def status_caption() -> str:
    """What the sidebar says is active on azure: subscription, cloud, and whether it was tested."""
    factory = session.azure_connection()
    if factory is None:
        return "Active: **azure**, not signed in yet. The pages wait for a sign-in (below)."
    connected = st.session_state.get(CONNECTED_AS)
    name = connected.subscription if isinstance(connected, ConnectedAs) else factory.subscription_id
    sub, cloud = factory.subscription_id, factory.cloud.name
    words = f"Active: **azure** · subscription **{name}** (`{sub}`) · cloud **{cloud}**"
    report = _report_for(factory)
    if report is None:
        return words + " · connection not tested yet."
    checked = time.strftime("%H:%M", time.localtime(report[1]))
    if report[0].ok:
        return words + f" · connection tested at {checked}: every check passed."
    return words + f" · the test at {checked} found problems (see Azure connection)."


# -- the cloud -------------------------------------------------------------------------------
def _environment_cloud() -> AzureCloud:
    try:
        return cloud_from_environment()
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return PUBLIC_CLOUD


def _cloud_picker() -> AzureCloud | None:
    env_cloud = _environment_cloud()
    env_option = env_cloud.name if env_cloud.name in KNOWN_CLOUDS and _is_known(env_cloud) else CUSTOM
    options = list(CLOUD_LABELS)
    choice = st.selectbox(
        "Cloud",
        options,
        index=options.index(env_option),
        format_func=CLOUD_LABELS.__getitem__,
        key="az_cloud",
        help="Azure China, US Government and Azure Stack have their own endpoints. The default comes "
        "from AZML_AZURE_CLOUD / AZML_ARM_URL / AZURE_AUTHORITY_HOST in the environment or .env.",
    )
    if choice != CUSTOM:
        return env_cloud if choice == env_option else KNOWN_CLOUDS[choice]
    base = env_cloud if env_option == CUSTOM else PUBLIC_CLOUD
    if env_option == CUSTOM:
        st.caption(
            f"**{env_cloud.name}** from your settings: Resource Manager `{env_cloud.resource_manager}`, "
            f"sign-in `{env_cloud.authority}`, instance discovery "
            f"{'off' if env_cloud.disable_instance_discovery else 'on'}."
        )
        if not st.toggle("Change the endpoints", key="az_cloud_edit"):
            return env_cloud
    name = st.text_input(
        "Cloud name", value=base.name if env_option == CUSTOM else "CustomCloud", key="az_cloud_name"
    )
    arm = st.text_input("Resource Manager URL", value=base.resource_manager, key="az_arm_url")
    scope = st.text_input(
        "Resource Manager token scope",
        value=base.arm_scope,
        key="az_arm_scope",
        placeholder="default: <Resource Manager URL>/.default",
    )
    authority = st.text_input("Sign-in authority", value=base.authority, key="az_authority")
    skip = st.checkbox(
        "Skip instance discovery",
        value=base.disable_instance_discovery or env_option != CUSTOM,
        key="az_skip_discovery",
        help="For an authority Microsoft's sign-in service does not know (Azure Stack, a private cloud).",
    )
    try:
        return custom_cloud(
            name,
            arm,
            authority,
            arm_scope=scope,
            disable_instance_discovery=skip,
            portal=base.portal if env_option == CUSTOM else "",
            studio=base.studio if env_option == CUSTOM else "",
            storage_suffix=base.storage_suffix if env_option == CUSTOM else "",
        )
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return None


def _is_known(cloud: AzureCloud) -> bool:
    """A named cloud with its own URLs (an authority override still counts as that cloud)."""
    known = KNOWN_CLOUDS[cloud.name]
    return cloud.resource_manager == known.resource_manager


# -- the credential --------------------------------------------------------------------------
def _credential_picker(cloud: AzureCloud) -> None:
    how = st.radio("Sign in with", list(HOW), format_func=HOW.__getitem__, key="az_how")
    if how == "default":
        st.caption(
            "DefaultAzureCredential tries, in order: a service principal's environment variables "
            "(AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), a managed identity, and the "
            "Azure CLI's login (`az login`)."
        )
        if st.button("Sign in", key="az_default_sign_in", type="primary"):
            from core.azure.credentials import default_credential

            _sign_in(default_credential(cloud), cloud, "DefaultAzureCredential")
    elif how == "service_principal":
        with st.form("az_sp_form", clear_on_submit=True, border=False):
            tenant = st.text_input("Tenant id", key="az_sp_tenant")
            client = st.text_input("Client (application) id", key="az_sp_client")
            secret = st.text_input(
                "Client secret",
                type="password",
                key="az_sp_secret",
                help="Kept in this browser session's memory only; never written to disk or logged.",
            )
            if st.form_submit_button("Sign in", type="primary"):
                _sign_in_service_principal(cloud, tenant.strip(), client.strip(), Secret(secret.strip()))
    else:
        _device_code(cloud)
    _show_sign_in_error()


def _sign_in_service_principal(cloud: AzureCloud, tenant: str, client: str, secret: Secret) -> None:
    from core.azure.credentials import ServicePrincipal, service_principal_credential

    try:
        credential = service_principal_credential(ServicePrincipal(tenant, client, secret).validated(), cloud)
    except UserFacingError as exc:
        st.session_state["azure:sign_in_error"] = f"Nothing was tried: {exc}"
        return
    _sign_in(credential, cloud, f"service principal {client}")


def _sign_in(credential: Any, cloud: AzureCloud, how: str) -> None:
    """Ask the authority for a token: only then is the user signed in."""
    from core.azure.errors import explain

    st.session_state.pop("azure:sign_in_error", None)
    try:
        with st.spinner("Signing in…"):
            credential.get_token(cloud.scope)
    except Exception as exc:  # noqa: BLE001 - explain() re-raises what it does not know
        st.session_state["azure:sign_in_error"] = str(explain(exc, doing="signing in to Azure"))
        return
    st.session_state[SIGNED_IN] = SignedIn(credential, cloud, how)
    st.session_state.pop(SUBSCRIPTIONS, None)
    st.rerun()


def _show_sign_in_error() -> None:
    error = st.session_state.get("azure:sign_in_error")
    if error:
        st.error(error, icon=":material/error:")


def _device_code(cloud: AzureCloud) -> None:
    running = st.session_state.get(DEVICE_CODE)
    if running is None:
        tenant = st.text_input(
            "Tenant",
            value="organizations",
            key="az_dc_tenant",
            help="Your directory's id or domain; 'organizations' lets any work or school account sign in.",
        )
        st.caption("For people without the Azure CLI: you get a code to enter on Microsoft's sign-in page.")
        if st.button("Get a sign-in code", key="az_dc_start", type="primary"):
            from core.azure.credentials import DeviceCodeSignIn

            sign_in = DeviceCodeSignIn(cloud, tenant_id=tenant.strip() or "organizations")
            sign_in.start()
            st.session_state[DEVICE_CODE] = sign_in
            st.rerun()
        return
    st.fragment(_poll_device_code, run_every=DEVICE_POLL_S)(cloud)


def _poll_device_code(cloud: AzureCloud) -> None:
    sign_in = st.session_state.get(DEVICE_CODE)
    if sign_in is None:
        return
    state = sign_in.poll()
    if state == "signed_in" and sign_in.credential is not None:
        st.session_state.pop(DEVICE_CODE, None)
        who = f" as {sign_in.username}" if getattr(sign_in, "username", "") else ""
        st.session_state[SIGNED_IN] = SignedIn(sign_in.credential, cloud, f"device code{who}")
        st.session_state.pop(SUBSCRIPTIONS, None)
        st.rerun(scope="app")
    if state == "failed":
        st.error(sign_in.error or "The device-code sign-in failed.", icon=":material/error:")
    elif state == "waiting_for_user":
        st.markdown(f"Open **[{sign_in.verification_uri}]({sign_in.verification_uri})** and enter the code:")
        st.code(sign_in.user_code, language=None)
        if sign_in.expires_at:
            left = max(0, int(sign_in.expires_at - time.time()))
            st.caption(
                f"The code expires in {left // 60} min {left % 60:02d} s. This panel updates by itself."
            )
    else:
        st.caption("Asking the sign-in service for a code…")
    if st.button("Cancel", key="az_dc_cancel"):
        st.session_state.pop(DEVICE_CODE, None)
        st.rerun(scope="app")


# -- the subscription ------------------------------------------------------------------------
def _subscription_picker(signed: SignedIn) -> None:
    env_sub = _environment_subscription()
    sources = {"list": "Pick from my subscriptions", "config": "Upload a config.json"}
    if env_sub:
        sources["env"] = f"{SUBSCRIPTION_ENV} from the environment"
    source = st.radio("Subscription", list(sources), format_func=sources.__getitem__, key="az_sub_source")
    if source == "env":
        st.caption(f"`{env_sub}`")
        if st.button("Connect", key="az_connect_env", type="primary"):
            _connect(signed, env_sub, env_sub)
    elif source == "config":
        _from_config(signed)
    else:
        _from_list(signed)


def _from_list(signed: SignedIn) -> None:
    subscriptions = _subscriptions(signed)
    if subscriptions is None:
        return
    if not subscriptions:
        st.warning(
            "This credential sees no subscription. Ask the subscription's owner for a role on it "
            "(Contributor on a resource group is enough), or sign in with another account.",
            icon=":material/person_off:",
        )
        return
    picked = st.selectbox(
        "Subscription",
        subscriptions,
        key="az_sub_pick",
        format_func=lambda s: f"{s.name} ({s.id[:8]}…)" if s.state == "Enabled" else f"{s.name} ({s.state})",
        label_visibility="collapsed",
    )
    if picked is not None and st.button("Connect", key="az_connect_list", type="primary"):
        _connect(signed, picked.id, picked.name)


def _subscriptions(signed: SignedIn) -> list[SubscriptionChoice] | None:
    """The subscriptions the credential sees, asked once per sign-in (a button asks again)."""
    from core.azure.connection import list_subscriptions

    cached = st.session_state.get(SUBSCRIPTIONS)
    if cached is None:
        try:
            with st.spinner("Listing your subscriptions…"):
                cached = list_subscriptions(signed.credential, signed.cloud)
        except UserFacingError as exc:
            st.error(str(exc), icon=":material/error:")
            if st.button("Try again", key="az_sub_retry"):
                st.rerun()
            return None
        st.session_state[SUBSCRIPTIONS] = cached
    return list(cached)


def _from_config(signed: SignedIn) -> None:
    from core.azure.connection import subscription_from_config

    upload = st.file_uploader(
        "config.json",
        type=["json"],
        key="az_config_upload",
        help="Download it from the workspace's page in the Azure portal.",
    )
    if upload is None:
        return
    try:
        config = subscription_from_config(upload.getvalue())
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.caption(
        f"Subscription `{config.subscription_id}`, resource group `{config.resource_group}`, "
        f"workspace `{config.workspace_name}`."
    )
    if st.button("Connect", key="az_connect_config", type="primary"):
        from core.backend import WorkspaceRef

        if config.resource_group and config.workspace_name:
            st.session_state[session.CURRENT_WORKSPACE] = WorkspaceRef(
                config.resource_group, config.workspace_name
            )
        _connect(signed, config.subscription_id, config.subscription_id)


def _environment_subscription() -> str:
    """``AZURE_SUBSCRIPTION_ID`` from the environment (the project's ``.env`` is read into it at
    start, see ``core.settings.load_dotenv_file``)."""
    import os

    value = os.environ.get(SUBSCRIPTION_ENV, "").strip()
    return "" if value == LOCAL_SUBSCRIPTION_ID else value


def _connect(signed: SignedIn, subscription_id: str, name: str) -> None:
    from core.azure.clients import ClientFactory

    st.session_state[session.AZURE_CONNECTION] = ClientFactory(
        signed.credential, subscription_id, signed.cloud
    )
    st.session_state[CONNECTED_AS] = ConnectedAs(name, signed.how)
    st.session_state.pop(REPORT, None)
    st.rerun()


# -- connected: test it, or leave ------------------------------------------------------------
def _connected(factory: ClientFactory) -> None:
    connected = st.session_state.get(CONNECTED_AS)
    how = connected.how if isinstance(connected, ConnectedAs) else "a credential given to the dashboard"
    st.markdown(
        f"Subscription `{factory.subscription_id}`  \nCloud **{factory.cloud.name}** "
        f"(`{factory.cloud.resource_manager}`)  \nSigned in with {how}"
    )
    if st.button("Test connection", key="az_test", icon=":material/network_check:"):
        from core.azure.connection import test_connection

        with st.spinner("Asking Azure…"):
            st.session_state[REPORT] = (factory, test_connection(factory), time.time())
        st.rerun()  # the status line above says what the test found
    report = _report_for(factory)
    if report is not None:
        _show_report(report[0])
    if st.button("Sign out", key="az_sign_out", icon=":material/logout:"):
        for key in (session.AZURE_CONNECTION, CONNECTED_AS, REPORT):
            st.session_state.pop(key, None)
        _forget_sign_in()
        st.rerun()


def _report_for(factory: ClientFactory) -> tuple[ConnectionReport, float] | None:
    stored = st.session_state.get(REPORT)
    if stored is None or stored[0] is not factory:
        return None
    return stored[1], stored[2]


def _show_report(report: ConnectionReport) -> None:
    for check in report.checks:
        if check.ok:
            st.markdown(f":green[:material/check_circle:] **{check.name}**: {check.message}")
        else:
            st.error(
                f"**{check.name}**: {check.message}" + (f"\n\n{check.fix}" if check.fix else ""),
                icon=":material/error:",
            )


def _forget_sign_in() -> None:
    for key in (SIGNED_IN, SUBSCRIPTIONS, DEVICE_CODE, "azure:sign_in_error"):
        st.session_state.pop(key, None)
