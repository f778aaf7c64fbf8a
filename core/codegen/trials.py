"""The Trials step's "Show code": the MLflow query that gives the trials the page shows.

``mlflow.search_runs`` fetches the sweep's runs (its child runs, selected by a ``filter_string``
on the parent run id); pandas then does what MLflow's query language cannot do the page's way:
the trial status (this app's ``trial_status`` tag, Optuna's ``state``, else the run status),
the score (the cross-fold ``<metric>_mean`` when logged, else the metric's latest value),
numeric ranges on params (MLflow compares params as text) and the top k % by the score. The
snippet mirrors :func:`core.trials.scoring.filter_mask` step by step, so running it on the same
store returns the same runs, best first. A step ranking ("best step", "step N") needs every
trial's metric history; the snippet then ranks by the final value and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from core.codegen.common import py_literal
from core.mlflow_layout import TAG_PARENT, TAG_STATUS, TAG_SWEEP, TAG_TRIAL

if TYPE_CHECKING:
    from core.trials.frame import TrialsFrame
    from core.trials.scoring import Scores, TrialFilter


@dataclass(frozen=True)
class TrialsQuery:
    """What the page shows, in the terms of the MLflow store."""

    uri: str
    experiment_id: str
    parent_run_id: str | None  # None: the experiment's runs without a parent
    metric: str
    goal: str  # maximize / minimize
    statuses: tuple[str, ...] | None = None  # kept statuses; None: all
    value_range: tuple[float, float] | None = None
    numeric: dict[str, tuple[float, float]] = field(default_factory=dict)
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    top_percent: float = 100.0
    ranking_note: str = ""  # set when the page ranks by a step the snippet does not reproduce


def query_of_view(
    uri: str, experiment_id: str, frame: TrialsFrame, scores: Scores, flt: TrialFilter
) -> TrialsQuery:
    """The query of the page's current view (the filters only say what they narrow)."""
    present = set(frame.statuses.tolist())
    statuses = None
    if flt.statuses is not None and not present <= set(flt.statuses):
        statuses = tuple(s for s in flt.statuses if s in present) or ("",)
    note = ""
    if scores.ranking.needs_history:
        note = (
            f"The page ranks by {scores.ranking.describe()}, which needs each trial's metric history "
            "(MlflowClient.get_metric_history); this code ranks by the final value."
        )
    return TrialsQuery(
        uri=uri,
        experiment_id=experiment_id,
        parent_run_id=frame.meta.parent_run_id,
        metric=scores.metric,
        goal=scores.goal,
        statuses=statuses,
        value_range=flt.value_range,
        numeric={k: (float(lo), float(hi)) for k, (lo, hi) in flt.numeric.items()},
        categories={k: tuple(sorted(v)) for k, v in flt.categories.items()},
        top_percent=float(flt.top_percent),
        ranking_note=note,
    )


