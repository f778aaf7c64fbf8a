"""Drive the Resources and Teardown pages as a user would: create, re-create, bad names, teardown."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.backend import Operation
from core.local.backend import LocalBackend
from core.resources import RESOURCE_STEP_KINDS, DataAsset, Kind, now
from dashboard import session
from tests.app.conftest import APP

SUBMIT = {
    "rg": "Create or get resource group",
    "sa": "Create or get storage account",
    "bc": "Create or get blob container",
    "ws": "Create or get workspace",
    "env": "Validate and register environment",
    "cc": "Create or update compute cluster",
}


def submit(at: AppTest, step: str) -> AppTest:
    button = next(b for b in at.button if b.label == SUBMIT[step])
    button.click().run()
    assert not at.exception, at.exception
    return at


def texts(elements: object) -> str:
    return " ".join(e.value for e in elements)  # type: ignore[attr-defined]


def create_everything(at: AppTest) -> list[str]:
    messages = []
    for step in SUBMIT:
        submit(at, step)
        messages.append(texts(at.success) + texts(at.info))
    return messages


def test_create_every_resource_then_again_idempotently(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    at = open_page("resources")
    create_everything(at)
    created = texts(at.success)
    for expected in [
        "Created resource group 'rg-dev-ml-eastus-001' in eastus.",
        "Created storage account 'datadevmleastus001' as a local folder.",
        "Created blob container 'data4ml'",
        "Created workspace 'dev-heart-classifier'",
        "Registered environment 'sklearn-mlflow-env' version 1.",
        "Created compute cluster 'heartclassifycluster' (STANDARD_DS3_v2).",
    ]:
        assert expected in created

    # The connection string is masked, the config.json is offered.
    codes = [c.value for c in at.code]
    conn = LocalBackend(data_dir).storage_connection_string("datadevmleastus001").reveal()
    key = conn.split("AccountKey=")[1].split(";")[0]
    assert all(key not in c for c in codes)
    assert any("AccountKey=" + key[:4] + "•" in c for c in codes)
    config = json.loads(next(c for c in codes if '"workspace_name"' in c))
    assert config["workspace_name"] == "dev-heart-classifier"
    assert config["resource_group"] == "rg-dev-ml-eastus-001"
    assert "config.json" in str(at.get("download_button")[0].proto)

    # Reveal shows the whole string for copying, on request only.
    at.toggle(key="reveal_datadevmleastus001").set_value(True).run()
    assert any(key in c.value for c in at.code)

    # Every step a second time: nothing new, a calm "exists already".
    for step in SUBMIT:
        submit(at, step)
    again = texts(at.info)
    assert "exists already" in again and "exact spec already" in again
    assert not at.success
    kinds = [r.kind for r in LocalBackend(data_dir).inventory()]
    assert len(kinds) == len(set(kinds)) == 6

    # The inventory lists all six with parents.
    table = at.dataframe[0].value
    assert list(table["Type"]) == [k.label for k in Kind][:6]
    assert list(table["Parent"])[:3] == ["—", "rg-dev-ml-eastus-001", "datadevmleastus001"]


def test_bad_names_are_refused_with_the_rule(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    at = open_page("resources")
    at.text_input(key="rg_name").set_value("bad/rg.")
    submit(at, "rg")
    assert "not a valid resource group name" in texts(at.error)
    assert LocalBackend(data_dir).inventory() == []

    at.text_input(key="rg_name").set_value("rg-dev-ml-eastus-001")
    submit(at, "rg")
    cases = {
        "sa": ("sa_name", "Bad_Account", "not a valid storage account name"),
        "bc": ("bc_name", "Data--4ml", "not a valid blob container name"),
        "ws": ("ws_name", "-w", "not a valid workspace name"),
        "cc": ("cc_name", "cluster-1", "not a valid compute cluster name"),
    }
    submit(at, "sa")  # a good account, so the container and workspace forms are enabled
    submit(at, "ws")
    for step, (key, bad, message) in cases.items():
        good = at.text_input(key=key).value
        at.text_input(key=key).set_value(bad)
        submit(at, step)
        assert message in texts(at.error), step
        assert "Rule:" in texts(at.error)
        at.text_input(key=key).set_value(good)
    at.text_area(key="env_yaml").set_value("dependencies:\n  - pip\n")
    submit(at, "env")
    assert "has no 'name'" in texts(at.error)
    at.text_area(key="env_yaml").set_value("name: x\n  bad: [")
    submit(at, "env")
    assert "cannot be read" in texts(at.error)
    names = {r.name for r in LocalBackend(data_dir).inventory()}
    assert names == {"rg-dev-ml-eastus-001", "datadevmleastus001", "dev-heart-classifier"}


def test_teardown_needs_the_typed_name(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    create_everything(open_page("resources"))
    at = open_page("teardown")
    assert "deletes 3 resources" in at.warning[0].value  # workspace, environment, cluster
    at.text_input(key="td_confirm").set_value("wrong name").run()
    assert next(b for b in at.button if b.label == "Delete for good").disabled
    assert len(LocalBackend(data_dir).inventory()) == 6

    at.text_input(key="td_confirm").set_value("dev-heart-classifier").run()  # Enter
    next(b for b in at.button if b.label == "Delete for good").click().run()
    assert "Deleted" in texts(at.success)
    assert {r.kind for r in LocalBackend(data_dir).inventory()} == {
        Kind.RESOURCE_GROUP,
        Kind.STORAGE_ACCOUNT,
        Kind.BLOB_CONTAINER,
    }

    at.radio(key="td_scope").set_value("resource_group").run()
    at.text_input(key="td_confirm").set_value("rg-dev-ml-eastus-001").run()  # Enter
    next(b for b in at.button if b.label == "Delete for good").click().run()
    assert not at.exception
    assert LocalBackend(data_dir).inventory() == []
    assert "nothing to tear down" in texts(at.info)


class _SlowAzureLikeBackend(LocalBackend):
    """The local backend, with workspace creation answered the way Azure answers it: a running
    operation that a poll finds finished only on the third look (the work itself is real)."""

    polls: dict[str, int] = {}

    def begin_create_workspace(
        self, resource_group: str, name: str, storage_account: str | None = None
    ) -> Operation:
        self.create_args = (resource_group, name, storage_account)
        return Operation(
            id="op-ws",
            kind="create workspace",
            target=name,
            state="running",
            started_at=time.time(),
            status="Creating",
        )

    def poll_operation(self, operation: Operation) -> Operation:
        seen = self.polls[operation.id] = self.polls.get(operation.id, 0) + 1
        if seen < 3:
            return replace(operation, status=f"Creating (poll {seen})")
        rg, name, account = self.create_args
        outcome = self.create_workspace(rg, name, account)
        return replace(operation, state="succeeded", status="Succeeded", result=outcome, ended_at=time.time())


def test_long_work_is_a_polled_operation_and_the_page_stays_usable(data_dir: Path) -> None:
    slow = _SlowAzureLikeBackend(data_dir)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[session.BACKEND_INJECTED] = slow
    at.run()
    at.switch_page("../pages/resources.py").run()
    for step in ("rg", "sa", "ws"):
        submit(at, step)
    assert not [r for r in slow.inventory() if r.kind == Kind.WORKSPACE], (
        "nothing is created until the operation finishes"
    )
    assert "Create workspace 'dev-heart-classifier'" in " ".join(s.label for s in at.status)
    assert "Creating" in texts(at.markdown)
    submit(at, "bc")  # the page stays usable while it runs
    assert "Created blob container" in texts(at.success)
    at.run()  # the next poll (the fragment polls every few seconds; a rerun polls too)
    assert "Created workspace 'dev-heart-classifier'" in texts(at.success)
    assert not at.status, "the progress box goes when the operation is done"
    assert at.sidebar.selectbox(key="sidebar_ws").value.name == "dev-heart-classifier"


def test_the_forms_follow_what_was_just_created_in_a_subscription_already_in_use(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    """A subscription with a resource group and a workspace already: the storage account goes to
    the group just created, and the environment and cluster to the workspace just created, not to
    what was newest when the page opened (a select box keeps its first value otherwise)."""
    older = LocalBackend(data_dir)
    older.create_resource_group("rg-zz-older", "eastus")
    older.create_workspace("rg-zz-older", "ws-older")
    at = open_page("resources")
    assert at.selectbox(key="sa_rg").value == "rg-zz-older"  # the only group yet
    assert at.selectbox(key="env_ws").value.name == "ws-older"
    create_everything(at)
    assert at.selectbox(key="sa_rg").value == "rg-dev-ml-eastus-001"
    assert at.selectbox(key="ws_rg").value == "rg-dev-ml-eastus-001"
    assert at.selectbox(key="env_ws").value.name == "dev-heart-classifier"
    assert at.selectbox(key="cc_ws").value.name == "dev-heart-classifier"
    placed = {(r.kind, r.name): r.parent for r in LocalBackend(data_dir).inventory()}
    assert placed[(Kind.STORAGE_ACCOUNT, "datadevmleastus001")] == "rg-dev-ml-eastus-001"
    assert placed[(Kind.WORKSPACE, "dev-heart-classifier")] == "rg-dev-ml-eastus-001"
    assert placed[(Kind.ENVIRONMENT, "sklearn-mlflow-env")] == "dev-heart-classifier"
    assert placed[(Kind.COMPUTE, "heartclassifycluster")] == "dev-heart-classifier"

    # A pick of the user's own stays: the older group, chosen and submitted, is where it goes.
    at.selectbox(key="sa_rg").set_value("rg-zz-older")
    at.text_input(key="sa_name").set_value("dataolder001")
    submit(at, "sa")
    assert at.selectbox(key="sa_rg").value == "rg-zz-older"
    found = {r.name: r.parent for r in LocalBackend(data_dir).inventory() if r.kind == Kind.STORAGE_ACCOUNT}
    assert found["dataolder001"] == "rg-zz-older"


# -- "Create all with these defaults", the environment's progress, teardown's guard ---------
def test_create_all_makes_the_six_in_order_and_says_so(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    at = open_page("resources")
    caption = texts(at.caption)
    assert "resource group `rg-dev-ml-eastus-001` → storage account `datadevmleastus001`" in caption
    at.button(key="create_all").click().run()
    assert not at.exception, at.exception
    assert "All six resources are ready: 6 created, 0 existed already." in texts(at.success)
    kinds = [r.kind for r in LocalBackend(data_dir).inventory()]
    assert sorted(kinds) == sorted(RESOURCE_STEP_KINDS)
    assert at.sidebar.selectbox(key="sidebar_ws").value.name == "dev-heart-classifier"
    assert "every resource exists" in texts(open_page("").markdown)


def test_create_all_stops_at_the_first_failure_with_a_clear_message(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    taken = LocalBackend(data_dir)
    taken.create_resource_group("rg-someone-else", "eastus")
    taken.create_storage_account("rg-someone-else", "datadevmleastus001")
    at = open_page("resources")
    at.button(key="create_all").click().run()
    assert not at.exception, at.exception
    error = texts(at.error)
    assert "Stopped at step 2 of 6, the storage account 'datadevmleastus001'" in error
    assert "Kept what was made before it: resource group 'rg-dev-ml-eastus-001'." in error
    assert "Traceback" not in error
    names = {r.name for r in LocalBackend(data_dir).inventory()}
    assert "rg-dev-ml-eastus-001" in names and "dev-heart-classifier" not in names


def test_delete_stays_off_until_the_typed_name_matches_and_is_red(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    create_everything(open_page("resources"))
    backend = LocalBackend(data_dir)
    backend.register_data_asset(
        "dev-heart-classifier",
        DataAsset("heart", 1, "file:///x", "d", "f1", now(), {"target": "output"}),
        {"test.csv": b"a"},
    )
    at = open_page("teardown")
    warning = at.warning[0].value
    assert "deletes 3 resources" in warning
    assert "in workspace **dev-heart-classifier**: datasets (1): heart (latest v1)" in warning
    box = at.text_input(key="td_confirm")
    assert box.label == "Type dev-heart-classifier to confirm", "no literal ** in the accessible label"
    delete = at.button(key="td_delete")
    assert delete.label == "Delete for good" and delete.disabled
    assert any(".st-key-td_delete button" in h.proto.body for h in at.get("html"))
    box.set_value("dev-heart-classifie").run()
    assert at.button(key="td_delete").disabled
    assert len(LocalBackend(data_dir).inventory()) == 6
    at.text_input(key="td_confirm").set_value("dev-heart-classifier").run()
    assert not at.button(key="td_delete").disabled
    at.button(key="td_delete").click().run()
    assert "Deleted" in texts(at.success)
    assert Kind.WORKSPACE not in {r.kind for r in LocalBackend(data_dir).inventory()}


def test_teardown_starts_at_the_workspace_the_user_works_in(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    create_everything(open_page("resources"))
    backend = LocalBackend(data_dir)
    backend.create_workspace("rg-dev-ml-eastus-001", "second-workspace", "datadevmleastus001")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    sidebar = at.sidebar.selectbox(key="sidebar_ws")
    sidebar.select(next(o for o in sidebar.options if "second-workspace" in str(o))).run()
    at.switch_page("../pages/teardown.py").run()
    assert not at.exception
    listed = [str(o) for o in at.selectbox(key="td_target").options]
    assert "dev-heart-classifier" in listed[0], "the inventory lists the first workspace first…"
    assert at.selectbox(key="td_target").value.name == "second-workspace", "…the page starts at the current"
    assert "deletes 1 resource and everything in it," in at.warning[0].value
