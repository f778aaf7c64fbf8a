"""Built-in datasets (core.data.samples): deterministic, realistic, honest and learnable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.samples import HEART_COLUMNS, SAMPLES, SampleInfo, breast_cancer_sample, heart_sample
from core.data.schema import FeatureType, Task, build_schema, default_target, profile_columns
from core.naming import validate_name
from core.resources import Kind

# Inclusive ranges of the Kaggle heart file, which the synthetic sample must stay within.
HEART_RANGES = {
    "age": (29, 77),
    "sex": (0, 1),
    "cp": (0, 3),
    "trtbps": (94, 200),
    "chol": (126, 564),
    "fbs": (0, 1),
    "restecg": (0, 2),
    "thalachh": (71, 202),
    "exng": (0, 1),
    "oldpeak": (0.0, 6.2),
    "slp": (0, 2),
    "caa": (0, 4),
    "thall": (0, 3),
    "output": (0, 1),
}


@pytest.fixture(scope="module")
def heart() -> pd.DataFrame:
    return heart_sample()


def rf_cv_accuracy(features: pd.DataFrame, labels: pd.Series | np.ndarray) -> float:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import cross_val_score

    model = RandomForestClassifier(random_state=0)
    return float(cross_val_score(model, features, labels, cv=5, scoring="accuracy").mean())


# -- heart (synthetic) ---------------------------------------------------------------------------


def test_heart_sample_is_deterministic_for_a_seed(heart: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(heart, heart_sample())
    pd.testing.assert_frame_equal(heart_sample(100, seed=7), heart_sample(100, seed=7))
    assert not heart_sample(seed=1).equals(heart)


def test_heart_sample_has_the_kaggle_columns_dtypes_and_ranges(heart: pd.DataFrame) -> None:
    assert list(heart.columns) == HEART_COLUMNS
    assert heart.shape == (303, 14)
    assert heart.index.equals(pd.RangeIndex(303))
    assert not heart.isna().any().any()
    for name in HEART_COLUMNS:
        expected = np.float64 if name == "oldpeak" else np.int64
        assert heart[name].dtype == expected, name
        low, high = HEART_RANGES[name]
        assert heart[name].between(low, high).all(), name
    assert (heart["oldpeak"] * 10 == (heart["oldpeak"] * 10).round()).all()  # one decimal
    assert len(heart_sample(1000, seed=3)) == 1000


def test_heart_sample_proportions_look_like_the_real_file(heart: pd.DataFrame) -> None:
    assert 0.45 <= heart["output"].mean() <= 0.65
    assert 0.58 <= heart["sex"].mean() <= 0.78  # ~68% male
    assert 0.07 <= heart["fbs"].mean() <= 0.25  # ~15%
    assert 0.2 <= heart["exng"].mean() <= 0.45
    assert 0.2 <= (heart["oldpeak"] == 0).mean() <= 0.45  # a third have no ST depression
    for name, codes in {"cp": 4, "restecg": 3, "slp": 3, "caa": 5, "thall": 4}.items():
        assert heart[name].nunique() == codes, name


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_class_balance_holds_for_other_seeds(seed: int) -> None:
    assert 0.45 <= heart_sample(seed=seed)["output"].mean() <= 0.65


def test_heart_sample_typing_matches_the_real_files_rules(heart: pd.DataFrame) -> None:
    types = {p.name: p.feature_type for p in profile_columns(heart, "output")}
    assert [n for n, t in types.items() if t == FeatureType.CATEGORICAL] == [
        "cp",
        "restecg",
        "slp",
        "caa",
        "thall",
    ]
    assert [n for n, t in types.items() if t == FeatureType.BINARY] == ["sex", "fbs", "exng"]
    assert [n for n, t in types.items() if t == FeatureType.NUMERIC] == [
        "age",
        "trtbps",
        "chol",
        "thalachh",
        "oldpeak",
    ]
    schema = build_schema(heart, "output")
    assert schema.task == Task.CLASSIFICATION and schema.excluded == {} and schema.label_map is None


def test_small_heart_samples_keep_every_code() -> None:
    small = heart_sample(40, seed=5)
    for name, codes in {"cp": 4, "restecg": 3, "slp": 3, "caa": 5, "thall": 4}.items():
        assert small[name].nunique() == codes, name


def test_heart_sample_signal_is_learnable_like_the_real_data(heart: pd.DataFrame) -> None:
    accuracy = rf_cv_accuracy(heart.drop(columns="output"), heart["output"])
    assert 0.72 <= accuracy <= 0.95, accuracy


def test_shuffled_labels_are_near_chance(heart: pd.DataFrame) -> None:
    """The control: with the link between features and labels broken, nothing is learned."""
    shuffled = np.random.default_rng(0).permutation(heart["output"].to_numpy())
    accuracy = rf_cv_accuracy(heart.drop(columns="output"), shuffled)
    assert 0.35 <= accuracy <= 0.65, accuracy


def test_the_signal_runs_in_clinically_sensible_directions() -> None:
    big = heart_sample(5000, seed=11)
    rate = big.groupby("cp")["output"].mean()
    assert rate.loc[1:].min() > rate.loc[0] + 0.2  # chest pain type > 0 raises output
    assert big.groupby("exng")["output"].mean().diff().iloc[-1] < -0.1  # exercise angina lowers it
    assert big.groupby("caa")["output"].mean().is_monotonic_decreasing
    assert big[["thalachh", "output"]].corr().iloc[0, 1] > 0.15
    assert big[["oldpeak", "output"]].corr().iloc[0, 1] < -0.15


def test_heart_sample_refuses_no_rows() -> None:
    with pytest.raises(ValueError):
        heart_sample(0)


# -- breast cancer (real) ---------------------------------------------------------------------------


def test_breast_cancer_sample_is_the_real_bundled_data() -> None:
    frame = breast_cancer_sample()
    assert frame.shape == (569, 31)
    assert frame.columns[-1] == "target" and frame.columns[0] == "mean radius"
    assert frame["target"].dtype == np.int64 and set(frame["target"]) == {0, 1}
    assert int((frame["target"] == 0).sum()) == 212  # malignant, as in the UCI data
    schema = build_schema(frame, default_target(list(frame.columns)))
    assert schema.task == Task.CLASSIFICATION and schema.excluded == {}
    assert set(schema.features.values()) == {FeatureType.NUMERIC} and len(schema.features) == 30


# -- the catalogue ----------------------------------------------------------------------------------


def test_samples_catalogue_is_honest_and_loadable() -> None:
    assert list(SAMPLES) == ["heart", "breast-cancer"]
    heart_info, cancer_info = SAMPLES["heart"], SAMPLES["breast-cancer"]
    assert isinstance(heart_info, SampleInfo)
    assert "SYNTHETIC" in heart_info.description and "Kaggle" in heart_info.description
    assert "synthetic" in heart_info.title.lower()
    assert "Real" in cancer_info.description and "scikit-learn" in cancer_info.description
    for key, info in SAMPLES.items():
        frame = info.loader()
        assert info.target in frame.columns
        assert default_target(list(frame.columns)) == info.target
        assert validate_name(Kind.ENVIRONMENT, key) == key  # the Data page suggests it as the asset name
