"""Small shared widgets: show-code, masked secrets, action results and guarded calls."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from core.backend import Backend, Operation, Secret
from core.errors import NameTakenError, UserFacingError
from core.resources import Outcome
from core.secrets import mask, mask_connection_string
from dashboard.session import AZURE_BILLABLE_ACK, RESULT_PREFIX, forget_inventory

log = logging.getLogger("dashboard")


def show_code(code: str, label: str = "Show code: the same step with the Azure SDK") -> None:
    with st.expander(label, icon=":material/code:"):
        st.code(code, language="python")


def run_action(action_key: str, action: Callable[[], Any]) -> Any:
    """Run a core call and keep its result on screen; never let a traceback reach the UI."""
    result_key = RESULT_PREFIX + action_key
    forget_inventory()  # whatever the action did, the next read sees it
    st.session_state.pop(SUGGESTION_PREFIX + action_key, None)
    try:
        value = action()
    except UserFacingError as exc:
        st.session_state[result_key] = ("error", str(exc), ())
        if isinstance(exc, NameTakenError) and exc.suggestion:
            st.session_state[SUGGESTION_PREFIX + action_key] = exc.suggestion
        return None
    except Exception as exc:  # an unexpected failure: log it, show a calm summary
        log.exception("action %s failed", action_key)
        text = mask_connection_string(f"{type(exc).__name__}: {exc}")
        st.session_state[result_key] = (
            "error",
            f"Something unexpected went wrong ({text[:300]}). Nothing was half-created; "
            "try again, and check the terminal running the dashboard for details.",
            (),
        )
        return None
    if isinstance(value, Outcome):
        st.session_state[result_key] = ("success" if value.created else "info", value.message, value.notes)
    return value


SUGGESTION_PREFIX = "suggestion:"  # suggestion:<action> -> a free name offered after a NameTakenError


def name_suggestion(action_key: str) -> str | None:
    """The free name the last run of ``action_key`` offered when its name was taken, if any."""
    value = st.session_state.get(SUGGESTION_PREFIX + action_key)
    return value if isinstance(value, str) and value else None


def show_result(action_key: str) -> None:
    """Show the last result of ``action_key`` (kept across reruns and page changes)."""
    stored = st.session_state.get(RESULT_PREFIX + action_key)
    if not stored:
        return
    level, message, notes = stored
    icon = {"success": ":material/check_circle:", "info": ":material/info:", "error": ":material/error:"}[
        level
    ]
    getattr(st, level)(message, icon=icon)
    for note in notes:
        st.warning(note, icon=":material/memory:")


def set_result(action_key: str, level: str, message: str) -> None:
    st.session_state[RESULT_PREFIX + action_key] = (level, message, ())


def masked_secret(
    label: str,
    secret: str | Secret,
    key: str,
    connection_string: bool = False,
    download_name: str | None = None,
) -> None:
    """Show a secret masked, with a toggle that reveals it in a copyable code block.

    Streamlit's copy icon copies the text of a code block, so copying to the clipboard needs the
    secret in that block (in the page) once revealed: that is the trade-off of the toggle. With
    ``download_name``, a button also saves the secret as a file: Streamlit serves the file from its
    media store by a per-session URL, so the secret is never shown or put in the page's HTML."""
    if isinstance(secret, Secret):
        masked, secret = secret.masked, secret.reveal()
    else:
        masked = mask_connection_string(secret) if connection_string else mask(secret)
    st.markdown(f"**{label}**")
    if download_name:
        st.download_button(
            "Save to a file (never shown)",
            secret,
            file_name=download_name,
            mime="text/plain",
            key=f"{key}:download",
            on_click="ignore",
            icon=":material/download:",
        )
    if st.toggle("Reveal to copy", key=key, help="Shown only in this browser tab; never logged."):
        st.code(secret, language=None, wrap_lines=True)
        st.caption("Use the copy icon at the top right of the box. Hide it again before sharing your screen.")
    else:
        st.code(masked, language=None, wrap_lines=True)


def follow_newest_select(
    label: str,
    options: list[Any],
    *,
    key: str,
    pin_key: str,
    newest: Any,
    format_func: Callable[[Any], str] = str,
    **kwargs: Any,
) -> Any:
    """A select box whose choice follows ``newest`` until the user picks an option.

    The user's pick is kept under ``pin_key`` (a key no widget owns, so it survives a change
    of page). A pick of an option that no longer exists falls back to ``newest``. Code that
    creates an object the user should now see (a launched sweep, a registered version) calls
    :func:`pin_selection` with it.
    """
    if not options:
        raise ValueError("follow_newest_select needs at least one option")
    pinned = st.session_state.get(pin_key)
    if pinned is not None and pinned not in options:
        st.session_state.pop(pin_key, None)
        pinned = None
    st.session_state[key] = pinned if pinned is not None else (newest if newest in options else options[0])

    def remember_pick() -> None:
        st.session_state[pin_key] = st.session_state[key]

    return st.selectbox(label, options, key=key, format_func=format_func, on_change=remember_pick, **kwargs)


def pin_selection(pin_key: str, value: Any) -> None:
    """Make ``value`` the chosen option of the select box pinned under ``pin_key``."""
    st.session_state[pin_key] = value


def clear_selection(pin_key: str) -> None:
    """Let the select box pinned under ``pin_key`` follow the newest option again."""
    st.session_state.pop(pin_key, None)


OPERATION_PREFIX = "operation:"  # operation:<action> -> the Operation a page watches (no widget owns it)
OPERATION_POLL_S = 3.0


