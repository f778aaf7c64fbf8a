"""Target leakage, both directions (core.data.leakage), on generated frames and the heart sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.leakage import (
    LEAKAGE_FLAG,
    LEAKAGE_THRESHOLDS,
    LeakageReport,
    LeakageThresholds,
    check_leakage,
    exclude_leaks,
)
from core.data.samples import heart_sample
from core.data.schema import FeatureType, Task, build_schema, profile_columns


def grid_like(rows: int = 1500) -> pd.DataFrame:
    """Like smart_grid_stability.csv: a noisy continuous target, and 'diagnosis' = its sign."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(rows, 4))
    stab = 0.3 * x[:, 0] - 0.2 * x[:, 1] + 0.1 * x[:, 2] * x[:, 3] + rng.normal(0, 0.5, rows)
    frame = pd.DataFrame(x, columns=["tau1", "tau2", "p1", "g1"])
    frame["stab"] = stab
    frame["diagnosis"] = np.where(stab > 0, "unstable", "stable")
    return frame


@pytest.fixture(scope="module")
def grid_report() -> LeakageReport:
    frame = grid_like()
    return check_leakage(frame, "stab", Task.REGRESSION, profile_columns(frame, "stab"))


def test_the_targets_sign_is_flagged_from_the_target_side(grid_report: LeakageReport) -> None:
    """The case of the issue: the sign of the target predicts the target only partly (R² well below
    the near-perfect threshold), yet the target predicts it perfectly."""
    assert [f.column for f in grid_report.flagged] == ["diagnosis"]
    sign = grid_report.flagged[0]
    assert sign.target_to_feature >= LEAKAGE_THRESHOLDS.target_predicts_feature
    assert sign.feature_to_target < LEAKAGE_THRESHOLDS.feature_predicts_target
    assert "the target 'stab' alone predicts 'diagnosis' almost perfectly" in sign.evidence
    honest = [f for f in grid_report.findings if f.column != "diagnosis"]
    assert all(f.target_to_feature < 0.5 and not f.evidence for f in honest)


def test_a_feature_far_better_than_any_other_is_flagged_from_the_feature_side() -> None:
    rng = np.random.default_rng(3)
    rows = 1200
    y = rng.integers(0, 2, rows)
    noisy_copy = np.where(rng.random(rows) < 0.08, 1 - y, y)  # the target with 8% of rows flipped
    frame = pd.DataFrame(
        {
            "age": rng.normal(50, 9, rows) + 2 * y,
            "chol": rng.normal(240, 40, rows),
            "outcome_code": noisy_copy,
            "y": y,
        }
    )
    report = check_leakage(frame, "y", Task.CLASSIFICATION, profile_columns(frame, "y"))
    assert [f.column for f in report.flagged] == ["outcome_code"]
    finding = report.flagged[0]
    assert finding.target_to_feature < LEAKAGE_THRESHOLDS.target_predicts_feature  # not from that side
    assert "far better than any other feature" in finding.evidence and "next best '" in finding.evidence


def test_honest_features_of_the_heart_sample_are_not_flagged() -> None:
    frame = heart_sample()
    report = check_leakage(frame, "output", Task.CLASSIFICATION, profile_columns(frame, "output"))
    assert len(report.findings) == 13 and report.flagged == ()
    assert max(f.feature_to_target for f in report.findings) > 0.2, "the real signal is measured"
    assert report.table().columns.tolist() == [
        "feature",
        "feature → target skill",
        "target → feature skill",
        "flagged",
    ]


def test_the_thresholds_decide_and_live_in_one_constant() -> None:
    frame = grid_like(600)
    profiles = profile_columns(frame, "stab")
    never = LeakageThresholds(target_predicts_feature=1.01, feature_predicts_target=1.01, dominant_skill=1.01)
    assert check_leakage(frame, "stab", Task.REGRESSION, profiles, never).flagged == ()
    assert check_leakage(frame, "stab", Task.REGRESSION, profiles).flagged != ()


def test_a_leak_is_excluded_by_default_with_its_evidence_and_the_user_can_keep_it(
    grid_report: LeakageReport,
) -> None:
    frame = grid_like()
    profiles = exclude_leaks(profile_columns(frame, "stab"), grid_report)
    leak = next(p for p in profiles if p.name == "diagnosis")
    assert leak.excluded and LEAKAGE_FLAG in leak.flags and leak.reason == grid_report.flagged[0].evidence
    schema = build_schema(frame, "stab", Task.REGRESSION, profiles=profiles)
    assert "diagnosis" not in schema.features
    assert schema.excluded["diagnosis"].startswith("Possible target leakage")
    kept = build_schema(frame, "stab", Task.REGRESSION, {"diagnosis": FeatureType.BINARY}, profiles=profiles)
    assert kept.features["diagnosis"] == FeatureType.BINARY, "the override keeps it"


def test_too_few_rows_are_not_checked_and_say_so() -> None:
    frame = grid_like(20)
    report = check_leakage(frame, "stab", Task.REGRESSION, profile_columns(frame, "stab"))
    assert report.findings == () and "at least 30 rows" in report.note
