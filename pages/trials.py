"""Step 5: review any sweep's trials: best at a glance, a filterable table and comparison charts."""

import streamlit as st

from dashboard import session
from dashboard.views import trials as view
from dashboard.views.home import mark_trials_reviewed
from dashboard.widgets import require_step

st.title("5 · Trials", anchor=False)
st.write(
    "Open a sweep this app ran, or any MLflow experiment by its tracking URI. Rank the trials by the "
    "value you choose, filter them, select rows to highlight them in every chart, keep review notes, "
    "and pick the trial to deploy."
)
require_step(
    session.backend().capabilities.sweeps,
    "reviewing a sweep's trials",
)
view.render()
mark_trials_reviewed()  # the home page's "done" for this step
