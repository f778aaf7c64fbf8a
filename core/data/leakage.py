"""Target leakage: features that carry the answer rather than help predict it.

A column such as ``diagnosis`` in the smart-grid data (stable/unstable, i.e. the sign of the
target ``stab``) lets a model score well in training and fail on new rows, where that column is
not known before the outcome. Leakage shows in two directions, and both are checked:

- **the target predicts the feature** almost perfectly (the feature is a function of the target,
  such as its sign). The other direction can look harmless: ``stab`` from ``diagnosis`` alone
  scores only R² 0.68, since the sign says nothing about the size;
- **the feature predicts the target** almost perfectly, or far better than any other feature.

Each direction is scored by one small decision tree on that single column, out of fold (3-fold
cross-validated predictions), as a *skill*: R² for a numeric outcome, chance-adjusted balanced
accuracy (0 = chance, 1 = perfect) for a class outcome. The thresholds are in
:data:`LEAKAGE_THRESHOLDS`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.data.schema.model import ColumnProfile, FeatureType, Task

__all__ = [
    "LEAKAGE_FLAG",
    "LEAKAGE_SAMPLE",
    "LEAKAGE_THRESHOLDS",
    "LeakageFinding",
    "LeakageReport",
    "LeakageThresholds",
    "check_leakage",
    "exclude_leaks",
]


@dataclass(frozen=True)
class LeakageThresholds:
    """When a feature counts as leaking the target (skills: 0 = chance, 1 = perfect)."""

    target_predicts_feature: float = 0.95  # the target alone predicts the feature this well
    feature_predicts_target: float = 0.95  # the feature alone predicts the target this well ...
    dominant_skill: float = 0.5  # ... or at least this well and
    dominant_ratio: float = 3.0  # this many times better than the next-best feature
    dominant_floor: float = 0.05  # the next-best skill counts as at least this (no division by ~0)


LEAKAGE_THRESHOLDS = LeakageThresholds()
LEAKAGE_SAMPLE = 10_000  # rows the check uses (a fixed random sample of a bigger file; ~2 s for 13 features)
MIN_ROWS = 30  # fewer rows than this: no check (a 3-fold score would mean little)
FOLDS = 3
LEAKAGE_FLAG = "possible target leakage"


@dataclass(frozen=True)
class LeakageFinding:
    """Both directions' skills for one feature, and the verdict."""

    column: str
    feature_to_target: float  # skill of the feature alone predicting the target
    target_to_feature: float  # skill of the target alone predicting the feature
    flagged: bool
    evidence: str  # one sentence for the user ("" when not flagged)


@dataclass(frozen=True)
class LeakageReport:
    target: str
    task: Task
    findings: tuple[LeakageFinding, ...]  # every checked feature, strongest feature->target first
    rows_used: int
    note: str = ""  # why nothing was checked, when so

    @property
    def flagged(self) -> tuple[LeakageFinding, ...]:
        return tuple(f for f in self.findings if f.flagged)

    def table(self) -> pd.DataFrame:
        """The evidence for every feature, as the page shows it."""
        return pd.DataFrame(
            {
                "feature": [f.column for f in self.findings],
                "feature → target skill": [round(f.feature_to_target, 3) for f in self.findings],
                "target → feature skill": [round(f.target_to_feature, 3) for f in self.findings],
                "flagged": [f.flagged for f in self.findings],
            }
        )


def check_leakage(
    frame: pd.DataFrame,
    target: str,
    task: Task,
    profiles: Sequence[ColumnProfile],
    thresholds: LeakageThresholds = LEAKAGE_THRESHOLDS,
) -> LeakageReport:
    """Score every feature kept by the typing against the target, both ways, and flag leaks.

    Columns the typing excludes already (constant, ID-like, ...) are not checked.
    """
    sample = frame[frame[target].notna()]
    if len(sample) > LEAKAGE_SAMPLE:
        sample = sample.sample(LEAKAGE_SAMPLE, random_state=0)
    kept = [p for p in profiles if not p.excluded]
    if len(sample) < MIN_ROWS or not kept:
        note = f"The leakage check needs at least {MIN_ROWS} rows with a target value."
        return LeakageReport(target, task, (), len(sample), note if kept else "")
    y = sample[target]
    y_column = _as_column(y)
    forward = {p.name: _skill(_as_column(sample[p.name]), y, task == Task.CLASSIFICATION) for p in kept}
    reverse = {p.name: _skill(y_column, sample[p.name], p.feature_type != FeatureType.NUMERIC) for p in kept}
    findings = [
        _verdict(p.name, forward, reverse[p.name], target, task, thresholds)
        for p in sorted(kept, key=lambda p: -forward[p.name])
    ]
    return LeakageReport(target, task, tuple(findings), len(sample))


