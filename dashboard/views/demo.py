"""The home page's one-click demo: every step with st.status, results kept on screen, stoppable."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from core import demo
from core.errors import UserFacingError
from core.progress import StepProgress, dataset_item
from core.settings import load_settings
from dashboard import nav, session
from dashboard.widgets import pin_selection

RESULTS = "demo:results"  # list of (step key, title, StepResult | None, error text | None)
RUNNING = "demo:running"  # the DemoContext of a run in progress; still set after a Stop click


def _show(title: str, result: demo.StepResult | None, error: str | None, expanded: bool = False) -> None:
    state: Literal["error", "complete"] = "error" if error else "complete"
    with st.status(title, state=state, expanded=expanded):
        if error:
            st.error(error, icon=":material/error:")
            return
        assert result is not None
        st.markdown(f"**{result.headline}**")
        for line in result.details:
            st.caption(line)
        if result.table:
            st.table(_table(result.table))


def _table(rows: list[dict[str, object]]) -> object:
    import pandas as pd

    frame = pd.DataFrame(rows)
    return frame.round(3) if not frame.empty else frame


def render() -> None:
    st.subheader("Run the whole walkthrough", anchor=False)
    capabilities = session.backend().capabilities
    trials = demo.demo_trials()
    st.caption(
        "For class: one click runs every step on the chosen backend with the tutorial's defaults "
        f"(resources, the heart sample, a {trials}-trial sweep …). Each step's output stays on "
        "screen. Running it again reuses what exists."
    )
    if not (capabilities.sweeps and capabilities.endpoints):
        st.info(
            "This backend cannot run every step yet (sweeps or endpoints are missing), so the one-click "
            "demo is off. Choose local in the sidebar to run it, or walk the steps one page at a time.",
            icon=":material/info:",
        )
        return
    if capabilities.billable and not _billing_understood(trials):
        return
    interrupted = st.session_state.pop(RUNNING, None)
    if isinstance(interrupted, demo.DemoContext):
        demo.cancel_running_sweep(interrupted)
        st.warning(
            "The demo was stopped. What it finished is kept; run it again to carry on.",
            icon=":material/stop_circle:",
        )
    left, right, _ = st.columns([2, 1, 3])
    start = left.button(
        "Run the whole walkthrough", type="primary", icon=":material/play_arrow:", key="demo_start"
    )
    right.button(
        "Stop",
        icon=":material/stop:",
        key="demo_stop",
        disabled=not start,  # only this run of the page runs the demo: nothing else to stop
        help="Stops after the current step's next update; a running sweep is canceled.",
    )
    if not start:
        done = st.session_state.get(RESULTS, [])
        for i, (_key, title, result, error) in enumerate(done):
            _show(title, result, error, expanded=i == len(done) - 1)
        if len(done) == len(demo.STEPS) and not any(error for *_, error in done):
            st.success(
                "The walkthrough ran end to end. Each step's page shows the details.",
                icon=":material/celebration:",
            )
            nav.link("trials", label="Review the sweep's trials on 5 · Trials")
        return
    ctx = demo.DemoContext(session.backend())
    st.session_state[RESULTS] = []
    st.session_state[RUNNING] = ctx
    for step in demo.STEPS:
        with st.status(step.title.format(trials=ctx.trials), expanded=True) as box:
            bar = st.progress(0.0, text="Starting…")

            def progress(share: float, text: str, bar: st.delta_generator.DeltaGenerator = bar) -> None:
                bar.progress(min(1.0, max(0.0, share)), text=text)

            try:
                result = step.run(ctx, progress)
            except UserFacingError as exc:
                error = str(exc)
            except Exception as exc:  # shown calmly; the terminal has the details
                error = f"This step failed: {type(exc).__name__}: {exc}"
            else:
                error = None
            bar.empty()
            if error:
                st.error(error, icon=":material/error:")
                box.update(state="error", expanded=True)
            else:
                st.markdown(f"**{result.headline}**")
                for line in result.details:
                    st.caption(line)
                if result.table:
                    st.table(_table(result.table))
                box.update(state="complete", expanded=step is demo.STEPS[-1])
        title = step.title.format(trials=ctx.trials)
        st.session_state[RESULTS].append((step.key, title, None if error else result, error))
        if error:
            break
        if step.key == "eda" and ctx.dataset_version is not None:
            _mark_explored(ctx)
    st.session_state.pop(RUNNING, None)
    _follow(ctx)
    st.rerun()  # redraw the step cards above and the sidebar; the results are kept under RESULTS


def _billing_understood(trials: int) -> bool:
    """On a subscription: say what the demo creates, what it costs and how long it takes, and
    wait for an explicit "I understand" before the button appears."""
    st.warning(
        "On this backend the demo works on your Azure subscription: it creates **billable** resources "
        "(a storage account, a workspace, a compute cluster of up to 2 nodes, and an online endpoint on "
        "one Standard_DS3_v2 instance, billed per instance-hour until you delete it on 7 · Teardown) "
        f"and takes **tens of minutes**: the cluster's {trials}-trial sweep, then 5–15 minutes for the "
        f"deployment. Set `{demo.DEMO_TRIALS_ENV}` to run a shorter sweep.",
        icon=":material/payments:",
    )
    understood = st.checkbox(
        "I understand: create these billable resources on my subscription", key="demo_billing_ack"
    )
    if understood:
        st.session_state[session.AZURE_BILLABLE_ACK] = True  # the pages' own creates need no second OK
    return understood


def _mark_explored(ctx: demo.DemoContext) -> None:
    """The demo's step 3 explored its dataset version: Home's EDA card says done, as the
    demo's own log does (the EDA page has the charts)."""
    assert ctx.dataset_version is not None
    progress = StepProgress(load_settings().data_dir, session.backend().info.name)
    progress.mark("eda", ctx.workspace.key, dataset_item(demo.DEMO_DATASET, ctx.dataset_version))


def _follow(ctx: demo.DemoContext) -> None:
    """Make the pages show what the demo made: its workspace, dataset and sweep."""
    pin_selection(session.CURRENT_WORKSPACE, ctx.workspace)
    if ctx.dataset_version is not None:
        pin_selection(session.DATA_CURRENT, (demo.DEMO_DATASET, ctx.dataset_version))
    if ctx.sweep_id is not None:
        pin_selection(session.SWEEP_PICK, ctx.sweep_id)


def clear_results() -> None:
    """Forget the last run's results (its workspace was deleted)."""
    st.session_state.pop(RESULTS, None)
