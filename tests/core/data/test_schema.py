"""Column typing, target analysis and the preprocessing contract (core.data.schema)."""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.codegen import preprocessing_code
from core.data.samples import HEART_COLUMNS, heart_sample
from core.data.schema import (
    EXCLUDED_BY_USER,
    FLAG_ALL_MISSING,
    FLAG_CONSTANT,
    FLAG_ID_LIKE,
    FLAG_INFINITE,
    ColumnProfile,
    FeatureType,
    Schema,
    Task,
    analyse_target,
    build_schema,
    default_target,
    encode_target,
    infer_feature_type,
    profile_columns,
)
from core.errors import DataError, UserFacingError
from core.train.preprocessing import build_preprocessor, preprocessing_table

ROOT = Path(__file__).resolve().parents[3]
# The real Kaggle heart.csv: $AZML_HEART_CSV, else ../shared/data/heart.csv beside the repository.
REAL_HEART = Path(os.environ.get("AZML_HEART_CSV") or ROOT.parent / "shared" / "data" / "heart.csv")

N, B, C = FeatureType.NUMERIC, FeatureType.BINARY, FeatureType.CATEGORICAL
HEART_TYPES = {
    "age": N,
    "sex": B,
    "cp": C,
    "trtbps": N,
    "chol": N,
    "fbs": B,
    "restecg": C,
    "thalachh": N,
    "exng": B,
    "oldpeak": N,
    "slp": C,
    "caa": C,
    "thall": C,
}


def fails(call: object, *words: str) -> str:
    """Assert the call raises a DataError naming every word and saying how to fix it."""
    assert callable(call)
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert isinstance(caught.value, UserFacingError)
    assert caught.value.fix, "a DataError must say how to fix the problem"
    return message


def by_name(profiles: list[ColumnProfile]) -> dict[str, ColumnProfile]:
    return {p.name: p for p in profiles}


def frame_with(n: int = 100, **columns: object) -> pd.DataFrame:
    """A frame with a 0/1 target 'y' and the given columns."""
    data = {name: values for name, values in columns.items()}
    data["y"] = np.arange(n) % 2
    return pd.DataFrame(data)


# -- default target ---------------------------------------------------------------------------


def test_default_target_prefers_output_then_the_last_column() -> None:
    assert default_target(HEART_COLUMNS) == "output"
    assert default_target(["output", "a", "b"]) == "output"
    assert default_target(["a", "b", "label"]) == "label"
    fails(lambda: default_target([]), "no columns")


# -- feature typing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0, 1, 1, 0, 1], B),
        (["yes", "no", "no", "yes", None], B),
        (["M", "F", "F", "M", "M"], B),
        ([True, False, True, True, False], B),
        ([1.0, 2.0, np.nan, 1.0, 2.0], B),
        ([0, 1, 2, 3, 4, 0, 2], C),  # integer codes over a small range
        ([0.0, 1.0, 2.0, np.nan, 3.0], C),  # codes read as floats because of a gap
        ([1, 3, 5, 7, 9, 10, 2], C),
        (["red", "green", "blue", "red"], C),
        ([0, 10, 20, 30, 40, 50], N),  # few integers but a wide range: a quantity
        ([0.5, 1.25, 3.0, 2.75], N),  # decimals
        ([1.5, 2.5, 3.5, 1.5], N),  # few floats with decimals stay numeric
        (list(range(29, 78)), N),  # ages
        (list(range(12)), N),  # more than 10 distinct integers
    ],
)
def test_infer_feature_type(values: list[object], expected: FeatureType) -> None:
    assert infer_feature_type(pd.Series(values)) == expected


def test_nullable_and_categorical_dtypes_are_typed_like_their_values() -> None:
    assert infer_feature_type(pd.Series([0, 1, 2, None, 3], dtype="Int64")) == C
    assert infer_feature_type(pd.Series([0, 1, None], dtype="Int64")) == B
    assert infer_feature_type(pd.Series(["a", "b", "c"], dtype="category")) == C
    assert infer_feature_type(pd.Series([0.1, 2.2, 3.3, None], dtype="Float64")) == N


def test_synthetic_heart_sample_is_typed_like_the_kaggle_file() -> None:
    profiles = profile_columns(heart_sample(), "output")
    assert {p.name: p.feature_type for p in profiles} == HEART_TYPES
    assert not any(p.excluded or p.flags for p in profiles)


