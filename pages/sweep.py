"""Step 4: configure a hyperparameter sweep, launch it on the compute cluster and watch it live."""

import streamlit as st

from dashboard import session
from dashboard.views import sweep as view
from dashboard.widgets import require_step

st.title("4 · Sweep", anchor=False)
st.write(
    "Pick a model family and its search space, the sampling, an early-termination policy and the "
    "limits, then launch. Trials run in the background on the compute cluster (its worker processes "
    "locally, its nodes on Azure) and land in the workspace's MLflow store; you can leave this page "
    "and come back."
)
require_step(
    session.backend().capabilities.sweeps,
    "launching a hyperparameter sweep on the compute cluster and watching its trials live",
)
view.render()
