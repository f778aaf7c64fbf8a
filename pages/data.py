"""Step 2: upload a CSV, validate it, split it and store the train split (not built yet)."""

import streamlit as st

from dashboard.widgets import upcoming_step

st.title("2 · Data", anchor=False)
upcoming_step(
    what="Upload a CSV (or pick a built-in sample), validate it with clear messages, choose the target, "
    "split it into train and a held-out test set, upload the train split to the blob container and "
    "register it as the workspace's dataset.",
    needs="A workspace and a blob container from step 1.",
    needs_stem="resources",
    next_stem="eda",
)
