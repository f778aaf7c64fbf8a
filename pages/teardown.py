"""Step 7: delete what the walkthrough created, behind a typed confirmation."""

import streamlit as st

from dashboard.views.teardown import teardown_section

st.title("7 · Teardown", anchor=False)
st.write(
    "On Azure, resources cost money while they exist. Delete the workspace alone, or the whole "
    "resource group with everything inside it. You type the name to confirm."
)
teardown_section()
