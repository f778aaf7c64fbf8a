"""The Best trial tab: one trial's settings and metrics, carrying it to the endpoint step, and
its out-of-fold predictions for the evaluation charts, read from an artifact (the trial's own
``oof_predictions.csv``: every Azure trial; or the one its sweep stored at the refit: the local
engine's best trial), else re-run once and stored with the sweep (see
:mod:`core.trials.artifacts`)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import UserFacingError
from core.mlflow_layout import OOF_ARTIFACT
from core.trials import ChosenTrial, Scores, Target, TrialsFrame
from core.trials.artifacts import (
    ReadArtifact,
    keep_with_sweep,
    logged_predictions,
    read_run_artifact,
    trial_out_of_fold,
)
from core.trials.oof import OutOfFold, TrainingData, out_of_fold_csv
from dashboard import figures as figs
from dashboard import nav, session
from dashboard.views.trials.common import CHOSEN, STATUS_BADGES, W, chart, fmt, log
from dashboard.views.trials.table import pick_trial


def _training_data(target: Target, frame: TrialsFrame) -> TrainingData | None:
    """What the sweep trained on, from the backend (None for a store this app did not fill)."""
    workspace = target.workspace or session.current_workspace()
    sweep_id = target.job.id if target.job is not None else frame.meta.sweep_id
    if workspace is None or not sweep_id:
        return None
    try:
        return session.backend().sweep_training_data(workspace, sweep_id)
    except UserFacingError:
        return None


@st.cache_data(
    show_spinner="Re-running the trial's cross-validation for its out-of-fold predictions (once)…",
    max_entries=16,
)
def _rerun_csv(run_id: str, _data: TrainingData, params_items: tuple[tuple[str, Any], ...]) -> bytes:
    """Cached by run id and parameters: a run's training data never changes, so it is not hashed
    (it holds the whole train split). The cache covers stores the page may not write to."""
    return out_of_fold_csv(_data, dict(params_items))


def _artifact_reader(target: Target) -> ReadArtifact:
    """Reads a run's artifact from the backend when the store is the workspace's (on Azure only
    the backend reads run artifacts), else through MLflow."""
    workspace = target.workspace or session.current_workspace()
    backend = session.backend()
    own = False
    if workspace is not None:
        try:
            own = target.kind == "app" or target.uri == backend.tracking_uri(workspace)
        except UserFacingError:
            own = False

    def read(run_id: str, path: str) -> bytes | None:
        if own and workspace is not None:
            try:
                return backend.run_artifact(workspace, run_id, path)
            except UserFacingError as exc:
                log.info("no artifact %s of %s: %s", path, run_id, exc)
                return None
        return read_run_artifact(target.uri, run_id, path)

    return read


def carry_trial(target: Target, frame: TrialsFrame, scores: Scores, row: int) -> ChosenTrial:
    """What the endpoint step needs to deploy this trial (the sweep's refit model is the best's),
    and which sweeps had a model at this moment (see :class:`ChosenTrial`)."""
    is_best = row == scores.best
    job = target.job
    workspace = target.workspace or session.current_workspace()
    with_model = (
        tuple(j.id for j in session.backend().list_sweeps(workspace) if j.model_uri) if workspace else None
    )
    return ChosenTrial(
        run_id=str(frame.run_ids[row]),
        trial_number=int(frame.numbers[row]),
        params=dict(frame.exact_params[row]),
        metric=scores.metric,
        goal=scores.goal,
        value=None if not np.isfinite(scores.values[row]) else float(scores.values[row]),
        tracking_uri=target.uri,
        experiment_id=target.experiment_id,
        parent_run_id=frame.meta.parent_run_id,
        sweep_id=job.id if job else frame.meta.sweep_id,
        workspace=job.workspace if job else None,
        is_best=is_best,
        model_uri=job.model_uri if (job is not None and is_best) else None,
        carried_at=time.time(),
        sweeps_with_model=with_model,
    )


def _rerun_predictions(target: Target, frame: TrialsFrame, row: int, status: str) -> bytes | None:
    """Re-run the trial's cross-validation (no stored predictions) and store them with the sweep
    so it happens once; None, with the reason shown, when it cannot be."""
    data = _training_data(target, frame)
    if data is None:
        st.info(
            "The confusion matrix, ROC and precision-recall curves (or predicted-vs-actual for "
            "regression) come from the trial's out-of-fold predictions. This trial logged none, and "
            "this experiment was not run by this app, so its training data is unknown: the panel needs "
            "the training data to re-run the trial.",
            icon=":material/info:",
        )
        return None
    run_id = str(frame.run_ids[row])
    try:
        csv = _rerun_csv(run_id, data, tuple(sorted(frame.exact_params[row].items())))
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    except Exception as exc:  # a trial that failed in the sweep fails again here
        log.exception("out-of-fold predictions failed")
        st.error(
            f"The trial could not be re-run: {type(exc).__name__}: {str(exc)[:300]}", icon=":material/error:"
        )
        return None
    parent = frame.meta.parent_run_id
    kept = keep_with_sweep(target.uri, parent, run_id, csv) if parent and target.kind == "app" else None
    st.caption(
        f"No stored predictions for this trial, so it was re-run once with the same trainer, train split, "
        f"{data.setup.folds} folds and seed {data.setup.seed} as the sweep"
        + (" (all folds, although the policy stopped it early)" if status == "early_terminated" else "")
        + (
            f". They are now stored with the sweep ({kept}), so the tab opens at once next time."
            if kept
            else ". They are kept for this session (this app does not write into a store it did not fill)."
        )
    )
    return csv


def _out_of_fold(target: Target, frame: TrialsFrame, row: int, status: str) -> OutOfFold | None:
    """The trial's out-of-fold view from stored predictions, else re-run (once); None when it
    cannot be had (the reason is shown)."""
    run_id = str(frame.run_ids[row])
    logged = logged_predictions(_artifact_reader(target), run_id, frame.meta.parent_run_id)
    if logged is not None:
        csv, path = logged
        where = "the trial logged" if path == OOF_ARTIFACT else "stored with the sweep"
        st.caption(
            f"From the predictions {where} ({path}): each row predicted by the model of the fold "
            "that held it out; nothing was re-run."
        )
    else:
        rerun = _rerun_predictions(target, frame, row, status)
        if rerun is None:
            return None
        csv = rerun
    try:
        return trial_out_of_fold(csv, frame, row)
    except UserFacingError as exc:
        st.error(str(exc), icon=":material/error:")
        return None


def best_trial_tab(target: Target, frame: TrialsFrame, scores: Scores, selected: np.ndarray) -> None:
    if scores.best is None and not selected.any():
        st.info("No trial has a score yet.")
        return
    default = int(np.flatnonzero(selected)[0]) if selected.any() else int(scores.best or 0)
    row = pick_trial(
        frame,
        scores,
        default,
        W + "panel:" + target.key,
        help="The best trial by default; the first selected row when you select rows in the table.",
    )
    status = frame.statuses[row]
    st.markdown(
        f"### Trial #{frame.numbers[row]} {'★ best' if row == scores.best else ''}\n"
        f"{STATUS_BADGES.get(status, status)} · {scores.metric} **{fmt(scores.values[row])}**"
        + ("" if not np.isfinite(scores.std[row]) else f" ± {scores.std[row]:.4f}")
        + f" · run `{frame.run_ids[row]}`"
    )
    left, right = st.columns([2, 3])
    params = frame.exact_params[row]
    left.dataframe(
        pd.DataFrame({"hyperparameter": list(params), "value": [str(v) for v in params.values()]}),
        hide_index=True,
        width="stretch",
    )
    metrics_row = frame.metrics.iloc[row]
    rows = []
    for name in frame.metric_names():
        mean = metrics_row.get(f"{name}_mean", metrics_row.get(name, np.nan))
        std = metrics_row.get(f"{name}_std", np.nan)
        rows.append({"metric": name, "value": mean, "± std across folds": std})
    right.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "value": st.column_config.NumberColumn(format="%.4f"),
            "± std across folds": st.column_config.NumberColumn(format="%.4f"),
        },
    )
    if st.button(
        f"Use trial #{frame.numbers[row]} on 6 · Endpoint",
        icon=":material/rocket_launch:",
        key=W + "carry:" + target.key,
    ):
        st.session_state[CHOSEN] = carry_trial(target, frame, scores, row)
    chosen = st.session_state.get(CHOSEN)
    if isinstance(chosen, ChosenTrial) and chosen.run_id == str(frame.run_ids[row]):
        note = (
            ""
            if chosen.model_uri
            else " It has no refit model yet; the endpoint step refits it from these hyperparameters."
        )
        st.success(
            f"Trial #{chosen.trial_number} goes to the endpoint step.{note}",
            icon=":material/check_circle:",
        )
        nav.link("endpoint", label="Continue on 6 · Endpoint")

    st.markdown("#### Out-of-fold predictions")
    oof = _out_of_fold(target, frame, row, status)
    if oof is None:
        return
    if oof.task == "classification":
        a, b, c = st.columns(3)
        with a:
            chart(figs.oof_confusion_matrix(oof), "cm:" + target.key, "confusion-matrix")
        if oof.roc:
            with b:
                chart(figs.oof_roc_curves(oof), "roc:" + target.key, "roc")
            with c:
                chart(figs.oof_pr_curves(oof), "pr:" + target.key, "precision-recall")
        else:
            b.info("This model gives no probabilities, so there are no ROC or PR curves.")
    else:
        a, b = st.columns(2)
        with a:
            chart(figs.oof_predicted_vs_actual(oof), "pva:" + target.key, "predicted-vs-actual")
        with b:
            chart(figs.oof_residuals(oof), "residuals:" + target.key, "residuals")