@pytest.mark.skipif(
    not REAL_HEART.exists(),
    reason=(
        "the real Kaggle heart.csv was not found: set AZML_HEART_CSV, "
        "or put it at ../shared/data/heart.csv beside the repository"
    ),
)
def test_real_heart_file_is_typed_as_expected() -> None:
    frame = pd.read_csv(REAL_HEART)
    assert list(frame.columns) == HEART_COLUMNS
    profiles = profile_columns(frame, "output")
    assert {p.name: p.feature_type for p in profiles} == HEART_TYPES
    assert not any(p.excluded for p in profiles)
    info = analyse_target(frame, "output")
    assert (info.task, info.suggested_task, info.classes, info.label_map) == (
        Task.CLASSIFICATION,
        Task.CLASSIFICATION,
        ("0", "1"),
        None,
    )


# -- profiles and flags ---------------------------------------------------------------------------


def test_profile_lists_every_column_but_the_target_in_order_with_counts() -> None:
    frame = frame_with(4, a=[1.5, np.nan, 2.5, np.nan], b=["x", "y", "z", "x"])
    frame = frame[["a", "y", "b"]]
    profiles = profile_columns(frame, "y")
    assert [p.name for p in profiles] == ["a", "b"]
    a, b = profiles
    assert (a.missing, a.missing_pct, a.distinct, a.dtype) == (2, 50.0, 2, "float64")
    assert (b.missing, b.missing_pct, b.distinct) == (0, 0.0, 3)
    assert not a.excluded and a.reason == ""


def test_all_missing_and_constant_columns_are_excluded_with_a_reason() -> None:
    n = 30
    frame = frame_with(
        n,
        empty=[np.nan] * n,
        empty_text=pd.Series([None] * n, dtype="str"),
        same=[7] * n,
        same_text=["a"] * (n - 1) + [None],
    )
    profiles = by_name(profile_columns(frame, "y"))
    for name in ("empty", "empty_text"):
        assert profiles[name].flags[0] == FLAG_ALL_MISSING
        assert profiles[name].excluded and profiles[name].reason
    for name in ("same", "same_text"):
        assert profiles[name].flags == (FLAG_CONSTANT,)
        assert profiles[name].excluded and "same value" in profiles[name].reason


def test_id_like_columns_are_excluded_but_only_with_enough_rows_and_never_floats() -> None:
    n = 40
    frame = frame_with(
        n,
        ids=np.arange(1000, 1000 + n),
        shuffled=np.random.default_rng(0).permutation(n) * 7,
        names=[f"patient-{i}" for i in range(n)],
        measured=np.linspace(0.1, 9.9, n),
    )
    profiles = by_name(profile_columns(frame, "y"))
    for name in ("ids", "shuffled", "names"):
        assert profiles[name].flags == (FLAG_ID_LIKE,), name
        assert profiles[name].excluded and "ID" in profiles[name].reason
    assert not profiles["measured"].excluded  # continuous floats are all distinct by nature
    small = by_name(profile_columns(frame.head(15), "y"))
    assert not small["ids"].excluded


def test_high_cardinality_text_is_excluded_but_many_repeated_categories_are_kept() -> None:
    n = 200
    rng = np.random.default_rng(1)
    frame = frame_with(
        n,
        comment=[f"text {i % 150}" for i in range(n)],  # 150 values in 200 rows
        city=[f"city {i}" for i in rng.integers(0, 60, n)],  # ~60 values, heavily repeated
    )
    profiles = by_name(profile_columns(frame, "y"))
    assert profiles["comment"].excluded
    assert profiles["comment"].flags == ("high cardinality (150 distinct text values)",)
    assert "one-hot" in profiles["comment"].reason
    assert not profiles["city"].excluded and profiles["city"].feature_type == C


def test_infinities_and_mostly_missing_are_flagged_but_kept() -> None:
    frame = frame_with(
        6, x=[1.5, np.inf, 2.5, -np.inf, 3.5, 4.5], sparse=[1.5, np.nan, np.nan, np.nan, 2.0, 3.0]
    )
    frame.loc[5, "sparse"] = np.nan
    profiles = by_name(profile_columns(frame, "y"))
    assert FLAG_INFINITE in profiles["x"].flags and not profiles["x"].excluded
    assert profiles["sparse"].flags == ("mostly missing (67%)",)
    assert not profiles["sparse"].excluded


