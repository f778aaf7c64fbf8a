"""Step 3: explore the train split with Plotly charts (not built yet)."""

import streamlit as st

from dashboard.widgets import upcoming_step

st.title("3 · Explore (EDA)", anchor=False)
upcoming_step(
    what="Shape, dtypes, missing values, class balance, each feature's distribution by class, a "
    "correlation heatmap, editable feature typing and a preview of the preprocessing.",
    needs="A train split from step 2.",
    needs_stem="data",
    next_stem="sweep",
)
