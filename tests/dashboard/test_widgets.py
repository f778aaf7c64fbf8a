"""The select box that follows the newest object: the rule every page's pickers share."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from dashboard.widgets import follow_newest_select, pin_selection

    options = st.session_state.get("options", ["a"])
    if st.session_state.pop("pin_request", None):
        pin_selection("pick:demo", st.session_state["pin_value"])
    chosen = follow_newest_select("Object", options, key="demo_box", pin_key="pick:demo", newest=options[0])
    st.markdown(f"chosen={chosen}")


def _chosen(at: AppTest) -> str:
    return str(at.markdown[-1].value).removeprefix("chosen=")


def test_follows_the_newest_until_the_user_picks() -> None:
    at = AppTest.from_function(_script)
    at.session_state["options"] = ["a"]
    at.run()
    assert _chosen(at) == "a"
    at.session_state["options"] = ["b", "a"]  # a newer object appears: the box follows it
    at.run()
    assert _chosen(at) == "b"
    at.selectbox(key="demo_box").set_value("a").run()  # the user picks the older one
    assert _chosen(at) == "a"
    at.session_state["options"] = ["c", "b", "a"]  # a pick is kept when newer objects appear
    at.run()
    assert _chosen(at) == "a"
    assert not at.exception


def test_a_vanished_pick_falls_back_to_the_newest() -> None:
    at = AppTest.from_function(_script)
    at.session_state["options"] = ["b", "a"]
    at.run()
    at.selectbox(key="demo_box").set_value("a").run()
    at.session_state["options"] = ["c", "b"]  # the picked object was deleted
    at.run()
    assert _chosen(at) == "c"
    at.session_state["options"] = ["d", "c", "b"]  # and the box follows the newest again
    at.run()
    assert _chosen(at) == "d"


def test_pinning_selects_a_newly_created_object() -> None:
    at = AppTest.from_function(_script)
    at.session_state["options"] = ["b", "a"]
    at.run()
    at.selectbox(key="demo_box").set_value("a").run()
    at.session_state["options"] = ["c", "b", "a"]
    at.session_state["pin_request"] = True
    at.session_state["pin_value"] = "c"  # e.g. the sweep just launched
    at.run()
    assert _chosen(at) == "c"
    assert not at.exception
