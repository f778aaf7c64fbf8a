"""The filters, the trials table (as shown and exported), picking one trial, review notes."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import UserFacingError
from core.trials import STATUSES, Scores, Target, TrialFilter, TrialsFrame, filter_mask, write_note
from core.trials.status import STATUS_LABELS
from dashboard.badges import BADGE_COLOURS
from dashboard.views.trials.common import NOTES, STATUS_BADGES, W


def _value_grid(values: np.ndarray, points: int = 40) -> list[float]:
    finite = np.unique(values[np.isfinite(values)])
    if finite.size <= points:
        return [float(v) for v in finite]
    grid = np.unique(np.quantile(finite, np.linspace(0, 1, points)))
    return [float(v) for v in grid]


def filters(target: Target, frame: TrialsFrame, scores: Scores) -> tuple[TrialFilter, np.ndarray, np.ndarray]:
    """The status / top k % / value-range / hyperparameter filters; returns the filter, the rows
    passing everything but top k %, and the rows passing everything."""
    key = target.key
    present = [s for s in STATUSES if s in set(frame.statuses.tolist())]
    picked = st.pills(
        "Status (left out of every chart when off)",
        present,
        selection_mode="multi",
        default=present,
        format_func=STATUS_BADGES.__getitem__,
        key=W + "status:" + key,
    )
    b, c = st.columns([2, 3])
    top = b.slider(
        "Top k % by the ranking",
        1,
        100,
        100,
        key=W + "top:" + key,
        help="Keep only the best k % of the trials that pass the other filters. The parallel coordinates "
        "mark the same range on their metric axis.",
    )
    finite = scores.values[np.isfinite(scores.values)]
    value_range = None
    if finite.size >= 2 and finite.min() < finite.max():
        low, high = float(finite.min()), float(finite.max())
        chosen = c.slider(
            f"{scores.metric} range",
            low,
            high,
            (low, high),
            key=W + "range:" + key + scores.metric + scores.ranking.describe(),
            format="%.4f",
        )
        if tuple(chosen) != (low, high):
            value_range = (float(chosen[0]), float(chosen[1]))
    numeric: dict[str, tuple[float, float]] = {}
    categories: dict[str, frozenset[str]] = {}
    with st.expander("Filter by hyperparameter values", icon=":material/filter_alt:"):
        names = frame.varying()
        if not names:
            st.caption("No hyperparameter varies across these trials.")
        cols = st.columns(3) if names else []
        for i, name in enumerate(names):
            info = frame.param_info[name]
            where = cols[i % 3]
            if info.kind == "categorical":
                kept = where.multiselect(
                    name, list(info.categories), default=list(info.categories), key=W + "pf:" + key + name
                )
                if len(kept) < len(info.categories):
                    categories[name] = frozenset(kept)
            else:
                grid = _value_grid(frame.params[name].to_numpy(dtype=np.float64))
                if len(grid) < 2:
                    continue
                lo, hi = where.select_slider(
                    name + (" (log)" if info.log else ""),
                    options=grid,
                    value=(grid[0], grid[-1]),
                    format_func=lambda v: f"{v:.4g}",
                    key=W + "pf:" + key + name,
                )
                if (lo, hi) != (grid[0], grid[-1]):
                    numeric[name] = (float(lo), float(hi))
    flt = TrialFilter(
        statuses=frozenset(picked or []),
        value_range=value_range,
        numeric=numeric,
        categories=categories,
        top_percent=float(top),
    )
    without_top = filter_mask(frame, scores, flt, apply_top=False)
    return flt, without_top, filter_mask(frame, scores, flt)


def table_frame(frame: TrialsFrame, scores: Scores, rows: np.ndarray) -> pd.DataFrame:
    """The trials table as shown and exported: one row per trial in ``rows``."""
    info = frame.info.iloc[rows]
    metric = scores.metric
    out: dict[str, Any] = {
        "best": np.where(rows == scores.best, "★", ""),
        "trial": info["number"].to_numpy(),
        "status": [[STATUS_LABELS.get(s, s)] for s in info["status"]],
        metric: scores.values[rows],
        "± std": scores.std[rows],
    }
    for name in frame.params.columns:
        column = frame.params[name].iloc[rows]
        label = name if name not in out else f"param {name}"
        out[label] = (
            column.astype(str).to_numpy()
            if frame.param_info[name].kind == "categorical"
            else column.to_numpy()
        )
    out["started (UTC)"] = info["start"].dt.tz_localize(None).to_numpy()
    out["seconds"] = info["seconds"].to_numpy()
    out["worker"] = info["worker"].to_numpy()
    out["note"] = [n.splitlines()[0][:80] if n else "" for n in info["note"]]
    out["run id"] = info["run_id"].to_numpy()
    return pd.DataFrame(out)


def trials_table(target: Target, frame: TrialsFrame, scores: Scores, shown: np.ndarray) -> np.ndarray:
    """The sortable table of the trials passing the filters; returns the selected rows as a mask."""
    rows = np.flatnonzero(shown)
    selected = np.zeros(len(frame), dtype=bool)
    if rows.size == 0:
        st.info("No trial passes these filters. Widen them above.", icon=":material/filter_alt_off:")
        return selected
    table = table_frame(frame, scores, rows)
    digest = hashlib.sha1(rows.tobytes()).hexdigest()[:8]
    event = st.dataframe(
        table,
        key=W + "table:" + target.key + digest,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        width="stretch",
        height=min(440, 35 * len(table) + 40),
        column_config={
            "best": st.column_config.TextColumn("★", width=40, help="The best trial."),
            "trial": st.column_config.NumberColumn(format="%d", width="small"),
            "status": st.column_config.MultiselectColumn(
                options=[STATUS_LABELS[s] for s in STATUSES],
                color=[BADGE_COLOURS[s] for s in STATUSES],  # the badge colours of every page
                width="medium",
            ),
            scores.metric: st.column_config.NumberColumn(
                format="%.4f", help=f"Ranked by {scores.ranking.describe()}."
            ),
            "± std": st.column_config.NumberColumn(format="%.4f", help="Std of the metric across folds."),
            "started (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
            "seconds": st.column_config.NumberColumn(format="%.1f"),
        },
    )
    picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    selected[rows[[p for p in picked if 0 <= p < rows.size]]] = True
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(
        f"{rows.size:,} of {len(frame):,} trials shown · click a column to sort · tick rows to highlight "
        "them in every chart" + (f" · {int(selected.sum())} selected" if selected.any() else "")
    )
    right.download_button(
        "Table as CSV",
        data=lambda: table.assign(status=[s[0] for s in table["status"]]).to_csv(index=False),
        file_name=f"{target.label.split(' ')[0]}-trials.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=W + "csv:" + target.key,
    )
    return selected


PICK_LIST_MAX = 300  # beyond this many trials, a trial is picked by its number, not from a list


def pick_trial(frame: TrialsFrame, scores: Scores, default: int, key: str, help: str | None = None) -> int:
    """A trial's row: from a list for small sweeps, by number for big ones (a list of 10,000
    options would cost seconds on every rerun). The key follows the default, so selecting
    other rows in the table moves the choice along."""
    numbers = frame.numbers
    key = f"{key}:{default}"
    if len(frame) <= PICK_LIST_MAX:
        return int(
            st.selectbox(
                "Trial",
                range(len(frame)),
                index=default,
                format_func=lambda r: (
                    f"#{numbers[r]} · {STATUS_LABELS.get(frame.statuses[int(r)], '')}"
                    + (" · best" if r == scores.best else "")
                ),
                key=key,
                help=help,
            )
        )
    number = int(
        st.number_input(
            "Trial number",
            min_value=int(numbers.min()),
            max_value=int(numbers.max()),
            value=int(numbers[default]),
            step=1,
            key=key,
            help=help,
        )
    )
    hits = np.flatnonzero(numbers == number)
    if hits.size == 0:
        st.warning(f"There is no trial #{number}; showing #{numbers[default]}.")
        return default
    return int(hits[0])


def notes_editor(target: Target, frame: TrialsFrame, scores: Scores, selected: np.ndarray) -> None:
    with st.expander(
        "Review notes · Markdown, saved to MLflow as the run's note", icon=":material/edit_note:"
    ):
        numbers = frame.numbers
        first = int(np.flatnonzero(selected)[0]) if selected.any() else (scores.best or 0)
        row = pick_trial(frame, scores, first, W + "note_trial:" + target.key)
        run_id = str(frame.run_ids[row])
        current = str(frame.info["note"].iloc[row] or "")
        with st.form(W + "note_form:" + target.key + run_id, border=False):
            text = st.text_area(
                "Note",
                value=current,
                height=120,
                placeholder="What stands out about this trial? (Markdown)",
                key=W + "note_text:" + run_id,
            )
            save = st.form_submit_button("Save note", icon=":material/save:")
        if save:
            try:
                stored = write_note(target.uri, run_id, text)
            except UserFacingError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state.setdefault(NOTES, {})[run_id] = stored
                st.toast(f"Saved the note of trial #{numbers[row]}." if stored else "Note removed.")
                st.rerun()
        if current:
            st.markdown(current)
        st.caption("Notes are the MLflow tag mlflow.note.content, so the MLflow UI shows them too.")
