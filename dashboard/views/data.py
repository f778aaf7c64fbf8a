"""The Data step: get a CSV in, choose target and typing, split it, store the train split."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from core import codegen
from core.backend import WorkspaceRef
from core.data import ingest, samples
from core.data.leakage import LEAKAGE_THRESHOLDS, LeakageReport, check_leakage, exclude_leaks
from core.data.schema import (
    ColumnProfile,
    FeatureType,
    Schema,
    Task,
    analyse_target,
    build_schema,
    default_target,
    profile_columns,
)
from core.data.split import DEFAULT_SEED, DEFAULT_TEST_FRACTION, Split, class_balance, split_frame
from core.data.store import store_dataset
from core.errors import UserFacingError
from core.resources import Kind
from dashboard import figures, nav, session
from dashboard.widgets import (
    billing_acknowledged,
    pin_selection,
    run_action,
    set_result,
    show_code,
    show_result,
)

PREVIEW_ROWS, PREVIEW_COLUMNS = 50, 60
EXCLUDE = "excluded"
TYPE_OPTIONS = [t.value for t in FeatureType] + [EXCLUDE]
DELIMITERS = {"auto-detect": None, "comma ,": ",", "semicolon ;": ";", "tab": "\t", "pipe |": "|"}
DECIMALS = {"auto-detect": None, "point .": ".", "comma ,": ","}
PER_FILE_KEYS = (
    "data_target:",
    "data_task:",
    "data_types:",
    "split_stratify:",
    "store_name:",
    "data_leakage:",
)
UPLOAD_PARSED = "data:upload_parsed"  # (file id, delimiter, decimal) of the upload parsed last


@dataclass(frozen=True)
class WorkingData:
    frame: pd.DataFrame
    source: str  # shown to the user and recorded on the data asset
    notes: tuple[str, ...]
    suggested_name: str  # default data asset name
    # Keys the widgets whose value belongs to this file: the browser keeps a widget's value under its
    # key even after the page drops it, so a new load needs new keys to show the new file's defaults.
    load_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


def working() -> WorkingData | None:
    value = st.session_state.get(session.DATA_WORKING)
    return value if isinstance(value, WorkingData) else None


def _set_working(data: WorkingData) -> None:
    """Make ``data`` the working file and forget everything derived from the previous one
    (its split, typing, and the results of splitting and storing it)."""
    st.session_state[session.DATA_WORKING] = data
    for key in (session.DATA_SPLIT, session.DATA_SCHEMA):
        st.session_state.pop(key, None)
    for action in ("split", "store"):
        st.session_state.pop(session.RESULT_PREFIX + action, None)
    for key in [k for k in st.session_state if str(k).startswith(PER_FILE_KEYS)]:
        del st.session_state[key]


# -- 1. get data --------------------------------------------------------------------
def source_section() -> None:
    st.subheader("Get data", anchor=False)
    upload_tab, sample_tab = st.tabs(["Upload a CSV", "Built-in samples"])
    with upload_tab:
        upload = st.file_uploader(
            "Drop a CSV file here",
            type=["csv", "txt", "tsv"],
            key="data_upload",
            help=f"Up to {ingest.MAX_UPLOAD_MB} MB. Delimiter, decimal mark and encoding are detected.",
        )
        with st.expander("Parsing options"):
            left, right = st.columns(2)
            delimiter = left.selectbox("Delimiter", list(DELIMITERS), key="data_delim")
            decimal = right.selectbox("Decimal mark", list(DECIMALS), key="data_decimal")
        if upload is not None:
            _load_when_new(upload, DELIMITERS[delimiter], DECIMALS[decimal])
    with sample_tab:
        names = list(samples.SAMPLES)
        choice = st.radio(
            "Sample",
            names,
            format_func=lambda n: samples.SAMPLES[n].title,
            key="data_sample",
            horizontal=True,
        )
        st.caption(samples.SAMPLES[choice].description)
        if st.button("Load this sample", type="primary", key="data_load_sample"):
            info = samples.SAMPLES[choice]
            frame = info.loader()
            _set_working(WorkingData(frame, info.title, (), choice))
            set_result(
                "data_load",
                "success",
                f"Loaded {info.title}: {len(frame):,} rows × {frame.shape[1]} columns.",
            )
    show_result("data_load")
    data = working()
    if data is not None:
        for note in data.notes:
            st.info(note, icon=":material/info:")


def _load_when_new(upload: Any, delimiter: str | None, decimal: str | None) -> None:
    """Parse the uploaded file as soon as it arrives, and again when the parsing options change;
    a rerun for anything else keeps what was loaded (a sample loaded since, or the user's choices)."""
    signature = (upload.file_id, delimiter, decimal)
    if st.session_state.get(UPLOAD_PARSED) == signature:
        return
    st.session_state[UPLOAD_PARSED] = signature
    _load_upload(upload.name, upload.getvalue(), delimiter, decimal)


def _load_upload(name: str, raw: bytes, delimiter: str | None, decimal: str | None) -> None:
    loaded = run_action("data_load", lambda: ingest.load_csv(raw, name, delimiter=delimiter, decimal=decimal))
    if loaded is None:
        return
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.rsplit(".", 1)[0]).strip("-_")
    _set_working(WorkingData(loaded.frame, name, loaded.notes, stem or "dataset"))
    set_result(
        "data_load",
        "success",
        f"Loaded '{name}': {len(loaded.frame):,} rows × {loaded.frame.shape[1]} columns "
        f"({loaded.encoding}, delimiter {loaded.delimiter!r}, decimal {loaded.decimal!r}).",
    )


