"""The filters, the trials table (as shown and exported), picking one trial, review notes."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core.codegen.trials import query_of_view, trials_query_code
from core.errors import UserFacingError
from core.trials import STATUSES, Scores, Target, TrialFilter, TrialsFrame, filter_mask, write_note
from core.trials.status import STATUS_LABELS
from dashboard.badges import BADGE_COLOURS
from dashboard.views.trials.common import FILTERS, NOTES, SAVED, STATUS_BADGES, W
from dashboard.widgets import show_code


def _value_grid(values: np.ndarray, points: int = 40) -> list[float]:
    finite = np.unique(values[np.isfinite(values)])
    if finite.size <= points:
        return [float(v) for v in finite]
    grid = np.unique(np.quantile(finite, np.linspace(0, 1, points)))
    return [float(v) for v in grid]


def _shaped(base: str, shape: object) -> str:
    return base + "#" + hashlib.sha1(repr(shape).encode()).hexdigest()[:8]


def _seed(base: str, shape: object, value: Any) -> str:
    """The key of filter widget ``base``, given ``value`` before it is drawn: the value kept from
    the last visit, as the caller passes it (Streamlit drops a widget's state when the user
    leaves its page). The widget is drawn without a default, so the two never disagree. The
    key follows the widget's ``shape`` (its options or bounds, which a live sweep changes), so
    a new shape is seeded afresh from what was kept rather than left to Streamlit's reset."""
    key = _shaped(base, shape)
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def _kept(key: str) -> Any:
    return (st.session_state.get(FILTERS) or {}).get(key)


def _keep(key: str, value: Any) -> None:
    """Remember a filter's value where no widget owns it (None: the filter is off)."""
    st.session_state.setdefault(FILTERS, {})[key] = value


def _snap(grid: list[float], kept: Any) -> tuple[float, float] | None:
    """A kept (low, high) on today's grid of values (a live sweep adds values), or None."""
    if not isinstance(kept, tuple | list) or len(kept) != 2:
        return None
    inside = [g for g in grid if float(kept[0]) <= g <= float(kept[1])]
    return (inside[0], inside[-1]) if inside else None


def filters(target: Target, frame: TrialsFrame, scores: Scores) -> tuple[TrialFilter, np.ndarray, np.ndarray]:
    """The status / top k % / value-range / hyperparameter filters; returns the filter, the rows
    passing everything but top k %, and the rows passing everything. Each filter is kept per
    sweep across visits to other pages; what is kept is what the user left out, so statuses,
    categories and values a live sweep adds later are shown."""
    key = target.key
    present = [s for s in STATUSES if s in set(frame.statuses.tolist())]
    status_key = W + "status:" + key
    left_out = set(_kept(status_key) or ())
    picked = st.pills(
        "Status (left out of every chart when off)",
        present,
        selection_mode="multi",
        format_func=STATUS_BADGES.__getitem__,
        key=_seed(status_key, present, [s for s in present if s not in left_out]),
    )
    _keep(status_key, [s for s in present if s not in set(picked or [])])
    b, c = st.columns([2, 3])
    top_key = W + "top:" + key
    top = b.slider(
        "Top k % by the ranking",
        1,
        100,
        key=_seed(top_key, 100, int(_kept(top_key) or 100)),
        help="Keep only the best k % of the trials that pass the other filters. The parallel coordinates "
        "mark the same range on their metric axis.",
    )
    _keep(top_key, int(top))
    finite = scores.values[np.isfinite(scores.values)]
    value_range = None
    if finite.size >= 2 and finite.min() < finite.max():
        low, high = float(finite.min()), float(finite.max())
        range_key = W + "range:" + key + scores.metric + scores.ranking.describe()
        kept = _kept(range_key)
        kept_range = (max(low, kept[0]), min(high, kept[1])) if kept else None
        start = kept_range if kept_range and kept_range[0] <= kept_range[1] else (low, high)
        chosen: tuple[float, float] = c.slider(  # a range: its seeded value is a pair
            f"{scores.metric} range", low, high, key=_seed(range_key, (low, high), start), format="%.4f"
        )  # type: ignore[assignment]
        if tuple(chosen) != (low, high):
            value_range = (float(chosen[0]), float(chosen[1]))
        _keep(range_key, value_range)
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
            param_key = W + "pf:" + key + name
            if info.kind == "categorical":
                options = list(info.categories)
                dropped = set(_kept(param_key) or ())
                kept_values = where.multiselect(
                    name, options, key=_seed(param_key, options, [c for c in options if c not in dropped])
                )
                if len(kept_values) < len(options):
                    categories[name] = frozenset(kept_values)
                _keep(param_key, [c for c in options if c not in set(kept_values)])
            else:
                grid = _value_grid(frame.params[name].to_numpy(dtype=np.float64))
                if len(grid) < 2:
                    continue
                # a select_slider is a range only when given a pair as its value (seeding its state
                # is not enough); its key is its identity, so this value counts only when it is new
                picked_range: Any = where.select_slider(
                    name + (" (log)" if info.log else ""),
                    options=grid,
                    value=_snap(grid, _kept(param_key)) or (grid[0], grid[-1]),
                    format_func=lambda v: f"{v:.4g}",
                    key=_shaped(param_key, grid),
                )
                lo, hi = float(picked_range[0]), float(picked_range[1])
                if (lo, hi) != (grid[0], grid[-1]):
                    numeric[name] = (float(lo), float(hi))
                _keep(param_key, numeric.get(name))
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
    """Pick a trial, edit its note, save it to MLflow; the panel stays open after a save and says
    what was saved (the save reruns the page, so the table shows the new note too)."""
    saved = st.session_state.pop(SAVED, None)
    open_key = W + "notes_open:" + target.key
    if saved:
        st.session_state[open_key] = True
    with st.expander(
        "Review notes · Markdown, saved to MLflow as the run's note",
        icon=":material/edit_note:",
        key=open_key,
        on_change="rerun",  # its open state is then the app's, so a save can keep it open
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
        if saved:
            st.success(saved, icon=":material/check_circle:")
        if save:
            try:
                stored = write_note(target.uri, run_id, text)
            except UserFacingError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state.setdefault(NOTES, {})[run_id] = stored
                st.session_state[SAVED] = (
                    f"Saved the note of trial #{numbers[row]} to MLflow."
                    if stored
                    else f"Removed the note of trial #{numbers[row]}."
                )
                st.rerun()
        if current:
            st.markdown(current)
        st.caption("Notes are the MLflow tag mlflow.note.content, so the MLflow UI shows them too.")


def view_code(target: Target, frame: TrialsFrame, scores: Scores, flt: TrialFilter) -> None:
    """Show code: the MLflow query (and the pandas steps) that give the trials shown above."""
    code = trials_query_code(query_of_view(target.uri, target.experiment_id, frame, scores, flt))
    show_code(code, label="Show code: these trials with MLflow (filters, ranking, top k %)")
