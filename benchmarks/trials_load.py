"""Trials page at scale: what the page does on sweeps of 2,000 and 10,000 trials (8
hyperparameters, 6 metrics x 5 steps), on an MLflow SQLite store and on the same store behind a
local ``mlflow server`` (REST, as Azure ML's MLflow is), against ``mlflow.search_runs`` of the
experiment on the same store.

For each size and store, repeated, alternating which goes first:

- ``mlflow.search_runs`` of the experiment (every run, as a DataFrame);
- the real page in Streamlit's AppTest (in this process, caches cold): the store opened by its
  URI (the first load: experiments, every run, the trials table and the Overview tab); how long
  the background importance takes to be ready after it; then every other tab opened in turn,
  and Overview again.

Prints medians and ratios to ``search_runs`` (goals: first load <= 1.5x at 2,000 trials; each
tab <= 0.3x at 2,000 trials, <= 0.5x at 10,000).

    PYTHONPATH=. .venv/bin/python benchmarks/trials_load.py [--trials 2000 10000]
        [--stores sqlite rest] [--repeats 3] [--bench-dir DIR] [--no-page]

The stores are filled once with bulk ``log_batch`` calls and kept under ``--bench-dir``
(default: the temp folder's ``azml-trials-bench``) for reruns: about 2 min for 2,000 trials,
20 min for 10,000 on a busy machine. The server is started per store with the tests' launcher
(``tests.mlflow_server``) and stopped after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
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


def fill(uri: str, trials: int, artifacts: Path) -> str:
    """A sweep in this app's MLflow layout; returns the parent run id."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    experiment_id = client.create_experiment(EXPERIMENT, artifact_location=artifacts.resolve().as_uri())
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


def bench_folder(root: Path, trials: int) -> Path:
    return root / f"sweep-{trials}"


def open_store(root: Path, trials: int) -> tuple[str, str]:
    """(sqlite uri, experiment id) of the kept ``trials``-trial store, filled when it is new.
    The store is ``<root>/sweep-<trials>/mlflow.db``: the layout ``tests.mlflow_server`` serves."""
    from mlflow.tracking import MlflowClient

    folder = bench_folder(root, trials)
    path = folder / "mlflow.db"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        filling = folder / "filling.db"
        filling.unlink(missing_ok=True)
        print(f"Filling {path} with a {trials:,}-trial sweep (once; kept for reruns)…", flush=True)
        started = time.perf_counter()
        fill(f"sqlite:///{filling.resolve()}", trials, folder / "artifacts")
        filling.rename(path)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    uri = f"sqlite:///{path.resolve()}"
    experiment = MlflowClient(uri).get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    return uri, str(experiment.experiment_id)


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


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def forget_everything() -> None:
    """A cold page: nothing loaded, nothing computed (the caches live in this process)."""
    from core.trials import CACHE, JOBS

    JOBS.wait()
    CACHE.clear()
    JOBS.clear()


def page_session(uri: str) -> dict[str, float]:
    """One user on the real page (AppTest, in this process): the store opened by its URI (the
    first load: experiments, the sweep's runs, the table and the Overview tab), then each other
    tab opened in turn, then Overview again; then how long the importance took to be ready."""
    from streamlit.testing.v1 import AppTest

    from core.trials import JOBS
    from dashboard.views import trials as view
    from dashboard.views.trials.page import TABS

    forget_everything()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=900)
    at.run()
    at.switch_page("../pages/trials.py")
    at.run()
    at.session_state[view.W + "source"] = "uri"
    at.run()
    at.text_input(key=view.W + "uri_text").set_value(uri)
    button = next(b for b in at.button if b.label == "Open")
    times: dict[str, float] = {}
    times["first load"], _ = timed(lambda: button.click().run())
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    times["importance ready, after the first load"], _ = timed(JOBS.wait)
    for tab in [*TABS[1:], TABS[0]]:
        at.session_state[view.W + "tab"] = tab
        times[tab], _ = timed(at.run)
        assert not at.exception and not at.error, (tab, at.exception, [e.value for e in at.error])
    at.session_state[view.W + "tab"] = "Hyperparameters"
    at.run()
    shown = " ".join(str(c.value) for c in at.caption)
    assert "Importance:" in shown, shown
    return times