def preview_section(data: WorkingData) -> None:
    frame = data.frame
    st.caption(f"**{data.source}** · {len(frame):,} rows × {frame.shape[1]} columns")
    shown = frame.iloc[:PREVIEW_ROWS, :PREVIEW_COLUMNS]
    if frame.shape[1] > PREVIEW_COLUMNS:
        st.caption(f"Showing the first {PREVIEW_COLUMNS} of {frame.shape[1]} columns.")
    text_cols = shown.select_dtypes(exclude="number").columns
    shown = shown.assign(**{c: shown[c].map(ingest.inert_text) for c in text_cols})
    st.dataframe(shown, height=260, width="stretch")


# -- 2. target, task and typing ---------------------------------------------------------
def schema_section(data: WorkingData) -> Schema | None:
    st.subheader("Target, task and column types", anchor=False)
    columns = [str(c) for c in data.frame.columns]
    left, right = st.columns([2, 3])
    target = left.selectbox(
        "Target column",
        columns,
        index=columns.index(default_target(columns)),
        key=f"data_target:{data.load_id}",
    )
    task_key = f"data_task:{data.load_id}:{target}"  # a new target gets its own detected task
    chosen = st.session_state.get(task_key)
    try:
        info = analyse_target(data.frame, target, Task(chosen) if chosen else None)
    except UserFacingError as exc:
        info, problem = None, exc
    if info is not None:  # the detected task or the user's; a continuous target switches to regression
        st.session_state[task_key] = info.task.value
    right.radio(
        "Task",
        [Task.CLASSIFICATION.value, Task.REGRESSION.value],
        key=task_key,
        horizontal=True,
        help="Detected from the target; override it if the detection is wrong.",
    )
    if info is None:  # the radio above stays, so the user can pick the other task
        st.error(str(problem), icon=":material/error:")
        return None
    for note in info.notes:
        st.info(note, icon=":material/label:")

    profiles = profile_columns(data.frame, target)
    report = _leakage(data, target, info.task, profiles)
    profiles = exclude_leaks(profiles, report)
    table = pd.DataFrame(
        {
            "column": [p.name for p in profiles],
            "use as": [EXCLUDE if p.excluded else p.feature_type.value for p in profiles],
            "dtype": [p.dtype for p in profiles],
            "missing %": [round(p.missing_pct, 1) for p in profiles],
            "distinct": [p.distinct for p in profiles],
            "notes": [_notes(p) for p in profiles],
        }
    )
    warnings_slot = st.container()  # filled once the typing is known: the leakage notes go above the table
    st.caption(
        "Correct the detected typing in the **use as** column. "
        "Excluded columns are listed, never dropped silently."
    )
    edited = st.data_editor(
        table,
        height=min(35 * (len(table) + 1) + 3, 600),  # every row in view up to ~16 columns
        key=f"data_types:{data.load_id}:{target}",  # a new target re-profiles the columns: a fresh editor
        hide_index=True,
        width="stretch",
        disabled=["column", "dtype", "missing %", "distinct", "notes"],
        column_config={  # the notes (leakage, why excluded) get the room the short figures do not need
            "use as": st.column_config.SelectboxColumn(options=TYPE_OPTIONS, required=True),
            "dtype": st.column_config.TextColumn(width="small"),
            "missing %": st.column_config.NumberColumn(width="small"),
            "distinct": st.column_config.NumberColumn(width="small"),
            "notes": st.column_config.TextColumn(width="large"),
        },
    )
    overrides = {
        row["column"]: (None if row["use as"] == EXCLUDE else FeatureType(row["use as"]))
        for _, row in edited.iterrows()
    }
    try:
        schema = build_schema(data.frame, target, info.task, overrides, profiles=profiles)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    with warnings_slot:
        leakage_section(report, schema, {p.name: p.feature_type for p in profiles})
    st.session_state[session.DATA_SCHEMA] = schema
    counts = {t: len(schema.columns_of(t)) for t in FeatureType}
    st.caption(
        f"{counts[FeatureType.NUMERIC]} numeric, {counts[FeatureType.BINARY]} binary, "
        f"{counts[FeatureType.CATEGORICAL]} categorical, {len(schema.excluded)} excluded."
    )
    return schema


