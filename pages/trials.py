"""Step 5: review any sweep's trials: best at a glance, a filterable table and comparison charts."""

import streamlit as st

from dashboard.views import trials as view

st.title("5 · Trials", anchor=False)
st.write(
    "Open a sweep this app ran, or any MLflow experiment by its tracking URI. Rank the trials by the "
    "value you choose, filter them, select rows to highlight them in every chart, keep review notes, "
    "and pick the trial to deploy."
)
view.render()
