"""The Sweep page on the azure backend, driven as a user would, against the fake Azure (its jobs
run their trials for real, into a real MLflow behind the workspace's MLflow proxy).

The launch panel says the code snapshot's size and waits for the billing OK; a launched sweep
links to Azure ML studio; the live view shows the status Azure reports, the cluster's nodes, the
counts and the best so far; cancel works; Resume is not offered and the page says why.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.azure.backend import AzureBackend
from core.azure.clients import ClientFactory
from core.compute import ComputeSpec
from core.data.samples import heart_sample
from core.data.schema import Task, build_schema
from core.data.split import split_frame
from core.data.store import store_dataset
from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec
from dashboard import session
from tests.app.test_azure_pages import click, page_text, start, texts
from tests.azure.conftest import (  # noqa: F401 - fixtures used by name
    fake_azure,
    fake_credential,
    fake_factory,
    trust_workspace_mlflow,
    workspace_mlflow,
)
from tests.azure.fake import FakeAzure
from tests.azure.ml_helpers import REF, SA, seed_workspace

CLUSTER = "cpu-cluster"


@pytest.fixture
def ready(
    fake_azure: FakeAzure,  # noqa: F811
    fake_factory: ClientFactory,  # noqa: F811
    trust_workspace_mlflow: object,  # noqa: F811
    data_dir: Path,
    tmp_path: Path,
) -> Iterator[ClientFactory]:
    """A workspace with its cluster, environment and the heart sample, made through the product."""
    backend = AzureBackend(fake_factory, tmp_path / "state")
    seed_workspace(backend, fake_azure)
    backend.create_compute(REF, ComputeSpec(CLUSTER, min_instances=0, max_instances=2))
    backend.create_environment(REF, build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE))
    backend.create_blob_container(SA, "data4ml")
    frame = heart_sample()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    split = split_frame(frame, "output", test_fraction=0.2, seed=42, stratify=True)
    store_dataset(backend, REF, SA, "data4ml", "heart", split, schema, "heart sample")
    yield fake_factory
    from tests.azure.fake import sweeps as runner

    for sweep in list(runner._sweeps(fake_azure)):
        runner.cancel(fake_azure, sweep)
        runner.wait_idle(fake_azure, sweep)


def open_sweep_page(factory: ClientFactory, ack: bool) -> AppTest:
    at = start("", factory, ack=ack)
    at.session_state[session.CURRENT_WORKSPACE] = REF
    at.switch_page("../pages/sweep.py")
    at.run()
    assert not at.exception, at.exception
    return at


def small_sweep(at: AppTest, total: int) -> None:
    """Few trials and folds, so the fake's real training stays short."""
    at.number_input(key="sweep_total").set_value(total).run()
    at.number_input(key="sweep_concurrent").set_value(2).run()
    at.number_input(key="sweep_folds").set_value(2).run()
    assert not at.exception, at.exception


def watch(at: AppTest, until: str, timeout: float = 240) -> str:
    """Rerun the page as its polling fragment would, until the live view's markdown names ``until``."""
    deadline = time.monotonic() + timeout
    while True:
        said = texts(at.markdown)
        if until in said or time.monotonic() > deadline:
            return said
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception


def test_the_launch_panel_says_the_snapshot_size_and_waits_for_the_billing_ok(ready: ClientFactory) -> None:
    at = open_sweep_page(ready, ack=False)
    said = texts(at.caption)
    assert re.search(r"code snapshot uploaded with the job: \d+ files", said), said
    assert "node" in said and "billed while they run" in said
    assert "billable" in texts(at.warning)
    assert "Launch sweep" not in [b.label for b in at.button], "nothing billable before the OK"
    click(at, "I understand: create billable resources")
    assert "Launch sweep" in [b.label for b in at.button]


def test_a_sweep_launched_on_azure_is_watched_to_its_end(ready: ClientFactory) -> None:
    at = open_sweep_page(ready, ack=True)
    small_sweep(at, total=3)
    click(at, "Launch sweep")
    launched = texts(at.success)
    assert "Launched sweep_random_forest_" in launched, texts(at.error)
    assert "Open it in Azure ML studio" in launched and "files of code" in launched
    seen = watch(at, "Azure reports **Completed**")
    assert "Azure reports **Completed**" in seen, seen
    assert " up now" in seen and "node(s)" not in seen and "Open in Azure ML studio" in seen
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Completed"] == "3" and metrics["Failed"] == "0"
    assert metrics["Best accuracy"] != "–"
    assert "runs:/sweep_random_forest_" in texts(at.success) and "/model" in texts(at.success)
    assert "Resume" not in [b.label for b in at.button]
    assert "Traceback" not in page_text(at)

    # The Trials page's list of sweeps reads this one as of now (Azure's job list has no counts).
    at.switch_page("../pages/trials.py")
    at.run(timeout=120)
    assert not at.exception, at.exception
    row = at.table[0].value.iloc[0]
    assert row["state"] == "completed" and row["trials"] == "3 of 3", row.to_dict()
    assert row["best value"] == metrics["Best accuracy"], row.to_dict()
    assert row["best trial"].startswith("#"), row.to_dict()


def test_a_sweep_canceled_from_the_page_ends_canceled(ready: ClientFactory) -> None:
    at = open_sweep_page(ready, ack=True)
    small_sweep(at, total=40)
    click(at, "Launch sweep")
    watch(at, "Azure reports **Running**")
    click(at, "Cancel sweep")
    seen = watch(at, "Azure reports **Canceled**")
    assert ":orange-badge[canceled]" in seen, seen
    assert "cannot resume a sweep" in texts(at.caption), "Resume is hidden, and the page says why"
    assert "Resume" not in [b.label for b in at.button]
    assert "Cancel sweep" not in [b.label for b in at.button]
