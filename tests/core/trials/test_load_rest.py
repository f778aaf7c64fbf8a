"""Loading runs over REST (a real ``mlflow server``): the pages fetched in parallel start-time
slices give exactly what one ``search_runs`` returns, runs sharing a start time included."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from core.trials import is_bulk, load_histories, load_runs
from core.trials.load import RunTable, start_slices
from tests.mlflow_server import MlflowServer

T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def crowded(mlflow_server: MlflowServer) -> tuple[str, str, list[str]]:
    """(server url, experiment id, ids of the runs of parent A) in an experiment of 45 runs,
    written straight into the server's SQLite: 30 children of parent A, 12 runs of another
    parent, 3 without one; five of A's runs start at the same millisecond, as do two others."""
    writer = MlflowClient(mlflow_server.backend_uri)
    experiment_id = writer.create_experiment(f"crowded-{uuid.uuid4().hex[:8]}")
    a = writer.create_run(experiment_id, start_time=T0, run_name="parent-a").info.run_id
    b = writer.create_run(experiment_id, start_time=T0, run_name="parent-b").info.run_id
    children = []
    starts = [T0 + 1000 * i for i in range(30)]
    starts[10:15] = [T0 + 10_000] * 5  # a tie that a page of 7 cuts through
    starts[20] = starts[21]
    for i, start in enumerate(starts):
        run = writer.create_run(
            experiment_id,
            start_time=start,
            run_name=f"a-{i:02d}",
            tags={"mlflow.parentRunId": a, "trial_number": str(i)},
        )
        writer.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", 0.5 + i / 100, start + s, s) for s in range(3)],
            params=[Param("lr", str(10**-i)), Param("depth", str(i % 4))],
            tags=[RunTag("status", "completed" if i % 5 else "failed")],
        )
        writer.set_terminated(run.info.run_id, "FINISHED" if i % 5 else "FAILED", end_time=start + 500)
        children.append(run.info.run_id)
    for i in range(12):
        run = writer.create_run(experiment_id, start_time=T0 + 500 * i, tags={"mlflow.parentRunId": b})
        writer.log_metric(run.info.run_id, "acc", i / 12, step=0)
    for _ in range(3):
        writer.create_run(experiment_id, start_time=T0 + 3333)
    return mlflow_server.url, experiment_id, children


def as_rows(table: RunTable) -> pd.DataFrame:
    """One row per run, by run id: attributes, params, tags and metrics, to compare two loads."""
    frame = table.runs.drop(columns=["artifact_uri"]).copy()
    frame["params"] = [sorted(p.items()) for p in table.params]
    frame["tags"] = [sorted(t.items()) for t in table.tags]
    metrics = table.metrics.reindex(sorted(table.metrics.columns), axis=1)
    frame = pd.concat([frame, metrics], axis=1)
    return frame.sort_values("run_id").reset_index(drop=True)


def search_runs_ids(url: str, experiment_id: str, filter_string: str = "") -> list[str]:
    found = MlflowClient(url).search_runs([experiment_id], filter_string, max_results=50_000)
    return [r.info.run_id for r in found]


@pytest.mark.parametrize("page_size", [7, 1000], ids=["parallel-pages", "one-page"])
def test_parallel_pages_load_exactly_what_search_runs_returns(
    crowded: tuple[str, str, list[str]], mlflow_server: MlflowServer, page_size: int
) -> None:
    url, experiment_id, _ = crowded
    progress: list[int] = []
    table = load_runs(url, experiment_id, page_size=page_size, progress=lambda done, _: progress.append(done))
    ids = table.runs["run_id"].tolist()
    assert len(ids) == len(set(ids)) == 47, "every run once: the tie at a page's end is not doubled"
    assert sorted(ids) == sorted(search_runs_ids(url, experiment_id))
    starts = table.runs["start_ms"].to_numpy()
    assert np.all(np.diff(starts) <= 0), "newest first, as one search lists them"
    assert progress[-1] == 47 and progress == sorted(progress)
    local = load_runs(mlflow_server.backend_uri, experiment_id)  # the same store, read page by page
    pd.testing.assert_frame_equal(as_rows(table), as_rows(local))


def test_a_filtered_load_in_parallel_keeps_the_filter(crowded: tuple[str, str, list[str]]) -> None:
    url, experiment_id, children = crowded
    parent = MlflowClient(url).get_run(children[0]).data.tags["mlflow.parentRunId"]
    where = f"tags.`mlflow.parentRunId` = '{parent}'"
    table = load_runs(url, experiment_id, where, page_size=4)
    expected = sorted(search_runs_ids(url, experiment_id, where))
    assert sorted(table.runs["run_id"]) == sorted(children) == expected
    row = table.row_of(children[12])
    assert row is not None and table.params[row] == {"lr": "1e-12", "depth": "0"}
    assert table.metrics["acc"].iloc[row] == pytest.approx(0.62), "the latest value of the metric"


def test_start_slices_cover_the_range_once() -> None:
    slices = start_slices(100, 200, 4)
    assert slices == [(175, 200), (150, 175), (125, 150), (100, 125)], "newest first, half-open"
    assert start_slices(5, 7, 4) == [(6, 7), (5, 6)], "no empty slices when the range is narrow"


def test_histories_over_rest_are_those_of_the_store(
    crowded: tuple[str, str, list[str]], mlflow_server: MlflowServer
) -> None:
    """One run per call over REST (several at once), the same rows as the bulk SQLite read."""
    url, experiment_id, children = crowded
    assert not is_bulk(url)
    remote = load_histories(url, experiment_id, children[:12], ["acc"])
    local = load_histories(mlflow_server.backend_uri, experiment_id, children[:12], ["acc"])
    assert len(remote) == 36 and set(remote["run_id"]) == set(children[:12])
    pd.testing.assert_frame_equal(remote, local)
