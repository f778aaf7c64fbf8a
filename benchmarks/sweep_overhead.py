"""Sweep overhead against scikit-learn, and bayesian against random sampling.

1. Overhead. 60 random-forest configurations from the default space x 5-fold CV on the
   Kaggle heart data, 2 workers, full MLflow tracking and the refit of the best model,
   timed from launch to the finished record. The anchor runs the same 60 candidates (the
   ones the sweep drew) through RandomizedSearchCV(n_jobs=2, refit=True). Goal: ratio <= 1.15.
   Measured twice, like for like:
   - cold: a sweep on a cluster that has scaled to zero (a new runner process and new workers)
     against RandomizedSearchCV in a new Python process (timed from its start: imports,
     reading the CSV, loky starting its workers);
   - warm: a sweep on a cluster within its idle seconds (the last sweep's runner and workers)
     against RandomizedSearchCV in this process, whose loky workers are already up.
2. Sampling. Mean best CV accuracy after 30 trials over 10 seeds, bayesian (TPE) vs random,
   on the same space, run in process with the same trainer. Bayesian should not be worse.

    .venv/bin/python benchmarks/sweep_overhead.py [--csv ../shared/data/heart.csv] [--skip-sampling]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from core.compute import ComputeSpec  # noqa: E402
from core.data.ingest import load_csv  # noqa: E402
from core.data.schema import Schema, build_schema  # noqa: E402
from core.data.split import split_frame  # noqa: E402
from core.data.store import store_dataset  # noqa: E402
from core.local.backend import LocalBackend  # noqa: E402
from core.sweep.space import param_from_dict  # noqa: E402
from core.sweep.spec import Limits, SweepSpec  # noqa: E402
from core.train.families import get_family  # noqa: E402

RG, SA, BC, WS, CC = "rg-bench", "benchaccount001", "data", "bench-ws", "benchcluster"
COLD_CC = "benchcold"  # idle seconds 0: scales to zero after every sweep


def workspace(data_dir: Path, frame: pd.DataFrame) -> tuple[LocalBackend, Schema]:
    backend = LocalBackend(data_dir)
    backend.create_resource_group(RG, "eastus")
    backend.create_storage_account(RG, SA)
    backend.create_blob_container(SA, BC)
    backend.create_workspace(RG, WS, SA)
    backend.create_compute(WS, ComputeSpec(CC, max_instances=2, idle_seconds=600))
    backend.create_compute(WS, ComputeSpec(COLD_CC, max_instances=2, idle_seconds=0))
    schema = build_schema(frame, "output")
    # the whole file is the train split here: the anchor cross-validates the same rows
    split = split_frame(frame, "output", test_fraction=0.1, seed=0)
    split = type(split)(frame, split.test, split.test_fraction, split.seed, split.stratified)
    store_dataset(backend, WS, SA, BC, "heart", split, schema, "heart.csv")
    return backend, schema


def rf_spec(sampling: str, trials: int, seed: int, concurrency: int = 2) -> SweepSpec:
    family = get_family(build_task(), "random_forest")
    space = {name: param_from_dict(dict(dim), name) for name, dim in family.default_space().items()}
    return SweepSpec(
        model_family="random_forest",
        task="classification",
        space=space,
        sampling=sampling,  # type: ignore[arg-type]
        seed=seed,
        limits=Limits(max_total_trials=trials, max_concurrent_trials=concurrency),
        primary_metric="accuracy",
        cv_folds=5,
    )


def build_task():  # type: ignore[no-untyped-def]
    from core.data.schema import Task

    return Task.CLASSIFICATION


def run_local_sweep(
    backend: LocalBackend, spec: SweepSpec, cluster: str
) -> tuple[float, list[dict[str, object]]]:
    start = time.perf_counter()
    job = backend.launch_sweep(WS, cluster, "heart", 1, spec, experiment="bench")
    while True:
        status = backend.sweep_status(WS, job.id)
        if status.state not in ("starting", "running"):
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    if status.state != "completed":
        raise SystemExit(f"sweep ended {status.state}: {status.job.message}")
    return elapsed, [dict(t["params"]) for t in sorted(status.trials, key=lambda t: t["number"])]


class InOrder:
    """A "distribution" whose draws are the given items in order: RandomizedSearchCV then
    samples exactly the candidates the sweep ran (it draws all candidates up front)."""

    def __init__(self, items: list[object]) -> None:
        self.items = items
        self.next = 0

    def rvs(self, random_state: object = None) -> object:
        item = self.items[self.next % len(self.items)]
        self.next += 1
        return item


def run_sklearn(frame: pd.DataFrame, schema: Schema, candidates: list[dict[str, object]], seed: int) -> float:
    """RandomizedSearchCV(n_jobs=2) over exactly ``candidates``: each draw is a configured model."""
    from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold

    from core.train.families import get_family
    from core.train.trainer import build_pipeline

    family = get_family(build_task(), "random_forest")
    models = [family.build_estimator(c, seed) for c in candidates]
    X, y = frame.drop(columns="output"), frame["output"]
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    pipeline = build_pipeline(schema, "random_forest", {}, seed)
    search = RandomizedSearchCV(
        pipeline,
        {"model": InOrder(models)},
        n_iter=len(models),
        cv=cv,
        n_jobs=2,
        scoring="accuracy",
        random_state=seed,
        refit=True,
    )
    start = time.perf_counter()
    search.fit(X, y)
    elapsed = time.perf_counter() - start
    ran = [m.get_params() for m in search.cv_results_["param_model"]]
    assert ran == [m.get_params() for m in models], "RandomizedSearchCV must fit the same candidates"
    return elapsed


def run_sklearn_cold(csv: str, candidates: list[dict[str, object]], seed: int) -> float:
    """The same search in a new Python process, timed from its start to its exit."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(candidates, handle)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--sklearn-only", handle.name, "--csv", csv, "--seed", str(seed)],
        check=True,
    )
    elapsed = time.perf_counter() - start
    Path(handle.name).unlink()
    return elapsed