def test_repeated_column_names_are_refused() -> None:
    frame = pd.DataFrame([[1, 2, 0], [3, 4, 1]], columns=["a", "a", "y"])
    fails(lambda: profile_columns(frame, "y"), "'a'", "more than once")


# -- the target --------------------------------------------------------------------------------------


def test_integer_labels_zero_to_k_need_no_label_map() -> None:
    info = analyse_target(frame_with(10, x=range(10)), "y")
    assert info.task == info.suggested_task == Task.CLASSIFICATION
    assert info.classes == ("0", "1") and info.label_map is None and info.notes == ()
    three = pd.DataFrame({"x": range(9), "y": [0, 1, 2] * 3})
    assert analyse_target(three, "y").label_map is None


def test_text_labels_get_a_sorted_label_map_and_a_note_showing_it() -> None:
    frame = pd.DataFrame({"x": range(6), "y": ["yes", "no", "yes", "no", "no", "yes"]})
    info = analyse_target(frame, "y")
    assert info.label_map == {"no": 0, "yes": 1}
    assert info.classes == ("no", "yes")
    assert any("no → 0, yes → 1" in note for note in info.notes)


def test_other_integer_labels_are_mapped_in_numeric_order() -> None:
    frame = pd.DataFrame({"x": range(8), "y": [2, 10, 2, 10, -1, -1, 2, 10]})
    info = analyse_target(frame, "y")
    assert info.label_map == {"-1": 0, "2": 1, "10": 2}
    assert info.classes == ("-1", "2", "10")


def test_float_labels_from_a_gappy_column_read_as_integers() -> None:
    frame = pd.DataFrame({"x": range(6), "y": [0.0, 1.0, np.nan, 1.0, 0.0, 1.0]})
    info = analyse_target(frame, "y")
    assert info.classes == ("0", "1") and info.label_map is None
    assert any("1 of 6 rows" in note and "dropped" in note for note in info.notes)


def test_boolean_labels_are_mapped() -> None:
    frame = pd.DataFrame({"x": range(4), "y": [True, False, True, False]})
    assert analyse_target(frame, "y").label_map == {"False": 0, "True": 1}


def test_fatal_targets_say_what_is_wrong_and_how_to_fix_it() -> None:
    n = 20
    fails(lambda: analyse_target(frame_with(n, t=[np.nan] * n), "t"), "'t'", "missing in every row")
    fails(lambda: analyse_target(frame_with(n, t=["a"] * n), "t"), "'t'", "same value", "'a'")
    mostly = [1.0, 0.0] * 4 + [np.nan] * 12
    fails(lambda: analyse_target(frame_with(n, t=mostly), "t"), "12 of 20 rows (60.0%)")
    fails(lambda: analyse_target(frame_with(n, t=range(n)), "nope"), "'nope'")
    words = [f"w{i}" for i in range(60)] * 2
    fails(lambda: analyse_target(frame_with(120, t=words), "t"), "60 distinct values", "at most 50")


def test_half_missing_target_is_a_note_not_an_error() -> None:
    frame = frame_with(10, t=[1.0, 0.0] * 2 + [1.0] + [np.nan] * 5)
    info = analyse_target(frame, "t")
    assert info.notes[0].startswith("5 of 10 rows (50.0%) have no value for 't'")


def test_many_distinct_numbers_suggest_regression_with_a_note() -> None:
    rng = np.random.default_rng(0)
    frame = frame_with(500, price=rng.integers(0, 187, 500).astype(float) + 0.5)
    distinct = frame["price"].nunique()
    info = analyse_target(frame, "price")
    assert info.task == info.suggested_task == Task.REGRESSION
    assert f"The target has {distinct} distinct numeric values, so this is a regression task." in info.notes
    assert info.classes == () and info.label_map is None


def test_many_distinct_integers_suggest_regression_too() -> None:
    frame = frame_with(300, count=np.arange(300) % 40)
    assert analyse_target(frame, "count").suggested_task == Task.REGRESSION
    few = frame_with(300, count=np.arange(300) % 15)
    assert analyse_target(few, "count").suggested_task == Task.CLASSIFICATION


