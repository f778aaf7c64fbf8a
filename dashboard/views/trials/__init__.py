"""The Trials step: open any sweep in MLflow, rank and filter its trials, compare them in charts.

Two ways in: a sweep this app ran (from the workspace's job records), or any MLflow
experiment behind a tracking URI the user types. Either way the trials are loaded in bulk
by ``core.trials`` and kept in a small in-process cache keyed by the store's last-update
stamp (``core.trials.CACHE``), so a rerun (a filter, another chart) only rebuilds figures.
Only the open tab's charts are built. Nothing here talks to MLflow except through ``core.trials``.

- :mod:`~dashboard.views.trials.common`: session keys, status badges, formats, a chart with its exports.
- :mod:`~dashboard.views.trials.sources`: pick a sweep of this app, or any MLflow store by URI.
- :mod:`~dashboard.views.trials.load`: a target's trials and histories, through the cache.
- :mod:`~dashboard.views.trials.scoring`: metric, goal and ranking; the best trial at a glance.
- :mod:`~dashboard.views.trials.table`: the filters, the trials table, picking a trial, notes.
- :mod:`~dashboard.views.trials.charts`: the Overview, Hyperparameters and Intermediate values tabs.
- :mod:`~dashboard.views.trials.best`: the Best trial tab, and carrying a trial to the endpoint step.
- :mod:`~dashboard.views.trials.compare`: the Compare sweeps tab.
- :mod:`~dashboard.views.trials.page`: the page itself (``render``).
"""

from dashboard.views.trials.best import carry_trial
from dashboard.views.trials.common import CHOSEN, W
from dashboard.views.trials.page import render
from dashboard.views.trials.table import table_frame

__all__ = ["CHOSEN", "W", "carry_trial", "render", "table_frame"]