def _notes(profile: ColumnProfile) -> str:
    """The column's flags and why it is excluded; a flag the reason starts with is said once."""
    flags = [f for f in profile.flags if not profile.reason.lower().startswith(f.lower())]
    return "; ".join((*flags, profile.reason)).strip("; ")


def _leakage(data: WorkingData, target: str, task: Task, profiles: list[ColumnProfile]) -> LeakageReport:
    """The leakage check, once per file, target and task (it fits small trees: ~1 s on 10,000 rows)."""
    key = f"data_leakage:{data.load_id}:{target}:{task.value}"
    report = st.session_state.get(key)
    if not isinstance(report, LeakageReport):
        with st.spinner("Checking each feature for target leakage…"):
            report = check_leakage(data.frame, target, task, profiles)
        st.session_state[key] = report
    return report


def leakage_section(report: LeakageReport, schema: Schema, types: dict[str, FeatureType]) -> None:
    """Each flagged feature with its evidence and how to keep it; the check's figures for all."""
    for finding in report.flagged:
        if finding.column in schema.features:
            st.warning(
                f"**You kept '{finding.column}'** although it may leak the target. {finding.evidence}",
                icon=":material/warning:",
            )
        else:
            st.warning(
                f"**'{finding.column}' is excluded by default.** {finding.evidence} If it is really known "
                f"before the outcome, keep it: set its **use as** to {types[finding.column].value} in the "
                "table below.",
                icon=":material/policy_alert:",
            )
    if not report.findings:
        if report.note:
            st.caption(report.note)
        return
    with st.expander(
        "Target leakage check: each feature against the target, both ways", icon=":material/policy:"
    ):
        t = LEAKAGE_THRESHOLDS
        st.caption(
            "One small decision tree per column, scored out of fold on "
            f"{report.rows_used:,} rows. Skill: 0 = no better than chance, 1 = perfect (R² for a number, "
            "chance-adjusted balanced accuracy for classes). A feature is flagged when the target alone "
            f"predicts it with skill ≥ {t.target_predicts_feature:g}, or it alone predicts the target with "
            f"skill ≥ {t.feature_predicts_target:g}, or with skill ≥ {t.dominant_skill:g} and at least "
            f"{t.dominant_ratio:g}× the next-best feature."
        )
        st.dataframe(report.table(), hide_index=True, width="stretch")


