"""Open a sweep for review: this app's sweeps by their parent run, or any group of an experiment.

Both paths end in a :class:`~core.trials.frame.TrialsFrame`. An app sweep loads only its
own trials (one paginated search filtered on the parent run) plus the parent run; an
experiment from elsewhere is loaded whole once and split into groups
(:func:`~core.trials.frame.sweep_groups`) without another query.
"""

from __future__ import annotations

from core.mlflow_layout import TAG_PARENT
from core.trials.frame import Group, TrialsFrame, build_trials, read_spec, sweep_groups, sweep_meta
from core.trials.load import Progress, RunTable, get_run_table, load_runs, refresh_runs


def children_filter(parent_run_id: str) -> str:
    return f"tags.`{TAG_PARENT}` = '{parent_run_id}'"


def load_sweep(
    uri: str,
    parent_run_id: str,
    label: str,
    progress: Progress | None = None,
    expected: int | None = None,
    previous: RunTable | None = None,
) -> TrialsFrame:
    """One sweep's trials: the child runs of ``parent_run_id``, typed with its spec."""
    return sweep_frame(*load_sweep_runs(uri, parent_run_id, progress, expected, previous), label)


def load_sweep_runs(
    uri: str,
    parent_run_id: str,
    progress: Progress | None = None,
    expected: int | None = None,
    previous: RunTable | None = None,
) -> tuple[RunTable, RunTable]:
    """(the parent run, its child runs); with ``previous`` (the children as loaded before) only
    what may have changed since is read (:func:`~core.trials.load.refresh_runs`)."""
    parent = get_run_table(uri, parent_run_id)
    where = children_filter(parent_run_id)
    if previous is not None:
        return parent, refresh_runs(previous, where, progress)
    return parent, load_runs(uri, parent.experiment_id, where, progress=progress, expected=expected)


def sweep_frame(parent: RunTable, children: RunTable, label: str) -> TrialsFrame:
    """The typed trials of a sweep from its parent run and child runs."""
    parent_run_id = str(parent.runs["run_id"].iloc[0])
    spec = read_spec(children.uri, str(parent.runs["artifact_uri"].iloc[0]), parent.tags[0])
    group = Group(f"parent:{parent_run_id}", label, parent_run_id, tuple(range(len(children))))
    return build_trials(children, sweep_meta(children, group, parent=parent, spec=spec))


def frame_for_group(table: RunTable, group: Group) -> TrialsFrame:
    """The trials of one group of an experiment loaded with :func:`load_runs`."""
    spec = None
    parent: RunTable | None = None
    if group.parent_run_id:
        row = table.row_of(group.parent_run_id)
        if row is None:  # the parent lives in another experiment, or was deleted
            try:
                parent = get_run_table(table.uri, group.parent_run_id)
            except Exception:
                parent = None
            source = parent
        else:
            source = table.take([row])
        if source is not None and len(source):
            spec = read_spec(table.uri, str(source.runs["artifact_uri"].iloc[0]), source.tags[0])
    return build_trials(table, sweep_meta(table, group, parent=parent, spec=spec), group.rows)


__all__ = [
    "children_filter",
    "frame_for_group",
    "load_sweep",
    "load_sweep_runs",
    "sweep_frame",
    "sweep_groups",
]
