"""Drive the Data and EDA pages as a user would: upload, type, split, store, explore; and a bad file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from core.data.samples import heart_sample
from core.data.schema import FeatureType
from core.data.store import load_dataset
from core.local.backend import LocalBackend
from dashboard import session

RG, SA, BC, WS = "rg-dev-ml-eastus-001", "datadevmleastus001", "data4ml", "dev-heart-classifier"


def texts(elements: object) -> str:
    return " ".join(e.value for e in elements)  # type: ignore[attr-defined]


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def make_workspace(data_dir: Path) -> LocalBackend:
    backend = LocalBackend(data_dir)
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_blob_container(SA, BC)
    backend.create_workspace(RG, WS, SA)
    return backend


def target(at: AppTest) -> str:
    """The "Target column" box's value (its key is per loaded file)."""
    return str(next(s for s in at.selectbox if s.label == "Target column").value)


def task(at: AppTest) -> str:
    return str(next(r for r in at.radio if r.label == "Task").value)


def upload(at: AppTest, name: str, raw: bytes) -> AppTest:
    at.file_uploader(key="data_upload").upload(name, raw, "text/csv").run()  # parsed on upload: no click
    assert not at.exception, at.exception
    return at


def test_upload_split_store_and_explore(open_page: Callable[[str], AppTest], data_dir: Path) -> None:
    backend = make_workspace(data_dir)
    at = open_page("data")
    # a semicolon file with decimal commas, as a European spreadsheet exports it
    raw = heart_sample().to_csv(index=False, sep=";", decimal=",").encode()
    upload(at, "heart.csv", raw)
    assert "Loaded 'heart.csv': 303 rows × 14 columns" in texts(at.success)
    assert target(at) == "output"
    assert task(at) == "classification"
    assert "5 numeric, 3 binary, 5 categorical, 0 excluded." in texts(at.caption)

    at.slider(key="split_fraction").set_value(0.1)
    click(at, "Split")
    assert "Train: 273 rows · held-out test: 30 rows." in texts(at.success)

    click(at, "Upload train split and register data asset")
    assert "Uploaded 'heart/v1/train.csv' and registered data asset 'heart' version 1." in texts(at.success)
    assert [b.name for b in backend.list_blobs(SA, BC)] == ["heart/v1/train.csv"]
    stored = load_dataset(backend, WS, "heart")
    assert len(stored.train) == 273 and len(stored.test) == 30
    assert "cp" in stored.schema.columns_of(FeatureType.CATEGORICAL)

    click(at, "Upload train split and register data asset")  # the same split again: nothing new
    assert "holds this split already" in texts(at.info)
    assert len(backend.data_asset_versions(WS, "heart")) == 1

    at.switch_page("../pages/eda.py").run()
    assert not at.exception, at.exception
    page = texts(at.markdown) + texts(at.caption) + texts(at.subheader)
    assert "heart v1" in page
    assert "ColumnTransformer" in texts(at.code)
    assert len(at.get("plotly_chart")) >= 4
    overview = at.dataframe[0].value  # nothing missing: no all-zero missing columns, 4 digits at most
    assert "missing" not in overview.columns and "max" in overview.columns
    assert "No missing values in any column." in texts(at.success)
    assert all(len(f"{v:.10g}".replace(".", "").lstrip("0")) <= 4 for v in overview["mean"].dropna())


