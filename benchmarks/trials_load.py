"""Trials page at scale: a 2,000-trial sweep (8 hyperparameters, 6 metrics x 5 steps) in an MLflow
SQLite store. Times, in one process and alternating so neither side gets a warmer cache:

- ``mlflow.search_runs`` alone returning the same runs (the parent and its trials);
- the page's first load: the update stamp, the bulk load of the sweep (one paginated search),
  the typed frame, the primary metric's history in bulk, scoring, the filters, the table, and
  every chart's figure (importance computed, and each figure serialised to JSON as
  ``st.plotly_chart`` does);
- a cached rerun (a filter change): the stamp check, then scores, filters, table and every
  figure rebuilt from the cached frame and history (the page builds only the open tab's).

Then the real page in Streamlit's AppTest, on the same store opened by its tracking URI: the
first render (Overview tab, cache cold), a filter change, and a switch to the heaviest tab.

Prints the ratio first load / search_runs (goal <= 1.5) and the cached rerun (goal <= 0.5 s).

    .venv/bin/python benchmarks/trials_load.py [--trials 2000] [--store PATH] [--repeats 3] [--no-page]

The store is filled once with bulk ``log_batch`` calls and kept (default under /tmp) for reruns.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METRICS = ["accuracy", "f1", "roc_auc", "precision", "recall", "log_loss"]
STEPS = 5
LEFT_OUT = frozenset({"completed", "canceled"})  # the rerun's filter change: cut and failed trials off
EXPERIMENT = "bench-sweeps"
SPACE = {
    "learning_rate": {"type": "loguniform", "min_value": -9.2, "max_value": 0.0},
    "l2_regularization": {"type": "loguniform", "min_value": -6.9, "max_value": 2.3},
    "max_iter": {"type": "choice", "values": [50, 100, 200, 400]},
    "max_leaf_nodes": {"type": "choice", "values": [15, 31, 63, None]},
    "class_weight": {"type": "choice", "values": [None, "balanced"]},
    "min_samples_leaf": {"type": "quniform", "min_value": 1, "max_value": 60, "q": 1},
    "max_bins": {"type": "uniform", "min_value": 32, "max_value": 255},
    "validation_fraction": {"type": "uniform", "min_value": 0.05, "max_value": 0.3},
}


def sample_params(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "learning_rate": float(np.exp(rng.uniform(-9.2, 0.0))),
        "l2_regularization": float(np.exp(rng.uniform(-6.9, 2.3))),
        "max_iter": int(rng.choice([50, 100, 200, 400])),
        "max_leaf_nodes": [15, 31, 63, None][int(rng.integers(4))],
        "class_weight": [None, "balanced"][int(rng.integers(2))],
        "min_samples_leaf": int(rng.integers(1, 61)),
        "max_bins": float(rng.uniform(32, 255)),
        "validation_fraction": float(rng.uniform(0.05, 0.3)),
    }


def fill(uri: str, trials: int) -> str:
    """A sweep in this app's MLflow layout; returns the parent run id."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    experiment_id = client.create_experiment(EXPERIMENT)
    spec = {
        "version": 1,
        "model_family": "hist_gradient_boosting",
        "task": "classification",
        "space": SPACE,
        "sampling": "random",
        "seed": 0,
        "policy": {"type": "bandit", "slack_factor": 0.1, "evaluation_interval": 1, "delay_evaluation": 1},
        "limits": {
            "max_total_trials": trials,
            "max_concurrent_trials": 8,
            "timeout_s": None,
            "trial_timeout_s": None,
        },
        "primary_metric": "accuracy",
        "goal": "maximize",
        "cv_folds": STEPS,
    }
    tags = {"azml.sweep": "true", "azml.sweep_id": "bench", "primary_metric": "accuracy", "goal": "maximize"}
    parent = client.create_run(experiment_id, run_name="bench-sweep", tags=tags).info.run_id
    client.log_dict(parent, spec, "sweep_spec.json")
    rng = np.random.default_rng(0)
    t0 = 1_700_000_000_000
    started = time.perf_counter()
    for number in range(trials):
        params = sample_params(rng)
        roll = rng.uniform()
        status = (
            "completed"
            if roll < 0.7
            else "early_terminated"
            if roll < 0.92
            else "failed"
            if roll < 0.97
            else "canceled"
        )
        steps = {
            "completed": STEPS,
            "early_terminated": int(rng.integers(1, STEPS)),
            "failed": 0,
            "canceled": 2,
        }[status]
        quality = (
            0.9
            - 0.05 * abs(np.log10(params["learning_rate"]) + 1.5)
            - 0.02 * (params["class_weight"] is None)
        )
        start = t0 + number * 2500 // 8
        worker = f"worker-{number % 8}"
        run = client.create_run(
            experiment_id,
            start_time=start,
            run_name=f"trial-{number:04d}",
            tags={
                "mlflow.parentRunId": parent,
                "trial_number": str(number),
                "trial_status": status,
                "early_terminated": str(status == "early_terminated").lower(),
                "worker": worker,
                "params_json": json.dumps(params),
            },
        )
        metrics = []
        for name_index, name in enumerate(METRICS):
            level = quality - 0.03 * name_index if name != "log_loss" else 1 - quality
            for step in range(steps):
                value = float(level + rng.normal(0, 0.02))
                metrics.append(Metric(name, value, start + 100 * step, step))
        client.log_batch(
            run.info.run_id,
            metrics=metrics,
            params=[Param(k, "None" if v is None else str(v)) for k, v in params.items()],
            tags=[RunTag("folds_done", str(steps))],
        )
        mlflow_status = {"completed": "FINISHED", "early_terminated": "FINISHED", "failed": "FAILED"}.get(
            status, "KILLED"
        )
        client.set_terminated(run.info.run_id, mlflow_status, end_time=start + 2000)
        if number and number % 1000 == 0:
            rate = number / (time.perf_counter() - started)
            print(f"  filled {number:,} trials ({rate:.0f}/s)", flush=True)
    client.set_terminated(parent, "FINISHED")
    return str(parent)


