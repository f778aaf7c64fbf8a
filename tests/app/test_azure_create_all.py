"""'Create all with these defaults' on the azure backend (the fake Azure in process): the six
in order through Azure's long-running operations, and the Teardown warning's listing there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import defaults
from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from dashboard import session
from tests.app.conftest import APP
from tests.azure.conftest import (  # noqa: F401 - fixtures used by name
    SUBSCRIPTION,
    FakeCredential,
    loopback_cloud,
    loopback_product_cloud,
)
from tests.azure.fake.server import LoopbackCloud


@pytest.fixture
def loopback_factory(loopback_cloud: LoopbackCloud, monkeypatch: pytest.MonkeyPatch) -> ClientFactory:  # noqa: F811
    """A signed-in connection to the loopback fake (workspaces need its HTTPS authority), as in
    test_azure_pages."""
    for name, value in loopback_cloud.environment().items():
        monkeypatch.setenv(name, value)
    return ClientFactory(
        FakeCredential(), SUBSCRIPTION, loopback_product_cloud(loopback_cloud), polling_interval=0
    )


def texts(elements: object) -> str:
    return " ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


@pytest.fixture
def default_group_removed(loopback_factory: ClientFactory, tmp_path: Path) -> Iterator[None]:
    """The fake cloud is shared by the whole run: the tutorial's resource group goes afterwards,
    so later tests meet the cloud as they would without this one."""
    yield
    AzureBackend(loopback_factory, tmp_path / "cleanup").delete_resource_group(defaults.RESOURCE_GROUP)


@pytest.mark.usefixtures("data_dir", "default_group_removed")
def test_create_all_on_azure_then_teardown_lists_what_goes(
    loopback_factory: ClientFactory,
) -> None:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state[session.BACKEND_CHOICE] = "azure"
    at.session_state[session.AZURE_CONNECTION] = loopback_factory
    at.run()
    at.switch_page("../pages/resources.py").run()
    assert at.button(key="create_all").disabled, "billable: nothing is created before the OK"
    next(b for b in at.button if b.label == "I understand: create billable resources").click().run()
    at.button(key="create_all").click().run()
    assert not at.exception, at.exception
    assert "All six resources are ready" in texts(at.success), texts(at.error)
    assert at.sidebar.selectbox(key="sidebar_ws").value.name == defaults.WORKSPACE
    kinds = {row["Type"] for row in at.dataframe[0].value.to_dict("records")}
    assert {"workspace", "environment", "compute cluster", "blob container"} <= kinds

    at.switch_page("../pages/teardown.py").run()
    warning = texts(at.warning)
    assert f"workspace **{defaults.WORKSPACE}**" in warning and "compute cluster" in warning
    assert at.button(key="td_delete").disabled
