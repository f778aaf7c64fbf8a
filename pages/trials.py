"""Step 5: review a sweep's trials with comparison charts (not built yet)."""

import streamlit as st

from dashboard.widgets import upcoming_step

st.title("5 · Trials", anchor=False)
upcoming_step(
    what="A sortable trials table, parallel coordinates, slice plots, optimisation history, "
    "hyperparameter importance and the best trial's details, for any sweep in MLflow.",
    needs="A finished or running sweep from step 4.",
    needs_stem="sweep",
    next_stem="endpoint",
)