def _verdict(
    column: str,
    forward: dict[str, float],
    reverse: float,
    target: str,
    task: Task,
    t: LeakageThresholds,
) -> LeakageFinding:
    skill = forward[column]
    others = [v for k, v in forward.items() if k != column]
    next_best = max(others, default=0.0)
    reasons = []
    if reverse >= t.target_predicts_feature:
        reasons.append(
            f"the target '{target}' alone predicts '{column}' almost perfectly "
            f"(skill {reverse:.3f}, threshold {t.target_predicts_feature:g})"
        )
    metric = "R²" if task == Task.REGRESSION else "skill"
    if skill >= t.feature_predicts_target:
        reasons.append(f"'{column}' alone predicts '{target}' almost perfectly ({metric} {skill:.2f})")
    elif (
        others and skill >= t.dominant_skill and skill >= t.dominant_ratio * max(next_best, t.dominant_floor)
    ):
        best_other = max((k for k in forward if k != column), key=lambda k: forward[k])
        reasons.append(
            f"'{column}' alone predicts '{target}' far better than any other feature "
            f"({metric} {skill:.2f}, next best '{best_other}' {next_best:.2f})"
        )
    evidence = ""
    if reasons:
        evidence = (
            f"Possible target leakage: {'; and '.join(reasons)}. A column like this is usually known only "
            "after the outcome, so a model that uses it scores well here and fails on new rows."
        )
    return LeakageFinding(column, skill, reverse, bool(reasons), evidence)


def exclude_leaks(profiles: Sequence[ColumnProfile], report: LeakageReport) -> list[ColumnProfile]:
    """The profiles with each flagged feature excluded by default, the evidence as its reason.

    The user can still include it again by choosing a type for it (the override).
    """
    flagged = {f.column: f for f in report.flagged}
    return [
        replace(p, excluded=True, reason=flagged[p.name].evidence, flags=(*p.flags, LEAKAGE_FLAG))
        if p.name in flagged
        else p
        for p in profiles
    ]


def _as_column(series: pd.Series) -> np.ndarray:
    """One model input column: numbers as floats (infinities as missing), anything else as codes."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        values[~np.isfinite(values)] = np.nan
    else:
        codes, _ = pd.factorize(series, sort=True)
        values = codes.astype(np.float64)
        values[codes < 0] = np.nan
    column: np.ndarray = values.reshape(-1, 1)
    return column


def _skill(x: np.ndarray, outcome: pd.Series, classify: bool) -> float:
    """Out-of-fold skill of one small tree predicting ``outcome`` from the single column ``x``:
    chance-adjusted balanced accuracy for classes, R² for numbers; 0 when it cannot be scored."""
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if classify:
        codes, _ = pd.factorize(outcome, sort=True)
        keep = codes >= 0
        y: np.ndarray = codes[keep]
    else:
        values = outcome.to_numpy(dtype=np.float64, na_value=np.nan)
        keep = np.isfinite(values)
        y = values[keep]
    if y.size < MIN_ROWS or np.unique(y).size < 2:
        return 0.0
    leaf = max(5, y.size // 200)  # up to ~200 leaves: enough for any shape, too few to memorise
    model = (DecisionTreeClassifier if classify else DecisionTreeRegressor)(
        min_samples_leaf=leaf, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rare classes missing from a fold are fine here
        predicted = cross_val_predict(model, x[keep], y, cv=KFold(FOLDS, shuffle=True, random_state=0))
        score = balanced_accuracy_score(y, predicted, adjusted=True) if classify else r2_score(y, predicted)
    return float(max(0.0, score))
