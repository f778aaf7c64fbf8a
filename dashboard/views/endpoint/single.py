"""One prediction from a form built from the dataset's schema."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo, WorkspaceRef
from core.data.schema import FeatureType, Task
from core.data.store import LoadedDataset
from core.endpoint.rounding import round_prediction, spread_of
from dashboard import session
from dashboard.views.endpoint.state import SINGLE, keep, kept
from dashboard.views.endpoint.status import call, client
from dashboard.widgets import run_action, show_result


def single_section(
    workspace: WorkspaceRef, info: EndpointInfo, deployment: DeploymentInfo, data: LoadedDataset | None
) -> None:
    st.markdown("#### One prediction")
    if data is None:
        st.caption("The form needs the dataset's schema; this deployment does not name its dataset.")
        return
    schema = data.schema
    frame = pd.concat([data.train, data.test], ignore_index=True)
    values: dict[str, Any] = {}
    where = f"{info.name}:{deployment.name}"
    with st.form(f"endpoint:single_form:{where}"):
        columns = st.columns(4)
        for i, (name, kind) in enumerate(schema.features.items()):
            with columns[i % 4]:
                values[name] = _input(name, kind, frame[name], f"endpoint:single:{where}:{name}")
        submitted = st.form_submit_button("Predict", type="primary", icon=":material/online_prediction:")
    if submitted:
        row = pd.DataFrame([values], columns=list(schema.features))
        row = row.astype(
            {c: frame[c].dtype for c in row.columns if frame[c].dtype.kind in "iuf" and row[c].notna().all()}
        )
        result = run_action(
            "endpoint_single",
            call(
                lambda: client(workspace, info, deployment).score(
                    row, probabilities=schema.task == Task.CLASSIFICATION
                )
            ),
        )
        if result is not None:
            keep(SINGLE, info, deployment, result)
            st.session_state.pop(session.RESULT_PREFIX + "endpoint_single", None)
    show_result("endpoint_single")
    result = kept(SINGLE, info, deployment)
    if result is not None:
        answer = result.predictions[0]
        if schema.task == Task.REGRESSION:  # to the target's precision, not the float's 15 digits
            answer = round_prediction(answer, spread_of(data.train[schema.target]))
        text = f"**Prediction: {schema.target} = {answer}** · {result.seconds * 1000:.0f} ms"
        if result.probabilities is not None and result.classes is not None:
            shares = ", ".join(
                f"{c}: {p:.1%}" for c, p in zip(result.classes, result.probabilities[0], strict=True)
            )
            text += f" · probabilities {shares}"
        st.success(text, icon=":material/online_prediction:")


def _input(name: str, kind: FeatureType, series: pd.Series, key: str) -> Any:
    present = series.dropna()
    if kind == FeatureType.NUMERIC and pd.api.types.is_numeric_dtype(series):
        low, high = float(present.min()), float(present.max())
        median = float(present.median())
        if pd.api.types.is_integer_dtype(series):
            return int(
                st.number_input(
                    name,
                    int(low),
                    int(high),
                    int(round(median)),
                    1,
                    key=key,
                    help=f"{int(low)} to {int(high)} in the data",
                )
            )
        step = max((high - low) / 100, 1e-6)
        decimals = min(6, max(0, math.ceil(-math.log10(step))))  # enough to tell one step from the next
        start = min(high, max(low, round(median, decimals) + 0.0))  # + 0.0: no "-0.00"
        return float(
            st.number_input(
                name,
                low,
                high,
                start,
                step,
                format=f"%.{decimals}f",
                key=key,
                help=f"{low:g} to {high:g} in the data",
            )
        )
    options = sorted(present.unique().tolist(), key=lambda v: (str(type(v)), v))
    if not options:
        return None
    mode = present.mode()
    index = options.index(mode.iloc[0]) if len(mode) and mode.iloc[0] in options else 0
    chosen = st.selectbox(name, options, index=index, key=key, help=f"{len(options)} values in the data")
    return chosen.item() if hasattr(chosen, "item") else chosen
