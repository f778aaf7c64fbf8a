"""Step 4: configure, launch and watch a hyperparameter sweep (not built yet)."""

import streamlit as st

from dashboard.widgets import upcoming_step

st.title("4 · Sweep", anchor=False)
upcoming_step(
    what="Pick a model family and its search space, the sampling (random, grid, bayesian), an "
    "early-termination policy and the limits; launch the sweep on the compute cluster and watch it live.",
    needs="A compute cluster from step 1 and a train split from step 2.",
    needs_stem="data",
    next_stem="trials",
)