def test_classification_can_be_forced_on_a_numeric_target_up_to_fifty_classes() -> None:
    frame = frame_with(300, grade=np.arange(300) % 40 + 1)
    info = analyse_target(frame, "grade", Task.CLASSIFICATION)
    assert info.task == Task.CLASSIFICATION and info.suggested_task == Task.REGRESSION
    assert len(info.classes) == 40 and info.classes[:3] == ("1", "2", "3")
    assert info.label_map is not None and info.label_map["40"] == 39
    assert any("You chose classification" in note for note in info.notes)
    many_text = pd.DataFrame({"x": range(300), "name": [f"n{i}" for i in range(300)]})
    fails(lambda: analyse_target(many_text, "name", Task.CLASSIFICATION), "300 distinct values", "regression")


def test_a_continuous_target_switches_the_task_to_regression_instead_of_refusing() -> None:
    many = frame_with(300, score=np.linspace(0, 1, 300))
    info = analyse_target(many, "score", Task.CLASSIFICATION)
    assert info.task == Task.REGRESSION and info.classes == ()
    assert any("switched to regression" in note and "300 distinct values" in note for note in info.notes)
    schema = build_schema(many, "score", Task.CLASSIFICATION)
    assert schema.task == Task.REGRESSION


def test_regression_needs_a_numeric_finite_target() -> None:
    text = pd.DataFrame({"x": range(4), "y": ["yes", "no", "yes", "no"]})
    fails(lambda: analyse_target(text, "y", Task.REGRESSION), "numeric target", "'yes'", "classification")
    infinite = frame_with(30, v=[np.inf] + list(np.linspace(0, 1, 29)))
    fails(lambda: analyse_target(infinite, "v", Task.REGRESSION), "infinite")
    binary = analyse_target(frame_with(10, x=range(10)), "y", Task.REGRESSION)
    assert binary.task == Task.REGRESSION and binary.suggested_task == Task.CLASSIFICATION
    assert any("classification usually fits" in note for note in binary.notes)


def test_a_class_with_a_single_row_is_noted() -> None:
    frame = pd.DataFrame({"x": range(7), "y": ["a", "a", "a", "b", "b", "b", "c"]})
    assert any("'c'" in note and "single row" in note for note in analyse_target(frame, "y").notes)


# -- the schema ----------------------------------------------------------------------------------


def mixed_frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(20, 80, n),
            "smoker": rng.choice(["yes", "no"], n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "empty": np.nan,
            "weight": rng.normal(70, 10, n).round(1),
            "label": rng.choice(["ill", "well"], n),
        }
    )


def test_build_schema_partitions_every_non_target_column() -> None:
    frame = mixed_frame()
    schema = build_schema(frame, "label")
    assert schema.target == "label" and schema.task == Task.CLASSIFICATION
    assert schema.features == {"age": N, "smoker": B, "colour": C, "weight": N}
    assert list(schema.features) == ["age", "smoker", "colour", "weight"]
    assert list(schema.excluded) == ["id", "empty"]
    assert set(schema.features) | set(schema.excluded) | {schema.target} == set(frame.columns)
    assert schema.label_map == {"ill": 0, "well": 1} and schema.classes == ("ill", "well")
    assert schema.columns_of(N) == ["age", "weight"]
    assert schema.columns_of(B) == ["smoker"] and schema.columns_of(C) == ["colour"]


def test_overrides_retype_exclude_and_re_include_columns() -> None:
    frame = mixed_frame()
    schema = build_schema(frame, "label", overrides={"age": C, "weight": None, "id": N, "label": None})
    assert schema.features == {"id": N, "age": C, "smoker": B, "colour": C}
    assert schema.excluded == {"empty": "It has no values at all.", "weight": EXCLUDED_BY_USER}
    unchanged = build_schema(frame, "label", overrides={"colour": C, "id": None})
    assert unchanged.excluded["id"].startswith("A different value in every row")


def test_impossible_overrides_are_refused() -> None:
    frame = mixed_frame()
    fails(lambda: build_schema(frame, "label", overrides={"colour": N}), "'colour'", "text", "categorical")
    fails(lambda: build_schema(frame, "label", overrides={"colour": B}), "3 distinct values", "binary")
    fails(lambda: build_schema(frame, "label", overrides={"empty": N}), "'empty'", "no values")
    fails(lambda: build_schema(frame, "label", overrides={"ghost": N}), "'ghost'")
    everything = dict.fromkeys(["id", "age", "smoker", "colour", "empty", "weight"])
    fails(lambda: build_schema(frame, "label", overrides=everything), "No feature columns")