def test_a_bad_file_gets_a_message_and_keeps_the_loaded_data(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("data")
    upload(at, "good.csv", heart_sample().to_csv(index=False).encode())
    assert "303 rows" in texts(at.success)
    upload(at, "report.csv", b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    errors = texts(at.error)
    assert "HTML" in errors
    assert not at.exception
    assert "Traceback" not in errors
    assert target(at) == "output", "the good data is still there"


def test_ragged_rows_name_the_line(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("data")
    upload(at, "ragged.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n11,12,13\n")
    assert "Line 4 has 4 fields but the header (line 1) has 3." in texts(at.error)


def test_store_needs_a_workspace_and_says_where_to_make_one(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("data")
    click(at, "Load this sample")
    click(at, "Split")
    assert "Storing needs a workspace and a blob container" in texts(at.warning)
    assert next(b for b in at.button if b.label == "Split and upload").disabled, "nowhere to upload to yet"


def test_regression_target_is_offered_as_regression(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("data")
    frame = pd.DataFrame({"x": range(300), "price": [i * 1.7 + (i % 7) for i in range(300)]})
    upload(at, "prices.csv", frame.to_csv(index=False).encode())
    assert target(at) == "price"
    assert task(at) == "regression"


def test_eda_without_data_says_what_it_needs(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("eda")
    assert "Data" in texts(at.info) + texts(at.warning)


def test_a_new_file_clears_the_previous_files_results(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    make_workspace(data_dir)
    at = open_page("data")
    click(at, "Load this sample")
    click(at, "Split")
    click(at, "Upload train split and register data asset")
    assert "Uploaded 'heart/v1/train.csv'" in texts(at.success)
    upload(at, "heart-small.csv", heart_sample().iloc[:250].to_csv(index=False).encode())
    shown = texts(at.success) + texts(at.info)
    assert not any(b.label == "Upload train split and register data asset" for b in at.button), "no split yet"
    assert "Train: 273 rows" not in shown, "the previous file's split result is gone"
    assert "heart/v1/train.csv" not in shown, "and so is its upload result"
    click(at, "Split")
    click(at, "Upload train split and register data asset")
    assert "Uploaded 'heart-small/v1/train.csv'" in texts(at.success)
    assert at.selectbox(key="data_current_pick").value == ("heart-small", 1), "the dataset just stored"


def test_a_second_file_shows_its_own_target_and_task(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("data")
    upload(at, "heart.csv", heart_sample().to_csv(index=False).encode())
    assert target(at) == "output"
    assert task(at) == "classification"
    frame = pd.DataFrame({"tau1": [i * 0.37 % 11 for i in range(400)], "stab": [i / 77 for i in range(400)]})
    upload(at, "grid.csv", frame.to_csv(index=False).encode())
    assert target(at) == "stab", "the new file's default target, not heart's"
    assert task(at) == "regression", "the new file's task, not heart's"
    assert "regression task" in texts(at.info)
    at.run()  # a plain rerun (any later click) keeps the new file's values
    assert target(at) == "stab"
    assert task(at) == "regression"


def test_another_target_column_gets_its_own_detected_task(open_page: Callable[[str], AppTest]) -> None:
    at = open_page("data")
    upload(at, "heart.csv", heart_sample().to_csv(index=False).encode())
    assert task(at) == "classification"
    next(s for s in at.selectbox if s.label == "Target column").select("chol").run()
    assert not at.exception, at.exception
    assert target(at) == "chol"
    assert task(at) == "regression", "cholesterol is continuous: the task follows the new target"
    assert "regression task" in texts(at.info)


def grid_csv(rows: int = 400) -> bytes:
    """Like smart_grid_stability.csv: a continuous 'stab', and 'diagnosis' (its sign) last."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(rows, 3)), columns=["tau1", "tau2", "g1"])
    frame["stab"] = 0.4 * frame["tau1"] - 0.3 * frame["tau2"] + rng.normal(0, 0.5, rows)
    frame["diagnosis"] = np.where(frame["stab"] > 0, "unstable", "stable")
    return frame.to_csv(index=False).encode()


def test_a_leaking_feature_is_excluded_with_its_evidence_and_a_continuous_target_is_regression(
    open_page: Callable[[str], AppTest],
) -> None:
    at = open_page("data")
    upload(at, "grid.csv", grid_csv())
    next(s for s in at.selectbox if s.label == "Target column").select("stab").run()
    assert not at.exception, at.exception
    assert task(at) == "regression"
    warnings = texts(at.warning)
    assert "'diagnosis' is excluded by default." in warnings
    assert "the target 'stab' alone predicts 'diagnosis' almost perfectly" in warnings
    assert "set its **use as** to binary" in warnings, "how to override it"
    schema = at.session_state[session.DATA_SCHEMA]
    assert "diagnosis" not in schema.features and "diagnosis" in schema.excluded
    assert "3 numeric, 0 binary, 0 categorical, 1 excluded." in texts(at.caption)

    next(r for r in at.radio if r.label == "Task").set_value("classification").run()
    assert not at.exception, at.exception
    assert task(at) == "regression", "a continuous target cannot be classes: switched back, no error"
    assert "switched to regression" in texts(at.info)
    assert not at.error


def test_an_upload_is_parsed_at_once_and_split_and_upload_is_one_click(
    open_page: Callable[[str], AppTest], data_dir: Path
) -> None:
    backend = make_workspace(data_dir)
    at = open_page("data")
    raw = heart_sample().to_csv(index=False, sep=";", decimal=",").encode()
    upload(at, "heart.csv", raw)
    assert "Loaded 'heart.csv': 303 rows × 14 columns" in texts(at.success) and "decimal ','" in texts(
        at.success
    )
    at.selectbox(key="data_decimal").select("point .").run()  # a changed option parses the file again
    assert "decimal '.'" in texts(at.success)
    at.selectbox(key="data_decimal").select("auto-detect").run()
    assert "decimal ','" in texts(at.success)
    at.run()  # any other rerun keeps what was loaded
    assert target(at) == "output"

    click(at, "Split and upload")
    shown = texts(at.success)
    assert "Train: 273 rows · held-out test: 30 rows." in shown
    assert "Uploaded 'heart/v1/train.csv' and registered data asset 'heart' version 1." in shown
    assert [b.name for b in backend.list_blobs(SA, BC)] == ["heart/v1/train.csv"]


def test_eda_of_a_regression_target_charts_each_feature_against_it(
    open_page: Callable[[str], AppTest],
) -> None:
    at = open_page("data")
    upload(at, "grid.csv", grid_csv())
    next(s for s in at.selectbox if s.label == "Target column").select("stab").run()
    at.switch_page("../pages/eda.py").run()
    assert not at.exception, at.exception
    headings = texts(at.subheader)
    assert "Each feature against the target" in headings and "by class" not in headings
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert not any("by class" in spec for spec in specs)
    assert sum("'stab' against 'tau" in spec for spec in specs) == 2, (
        "each numeric feature against the target"
    )
