"""The EDA step: charts of the current dataset's train split, and the preprocessing preview."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.backend import WorkspaceRef
from core.codegen import preprocessing_code
from core.data import eda
from core.data.schema import FeatureType, Schema, Task
from core.data.store import LoadedDataset, load_dataset
from core.errors import UserFacingError
from core.train.preprocessing import preprocessing_table
from dashboard import figures, nav, session
from dashboard.figures import dataset as dataset_figures
from dashboard.views.data import working

MAX_FEATURE_CHARTS = 24


def current_frame() -> tuple[pd.DataFrame, Schema, str] | None:
    """The train split of the stored dataset the later steps use, else the unsaved working data."""
    workspace = session.current_workspace()
    current = st.session_state.get(session.DATA_CURRENT)
    if workspace:
        assets = session.backend().list_data_assets(workspace)
        if current is None and assets:
            current = (assets[-1].name, assets[-1].version)
        if current is not None:
            try:
                loaded = _load(workspace, current[0], current[1])
            except UserFacingError as exc:
                st.error(str(exc))
            else:
                return loaded.train, loaded.schema, f"data asset {current[0]} v{current[1]} (train split)"
    data, schema = working(), st.session_state.get(session.DATA_SCHEMA)
    if data is not None and isinstance(schema, Schema):
        return data.frame, schema, f"{data.source} (not stored yet: all rows)"
    return None


def _load(workspace: WorkspaceRef, name: str, version: int) -> LoadedDataset:
    """Read a stored version once per session: versions never change."""
    key = f"eda:loaded:{workspace}:{name}:{version}"
    if key not in st.session_state:
        st.session_state[key] = load_dataset(session.backend(), workspace, name, version)
    loaded: LoadedDataset = st.session_state[key]
    return loaded


def overview_section(frame: pd.DataFrame, schema: Schema, label: str) -> pd.DataFrame:
    st.caption(f"Exploring **{label}**")
    st.subheader("Overview: shape, types, missing values, statistics", anchor=False)
    a, b, c, d = st.columns(4)
    a.metric("Rows", f"{len(frame):,}")
    b.metric("Columns", frame.shape[1])
    c.metric("Features used", len(schema.features))
    d.metric("Missing cells", f"{int(frame.isna().sum().sum()):,}")
    summary = eda.column_summary(frame)
    fig = figures.missing_values(summary)
    if fig is None:
        st.success("No missing values in any column.", icon=":material/check_circle:")
    # the whole width, so every statistic up to max is in view; 4 significant digits (248.4, 0.359)
    shown = summary.drop(columns=["missing", "missing %"]) if fig is None else summary
    stats = shown.select_dtypes("float").columns.difference(["missing %"])
    shown = shown.assign(**{c: shown[c].map(_four_digits) for c in stats})
    st.dataframe(shown, width="stretch", height=min(35 * (len(shown) + 1) + 3, 600))
    if fig is not None:
        st.plotly_chart(fig, width="stretch")
    return summary


def _four_digits(value: float) -> float:
    return float(f"{value:.4g}") if np.isfinite(value) else value


def target_section(frame: pd.DataFrame, schema: Schema) -> None:
    st.subheader("The target", anchor=False)
    y = frame[schema.target]
    if schema.task == Task.CLASSIFICATION:
        st.plotly_chart(figures.class_balance(eda.target_counts(y), schema.target), width="stretch")
    else:
        hist = eda.numeric_histogram(y, None, bins=40)
        st.plotly_chart(
            figures.numeric_distribution(hist, schema.target, f"Distribution of '{schema.target}'"),
            width="stretch",
        )


def features_section(frame: pd.DataFrame, schema: Schema, scores: pd.Series) -> None:
    classification = schema.task == Task.CLASSIFICATION
    st.subheader(
        "Each feature by class" if classification else "Each feature against the target", anchor=False
    )
    if not classification:
        st.caption(
            f"Grey dots: a sample of the rows. Line: the mean of '{schema.target}' in each of "
            f"{eda.TREND_BINS} bins of equal rows along the feature, the band its middle half (25th–75th "
            "percentile). Categories: a box per category (whiskers 5th–95th percentile, rows in brackets)."
        )
    ranked = list(scores.index)
    default = ranked[:MAX_FEATURE_CHARTS]
    chosen = st.multiselect(
        "Features to chart (strongest first)", ranked, default=default, key="eda_features"
    )
    columns = st.columns(2)
    for i, name in enumerate(chosen):
        with columns[i % 2]:
            fig = (
                _by_class_chart(frame, schema, name)
                if classification
                else _against_target_chart(frame, schema, name)
            )
            st.plotly_chart(fig, width="stretch", key=f"eda_fig_{name}")


def _by_class_chart(frame: pd.DataFrame, schema: Schema, name: str) -> go.Figure:
    groups = frame[schema.target]
    if schema.features.get(name) == FeatureType.NUMERIC:
        return figures.numeric_distribution(eda.numeric_histogram(frame[name], groups), name)
    return figures.categorical_distribution(eda.category_counts(frame[name], groups), name)


def _against_target_chart(frame: pd.DataFrame, schema: Schema, name: str) -> go.Figure:
    y = frame[schema.target]
    if schema.features.get(name) == FeatureType.NUMERIC:
        return dataset_figures.numeric_against_target(
            eda.numeric_against_target(frame[name], y), name, schema.target
        )
    return dataset_figures.categorical_against_target(
        eda.category_against_target(frame[name], y), name, schema.target
    )


def relations_section(frame: pd.DataFrame, schema: Schema, scores: pd.Series) -> None:
    st.subheader("How the features relate to each other and to the target", anchor=False)
    left, right = st.columns([3, 2])
    numeric = [c for c in scores.index if schema.features.get(c) != FeatureType.CATEGORICAL][:30]
    target = [schema.target] if pd.api.types.is_numeric_dtype(frame[schema.target]) else []
    with left:
        if len(numeric) >= 2:
            st.plotly_chart(
                figures.correlation_heatmap(eda.correlation_matrix(frame, numeric + target)), width="stretch"
            )
        else:
            st.info("A correlation heatmap needs at least two numeric or binary features.")
    with right:
        st.plotly_chart(figures.associations_bar(scores, schema.target), width="stretch")


def preprocessing_section(schema: Schema) -> None:
    st.subheader("Preprocessing that training will use", anchor=False)
    st.caption(
        "Numerics are scaled, categoricals one-hot encoded (unknown categories ignored), binaries passed "
        "through. Every column is listed, including the excluded ones."
    )
    st.dataframe(pd.DataFrame(preprocessing_table(schema)), hide_index=True, width="stretch")
    with st.expander("The same ColumnTransformer as code", icon=":material/code:"):
        st.code(preprocessing_code(schema), language="python")


def render() -> None:
    found = current_frame()
    if found is None:
        st.info(
            "There is no dataset to explore yet: load and split one on the Data page.",
            icon=":material/table:",
        )
        nav.link("data", label="Go to 2 · Data")
        return
    frame, schema, label = found
    overview_section(frame, schema, label)
    target_section(frame, schema)
    sample = eda.figure_sample(frame)
    if len(sample) < len(frame):
        st.caption(
            f"The charts below are drawn from a fixed random sample of {len(sample):,} of the "
            f"{len(frame):,} rows; the table above uses every row."
        )
    classification = schema.task == Task.CLASSIFICATION
    scores = eda.associations(sample, schema.target, list(schema.features), classification)
    relations_section(sample, schema, scores)
    features_section(sample, schema, scores)
    preprocessing_section(schema)
