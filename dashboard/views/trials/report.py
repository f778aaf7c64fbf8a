"""The "Review as one HTML file" download: the whole review of the sweep as the page shows it
(trials passing the filters, review notes, every chart) in one self-contained file with
plotly.js embedded once (:mod:`core.trials.report`). The file is built only when clicked, from
the page's settings read while the page is drawn (the builder runs outside the script, so it
never touches ``st.*``)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import streamlit as st

from core.errors import UserFacingError
from core.mlflow_layout import OOF_ARTIFACT
from core.trials import Scores, Target, TrialFilter, TrialsFrame, top_k_mask, top_k_range
from core.trials.artifacts import read_run_artifact, trial_out_of_fold
from core.trials.importance import Importance, Method, importance_job
from core.trials.report import ReportChart, ReviewReport, plotly_js_bytes, review_html
from core.trials.status import STATUS_LABELS
from dashboard import figures as figs
from dashboard.figures.heatmap import contour_blocker
from dashboard.figures.marks import metric_title
from dashboard.views.trials.charts import DEFAULT_METHOD
from dashboard.views.trials.common import W, log
from dashboard.views.trials.load import histories
from dashboard.views.trials.table import table_frame

REPORT_LABEL = "Review as one HTML file"


@dataclass(frozen=True)
class ViewSettings:
    """What the Hyperparameters tab shows now (its widgets may not be drawn on this run)."""

    method: Method
    x: str | None
    y: str | None
    style: str
    aggregate: str


def review_report_button(
    target: Target,
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    without_top: np.ndarray,
    selected: np.ndarray,
    flt: TrialFilter,
) -> None:
    state = st.session_state
    axes = state.get(W + "cx:" + target.key + ":auto") or (None, None)
    settings = ViewSettings(
        method=state.get(W + "imp_method") or DEFAULT_METHOD,
        x=state.get(W + "cx:" + target.key) or axes[0],
        y=state.get(W + "cy:" + target.key) or axes[1],
        style=state.get(W + "cstyle") or "contour",
        aggregate=state.get(W + "cagg") or "mean",
    )
    mb = plotly_js_bytes() / 1e6
    st.download_button(
        REPORT_LABEL,
        data=lambda: review_html(
            build_review(target, frame, scores, shown, without_top, selected, flt, settings)
        ).encode(),
        file_name=f"{_file_stem(target.label)}-review.html",
        mime="text/html",
        on_click="ignore",
        icon=":material/summarize:",
        key=W + "report:" + target.key,
        help="One self-contained file to share the review: what was reviewed, the trials passing the "
        "filters, the review notes and every chart (interactive, offline). Plotly's script "
        f"({mb:.1f} MB) is embedded once, where each **Chart as HTML** carries its own copy.",
    )


def _file_stem(label: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in label.split(" · ")[0])
    return stem.strip("-")[:60] or "sweep"


def _safe_uri(uri: str) -> str:
    """The tracking URI without any user name or password in it."""
    parts = urlsplit(uri)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return uri


def _filters_text(flt: TrialFilter) -> str:
    parts = []
    if flt.statuses is not None:
        parts.append("status " + ", ".join(sorted(STATUS_LABELS.get(s, s) for s in flt.statuses)))
    if flt.value_range is not None:
        parts.append(f"value {flt.value_range[0]:.4g}–{flt.value_range[1]:.4g}")
    parts += [f"{name} {low:.4g}–{high:.4g}" for name, (low, high) in flt.numeric.items()]
    parts += [f"{name} in {', '.join(sorted(kept))}" for name, kept in flt.categories.items()]
    if flt.top_percent < 100:
        parts.append(f"top {flt.top_percent:g} %")
    return "; ".join(parts) or "none (every trial)"


def build_review(
    target: Target,
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    without_top: np.ndarray,
    selected: np.ndarray,
    flt: TrialFilter,
    settings: ViewSettings,
) -> ReviewReport:
    """The review as the page shows it: no ``st.*`` here (it runs when the button is clicked)."""
    rows = np.flatnonzero(shown)
    best = scores.best
    facts = [
        ("Sweep", target.label),
        ("Tracking store", _safe_uri(target.uri)),
        ("Experiment id", target.experiment_id),
        ("Ranked by", f"{metric_title(scores)}, {scores.goal}"),
        ("Trials in this view", f"{rows.size:,} of {len(frame):,}"),
        ("Filters", _filters_text(flt)),
    ]
    if best is not None:
        facts.append(("Best trial", f"#{frame.numbers[best]} · {scores.metric} {scores.values[best]:.4f}"))
    if selected.any():
        facts.append(("Selected", ", ".join(f"#{n}" for n in frame.numbers[selected])))
    notes = [
        (
            f"Trial #{frame.numbers[i]} · {STATUS_LABELS.get(frame.statuses[i], frame.statuses[i])}"
            + (f" · {scores.metric} {scores.values[i]:.4f}" if np.isfinite(scores.values[i]) else ""),
            str(frame.info["note"].iloc[i]),
        )
        for i in rows
        if frame.info["note"].iloc[i]
    ]
    charts, left_out = review_charts(target, frame, scores, shown, without_top, selected, flt, settings)
    return ReviewReport(
        title=f"Sweep review · {target.label.split(' · ')[0]}",
        facts=facts,
        table=table_frame(frame, scores, rows),
        notes=notes,
        charts=charts,
        left_out=left_out,
    )


def review_charts(
    target: Target,
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    without_top: np.ndarray,
    selected: np.ndarray,
    flt: TrialFilter,
    settings: ViewSettings,
) -> tuple[list[ReportChart], list[str]]:
    """Every chart of the page's tabs for this view, and a line for each one left out (why)."""
    charts = [ReportChart("Optimisation history", figs.optimisation_history(frame, scores, shown, selected))]
    left_out: list[str] = []
    names = frame.varying()
    if names:
        top_range = None
        if flt.top_percent < 100:
            top_range = top_k_range(
                scores.values, top_k_mask(scores.values, scores.goal, flt.top_percent, among=without_top)
            )
        charts.append(
            ReportChart(
                "Parallel coordinates",
                figs.parallel_coordinates(frame, scores, without_top, selected, top_range),
            )
        )
        ranked = _importance(target, frame, scores, shown, settings.method, charts, left_out)
        names = [n for n in ranked if n in names] + [n for n in names if n not in ranked]
        charts.append(
            ReportChart(
                "Metric against each hyperparameter", figs.slice_plots(frame, scores, shown, selected, names)
            )
        )
        if len(names) > 1:
            x = settings.x if settings.x in names else names[0]
            y = settings.y if settings.y in names and settings.y != x else next(n for n in names if n != x)
            blocker = contour_blocker(frame, scores, x, y, shown) if settings.style == "contour" else None
            charts.append(
                ReportChart(
                    f"Two hyperparameters at once: {x} × {y}",
                    figs.contour(frame, scores, x, y, shown, selected, settings.style, settings.aggregate),
                    f"{blocker} Drawn as a heatmap instead." if blocker else "",
                )
            )
    else:
        left_out.append("Hyperparameter charts: no hyperparameter varies across these trials.")
    _intermediate(target, frame, scores, shown, selected, charts, left_out)
    charts.append(ReportChart("Timeline", figs.timeline(frame, shown, selected)))
    _best_trial(target, frame, scores, charts, left_out)
    return charts, left_out


