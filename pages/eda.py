"""Step 3: explore the train split with Plotly charts and preview the preprocessing."""

import streamlit as st

from dashboard.views import eda as view

st.title("3 · Explore (EDA)", anchor=False)
view.render()
