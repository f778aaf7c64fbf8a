"""Data step at scale: load, validate, type, summarise and build every EDA figure for a
1,000,000-row × 14-column CSV, against `pandas.read_csv` alone on the same file, in one run.

Prints the time ratio (goal <= 2.0) and the peak memory of the pipeline as a multiple of the
DataFrame's own size (goal <= 3.0). It also prints what typing the columns (profiling and target
analysis, which the Data page runs on every load) costs against one `read_csv` of the same file
(goal <= 0.5): this was once a timed test, and timing ratios belong here, not in tests.

    .venv/bin/python benchmarks/data_pipeline.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.data import eda  # noqa: E402
from core.data.ingest import load_csv  # noqa: E402
from core.data.samples import heart_sample  # noqa: E402
from core.data.schema import FeatureType, Task, analyse_target, build_schema, profile_columns  # noqa: E402
from dashboard import figures  # noqa: E402


def write_csv(path: Path, rows: int) -> None:
    """The heart schema at scale: the synthetic sample's rows resampled with jitter."""
    base = heart_sample(n_rows=5000, seed=1)
    rng = np.random.default_rng(0)
    frame = base.sample(rows, replace=True, random_state=0).reset_index(drop=True)
    frame["chol"] = frame["chol"] + rng.integers(-5, 6, size=rows)
    frame["oldpeak"] = (frame["oldpeak"] + rng.normal(0, 0.05, size=rows)).round(1).clip(0)
    frame.to_csv(path, index=False)


def pipeline(path: Path) -> int:
    """Everything the Data and EDA pages compute for one file, figures included."""
    loaded = load_csv(path.read_bytes(), path.name)
    frame = loaded.frame
    target = "output"
    profiles = profile_columns(frame, target)  # the Data page shows these in its typing table
    analyse_target(frame, target)
    schema = build_schema(frame, target, profiles=profiles)
    summary = eda.column_summary(frame)
    figs = [figures.missing_values(summary), figures.class_balance(eda.target_counts(frame[target]), target)]
    frame = eda.figure_sample(frame)  # as the EDA page does: charts from a fixed sample
    scores = eda.associations(frame, target, list(schema.features), schema.task == Task.CLASSIFICATION)
    numeric = [c for c in scores.index if schema.features[c] != FeatureType.CATEGORICAL]
    figs.append(figures.correlation_heatmap(eda.correlation_matrix(frame, [*numeric, target])))
    figs.append(figures.associations_bar(scores, target))
    for name, kind in schema.features.items():
        if kind == FeatureType.NUMERIC:
            figs.append(figures.numeric_distribution(eda.numeric_histogram(frame[name], frame[target]), name))
        else:
            figs.append(
                figures.categorical_distribution(eda.category_counts(frame[name], frame[target]), name)
            )
    return len(figs)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def peak_rss_increase(path: Path) -> int:
    """Run the pipeline in a fresh process; return its peak RSS above the post-import RSS.

    VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over an exec, so a child started by
    this (large) process would report the parent's peak.
    """
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); import benchmarks.data_pipeline as b; "
        "from pathlib import Path; base = b._status_kb('VmRSS'); "
        "b.pipeline(Path(sys.argv[1])); "
        "print((b._status_kb('VmHWM') - base) * 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(ROOT)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        write_csv(path, args.rows)
        print(f"file: {args.rows:,} rows × 14 columns, {path.stat().st_size / 1e6:.1f} MB")
        pipeline(path)  # warm imports and the file cache
        anchor, ours = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            frame = pd.read_csv(path)
            anchor.append(time.perf_counter() - start)
            del frame
            gc.collect()
            start = time.perf_counter()
            n_figs = pipeline(path)
            ours.append(time.perf_counter() - start)
            gc.collect()
        frame = pd.read_csv(path)
        frame_bytes = frame.memory_usage(deep=True).sum()
        profiling = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            profile_columns(frame, "output")
            analyse_target(frame, "output")
            profiling.append(time.perf_counter() - start)
        del frame
        gc.collect()
        peak = peak_rss_increase(path)
    a, o = statistics.median(anchor), statistics.median(ours)
    print(f"pandas.read_csv alone : median {a:.2f} s")
    print(f"load+validate+type+summarise+{n_figs} figures: median {o:.2f} s")
    print(f"time ratio: {o / a:.2f}x  (goal <= 2.0x)")
    p = statistics.median(profiling)
    print(
        f"typing the columns (profile + target analysis): median {p:.2f} s = "
        f"{p / a:.2f}x read_csv (goal <= 0.5x)"
    )
    print(
        f"DataFrame size {frame_bytes / 1e6:.0f} MB; pipeline peak {peak / 1e6:.0f} MB "
        f"= {peak / frame_bytes:.2f}x  (goal <= 3.0x; peak RSS of a fresh process, raw file bytes included)"
    )


if __name__ == "__main__":
    main()