def start_server(root: Path, trials: int) -> tuple[str, Any]:
    """The same SQLite store behind a local ``mlflow server`` (the tests' own launcher)."""
    from tests.mlflow_server import start_mlflow_server

    server, proc = start_mlflow_server(bench_folder(root, trials))
    return server.url, proc


def stop_server(proc: Any) -> None:
    """Stop the server and the uvicorn worker it started (which outlives a stopped parent)."""
    from tests.mlflow_server import stop_mlflow_server

    workers = []
    for entry in Path("/proc").iterdir():
        try:
            parent = (entry / "stat").read_text().split(") ")[1].split()[1]
            if entry.name.isdigit() and parent == str(proc.pid):
                workers.append(int(entry.name))
        except (OSError, IndexError):
            continue
    stop_mlflow_server(proc)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def measure(uri: str, experiment_id: str, repeats: int, page: bool) -> dict[str, list[float]]:
    """search_runs and the page side by side, alternating which goes first."""
    found: dict[str, list[float]] = {"search_runs": []}
    for i in range(repeats):
        steps = ["search", "page"] if i % 2 == 0 else ["page", "search"]
        for step in steps:
            if step == "search":
                seconds, _ = timed(lambda: search_runs_alone(uri, experiment_id))
                found["search_runs"].append(seconds)
            elif page:
                for label, seconds in page_session(uri).items():
                    found.setdefault(label, []).append(seconds)
        print(f"    repeat {i + 1}/{repeats} done", flush=True)
    return found


def report(title: str, found: dict[str, list[float]], tab_goal: float) -> None:
    base = statistics.median(found["search_runs"])
    print(f"\n{title}")
    label = "mlflow.search_runs of the experiment"
    print(f"  {label:44s} {base:7.2f} s {'':20s} runs {_runs(found['search_runs'])}")
    for label, values in found.items():
        if label == "search_runs":
            continue
        median = statistics.median(values)
        goal = f"(goal <= {tab_goal})"
        if label == "first load":
            goal = "(goal <= 1.5)"
        elif "importance" in label:
            goal = ""
        what = label if label in ("first load",) or "importance" in label else f"open tab {label}"
        print(f"  {what:44s} {median:7.2f} s  {median / base:5.2f}x {goal:13s} runs {_runs(values)}")


def _runs(values: list[float]) -> list[float]:
    return [round(v, 2) for v in values]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, nargs="+", default=[2000], help="sweep sizes (2000 10000)")
    parser.add_argument("--stores", nargs="+", choices=["sqlite", "rest"], default=["sqlite", "rest"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bench-dir", type=Path, default=Path(tempfile.gettempdir()) / "azml-trials-bench")
    parser.add_argument("--no-page", action="store_true", help="only fill the stores and time search_runs")
    args = parser.parse_args()
    os.environ.setdefault("AZML_DATA_DIR", tempfile.mkdtemp(prefix="azml-bench-data-"))
    warm_imports()
    for trials in args.trials:
        sqlite_uri, experiment_id = open_store(args.bench_dir, trials)
        tab_goal = 0.3 if trials <= 2000 else 0.5
        for store in args.stores:
            proc = None
            uri = sqlite_uri
            if store == "rest":
                uri, proc = start_server(args.bench_dir, trials)
            try:
                print(f"{trials:,} trials, {store} ({uri}): {args.repeats} repeats…", flush=True)
                search_runs_alone(uri, experiment_id)  # warm: the server's first request, the OS's file cache
                found = measure(uri, experiment_id, args.repeats, not args.no_page)
            finally:
                if proc is not None:
                    stop_server(proc)
            report(f"{trials:,} trials, {store} store (medians of {args.repeats}):", found, tab_goal)


if __name__ == "__main__":
    main()
