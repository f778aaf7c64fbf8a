"""Step 2: get a CSV in, validate it, choose target and typing, split it and store the train split."""

import streamlit as st

from dashboard.views import data as view
from dashboard.views import datasets

st.title("2 · Data", anchor=False)
st.write(
    "Upload a CSV or pick a sample, check what was found, choose the target, split off a held-out "
    "test set, and upload **only the train split** to blob storage as a versioned data asset: "
    "**Split and upload** does both in one click."
)
datasets.stored_section()
view.source_section()
data = view.working()
if data is not None:
    view.preview_section(data)
    schema = view.schema_section(data)
    if schema is not None:
        view.split_store_section(data, schema)
