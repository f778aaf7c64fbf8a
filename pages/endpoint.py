"""Step 6: register the best model, deploy it to an online endpoint and test it live."""

import streamlit as st

from dashboard import session
from dashboard.views import endpoint as view
from dashboard.widgets import require_step

st.title("6 · Endpoint", anchor=False)
st.write(
    "Register a sweep's model in the workspace's registry, deploy a version to an online endpoint with "
    "key auth, and test it live: the held-out test split in one request, latency, and single predictions."
)
require_step(
    session.backend().capabilities.endpoints,
    "registering the best model, deploying it to an online endpoint and testing it",
)
view.render()
