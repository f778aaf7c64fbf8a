"""Review any sweep in MLflow: load its trials in bulk, type them, score and rank them.

- :mod:`~core.trials.store`: check a tracking URI the user typed; list its experiments.
- :mod:`~core.trials.load`: every run of an experiment in one paginated search, as columns;
  the last-update stamp a load is cached by.
- :mod:`~core.trials.history`: intermediate values of many trials at once.
- :mod:`~core.trials.frame`: sweeps in an experiment, what they recorded, the typed frame.
- :mod:`~core.trials.sweeps`: open this app's sweep, or one group of any experiment.
- :mod:`~core.trials.scoring`: which value ranks a trial, the best one, top k %, filters.
- :mod:`~core.trials.importance`: hyperparameter importance with Optuna's evaluators.
- :mod:`~core.trials.notes`: review notes as MLflow tags.
- :mod:`~core.trials.oof`: a trial's out-of-fold predictions, recomputed, and their curves.
- :mod:`~core.trials.target`: the sweep (or group of runs) under review.
- :mod:`~core.trials.chosen`: the trial carried to the Endpoint step.
- :mod:`~core.trials.background`: work the page does not wait for (importance), kept by key.
- :mod:`~core.trials.cache`: the in-process cache the page keeps what these functions return in,
  keyed by the store's last-update stamp (asked once per script run).

No Streamlit here.
"""

from core.trials.background import JOBS, Jobs
from core.trials.cache import CACHE, begin_run, stamp_of
from core.trials.chosen import ChosenTrial
from core.trials.frame import GOALS, Goal, Group, SweepMeta, TrialsFrame, build_trials, sweep_groups
from core.trials.history import HistoryMatrix, history_matrix, is_bulk, load_histories
from core.trials.importance import METHODS, Importance, param_importance
from core.trials.load import RunTable, last_update, load_runs
from core.trials.notes import read_note, write_note
from core.trials.params import ParamInfo
from core.trials.scoring import (
    Ranking,
    Scores,
    TrialFilter,
    best_so_far,
    filter_mask,
    score_trials,
    top_k_mask,
    top_k_range,
)
from core.trials.status import STATUSES
from core.trials.store import Experiment, list_experiments, resolve_tracking_uri
from core.trials.sweeps import frame_for_group, load_sweep
from core.trials.target import Target

__all__ = [
    "ChosenTrial",
    "CACHE",
    "JOBS",
    "Jobs",
    "GOALS",
    "METHODS",
    "STATUSES",
    "Experiment",
    "Goal",
    "Group",
    "HistoryMatrix",
    "Importance",
    "ParamInfo",
    "Ranking",
    "RunTable",
    "Scores",
    "SweepMeta",
    "Target",
    "TrialFilter",
    "TrialsFrame",
    "begin_run",
    "best_so_far",
    "build_trials",
    "filter_mask",
    "frame_for_group",
    "history_matrix",
    "is_bulk",
    "last_update",
    "list_experiments",
    "load_histories",
    "load_runs",
    "load_sweep",
    "param_importance",
    "read_note",
    "resolve_tracking_uri",
    "score_trials",
    "stamp_of",
    "sweep_groups",
    "top_k_mask",
    "top_k_range",
    "write_note",
]