def start_operation(action_key: str, begin: Callable[[], Operation]) -> Operation | None:
    """Start long work through the backend and keep its operation under a session key, so a change
    of page or a rerun picks it up again. Bad input shows its message, as ``run_action`` does."""
    operation = run_action(action_key, begin)
    if isinstance(operation, Operation):
        st.session_state[OPERATION_PREFIX + action_key] = operation
        st.session_state.pop(RESULT_PREFIX + action_key, None)
        return operation
    return None


def watch_operation(
    action_key: str,
    on_done: Callable[[Operation], None] | None = None,
    details: Callable[[Operation], None] | None = None,
    on_failed: Callable[[Operation], None] | None = None,
) -> None:
    """Show the operation started under ``action_key``: while it runs, a box that polls the
    backend every few seconds (state, elapsed time) without blocking the page; once done, its
    result (kept like any action's result) and ``on_done`` (or ``on_failed``), then a full rerun.
    ``details`` shows, under the box, what else the page shows of the running operation
    (refreshed with each poll)."""
    operation = st.session_state.get(OPERATION_PREFIX + action_key)
    if isinstance(operation, Operation) and operation.done:
        _settle(action_key, operation, on_done)
        if on_failed is not None and operation.state == "failed":
            on_failed(operation)
        return
    if isinstance(operation, Operation):
        st.fragment(_poll_operation, run_every=OPERATION_POLL_S)(action_key, on_done, details)


def _poll_operation(
    action_key: str,
    on_done: Callable[[Operation], None] | None,
    details: Callable[[Operation], None] | None = None,
) -> None:
    from dashboard import session

    operation = st.session_state.get(OPERATION_PREFIX + action_key)
    if not isinstance(operation, Operation):
        return
    try:
        operation = session.backend().poll_operation(operation)
    except UserFacingError as exc:
        st.warning(f"Could not ask how '{operation.kind}' is going: {exc}", icon=":material/sync_problem:")
        return
    st.session_state[OPERATION_PREFIX + action_key] = operation
    if operation.done:
        st.rerun(scope="app")
    with st.status(f"{operation.kind.capitalize()} '{operation.target}'…", state="running"):
        started = time.strftime("%H:%M:%S", time.localtime(operation.started_at))
        st.write(
            f"Started at {started} · state: **{operation.status or 'Running'}** · "
            f"{_duration(operation.elapsed_s(time.time()))} so far. "
            "You can keep working or leave this page: the operation goes on and is picked up again."
        )
    if details is not None:
        details(operation)


def _duration(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


SETTLED_OPERATIONS = "operation:settled"  # ids of operations this session already showed as done


def adopt_running_operations(backend: Backend, actions: dict[str, str]) -> None:
    """Watch again the operations the backend still runs (a reload, a new tab, a restart):
    ``actions`` maps an ``Operation.kind`` to the page's action key."""
    settled = st.session_state.setdefault(SETTLED_OPERATIONS, set())
    for operation in backend.running_operations():
        key = actions.get(operation.kind)
        if key is None or operation.id in settled:
            continue
        watched = st.session_state.get(OPERATION_PREFIX + key)
        if not isinstance(watched, Operation):
            st.session_state[OPERATION_PREFIX + key] = operation


def billing_acknowledged(backend: Backend) -> bool:
    """On a billable backend, the first create of a browser session waits for an explicit OK
    (once per session). Shows the notice and returns False until then."""
    if not backend.capabilities.billable or st.session_state.get(AZURE_BILLABLE_ACK):
        return True
    with st.container(border=True):
        st.warning(
            "**What you create here is billable** on your Azure subscription: a storage account "
            "(per GB stored and per request), a workspace (with the key vault, container registry "
            "and Application Insights Azure adds to it), and a compute cluster's nodes for every "
            "minute they run (set min instances to 0 so it scales to zero when idle), and an online "
            "endpoint's deployment for every hour its instances exist. Resource "
            "groups and containers cost nothing by themselves. Delete everything on **7 · Teardown** "
            "when you are done.",
            icon=":material/payments:",
        )
        if st.button("I understand: create billable resources", key="billing_ack", icon=":material/check:"):
            st.session_state[AZURE_BILLABLE_ACK] = True
            st.rerun()
    return False


def _settle(action_key: str, operation: Operation, on_done: Callable[[Operation], None] | None) -> None:
    """Turn a finished operation into the action's kept result, once."""
    st.session_state.pop(OPERATION_PREFIX + action_key, None)
    forget_inventory()
    st.session_state.setdefault(SETTLED_OPERATIONS, set()).add(operation.id)
    if operation.state == "failed":
        set_result(action_key, "error", operation.error or f"'{operation.kind}' failed.")
    elif isinstance(operation.result, Outcome):
        outcome = operation.result
        st.session_state[RESULT_PREFIX + action_key] = (
            "success" if outcome.created else "info",
            outcome.message,
            outcome.notes,
        )
    if on_done is not None and operation.state == "succeeded":
        on_done(operation)


def require_step(offered: bool, what: str) -> None:
    """Stop a page whose step the active backend does not offer yet, saying so plainly: what the
    step does, and where it works today."""
    if offered:
        return
    from dashboard import session

    name = session.backend().info.name
    st.info(
        f"This step arrives on the **{name}** backend in a later release: {what}. Today it works on "
        "the **local** backend (choose it in the sidebar); on this backend, use 1 · Resources, "
        "2 · Data, 3 · Explore and 7 · Teardown.",
        icon=":material/schedule:",
    )
    st.stop()
