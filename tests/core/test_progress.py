"""The home page's "done" marks for EDA and Trials: per backend and workspace, kept on disk."""

from __future__ import annotations

from pathlib import Path

from core.progress import PROGRESS_FILE, StepProgress, dataset_item


def test_marks_are_kept_per_backend_and_workspace_and_survive_a_restart(tmp_path: Path) -> None:
    local = StepProgress(tmp_path, "local")
    assert not local.done("eda", "rg/ws", dataset_item("heart", 1))
    local.mark("eda", "rg/ws", dataset_item("heart", 1))
    local.mark("eda", "rg/ws", dataset_item("heart", 1))  # twice: recorded once
    local.mark("trials", "rg/ws", "sweep-1")
    again = StepProgress(tmp_path, "local")  # a new session, a restarted dashboard
    assert again.done("eda", "rg/ws", "heart:1")
    assert not again.done("eda", "rg/ws", "heart:2"), "a new dataset version is not explored yet"
    assert not again.done("eda", "rg/other", "heart:1")
    assert not StepProgress(tmp_path, "azure").done("eda", "rg/ws", "heart:1")
    assert again.done("trials", "rg/ws", "sweep-1") and not again.done("trials", "rg/ws", "sweep-2")
    assert (tmp_path / PROGRESS_FILE).read_text().count("heart:1") == 1


def test_an_unreadable_file_counts_as_no_marks_and_is_replaced(tmp_path: Path) -> None:
    (tmp_path / PROGRESS_FILE).write_text("{not json")
    progress = StepProgress(tmp_path, "local")
    assert not progress.done("eda", "rg/ws", "heart:1")
    progress.mark("eda", "rg/ws", "heart:1")
    assert progress.done("eda", "rg/ws", "heart:1")
