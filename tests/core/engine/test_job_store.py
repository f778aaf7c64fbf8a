"""The sweep record as a control channel: a cancel request is never lost to the runner's writes."""

from __future__ import annotations

from pathlib import Path

from core.engine.job import JobStore, SweepJob


def _job(job_id: str = "sweep-a") -> SweepJob:
    return SweepJob(
        id=job_id,
        workspace="ws",
        experiment="exp",
        dataset="heart",
        dataset_version=1,
        spec={},
        workers=2,
        created_at="2026-12-03T08:00:00",
        tracking_uri="sqlite:///x.db",
        train_csv="train.csv",
        schema={},
        state="running",
    )


def test_a_cancel_request_survives_the_runners_next_write(tmp_path: Path) -> None:
    """The runner reads the record, writes its progress into that copy and saves it after every
    trial. A cancel asked for between its read and its write must still reach it."""
    store = JobStore(tmp_path)
    store.save(_job())
    runners_copy = store.load("sweep-a")
    assert runners_copy is not None
    store.request_cancel("sweep-a")  # the dashboard, while the runner works on its copy
    store.save(runners_copy.with_(counts={"completed": 3}))  # the runner's next progress write
    reread = store.load("sweep-a")
    assert reread is not None and reread.cancel_requested, "the cancel request was lost"
    assert reread.counts == {"completed": 3}


def test_resume_clears_an_old_cancel_request(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    store.save(_job())
    store.request_cancel("sweep-a")
    store.clear_cancel("sweep-a")
    job = store.load("sweep-a")
    assert job is not None and not job.cancel_requested
    assert [j.id for j in store.all()] == ["sweep-a"], "the request is not mistaken for a record"