def _importance(
    target: Target,
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    method: Method,
    charts: list[ReportChart],
    left_out: list[str],
) -> list[str]:
    job = importance_job(target.key, frame, scores, shown, method)  # the page's own job, usually done
    try:
        importance: Importance = job.result(timeout=120)
    except UserFacingError as exc:
        left_out.append(f"Hyperparameter importance: {exc}")
        return []
    except Exception as exc:
        log.warning("importance left out of the report: %s", exc)
        left_out.append(f"Hyperparameter importance: it could not be computed ({type(exc).__name__}).")
        return []
    charts.append(ReportChart("Hyperparameter importance", figs.importance_bar(importance, scores.metric)))
    return list(importance.values)


def _intermediate(
    target: Target,
    frame: TrialsFrame,
    scores: Scores,
    shown: np.ndarray,
    selected: np.ndarray,
    charts: list[ReportChart],
    left_out: list[str],
) -> None:
    metric = scores.metric
    if metric not in frame.metrics.columns:
        left_out.append(f"Intermediate values: no run logged {metric} per step.")
        return
    wanted = selected.copy()
    if scores.best is not None:
        wanted[scores.best] = True
    try:
        history = histories(target, frame, metric, wanted)
    except UserFacingError as exc:
        left_out.append(f"Intermediate values: {exc}")
        return
    if history.steps.size == 0:
        left_out.append("Intermediate values: none were logged for these trials.")
        return
    charts.append(
        ReportChart(
            "Intermediate values",
            figs.intermediate_values(frame, history, scores, shown, selected, what=metric),
        )
    )


def _best_trial(
    target: Target, frame: TrialsFrame, scores: Scores, charts: list[ReportChart], left_out: list[str]
) -> None:
    """The best trial's evaluation charts, from the out-of-fold predictions it logged (nothing is
    re-run for a report)."""
    if scores.best is None:
        return
    number = frame.numbers[scores.best]
    logged = read_run_artifact(target.uri, str(frame.run_ids[scores.best]), OOF_ARTIFACT)
    if logged is None:
        left_out.append(
            f"Best trial #{number}'s evaluation charts: it logged no out-of-fold predictions here "
            "(the Best trial tab can compute them)."
        )
        return
    try:
        oof = trial_out_of_fold(logged, frame, scores.best)
    except UserFacingError as exc:
        left_out.append(f"Best trial #{number}'s evaluation charts: {exc}")
        return
    if oof.task == "classification":
        charts.append(ReportChart(f"Best trial #{number} · confusion matrix", figs.oof_confusion_matrix(oof)))
        if oof.roc:
            charts.append(ReportChart(f"Best trial #{number} · ROC curves", figs.oof_roc_curves(oof)))
            charts.append(ReportChart(f"Best trial #{number} · precision-recall", figs.oof_pr_curves(oof)))
    else:
        charts.append(
            ReportChart(f"Best trial #{number} · predicted vs actual", figs.oof_predicted_vs_actual(oof))
        )
        charts.append(ReportChart(f"Best trial #{number} · residuals", figs.oof_residuals(oof)))
