"""Entry point: ``streamlit run dashboard/app.py``. Routes the pages and draws the sidebar."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only dashboard/ on sys.path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from core.errors import UserFacingError  # noqa: E402
from core.settings import load_dotenv_file  # noqa: E402
from dashboard import nav, session  # noqa: E402
from dashboard.sidebar import render_sidebar  # noqa: E402

load_dotenv_file()  # the project's .env, if any: cloud, subscription, backend (never overrides the shell)
st.set_page_config(page_title="Azure ML walkthrough", page_icon=":material/cloud:", layout="wide")

session.new_run()
page = st.navigation({"": [nav.home()], "Walkthrough": [nav.page(stem) for stem, _, _ in nav.STEPS]})
render_sidebar()
try:
    page.run()
except UserFacingError as exc:  # e.g. Azure could not be reached: what is wrong and how to fix it
    st.error(str(exc), icon=":material/cloud_off:")
