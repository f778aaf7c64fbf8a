"""The Trials page's Best-trial tab: reading the out-of-fold predictions the sweep stored at its
refit, against re-running the trial's cross-validation (what the tab did before they were stored).

A real local sweep of one kernel-ridge trial (5 folds) on ``smart_grid_stability.csv`` with
``stab`` as the target (``diagnosis``, its sign, left out as the Data page does), 10 % held out,
so 9,000 train rows. The sweep's refit stores the best trial's predictions with the sweep
(``oof/<trial run>.csv``). Then, side by side, alternating which goes first:

- stored: the tab's path, the artifact read through the backend and turned into the
  out-of-fold view (confusion matrix or residuals, curves);
- anchor: the trial's cross-validation re-run with the same trainer, split, params and folds.

Prints the medians and the ratio stored / anchor (goal: <= 0.05, i.e. the tab opens at least
20x faster), and checks both give the same predictions.

    .venv/bin/python benchmarks/best_trial_tab.py [--csv ../shared/data/smart_grid_stability.csv]
        [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from core.backend import WorkspaceRef  # noqa: E402
from core.compute import ComputeSpec  # noqa: E402
from core.data.schema import Task, build_schema  # noqa: E402
from core.data.split import split_frame  # noqa: E402
from core.data.store import store_dataset  # noqa: E402
from core.engine.job import SweepJob  # noqa: E402
from core.local.backend import LocalBackend  # noqa: E402
from core.sweep.space import Choice, Fixed  # noqa: E402
from core.sweep.spec import Limits, SweepSpec  # noqa: E402
from core.trials.artifacts import logged_predictions  # noqa: E402
from core.trials.oof import OutOfFold, out_of_fold, out_of_fold_from_predictions, training_data_from_job  # noqa: E402
from core.trials.store import client  # noqa: E402

RG, SA, BC, WS, CC = "rg-bench", "benchaccount001", "data", "bench-ws", "benchcluster"
WORKSPACE = WorkspaceRef(RG, WS)
GOAL = 0.05
PARAMS = {"alpha": Choice((0.03, 0.1)), "kernel": Fixed("rbf"), "gamma": Fixed(0.1)}  # one trial draws alpha


def sweep_once(data_dir: Path, frame: pd.DataFrame) -> tuple[LocalBackend, str]:
    """A workspace with the regression split stored, and one finished kernel-ridge sweep."""
    backend = LocalBackend(data_dir)
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_blob_container(SA, BC)
    backend.create_workspace(RG, WS, SA)
    backend.create_compute(WS, ComputeSpec(CC, max_instances=1))
    schema = build_schema(frame, "stab", Task.REGRESSION)
    split = split_frame(frame, "stab", test_fraction=0.1, seed=42, stratify=False)
    store_dataset(backend, WORKSPACE, SA, BC, "grid", split, schema, "benchmark")
    spec = SweepSpec(
        model_family="kernel_ridge",
        task="regression",
        space=dict(PARAMS),
        sampling="random",
        seed=0,
        limits=Limits(max_total_trials=1, max_concurrent_trials=1),
        cv_folds=5,
    )
    job = backend.launch_sweep(WS, CC, "grid", 1, spec, experiment="grid-sweeps")
    started = time.perf_counter()
    while (status := backend.sweep_status(WS, job.id)).state in ("starting", "running"):
        time.sleep(0.5)
    if status.state != "completed":
        raise SystemExit(f"the sweep ended {status.state}: {status.job.message}")
    took = time.perf_counter() - started
    print(f"sweep of 1 trial x 5 folds on {len(split.train):,} train rows: {took:.1f} s")
    return backend, job.id


def stored_view(backend: LocalBackend, parent: str, trial: str) -> OutOfFold:
    """What the tab does now: read the stored predictions, build the view."""
    logged = logged_predictions(lambda run, path: backend.run_artifact(WS, run, path), trial, parent)
    if logged is None:
        raise SystemExit("the sweep stored no out-of-fold predictions: the refit did not keep them")
    return out_of_fold_from_predictions(logged[0], task="regression", mean={}, std={}, folds=5)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--csv", type=Path, default=ROOT.parent / "shared" / "data" / "smart_grid_stability.csv"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.csv.is_file():
        raise SystemExit(f"{args.csv} not found: pass --csv with smart_grid_stability.csv")
    frame = pd.read_csv(args.csv).drop(columns=["diagnosis"], errors="ignore")
    with tempfile.TemporaryDirectory(prefix="azml-bench-oof-") as folder:
        backend, sweep_id = sweep_once(Path(folder), frame)
        job = backend.sweep_status(WS, sweep_id).job
        assert isinstance(job, SweepJob), "the local engine's record"
        assert job.run_id is not None, "a finished sweep has its parent run"
        parent = client(backend.tracking_uri(WS)).get_run(job.run_id)
        trial = parent.data.tags["refit_from_run"]
        params = json.loads(client(backend.tracking_uri(WS)).get_run(trial).data.tags["params_json"])
        data = training_data_from_job(job)
        stored_s: list[float] = []
        anchor_s: list[float] = []
        views: dict[str, OutOfFold] = {}
        for round_ in range(args.rounds):
            order = ("stored", "anchor") if round_ % 2 == 0 else ("anchor", "stored")
            for which in order:
                started = time.perf_counter()
                if which == "stored":
                    views[which] = stored_view(backend, job.run_id, trial)
                    stored_s.append(time.perf_counter() - started)
                else:
                    views[which] = out_of_fold(data, params)
                    anchor_s.append(time.perf_counter() - started)
        gap = float(
            np.max(np.abs(views["stored"].y_pred.astype(float) - views["anchor"].y_pred.astype(float)))
        )
        stored, anchor = statistics.median(stored_s), statistics.median(anchor_s)
        ratio = stored / anchor
        print(f"stored predictions read: median {stored:.3f} s over {args.rounds} rounds")
        print(f"anchor, cross-validation re-run: median {anchor:.1f} s")
        print(f"ratio stored / anchor: {ratio:.4f} (goal <= {GOAL}); largest difference {gap:.2e}")
        if gap > 1e-9:
            raise SystemExit("the stored predictions differ from a re-run")


if __name__ == "__main__":
    main()
