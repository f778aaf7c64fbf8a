"""Hyperparameter importance with Optuna's evaluators, on an in-memory study of the trials.

The completed trials with a score become ``FrozenTrial`` objects in a study created with
the sweep's direction, so evaluators that look at the *best* trials (PED-ANOVA compares the
top 10 % with the whole sweep) look at the right end; Optuna Dashboard once got this wrong
for maximised objectives. Methods:

- ``ped_anova``: Optuna's default, ``PedAnovaImportanceEvaluator``: which hyperparameters
  set the top-10 % trials apart. Fast (well under a second at 10,000 trials).
- ``fanova``: ``FanovaImportanceEvaluator`` with 32 trees of depth 8: the share of the
  metric's variance each hyperparameter explains, whatever the direction. Slower (seconds).

Encodings: categorical hyperparameters (None included) are Optuna categoricals; numeric
ones are floats, log-scaled where the space is log; a numeric hyperparameter that is None
in some trials and has many values puts None just below its range.

Over very large sweeps the evaluators run on a seeded random sample of :data:`SAMPLE_LIMIT`
completed trials (the result says so). :func:`importance_job` runs it in the background, once
per sweep, filter and method (:data:`~core.trials.background.JOBS` keeps the result).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
import warnings
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias

import numpy as np

from core.errors import UserFacingError
from core.trials.background import JOBS
from core.trials.frame import TrialsFrame
from core.trials.scoring import Scores

Method: TypeAlias = Literal["ped_anova", "fanova"]
METHODS: dict[Method, str] = {
    "ped_anova": "PED-ANOVA (Optuna's PedAnovaImportanceEvaluator)",
    "fanova": "fANOVA (Optuna's FanovaImportanceEvaluator, 32 trees of depth 8)",
}
MIN_TRIALS = 5
FEW_TRIALS = 50
MAX_NONE_CATEGORIES = 32
SAMPLE_LIMIT = 4000  # completed trials the evaluators see at most (a seeded random sample beyond)


@dataclass(frozen=True)
class Importance:
    method: str  # a key of METHODS
    label: str  # how the page names it
    values: dict[str, float]  # normalised to sum 1, most important first
    trials: int  # completed trials used
    note: str = ""
    sampled_from: int = 0  # completed trials passing the filters when a sample was used, else 0


@functools.cache
def _shared_trial() -> Any:
    """``FrozenTrial`` that Optuna's in-memory storage may keep without a deep copy. The
    storage deep-copies every trial it is given, which is most of the cost at 10,000 trials;
    these trials are built here and never reused, so a shallow copy is enough. (Optuna is
    imported on first use: it is not needed to open the page.)"""
    from optuna.trial import FrozenTrial

    class SharedTrial(FrozenTrial):
        def __deepcopy__(self, memo: dict[int, Any]) -> Any:
            return copy.copy(self)

    return SharedTrial


def _encode(frame: TrialsFrame, name: str, rows: np.ndarray) -> tuple[Any, list[Any]] | None:
    """Optuna distribution and values of one hyperparameter over ``rows``, or None if constant."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    info = frame.param_info[name]
    column = frame.params[name]
    if info.kind == "categorical":
        labels = column.astype(str).to_numpy(dtype=object)[rows]
        choices = tuple(c for c in info.categories if c in set(labels))
        if len(choices) < 2:
            return None
        return CategoricalDistribution(choices), list(labels)
    values = column.to_numpy(dtype=np.float64)[rows]
    finite = values[np.isfinite(values)]
    missing = ~np.isfinite(values)
    distinct = np.unique(finite).size + int(missing.any())
    if distinct < 2:
        return None
    if missing.any() and distinct <= MAX_NONE_CATEGORIES:
        labels = ["None" if m else repr(float(v)) for v, m in zip(values, missing, strict=True)]
        return CategoricalDistribution(tuple(dict.fromkeys(sorted(set(labels))))), labels
    low, high = float(finite.min()), float(finite.max())
    if missing.any():
        below = low / 10 if info.log else low - max(high - low, 1.0) * 0.1
        values = np.where(missing, below, values)
        low = below
    return FloatDistribution(low, high, log=info.log), [float(v) for v in values]