# -- 3. split and store ---------------------------------------------------------------------
def split_store_section(data: WorkingData, schema: Schema) -> None:
    """Split options and where to store; "Split and upload" does both in one click, "Split" only
    splits, for a look at the class shares first."""
    st.subheader("Split into train and held-out test, and store the train split", anchor=False)
    classification = schema.task == Task.CLASSIFICATION
    a, b, c = st.columns(3)
    fraction = a.slider("Test fraction", 0.05, 0.5, DEFAULT_TEST_FRACTION, 0.05, key="split_fraction")
    seed = b.number_input("Seed", 0, 2**31 - 1, DEFAULT_SEED, key="split_seed")
    stratify = c.checkbox(
        "Stratify on the target",
        value=classification,
        disabled=not classification,
        key=f"split_stratify:{data.load_id}:{schema.task.value}",
    )
    destination = _destination(data)
    go_both, go_split, _ = st.columns([1, 1, 3])
    both = go_both.button(
        "Split and upload",
        type="primary",
        disabled=destination is None,
        help="Split, upload the train split to the blob container and register it as a data asset.",
    )
    only = go_split.button("Split", help="Split only, to look at the split before uploading it.")
    if both or only:
        split = _split(data, schema, float(fraction), int(seed), bool(stratify and classification))
        if split is not None and both and destination is not None:
            _store(data, schema, split, *destination)
    show_result("split")
    split = st.session_state.get(session.DATA_SPLIT)
    if split is not None and classification:
        table = class_balance(split, schema.target)
        left, right = st.columns([2, 3])
        left.dataframe(table, width="stretch")
        right.plotly_chart(figures.split_balance(table, schema.target), width="stretch")
    if split is not None and destination is not None:
        st.caption("To store this split as it is (without splitting again):")
        if st.button("Upload train split and register data asset"):
            _store(data, schema, split, *destination)
    show_result("store")
    if destination is not None:
        _store_code(data, destination[0])


def _destination(data: WorkingData) -> tuple[WorkspaceRef, str, str, str] | None:
    """(workspace, data asset name, account, container) from the inputs, or None with a message
    when storing is not possible yet (no workspace or container, or billing not acknowledged)."""
    workspace = session.current_workspace()
    containers = [r for r in session.inventory() if r.kind == Kind.BLOB_CONTAINER]
    if workspace is None or not containers:
        st.warning(
            "Storing needs a workspace and a blob container: you can split here, but not upload yet.",
            icon=":material/block:",
        )
        nav.link("resources", label="Create them on 1 · Resources")
        return None
    if not billing_acknowledged(session.backend()):
        return None
    left, right = st.columns(2)
    name = left.text_input("Data asset name", value=data.suggested_name, key=f"store_name:{data.load_id}")
    options = [f"{r.parent}/{r.name}" for r in containers]
    chosen = right.selectbox("Blob container (account/container)", options, key="store_container")
    account, container = str(chosen).split("/", 1)
    return workspace, name, account, container


def _split(data: WorkingData, schema: Schema, fraction: float, seed: int, stratify: bool) -> Split | None:
    split: Split | None = run_action(
        "split",
        lambda: split_frame(data.frame, schema.target, test_fraction=fraction, seed=seed, stratify=stratify),
    )
    st.session_state.pop(session.RESULT_PREFIX + "store", None)  # a new split: the old upload's result goes
    if split is not None:
        st.session_state[session.DATA_SPLIT] = split
        set_result(
            "split", "success", f"Train: {len(split.train):,} rows · held-out test: {len(split.test):,} rows."
        )
    return split


def _store(
    data: WorkingData,
    schema: Schema,
    split: Split,
    workspace: WorkspaceRef,
    name: str,
    account: str,
    container: str,
) -> None:
    bar = st.progress(0.0, text="Uploading the train split…")
    stored = run_action(
        "store",
        lambda: store_dataset(
            session.backend(),
            workspace,
            account,
            container,
            name,
            split,
            schema,
            data.source,
            progress=upload_progress(bar),
        ),
    )
    bar.empty()
    if stored is not None:
        pin_selection(session.DATA_CURRENT, (stored.asset.name, stored.asset.version))
        set_result("store", "success" if stored.created else "info", stored.message)
        st.rerun()  # the list of stored datasets above shows it at once


def _store_code(data: WorkingData, workspace: WorkspaceRef) -> None:
    container = str(st.session_state.get("store_container", "/")).split("/", 1)[1]
    current = st.session_state.get(session.DATA_CURRENT)
    blob_name = f"{current[0]}/v{current[1]}/train.csv" if current else f"{data.suggested_name}/v1/train.csv"
    show_code(
        codegen.data_upload_code(
            workspace.resource_group,
            workspace.name,
            session.subscription_id(),
            container,
            blob_name,
            current[0] if current else data.suggested_name,
            cloud=session.snippet_cloud(),
        )
    )


def upload_progress(bar: Any) -> Callable[[int, int], None]:
    """A progress callback that moves ``bar`` (an st.progress) as bytes go out."""

    def update(sent: int, total: int) -> None:
        fraction = min(1.0, sent / total) if total else 1.0
        bar.progress(fraction, text=f"Uploading and registering the split: {_size(sent)} of {_size(total)}")

    return update


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB" if n >= 1000 else f"{n} B"