def sklearn_only(csv: str, candidates_json: str, seed: int) -> None:
    """Body of the cold anchor's process."""
    frame = load_csv(Path(csv).read_bytes(), "heart.csv").frame
    run_sklearn(frame, build_schema(frame, "output"), json.loads(Path(candidates_json).read_text()), seed)


def warm_up(backend: LocalBackend, frame: pd.DataFrame, schema: Schema) -> None:
    """Start the warm side of both: a small sweep on the warm cluster, and loky's workers."""
    run_local_sweep(backend, rf_spec("random", 2, seed=99), CC)
    _, candidates = run_local_sweep(backend, rf_spec("random", 2, seed=98), COLD_CC)
    run_sklearn(frame, schema, candidates, seed=98)


def ratio_line(label: str, ours: list[float], theirs: list[float]) -> str:
    a, b = statistics.median(ours), statistics.median(theirs)
    return (
        f"  {label}: local sweep {a:.1f} s (runs {', '.join(f'{x:.1f}' for x in ours)}) vs "
        f"RandomizedSearchCV {b:.1f} s (runs {', '.join(f'{x:.1f}' for x in theirs)}): "
        f"ratio {a / b:.2f}x  (goal <= 1.15x)"
    )


def best_after(frame: pd.DataFrame, schema: Schema, sampling: str, trials: int, seed: int) -> float:
    """Best mean CV accuracy after ``trials`` trials, in process (no MLflow: sampling only)."""
    from core.sweep.sampling import make_sampler
    from core.train.trainer import cross_validate_trial

    spec = rf_spec(sampling, trials, seed, concurrency=1)
    sampler = make_sampler(spec)
    best = 0.0
    for _ in range(trials):
        suggestion = sampler.ask()
        assert suggestion is not None
        result = cross_validate_trial(
            frame, schema, "random_forest", suggestion.params, primary_metric="accuracy", folds=5, seed=seed
        )
        score = result.mean["accuracy"]
        sampler.tell(suggestion.number, score)
        best = max(best, score)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", default=str(ROOT.parent / "shared" / "data" / "heart.csv"))
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-sampling", action="store_true")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--sklearn-only", metavar="CANDIDATES_JSON", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sklearn_only:
        sklearn_only(args.csv, args.sklearn_only, args.seed)
        return
    frame = load_csv(Path(args.csv).read_bytes(), "heart.csv").frame
    schema = build_schema(frame, "output")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_overhead:
            backend, _ = workspace(Path(tmp), frame)
            warm_up(backend, frame, schema)
            sides: dict[str, list[float]] = {"cold": [], "cold_anchor": [], "warm": [], "warm_anchor": []}
            for round_ in range(args.rounds):  # alternate the sides; medians damp a noisy machine
                spec = rf_spec("random", args.trials, seed=round_)
                cold, candidates = run_local_sweep(backend, spec, COLD_CC)
                sides["cold"].append(cold)
                sides["cold_anchor"].append(run_sklearn_cold(args.csv, candidates, seed=round_))
                warm, same = run_local_sweep(backend, spec, CC)
                assert same == candidates, "the warm and cold sweeps must draw the same candidates"
                sides["warm"].append(warm)
                sides["warm_anchor"].append(run_sklearn(frame, schema, candidates, seed=round_))
            print(
                f"{args.trials} RF configurations x 5 folds on {args.csv} ({len(frame)} rows), 2 workers, "
                f"full MLflow tracking + refit and model logging; median of {args.rounds} round(s)"
            )
            cold_label, warm_label = "cold (new runner vs new process)", "warm (warm cluster vs warm loky)"
            print(ratio_line(cold_label, sides["cold"], sides["cold_anchor"]))
            print(ratio_line(warm_label, sides["warm"], sides["warm_anchor"]))
    if not args.skip_sampling:
        bayes = [best_after(frame, schema, "bayesian", 30, seed) for seed in range(args.seeds)]
        rand = [best_after(frame, schema, "random", 30, seed) for seed in range(args.seeds)]
        print(f"best CV accuracy after 30 trials, mean over {args.seeds} seeds:")
        print(f"  bayesian (TPE) {statistics.fmean(bayes):.4f} ± {statistics.pstdev(bayes):.4f}")
        print(f"  random         {statistics.fmean(rand):.4f} ± {statistics.pstdev(rand):.4f}")
        print(f"  bayesian - random: {statistics.fmean(bayes) - statistics.fmean(rand):+.4f}  (goal >= 0)")


if __name__ == "__main__":
    main()