def param_importance(
    frame: TrialsFrame,
    scores: Scores,
    rows: np.ndarray | None = None,
    method: Method = "ped_anova",
    seed: int = 0,
    max_trials: int | None = SAMPLE_LIMIT,
) -> Importance:
    """Importance of every varying hyperparameter for ``scores`` over the completed trials
    among ``rows`` (a boolean mask; all trials when None); over more than ``max_trials`` of
    them, a seeded random sample of ``max_trials``."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator
    from optuna.trial import TrialState

    if method not in METHODS:
        raise UserFacingError(f"Unknown importance method '{method}'.", f"Use one of {', '.join(METHODS)}.")
    mask = np.ones(len(frame), dtype=bool) if rows is None else rows.copy()
    mask &= (frame.statuses == "completed") & np.isfinite(scores.values)
    used = np.flatnonzero(mask)
    if used.size < MIN_TRIALS:
        raise UserFacingError(
            f"Importance needs at least {MIN_TRIALS} completed trials with a {scores.metric} value; "
            f"{used.size} pass the filters.",
            "Widen the filters, or wait for more trials.",
        )
    sampled_from = 0
    if max_trials is not None and used.size > max_trials:
        sampled_from = int(used.size)
        used = np.sort(np.random.default_rng(seed).choice(used, size=max_trials, replace=False))
    encoded = {name: _encode(frame, name, used) for name in frame.varying()}
    params = {name: enc for name, enc in encoded.items() if enc is not None}
    if not params:
        raise UserFacingError(
            "No hyperparameter varies across these trials, so there is nothing to rank.",
            "Widen the filters.",
        )
    values = scores.values[used]
    stamp = datetime.now()  # required by Optuna for finished trials; not used by the evaluators
    shared_trial = _shared_trial()
    trials = [
        shared_trial(
            number=i,
            state=TrialState.COMPLETE,
            value=float(values[i]),
            datetime_start=stamp,
            datetime_complete=stamp,
            params={name: enc[1][i] for name, enc in params.items()},
            distributions={name: enc[0] for name, enc in params.items()},
            user_attrs={},
            system_attrs={},
            intermediate_values={},
            trial_id=i,
        )
        for i in range(used.size)
    ]
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction=scores.goal)
    study.add_trials(trials)
    evaluator = (
        PedAnovaImportanceEvaluator()
        if method == "ped_anova"
        else FanovaImportanceEvaluator(n_trees=32, max_depth=8, seed=seed)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna warns on small samples; the note says so
        found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    ranked = dict(sorted(((k, float(v)) for k, v in found.items()), key=lambda kv: -kv[1]))
    note = ""
    if sampled_from:
        note = (
            f"Computed on a random sample of {used.size:,} of the {sampled_from:,} completed trials "
            "passing the filters, which keeps it quick on a sweep this large."
        )
    if used.size < FEW_TRIALS:
        note = f"Only {used.size} completed trials: treat the ranking as rough."
    if method == "ped_anova" and math.ceil(used.size * 0.1) < 5:
        note = (note + " " if note else "") + "PED-ANOVA looks at the top 10 %, which is under 5 trials here."
    return Importance(method, METHODS[method], ranked, int(used.size), note, sampled_from)


def filter_digest(frame: TrialsFrame, scores: Scores, rows: np.ndarray) -> str:
    """What importance depends on, in short: the runs passing the filter, their scores and
    statuses (a live sweep's reload that changed none of them keeps the same digest)."""
    digest = hashlib.sha1(scores.metric.encode())
    digest.update(f"{scores.goal}|{scores.ranking}".encode())
    index = np.flatnonzero(rows)
    digest.update("\n".join(frame.run_ids[index].astype(str).tolist()).encode())
    digest.update(np.ascontiguousarray(scores.values[index], dtype=np.float64).tobytes())
    digest.update("\n".join(frame.statuses[index].astype(str).tolist()).encode())
    return digest.hexdigest()


def importance_job(
    sweep_key: str, frame: TrialsFrame, scores: Scores, rows: np.ndarray, method: Method = "ped_anova"
) -> Future[Importance]:
    """:func:`param_importance` in the background, started once per sweep, filter and method:
    asking again returns the same job (done or not), so nothing is ever computed twice."""
    key = ("importance", sweep_key, method, filter_digest(frame, scores, rows))
    mask = rows.copy()
    return JOBS.submit(key, lambda: param_importance(frame, scores, mask, method=method))
