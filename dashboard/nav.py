"""The pages of the walkthrough, in order. Links use these so a rename happens in one place."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# (file stem, title, icon). The url path is the stem.
STEPS = [
    ("resources", "1 · Resources", ":material/dns:"),
    ("data", "2 · Data", ":material/table:"),
    ("eda", "3 · Explore (EDA)", ":material/insights:"),
    ("sweep", "4 · Sweep", ":material/tune:"),
    ("trials", "5 · Trials", ":material/leaderboard:"),
    ("endpoint", "6 · Endpoint", ":material/api:"),
    ("teardown", "7 · Teardown", ":material/delete:"),
]
_BY_STEM = {stem: (title, icon) for stem, title, icon in STEPS}


def home() -> StreamlitPage:
    return st.Page(PAGES_DIR / "home.py", title="Home", icon=":material/home:", default=True)


def page(stem: str) -> StreamlitPage:
    title, icon = _BY_STEM[stem]
    return st.Page(PAGES_DIR / f"{stem}.py", title=title, icon=icon, url_path=stem)


def title(stem: str) -> str:
    return _BY_STEM[stem][0]


def link(stem: str, label: str | None = None, icon: str | None = None) -> None:
    st.page_link(page(stem), label=label or title(stem), icon=icon or _BY_STEM[stem][1])
