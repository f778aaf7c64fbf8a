"""The Trials page's Plotly builders as pure functions: trace types, axes, best-trial marking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.sweep.space import Choice, LogUniform, Uniform
from core.sweep.spec import SweepSpec
from core.train.curves import Curve
from core.trials import Ranking, score_trials
from core.trials.history import HistoryMatrix
from core.trials.importance import Importance
from core.trials.oof import OutOfFold
from dashboard import figures as figs
from dashboard.figures.heatmap import CONTOUR_GRID, contour_blocker
from dashboard.figures.hyperparams import axis_format
from tests.core.trials.frames import driven_sweep, make_frame

SPEC = SweepSpec(
    model_family="hist_gradient_boosting",
    task="classification",
    space={
        "learning_rate": LogUniform.from_range(0.001, 1.0),
        "max_depth": Choice((3, 6, None)),
        "l2": Uniform(0.0, 1.0),
    },
).to_dict()
STATUSES = ["completed", "completed", "early_terminated", "completed", "failed", "completed", "running"]
PARAMS = [
    {"learning_rate": lr, "max_depth": d, "l2": l2}
    for lr, d, l2 in [
        (0.001, 3, 0.1),
        (0.01, None, 0.5),
        (0.1, 6, 0.9),
        (0.5, None, 0.3),
        (0.05, 3, 0.7),
        (0.002, 6, 0.2),
        (0.3, 3, 0.6),
    ]
]
ACC = [0.70, 0.86, 0.95, 0.80, np.nan, 0.75, np.nan]


@pytest.fixture
def frame():  # type: ignore[no-untyped-def]
    return make_frame(PARAMS, {"acc": ACC}, statuses=STATUSES, spec=SPEC)


@pytest.fixture
def scores(frame):  # type: ignore[no-untyped-def]
    return score_trials(frame, "acc", "maximize")


def masks(n: int, selected: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    chosen = np.zeros(n, dtype=bool)
    chosen[list(selected)] = True
    return np.ones(n, dtype=bool), chosen


def test_parallel_coordinates_axes(frame, scores) -> None:  # type: ignore[no-untyped-def]
    shown, selected = masks(len(frame))
    fig = figs.parallel_coordinates(frame, scores, shown, selected, top_range=(0.86, 0.86))
    (trace,) = fig.data
    assert trace.type == "parcoords"
    labels = [d.label for d in trace.dimensions]
    assert labels == ["learning_rate (log)", "max_depth", "l2", "acc (final value)"]
    rows = np.flatnonzero(np.isfinite(scores.values))
    lr, depth, _, metric = trace.dimensions
    np.testing.assert_allclose(lr.values, np.log10([PARAMS[i]["learning_rate"] for i in rows]))
    assert list(lr.ticktext)[:2] == ["0.001", "0.002"], "1-2-5 ticks on a log axis under three decades"
    assert list(lr.tickvals)[-1] == pytest.approx(np.log10(0.5)), "the highest trial's end is labelled"
    assert list(depth.ticktext) == ["3", "6", "None"], "None is its own category"
    assert list(depth.values) == [0, 2, 1, 2, 1], "codes of 3, None, 6, None, 6"
    assert list(metric.constraintrange)[0] < 0.86 < list(metric.constraintrange)[1], (
        "top k % shown as a range"
    )
    assert trace.line.showscale and not trace.line.reversescale
    picked = figs.parallel_coordinates(frame, scores, shown, masks(len(frame), (1,))[1])
    assert list(picked.data[0].line.color) == [0, 1, 0, 0, 0], "selected trials highlighted"


def test_minimize_reverses_the_colour_scale(frame) -> None:  # type: ignore[no-untyped-def]
    scores = score_trials(frame, "acc", "minimize")
    fig = figs.parallel_coordinates(frame, scores, *masks(len(frame)))
    assert fig.data[0].line.reversescale, "better is the same colour either way"


def test_slice_plots(frame, scores) -> None:  # type: ignore[no-untyped-def]
    fig = figs.slice_plots(frame, scores, *masks(len(frame), (3,)))
    kinds = [t.type for t in fig.data]
    assert kinds.count("box") == 1, "the categorical param gets a box plot"
    assert kinds.count("scattergl") >= 3
    assert fig.layout.xaxis.type == "log", "learning_rate is log in the space"
    assert fig.layout.xaxis3.type != "log"
    assert list(fig.layout.xaxis2.ticktext) == ["3", "6", "None"]
    best = [t for t in fig.data if t.name and t.name.startswith("best")]
    assert len(best) == 3 and best[0].name == "best · trial 1" and best[0].marker.symbol == "star"
    assert best[0].y[0] == pytest.approx(0.86), "the early-terminated 0.95 is not the best"
    assert any(t.name == "selected" for t in fig.data)


def test_optimisation_history_marks_best_cuts_and_failures(frame, scores) -> None:  # type: ignore[no-untyped-def]
    fig = figs.optimisation_history(frame, scores, *masks(len(frame)))
    by_name = {t.name: t for t in fig.data}
    assert by_name["completed"].type == "scattergl"
    assert list(by_name["early-terminated"].x) == [2]
    best_line = by_name["best so far"]
    np.testing.assert_allclose(
        np.asarray(best_line.y, dtype=float), [0.70, 0.86, 0.86, 0.86, 0.86, 0.86, 0.86]
    )
    assert best_line.line.shape == "hv"
    marks = by_name["no value (failed, running…)"]
    assert list(marks.x) == [4, 6] and marks.yaxis == "y2", "no value: marked along the bottom"
    star = by_name["best · trial 1"]
    assert list(star.x) == [1] and list(star.y) == [0.86], "the early-terminated 0.95 is not the best"
    assert fig.layout.xaxis.dtick == 1, "trial numbers are whole: no tick at 0.5"


def test_count_axes_tick_whole_numbers_until_there_are_too_many() -> None:
    from dashboard.figures.style import count_axis

    assert count_axis("trial number", 2)["dtick"] == 1
    assert count_axis("trial number", 20)["dtick"] == 1
    assert count_axis("trial number", 500)["dtick"] is None, "Plotly's own ticks: 0, 100, 200…"


def test_hidden_statuses_leave_every_chart(frame, scores) -> None:  # type: ignore[no-untyped-def]
    shown = np.array([s != "early_terminated" for s in STATUSES])
    fig = figs.optimisation_history(frame, scores, shown, np.zeros(len(frame), dtype=bool))
    assert "early-terminated" not in {t.name for t in fig.data}


def test_timeline_by_worker_and_by_slot(frame) -> None:  # type: ignore[no-untyped-def]
    shown, selected = masks(len(frame))
    fig = figs.timeline(frame, shown, selected, now=pd.Timestamp("2023-11-14 22:15:00", tz="UTC"))
    assert {t.type for t in fig.data} == {"scattergl"}
    assert list(fig.layout.yaxis.categoryarray) == ["worker-0", "worker-1"]
    completed = next(t for t in fig.data if t.name == "completed")
    assert len(completed.x) == 3 * 4, "start, end, gap per trial"
    no_workers = make_frame(PARAMS[:3], {"acc": ACC[:3]}, workers=["", "", ""], durations_s=[25, 5, 5])
    fig2 = figs.timeline(no_workers, *masks(3))
    assert "concurrency slot" in fig2.layout.yaxis.title.text
    assert figs.assign_lanes(np.array([0.0, 10, 20]), np.array([25.0, 15, 30])).tolist() == [0, 1, 1]


def test_importance_bar_names_its_method() -> None:
    imp = Importance(
        "ped_anova", "PED-ANOVA (Optuna's PedAnovaImportanceEvaluator)", {"a": 0.7, "b": 0.2, "c": 0.1}, 40
    )
    fig = figs.importance_bar(imp, "acc")
    assert fig.data[0].type == "bar" and list(fig.data[0].y) == ["c", "b", "a"], "most important on top"
    assert "PED-ANOVA" in fig.layout.title.text and "40 trials" in fig.layout.title.text


def test_contour_bins_and_marks_the_best(frame, scores) -> None:  # type: ignore[no-untyped-def]
    shown, selected = masks(len(frame))
    fig = figs.contour(frame, scores, "learning_rate", "max_depth", shown, selected, bins=3)
    heat = fig.data[0]
    assert heat.type == "heatmap" and fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "category"
    assert list(heat.y) == ["3", "6", "None"]
    assert np.nansum(np.asarray(heat.customdata)) == 5, "every scored trial lands in one cell"
    assert any(t.name == "best · trial 1" for t in fig.data)
    best_cell = figs.contour(
        frame, scores, "learning_rate", "max_depth", shown, selected, aggregate="best", bins=3
    )
    assert np.nanmax(np.asarray(best_cell.data[0].z, dtype=float)) == pytest.approx(0.95)
    smooth = figs.contour(frame, scores, "learning_rate", "l2", shown, selected, style="contour", bins=3)
    assert smooth.data[0].type == "contour"
    fallback = figs.contour(frame, scores, "max_depth", "l2", shown, selected, style="contour", bins=3)
    assert fallback.data[0].type == "heatmap", "contour needs two numeric axes"


def test_intermediate_values_show_where_trials_were_cut(frame, scores) -> None:  # type: ignore[no-untyped-def]
    values = np.full((len(frame), 3), np.nan)
    values[0] = [0.6, 0.65, 0.7]
    values[1] = [0.8, 0.85, 0.86]
    values[2] = [0.95, np.nan, np.nan]
    values[3] = [0.7, 0.75, 0.8]
    history = HistoryMatrix("acc", np.array([0, 1, 2]), values, np.ones(len(frame), dtype=bool))
    step = score_trials(frame, "acc", "maximize", Ranking("step", 1), history)
    fig = figs.intermediate_values(frame, history, step, *masks(len(frame)))
    names = [t.name for t in fig.data]
    assert "completed" in names and "early-terminated: last step" in names
    cut = next(t for t in fig.data if t.name == "early-terminated: last step")
    assert list(cut.x) == [0] and list(cut.y) == [0.95]
    assert fig.layout.shapes[0].x0 == 1, "the step that ranks is drawn"
    assert any(t.name == "best · trial 1" for t in fig.data), "the best at step 1 is trial 1"


def test_best_trial_panel_figures() -> None:
    oof = OutOfFold(
        task="classification",
        classes=("no", "yes"),
        y_true=np.array(["no", "yes", "yes"]),
        y_pred=np.array(["no", "yes", "no"]),
        mean={"accuracy": 2 / 3},
        std={"accuracy": 0.0},
        folds=3,
        confusion=np.array([[1, 0], [1, 1]]),
        roc=(Curve("yes", np.array([0, 0, 1.0]), np.array([0, 1, 1.0]), 1.0),),
        pr=(Curve("yes", np.array([1, 0.5, 0]), np.array([1, 1, 2 / 3]), 1.0, 2 / 3),),
    )
    cm = figs.oof_confusion_matrix(oof)
    assert cm.data[0].type == "heatmap" and list(cm.data[0].x) == ["no", "yes"]
    assert cm.data[0].text[1][0] == "1<br>50%", "counts and row shares"
    roc = figs.oof_roc_curves(oof)
    assert [t.name for t in roc.data] == ["chance", "yes · AUC 1.000"]
    pr = figs.oof_pr_curves(oof)
    assert pr.data[0].name == "yes · AP 1.000" and list(pr.data[1].y) == [2 / 3, 2 / 3]
    reg = OutOfFold("regression", (), np.array([1.0, 2, 3]), np.array([1.5, 2, 2.5]), {}, {}, 3, None, (), ())
    pva = figs.oof_predicted_vs_actual(reg)
    assert pva.data[0].type == "scattergl" and list(pva.data[1].x) == [1.0, 3.0]
    res = figs.oof_residuals(reg)
    np.testing.assert_allclose(res.data[0].y, [-0.5, 0, 0.5])


def test_compare_history_overlays_sweeps() -> None:
    a = figs.SweepSeries(
        "a", np.array([0, 1, 2]), np.array([0.5, 0.7, 0.6]), np.array(["completed"] * 3, dtype=object)
    )
    b = figs.SweepSeries(
        "b", np.array([1, 0]), np.array([0.9, 0.4]), np.array(["completed"] * 2, dtype=object)
    )
    fig = figs.compare_history([a, b], "acc", "maximize")
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["a · best so far", "b · best so far"]
    np.testing.assert_allclose(lines[1].y, [0.4, 0.9]), "sorted by trial number"
    assert fig.layout.xaxis.dtick == 1


def test_ten_thousand_trials_build_fast() -> None:
    import time

    rng = np.random.default_rng(0)
    n = 10_000
    params = [
        {"lr": float(v), "depth": int(d), "kind": k}
        for v, d, k in zip(
            10 ** rng.uniform(-4, 0, n), rng.integers(1, 20, n), rng.choice(["a", "b", "c"], n), strict=True
        )
    ]
    frame = make_frame(params, {"acc": rng.uniform(0, 1, n)})
    scores = score_trials(frame, "acc", "maximize")
    shown, selected = masks(n, (1, 2, 3))
    started = time.perf_counter()
    for build in (
        lambda: figs.parallel_coordinates(frame, scores, shown, selected),
        lambda: figs.slice_plots(frame, scores, shown, selected),
        lambda: figs.optimisation_history(frame, scores, shown, selected),
        lambda: figs.timeline(frame, shown, selected),
        lambda: figs.contour(frame, scores, "lr", "depth", shown, selected),
    ):
        fig = build()
        assert fig.data
    # a guard against a trace or a loop per run only: about 0.3 s normally, the limit is 30x that
    assert time.perf_counter() - started < 10.0, "arrays, not loops over runs"


def test_log_axes_read_as_plain_numbers(frame, scores) -> None:  # type: ignore[no-untyped-def]
    assert figs.log_axis(np.array([1e-4, 1e-2, 1.0])) == {"type": "log", "tickformat": "~g", "dtick": 1}
    # under two decades Plotly would label every digit (0.006 0.007 0.008 … run together): 1, 2, 5 only
    assert figs.log_axis(np.array([0.002, 0.07]))["dtick"] == "D2"
    fig = figs.slice_plots(frame, scores, *masks(len(frame)))
    assert fig.layout.xaxis.tickformat == "~g", "0.001, not 1m"


def test_many_trials_get_a_median_line_per_step() -> None:
    n = 30
    params = [{"a": float(i)} for i in range(n)]
    frame = make_frame(params, {"acc": np.linspace(0.5, 0.9, n)})
    values = np.tile(np.array([0.5, 0.6, 0.7]), (n, 1)) + np.linspace(0, 0.2, n)[:, None]
    history = HistoryMatrix("acc", np.array([0, 1, 2]), values, np.ones(n, dtype=bool))
    fig = figs.intermediate_values(frame, history, score_trials(frame, "acc", "maximize"), *masks(n))
    median = next(t for t in fig.data if t.name == "median of the trials at each step")
    np.testing.assert_allclose(median.y, np.median(values, axis=0))
    completed = next(t for t in fig.data if t.name == "completed")
    assert completed.opacity == pytest.approx(0.8), "30 lines stay opaque; hundreds fade"


def test_contour_interpolates_the_metric_between_two_numeric_parameters() -> None:
    frame = driven_sweep(n=120)
    scores = score_trials(frame, "score", "maximize")
    shown, selected = masks(len(frame))
    assert contour_blocker(frame, scores, "x", "y", shown) is None
    fig = figs.contour(frame, scores, "x", "y", shown, selected, style="contour")
    surface = fig.data[0]
    assert surface.type == "contour" and fig.layout.title.text.startswith("Contour of score")
    assert "interpolated between 120 trials" in fig.layout.title.text
    z = np.asarray(surface.z, dtype=float)
    assert z.shape == (CONTOUR_GRID, CONTOUR_GRID) and np.isfinite(z).mean() > 0.8, (
        "a surface, not a grid of bins"
    )
    low, high = np.nanmin(scores.values), np.nanmax(scores.values)
    assert low - 1e-9 <= np.nanmin(z) and np.nanmax(z) <= high + 1e-9, "interpolated, never extrapolated"
    peak_x = np.asarray(surface.x)[np.unravel_index(np.nanargmax(z), z.shape)[1]]
    assert abs(peak_x - 0.5) < 0.1, "the ridge sits where the trials peak (x = 0.5)"
    assert any(t.name and t.name.startswith("best") for t in fig.data[1:])


def test_contour_says_why_it_cannot_be_drawn(frame, scores) -> None:  # type: ignore[no-untyped-def]
    shown, _ = masks(len(frame))
    assert "max_depth is categorical (3, 6, None)" in str(
        contour_blocker(frame, scores, "max_depth", "l2", shown)
    )
    few = make_frame(
        [{"a": a % 3, "b": float(b)} for a, b in enumerate(range(12))], {"acc": np.linspace(0, 1, 12)}
    )
    few_scores = score_trials(few, "acc", "maximize")
    reason = contour_blocker(few, few_scores, "a", "b", np.ones(12, dtype=bool))
    assert reason is not None and "a takes only 3 distinct values" in reason
    line = make_frame([{"a": float(i), "b": 2.0 * i} for i in range(8)], {"acc": np.linspace(0, 1, 8)})
    on_line = contour_blocker(line, score_trials(line, "acc", "maximize"), "a", "b", np.ones(8, dtype=bool))
    assert on_line is not None and "lie on one line" in on_line


def test_importance_bar_leaves_room_for_its_longest_label() -> None:
    imp = Importance("ped_anova", "PED-ANOVA", {"C": 0.989, "gamma": 0.011}, 40)
    xaxis = figs.importance_bar(imp, "acc").layout.xaxis
    assert xaxis.range[1] >= 0.989 * 1.15, "room past a 98.9 % bar for '98.9%'"
    assert max(xaxis.tickvals) == 1.0, "ticks stop at 100 %"


def test_parallel_coordinates_metric_axis_has_few_decimals(frame, scores) -> None:  # type: ignore[no-untyped-def]
    shown, selected = masks(len(frame))
    dims = figs.parallel_coordinates(frame, scores, shown, selected).data[0].dimensions
    assert dims[-1].tickformat == ",.3~f", "accuracy 0.70–0.95: three decimals at most, not six"
    assert axis_format(np.array([0.8412, 0.8433])) == ",.5~f", "a narrow span gets what tells its ticks apart"
    assert axis_format(np.array([1000.0, 50_000.0])) == ",.0~f"


def test_contour_leaves_out_trials_without_a_value_and_says_so() -> None:
    rng = np.random.default_rng(3)
    params = [
        {"a": float(a), "b": None if i % 10 == 0 else float(b)}
        for i, (a, b) in enumerate(rng.uniform(size=(40, 2)))
    ]
    frame = make_frame(params, {"acc": rng.uniform(size=40)})
    scores = score_trials(frame, "acc", "maximize")
    shown, selected = masks(len(frame))
    fig = figs.contour(frame, scores, "a", "b", shown, selected, style="contour")
    assert fig.data[0].type == "contour"
    assert "interpolated between 36 trials (4 with None left out)" in fig.layout.title.text


def test_a_log_axis_labels_its_ends_unless_a_tick_is_close() -> None:
    from dashboard.figures.hyperparams import _log_ticks

    _, labels = _log_ticks(np.log10(0.0026), np.log10(0.06))
    assert labels == ["0.0026", "0.005", "0.01", "0.02", "0.05"], "0.06 sits by 0.05: not labelled twice"
    _, labels = _log_ticks(np.log10(0.0035), np.log10(0.3))
    assert labels[0] == "0.0035" and labels[-1] == "0.3", "no trial's line leaves the labelled axis"
