"""Loading a target's trials through ``core.trials``, kept in the cache by the store's stamp."""

from __future__ import annotations

import numpy as np

from core.errors import UserFacingError
from core.trials import (
    CACHE,
    Target,
    TrialsFrame,
    frame_for_group,
    history_matrix,
    is_bulk,
    load_histories,
    load_runs,
    stamp_of,
    sweep_groups,
)
from core.trials.frame import Group
from core.trials.history import LAZY_LIMIT, HistoryMatrix
from core.trials.load import RunTable, expected_runs, get_run_table, refresh_runs
from core.trials.sweeps import load_sweep_runs, sweep_frame
from dashboard.views.trials.common import progress_bar


def experiment_runs(uri: str, experiment_id: str, name: str) -> tuple[RunTable, list[Group]]:
    """An experiment's runs and the sweeps in them, loaded together (the groups index the table).
    When the store changed since the last load (a sweep runs), only what may have changed is read."""
    stamp = stamp_of(uri, experiment_id)
    latest = ("experiment-latest", uri, experiment_id)

    def make() -> tuple[RunTable, list[Group]]:
        previous: RunTable | None = CACHE.peek(latest)
        bar, report = progress_bar(f"experiment '{name}'")
        try:
            if previous is not None:
                table = refresh_runs(previous, progress=report)
            else:
                expected = expected_runs(uri, experiment_id)
                table = load_runs(uri, experiment_id, progress=report, expected=expected)
        finally:
            bar.empty()
        CACHE.put(latest, table)
        return table, sweep_groups(table)

    return CACHE.get_or_make(("experiment", uri, experiment_id, stamp), make)


def load_frame(target: Target) -> TrialsFrame:
    """The target's trials, from the cache unless the store changed since."""
    stamp = stamp_of(target.uri, target.experiment_id)
    if target.kind == "app":
        assert target.parent_run_id is not None

        latest = ("sweep-latest", target.uri, target.parent_run_id)

        def make() -> TrialsFrame:
            previous: RunTable | None = CACHE.peek(latest)
            bar, report = progress_bar(target.label)
            try:
                counts = target.job.counts if target.job else {}
                expected = sum(v for k, v in counts.items() if k != "queued") or None
                parent, children = load_sweep_runs(
                    target.uri, target.parent_run_id or "", report, expected, previous
                )
            finally:
                bar.empty()
            CACHE.put(latest, children)
            return sweep_frame(parent, children, target.label)

        return CACHE.get_or_make(("sweep", target.uri, target.parent_run_id, stamp), make)
    table, groups = experiment_runs(target.uri, target.experiment_id, target.label)
    group = next((g for g in groups if g.key == target.group_key), None)
    if group is None:
        raise UserFacingError(f"{target.label} is no longer in the experiment.", "Pick another group.")
    return CACHE.get_or_make(
        ("group", target.uri, target.experiment_id, stamp, target.group_key),
        lambda: frame_for_group(table, group),
    )


def histories(
    target: Target, frame: TrialsFrame, key: str, wanted: np.ndarray | None = None
) -> HistoryMatrix:
    """``key``'s history for every trial (bulk stores) or for the ``wanted`` rows (servers)."""
    stamp = stamp_of(target.uri, target.experiment_id)
    if is_bulk(target.uri):
        ids = list(frame.run_ids)
        rows = CACHE.get_or_make(
            ("history", target.uri, target.key, stamp, key),
            lambda: load_histories(target.uri, target.experiment_id, ids, [key]),
        )
        return history_matrix(rows, frame.run_ids, key)
    picked = np.flatnonzero(wanted) if wanted is not None else np.arange(0)
    ids = [str(frame.run_ids[i]) for i in picked[:LAZY_LIMIT]]
    rows = CACHE.get_or_make(
        ("history", target.uri, target.key, stamp, key, tuple(ids)),
        lambda: load_histories(target.uri, target.experiment_id, ids, [key]),
    )
    return history_matrix(rows, frame.run_ids, key, requested=ids)


def experiment_of(uri: str, run_id: str) -> str:
    """The experiment a run belongs to (asked once per store and run)."""
    return CACHE.get_or_make(("experiment-of", uri, run_id), lambda: get_run_table(uri, run_id).experiment_id)
