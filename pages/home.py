"""Home: what the walkthrough is, and where each step stands."""

import streamlit as st

from dashboard.views import demo as demo_view
from dashboard.views.home import steps_overview

st.title("Azure ML walkthrough", anchor=False)
st.write(
    "Take a dataset from a CSV file to a live prediction endpoint, the way Azure Machine Learning does it, "
    "by pointing and clicking. The **local** backend mirrors every Azure object on this machine, so "
    "no account is needed; every step shows the equivalent Azure SDK code."
)
steps_overview()
st.divider()
demo_view.render()
