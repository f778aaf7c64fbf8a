"""Step 1: create or get every Azure object the walkthrough needs."""

import streamlit as st

from dashboard.views import create_all, inventory
from dashboard.views import resources as view

st.title("1 · Resources", anchor=False)
st.write(
    "Create the Azure objects in order. Every button is get-or-create: pressing it twice never makes "
    "a duplicate. Names are checked against Azure's own rules before anything is created."
)
view.billing_section()
create_all.create_all_section()
view.resource_group_section()
view.storage_account_section()
view.blob_container_section()
view.workspace_section()
view.environment_section()
view.compute_section()
inventory.inventory_section()