def test_build_schema_passes_the_task_choice_through() -> None:
    frame = mixed_frame()
    schema = build_schema(frame, "age")
    assert schema.task == Task.REGRESSION and schema.label_map is None and schema.classes == ()
    assert "label" in schema.features
    fails(lambda: build_schema(frame, "colour", Task.REGRESSION), "numeric target")


def test_schema_round_trips_through_json_with_sorted_keys() -> None:
    frame = mixed_frame()
    frame["label"] = frame["label"].map({"ill": "zz", "well": "aa"})
    schema = build_schema(frame, "label", overrides={"weight": None})
    text = json.dumps(schema.to_dict(), indent=2, sort_keys=True)  # as core.data.store writes it
    again = Schema.from_dict(json.loads(text))
    assert again == schema
    assert list(again.features) == list(schema.features)  # order survives sort_keys
    assert list(again.excluded) == list(schema.excluded)
    assert again.label_map is not None and list(again.label_map.items()) == [("aa", 0), ("zz", 1)]
    assert isinstance(again.task, Task) and all(isinstance(t, FeatureType) for t in again.features.values())
    regression = build_schema(frame, "weight")
    assert Schema.from_dict(json.loads(json.dumps(regression.to_dict()))) == regression


def test_a_damaged_stored_schema_is_a_data_error() -> None:
    good = build_schema(mixed_frame(), "label").to_dict()
    fails(lambda: Schema.from_dict({**good, "task": "clustering"}), "stored schema", "clustering")
    fails(lambda: Schema.from_dict({k: v for k, v in good.items() if k != "features"}), "stored schema")


# -- encoding the target ----------------------------------------------------------------------------


def test_encode_target_applies_the_label_map() -> None:
    frame = mixed_frame()
    schema = build_schema(frame, "label")
    encoded = encode_target(frame["label"], schema)
    assert encoded.dtype == np.int64 and encoded.index.equals(frame.index)
    assert (encoded == frame["label"].map({"ill": 0, "well": 1})).all()


def test_encode_target_keeps_integer_classes_and_reads_float_labels() -> None:
    frame = heart_sample()
    schema = build_schema(frame, "output")
    assert encode_target(frame["output"], schema).equals(frame["output"])
    as_floats = frame["output"].astype(float)
    assert encode_target(as_floats, schema).tolist() == frame["output"].tolist()


def test_encode_target_after_a_csv_round_trip() -> None:
    frame = pd.DataFrame({"x": range(8), "y": [3, 7, 3, 7, 3, 7, 3, 7]})
    schema = build_schema(frame, "y")
    reread = pd.read_csv(io.StringIO(frame.to_csv(index=False)))
    assert encode_target(reread["y"], schema).tolist() == [0, 1] * 4


def test_encode_target_refuses_missing_and_unknown_labels() -> None:
    schema = build_schema(mixed_frame(), "label")
    fails(lambda: encode_target(pd.Series(["ill", None]), schema), "1 rows", "'label'")
    fails(lambda: encode_target(pd.Series(["ill", "dead"]), schema), "'dead'")


def test_encode_target_for_regression_gives_floats() -> None:
    frame = mixed_frame()
    schema = build_schema(frame, "age")
    encoded = encode_target(frame["age"], schema)
    assert encoded.dtype == np.float64 and encoded.tolist() == frame["age"].astype(float).tolist()


# -- preprocessing -----------------------------------------------------------------------------------


def test_preprocessor_fits_the_heart_sample_and_learns() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    frame = heart_sample()
    schema = build_schema(frame, "output")
    pre = build_preprocessor(schema)
    assert [name for name, _, _ in pre.transformers] == ["numeric", "binary", "categorical"]
    assert pre.remainder == "drop"
    out = pre.fit_transform(frame)
    categories = sum(frame[c].nunique() for c in schema.columns_of(C))
    assert out.shape == (len(frame), 5 + 3 + categories)
    names = list(pre.get_feature_names_out())
    assert "binary__sex_1" in names and "numeric__age" in names and "categorical__cp_0" in names
    model = make_pipeline(build_preprocessor(schema), LogisticRegression(max_iter=1000))
    y = encode_target(frame["output"], schema)
    assert cross_val_score(model, frame, y, cv=5).mean() > 0.72