def _safe_uri(uri: str) -> tuple[str, bool]:
    """The URI without a password (MLflow reads MLFLOW_TRACKING_USERNAME/PASSWORD instead)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri, False
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), True


def _status_lines(statuses: tuple[str, ...]) -> list[str]:
    return [
        "",
        "# The trial status as the Trials page reads it: this app's tag, Optuna's, else the run's.",
        "STATUSES = ('completed', 'early_terminated', 'failed', 'canceled', 'running')",
        "OPTUNA = {'COMPLETE': 'completed', 'PRUNED': 'early_terminated', 'FAIL': 'failed',",
        "          'RUNNING': 'running', 'WAITING': 'running'}",
        "RUN = {'FINISHED': 'completed', 'FAILED': 'failed', 'KILLED': 'canceled',",
        "       'RUNNING': 'running', 'SCHEDULED': 'running'}",
        "",
        "",
        "def trial_status(run: pd.Series) -> str:",
        f"    tagged = run.get({py_literal('tags.' + TAG_STATUS)})",
        "    if tagged in STATUSES:",
        "        return tagged",
        "    state = OPTUNA.get(str(run.get('tags.state') or '').upper())",
        "    if state:",
        "        return state",
        "    if str(run.get('tags.early_terminated') or '').lower() == 'true':",
        "        return 'early_terminated'",
        "    return RUN.get(str(run['status']).upper(), 'running')",
        "",
        "",
        f"runs = runs[runs.apply(trial_status, axis=1).isin({py_literal(list(statuses))})]",
    ]


def trials_query_code(query: TrialsQuery) -> str:
    """Python (mlflow + pandas) that returns the trials of ``query``, best first, as ``view``."""
    uri, secret = _safe_uri(query.uri)
    lines = ["import math", "", "import mlflow", "import pandas as pd", ""]
    if uri.lower().startswith("azureml://"):
        lines.append("# pip install azureml-mlflow; signs in like the Azure CLI (az login)")
    if secret:
        lines.append("# the password: export MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD")
    if query.ranking_note:
        lines.append("# NOTE: " + query.ranking_note)
    lines.append(f"mlflow.set_tracking_uri({py_literal(uri)})")
    if query.parent_run_id:
        lines += [
            "runs = mlflow.search_runs(",
            f"    experiment_ids=[{py_literal(query.experiment_id)}],",
            f"    filter_string={py_literal(f'tags.`{TAG_PARENT}` = {query.parent_run_id!r}')},",
            ")  # the sweep's trials: its child runs",
        ]
    else:
        lines += [
            f"runs = mlflow.search_runs(experiment_ids=[{py_literal(query.experiment_id)}])",
            "# the runs without a parent, that are no sweep and no run's parent",
            f"parent = runs.get({py_literal('tags.' + TAG_PARENT)}, pd.Series(None, index=runs.index))",
            f"sweep = runs.get({py_literal('tags.' + TAG_SWEEP)}, pd.Series(None, index=runs.index))",
            "runs = runs[parent.isna() & (sweep != 'true') & ~runs['run_id'].isin(set(parent.dropna()))]",
        ]
    lines += [
        "",
        "",
        "def column(name: str) -> pd.Series:",
        "    if name not in runs:",
        "        return pd.Series(math.nan, index=runs.index)",
        "    return pd.to_numeric(runs[name], errors='coerce')",
        "",
        "",
        f"# the trial number orders the table (the {TAG_TRIAL} tag, else the start time)",
        f"runs = runs.assign(trial=column({py_literal('tags.' + TAG_TRIAL)}))",
        "if runs['trial'].isna().any():",
        "    runs['trial'] = runs['start_time'].rank(method='first')",
        "runs = runs.sort_values('trial', kind='stable')",
        "# the score: the cross-fold mean when logged, else the metric's latest value",
        f"mean, latest = column({py_literal(f'metrics.{query.metric}_mean')}), "
        f"column({py_literal(f'metrics.{query.metric}')})",
        "runs = runs.assign(score=mean.fillna(latest))",
    ]
    if query.statuses is not None:
        lines += _status_lines(query.statuses)
    if query.value_range is not None:
        low, high = query.value_range
        lines.append(f"runs = runs[runs['score'].between({low!r}, {high!r})]")
    for name, (low, high) in query.numeric.items():
        key = py_literal(f"params.{name}")
        lines += [
            f"value = column({key})  # params are text in MLflow: compared as numbers here",
            f"runs = runs[value.isna() | value.between({low!r}, {high!r})]",
        ]
    for name, kept in query.categories.items():
        text = f"runs.get({py_literal(f'params.{name}')}, pd.Series(None, index=runs.index))"
        lines.append(f"runs = runs[{text}.fillna('None').astype(str).isin({py_literal(list(kept))})]")
    best_first = "False" if query.goal == "maximize" else "True"
    lines += [
        f"# best first ({query.goal} {query.metric}); ties go to the earlier trial",
        f"view = runs[runs['score'].notna()].sort_values('score', ascending={best_first}, kind='stable')",
    ]
    if query.top_percent < 100:
        lines += [
            f"# the top {query.top_percent:g} % of the trials that pass the filters (at least one)",
            f"view = view.head(max(1, math.ceil(len(view) * {query.top_percent!r} / 100)))",
        ]
    else:
        lines.append("view = pd.concat([view, runs[runs['score'].isna()]])  # unscored trials last")
    lines.append(
        f"print(view[['trial', 'run_id', 'score']].rename(columns={{'score': {py_literal(query.metric)}}}))"
    )
    return "\n".join(lines) + "\n"


__all__ = ["TrialsQuery", "query_of_view", "trials_query_code"]
