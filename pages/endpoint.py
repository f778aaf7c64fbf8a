"""Step 6: register the best model, deploy it to an online endpoint and test it (not built yet)."""

import streamlit as st

from dashboard.widgets import upcoming_step

st.title("6 · Endpoint", anchor=False)
upcoming_step(
    what="Register the chosen trial's model, deploy it behind a key-protected HTTP endpoint, and "
    "score the held-out test rows live with a classification report and latency figures.",
    needs="A chosen trial from step 5 and the held-out test split from step 2.",
    needs_stem="trials",
    next_stem="teardown",
)
