"""The home page's overview of the seven steps and where each one stands."""

from __future__ import annotations

import streamlit as st

from core.resources import RESOURCE_STEP_KINDS
from dashboard import nav, session

WHAT = {
    "resources": "Resource group, storage, container, workspace, environment, cluster.",
    "data": "Upload, validate and split a CSV; store the train split.",
    "eda": "Distributions, class balance, correlations, feature typing.",
    "sweep": "Configure and launch a hyperparameter sweep; watch it live.",
    "trials": "Compare the sweep's trials with interactive charts.",
    "endpoint": "Register the best model, deploy it, test it live.",
    "teardown": "Delete everything behind a typed confirmation.",
}
NOT_BUILT = "not built yet (a later release)"


def _resources_status() -> tuple[str, str]:
    kinds = {r.kind for r in session.backend().inventory()}
    missing = [k.label for k in RESOURCE_STEP_KINDS if k not in kinds]
    if not missing:
        return ":green[done]", "every resource exists"
    return ":blue[ready]", "still to create: " + ", ".join(missing)


def steps_overview() -> None:
    resources = _resources_status()
    anything = bool(session.backend().inventory())
    for stem, _, _ in nav.STEPS:
        with st.container(border=True):
            left, right = st.columns([3, 2], vertical_alignment="center")
            with left:
                nav.link(stem)
            left.caption(WHAT[stem])
            if stem == "resources":
                status, why = resources
            elif stem == "teardown":
                status, why = (
                    (":blue[ready]", "resources exist") if anything else (":gray[idle]", "nothing to delete")
                )
            else:
                status, why = ":gray[blocked]", NOT_BUILT
            right.markdown(f"**{status}** · {why}")
