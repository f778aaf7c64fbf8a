"""Step 3: explore the train split with Plotly charts and preview the preprocessing."""

import streamlit as st

from dashboard.views import eda as view
from dashboard.views.home import mark_eda_explored

st.title("3 · Explore (EDA)", anchor=False)
view.render()
mark_eda_explored()  # the home page's "done" for this step