def test_preprocessor_imputes_encodes_text_binaries_and_ignores_unknown_categories() -> None:
    frame = mixed_frame()
    frame.loc[[0, 5], "weight"] = np.nan
    frame.loc[[1, 6], "smoker"] = None
    frame.loc[[2, 7], "colour"] = None
    schema = build_schema(frame, "label")
    pre = build_preprocessor(schema)
    out = np.asarray(pre.fit_transform(frame))
    assert out.shape == (len(frame), 2 + 1 + 3)
    assert not np.isnan(out).any()
    smoker = out[:, 2]
    assert set(np.unique(smoker)) == {0.0, 1.0}  # yes/no became one 0/1 column
    fresh = frame.head(2).assign(colour=["purple", "red"])
    row = np.asarray(pre.transform(fresh))
    assert row.shape == (2, 6) and row[0, 3:].sum() == 0  # unknown category: all zeros


def test_preprocessing_table_reads_column_type_and_step() -> None:
    frame = mixed_frame()
    frame["weight"] = frame["weight"].where(frame.index > 2)
    schema = build_schema(frame, "label")
    table = preprocessing_table(schema)
    assert table[0] == {
        "column": "label",
        "type": "target (classification)",
        "step": "encoded ill → 0, well → 1",
    }
    rows = {row["column"]: row for row in table[1:]}
    assert rows["age"] == {"column": "age", "type": "numeric", "step": "impute median → scale"}
    assert rows["smoker"]["step"].startswith("impute mode →")
    assert rows["colour"]["step"] == "impute mode → one-hot"
    assert rows["empty"] == {
        "column": "empty",
        "type": "excluded",
        "step": "excluded: It has no values at all.",
    }
    assert [row["column"] for row in table[1:]] == ["age", "smoker", "colour", "weight", "id", "empty"]
    regression = preprocessing_table(build_schema(frame, "weight"))
    assert regression[0]["step"] == "predicted as a number (regression)"
    heart = preprocessing_table(build_schema(heart_sample(), "output"))
    assert heart[0]["step"] == "classes 0, 1 used as they are"


def run_code(code: str) -> object:
    namespace: dict[str, object] = {}
    exec(compile(ast.parse(code), "<preprocessing_code>", "exec"), namespace)  # noqa: S102
    return namespace["preprocessor"]


@pytest.mark.parametrize("target", ["output", "age"])
def test_preprocessing_code_builds_the_same_transformer(target: str) -> None:
    frame = heart_sample()
    schema = build_schema(frame, target)
    code = preprocessing_code(schema)
    ast.parse(code)
    built, pasted = build_preprocessor(schema), run_code(code)
    assert type(pasted) is type(built)
    assert pasted.get_params(deep=False)["remainder"] == "drop"  # type: ignore[attr-defined]

    def shape(transformer: object) -> list[tuple[str, list[str], list[tuple[str, str, dict[str, object]]]]]:
        return [
            (name, list(columns), [(step, type(est).__name__, est.get_params()) for step, est in pipe.steps])
            for name, pipe, columns in transformer.transformers  # type: ignore[attr-defined]
        ]

    assert shape(pasted) == shape(built)
    np.testing.assert_allclose(dense(built.fit_transform(frame)), dense(pasted.fit_transform(frame)))  # type: ignore[attr-defined]


def dense(matrix: object) -> np.ndarray:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix)


def test_preprocessing_code_keeps_odd_column_names_inert() -> None:
    evil = 'x"]\nimport os; os._exit(3)  # \U0001f600'
    frame = pd.DataFrame({evil: [1.5, 2.5, 3.5, 4.5], "n": [0, 1, 0, 1], "y": ["a", "b", "a", "b"]})
    schema = build_schema(frame, "y", overrides={"n": None})
    code = preprocessing_code(schema)
    pasted = run_code(code)
    assert pasted.transformers[0][2] == [evil]  # type: ignore[attr-defined]
    imports = [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Import | ast.ImportFrom)]
    modules = [node.module if isinstance(node, ast.ImportFrom) else "import" for node in imports]
    assert all((module or "").startswith("sklearn.") for module in modules)
    assert 'label_map = {"a": 0, "b": 1}' in code


# -- cost -----------------------------------------------------------------------------------------------


def test_importing_schema_and_samples_does_not_import_sklearn_or_streamlit() -> None:
    code = (
        "import sys; import core.data.schema, core.data.samples; "
        "print(any(m.split('.')[0] in ('sklearn', 'streamlit') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