def open_store(path: Path, trials: int) -> tuple[str, str, str]:
    """(uri, experiment id, parent run id), filling the store when it is new."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{path.resolve()}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"Filling {path} with a {trials:,}-trial sweep (once; kept for reruns)…", flush=True)
        started = time.perf_counter()
        fill(uri, trials)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    parent = client.search_runs([experiment.experiment_id], "tags.`azml.sweep` = 'true'")[0].info.run_id
    return uri, str(experiment.experiment_id), str(parent)


def warm_imports() -> None:
    """Both sides run in a server process that has imported everything already."""
    import mlflow  # noqa: F401
    import optuna.importance  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import scipy.stats  # noqa: F401

    import dashboard.views.trials  # noqa: F401


def search_runs_alone(uri: str, experiment_id: str) -> int:
    import mlflow

    mlflow.set_tracking_uri(uri)
    return len(mlflow.search_runs([experiment_id], max_results=100_000))


def figures(
    frame: Any, scores: Any, shown: np.ndarray, without_top: np.ndarray, history: Any, importance: Any
) -> list[Any]:
    from core.trials import top_k_mask, top_k_range
    from dashboard import figures as figs

    selected = np.zeros(len(frame), dtype=bool)
    selected[:5] = True
    names = frame.varying()
    top = top_k_range(scores.values, top_k_mask(scores.values, scores.goal, 10, among=without_top))
    return [
        figs.optimisation_history(frame, scores, shown, selected),
        figs.parallel_coordinates(frame, scores, without_top, selected, top),
        figs.importance_bar(importance, scores.metric),
        figs.slice_plots(frame, scores, shown, selected, params=list(importance.values)),
        figs.contour(frame, scores, names[0], names[1], shown, selected),
        figs.intermediate_values(frame, history, scores, shown, selected),
        figs.timeline(frame, shown, selected),
    ]


def review(frame: Any, history: Any, statuses: frozenset[str] | None = None, top_percent: float = 100) -> int:
    """What every rerun computes from the (cached) frame: scores, filters, table, all figures."""
    from core.trials import TrialFilter, filter_mask, param_importance, score_trials
    from dashboard.views.trials import table_frame

    scores = score_trials(frame, "accuracy", "maximize")
    flt = TrialFilter(statuses=statuses, top_percent=top_percent)
    without_top = filter_mask(frame, scores, flt, apply_top=False)
    shown = filter_mask(frame, scores, flt)
    table_frame(frame, scores, np.flatnonzero(shown))
    importance = param_importance(frame, scores, shown)
    size = 0
    for fig in figures(frame, scores, shown, without_top, history, importance):
        size += len(fig.to_json())
    return size


def first_load(uri: str, experiment_id: str, parent: str) -> tuple[Any, Any]:
    from core.trials import history_matrix, last_update, load_histories, load_sweep

    last_update(uri, experiment_id)
    frame = load_sweep(uri, parent, "bench")
    rows = load_histories(uri, experiment_id, list(frame.run_ids), ["accuracy"])
    history = history_matrix(rows, frame.run_ids, "accuracy")
    review(frame, history)
    return frame, history


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def page_timings(uri: str) -> dict[str, float]:
    """The real page in AppTest, opened by tracking URI: cold first render, filter change, tab."""
    from streamlit.testing.v1 import AppTest

    from dashboard.views import trials as view

    with tempfile.TemporaryDirectory() as data_dir:
        import os

        os.environ["AZML_DATA_DIR"] = data_dir
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
        at.run()
        at.switch_page("../pages/trials.py")
        at.run()
        at.session_state[view.W + "source"] = "uri"
        at.run()
        at.text_input(key=view.W + "uri_text").set_value(uri)
        button = next(b for b in at.button if b.label == "Open")
        first, _ = timed(lambda: button.click().run())
        assert not at.exception, at.exception
        slider = next(s for s in at.slider if s.label == "Top k % by the ranking")
        rerun, _ = timed(lambda: slider.set_value(10).run())
        at.session_state[view.W + "tab"] = "Hyperparameters"
        tab, _ = timed(lambda: at.run())
        again, _ = timed(lambda: at.run())
        assert not at.exception, at.exception
    return {
        "first render": first,
        "filter change": rerun,
        "open Hyperparameters (importance)": tab,
        "rerun": again,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-page", action="store_true", help="skip the AppTest timings")
    args = parser.parse_args()
    path = args.store or Path(tempfile.gettempdir()) / "azml-trials-bench" / f"sweep-{args.trials}.db"
    uri, experiment_id, parent = open_store(path, args.trials)
    warm_imports()

    base, ours, rerun = [], [], []
    frame = history = None
    for i in range(args.repeats):
        order = [("search", 0), ("ours", 1)] if i % 2 == 0 else [("ours", 1), ("search", 0)]
        for name, _ in order:
            if name == "search":
                seconds, count = timed(lambda: search_runs_alone(uri, experiment_id))
                base.append(seconds)
            else:
                seconds, (frame, history) = timed(lambda: first_load(uri, experiment_id, parent))
                ours.append(seconds)
        from core.trials import last_update

        seconds, _ = timed(
            lambda f=frame, h=history: (last_update(uri, experiment_id), review(f, h, LEFT_OUT))
        )
        rerun.append(seconds)
    assert frame is not None
    b, o, r = statistics.median(base), statistics.median(ours), statistics.median(rerun)
    print(f"\n{len(frame):,} trials ({count:,} runs with the parent), 8 hyperparameters, ", end="")
    print(f"{len(METRICS)} metrics x {STEPS} steps")
    print(f"  mlflow.search_runs alone:                 {b:6.2f} s   (runs {base})")
    print(f"  page first load + every figure:           {o:6.2f} s   (runs {[round(x, 2) for x in ours]})")
    print(f"  ratio first load / search_runs:           {o / b:6.2f}   (goal <= 1.5)")
    print(f"  cached rerun, every figure rebuilt:       {r:6.2f} s   (goal <= 0.5 s)")
    if not args.no_page:
        print("\nThe page itself (Streamlit AppTest, opened by tracking URI; only the open tab's charts):")
        for label, seconds in page_timings(uri).items():
            print(f"  {label:40s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
