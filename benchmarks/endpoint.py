"""The online endpoint against `mlflow models serve` and against the in-process limit, in one run.

Serves the heart random-forest pipeline (the Random forest family with its default
hyperparameters, fitted on the real Kaggle heart.csv when it exists ($AZML_HEART_CSV, else
../shared/data/heart.csv beside the repository), else on the built-in heart
sample) three ways: this project's endpoint, the same endpoint with batching turned off (a
control), and `mlflow models serve --env-manager local` on the same logged model folder, with its
default single worker and with as many workers as ours (the better of the two is the reference).
Then:

- throughput: single-row requests from 8 concurrent clients, requests/s with p50/p95, against
  mlflow-serve (goal >= 2.5x) and against the in-process limit = workers x the single-row
  predict rate measured here (goal >= 0.8x); every answer is checked against in-process predict;
- batch: one 10,000-row request's round trip against in-process predict on the same rows (goal <= 1.5x);
- robustness: 10,000 requests from 16 clients, valid and malformed mixed: 0 answers >= 500,
  0 wrong predictions, and the server still healthy (same pid) afterwards.

    .venv/bin/python benchmarks/endpoint.py [--seconds 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HEART_CSV = Path(os.environ.get("AZML_HEART_CSV") or ROOT.parent / "shared" / "data" / "heart.csv")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_heart() -> tuple[pd.DataFrame, str]:
    from core.data.samples import heart_sample

    if HEART_CSV.exists():
        return pd.read_csv(HEART_CSV), str(HEART_CSV)
    return heart_sample(), f"the built-in heart sample (synthetic; {HEART_CSV} is absent: set AZML_HEART_CSV)"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class Load:
    """``clients`` threads sending prepared requests for ``seconds`` (or ``total`` requests)."""

    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        self.port, self.path, self.headers = port, path, headers

    def run(
        self,
        requests: list[tuple[bytes, Any, dict[str, str]]],
        clients: int,
        seconds: float | None = None,
        total: int | None = None,
        check: Callable[[int, bytes, Any], str] | None = None,
    ) -> dict[str, Any]:
        lock = threading.Lock()
        latencies: list[float] = []
        outcomes: Counter[str] = Counter()
        statuses: Counter[int] = Counter()
        counter = iter(range(10**9))
        stop = time.perf_counter() + seconds if seconds else None

        def client(offset: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            i = offset
            while True:
                n = next(counter)
                if (total is not None and n >= total) or (stop is not None and time.perf_counter() > stop):
                    break
                body, expected, extra = requests[(offset + i) % len(requests)]
                i += clients
                started = time.perf_counter()
                try:
                    conn.request("POST", self.path, body, {**self.headers, **extra})
                    response = conn.getresponse()
                    raw = response.read()
                    status = response.status
                    if response.getheader("connection", "").lower() == "close":
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                except (ConnectionError, http.client.HTTPException, OSError):
                    status, raw = 599, b""  # the connection broke: counted as a server failure
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                elapsed = time.perf_counter() - started
                verdict = (
                    check(status, raw, expected) if check else ("ok" if status == 200 else f"status {status}")
                )
                with lock:
                    latencies.append(elapsed)
                    statuses[status] += 1
                    outcomes[verdict] += 1
            conn.close()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
        return {
            "requests": len(latencies),
            "rps": len(latencies) / wall,
            "p50_ms": percentile(latencies, 50) * 1000,
            "p95_ms": percentile(latencies, 95) * 1000,
            "statuses": dict(statuses),
            "outcomes": dict(outcomes),
        }


def exact(status: int, raw: bytes, expected: Any) -> str:
    if status != 200:
        return f"status {status}"
    return "ok" if json.loads(raw) == expected else "WRONG"


def start_mlflow_serve(model_dir: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # mlflow runs `uvicorn` from PATH: put this interpreter's scripts folder first
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "MLFLOW_MODELS_WORKERS": str(workers), "PATH": path}
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        model_dir,
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-w",
        str(workers),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mlflow models serve exited while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ping")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("mlflow models serve did not answer /ping in 180 s")


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def malformed_requests(
    columns: list[str], good_rows: list[list[Any]], key: str
) -> list[tuple[bytes, Any, dict[str, str]]]:
    """Bodies and headers that must each get a 4xx, never a 5xx."""
    auth = {"Authorization": f"Bearer {key}"}
    row = good_rows[0]

    def split(cols: list[str], data: list[list[Any]]) -> bytes:
        block = {"columns": cols, "index": list(range(len(data))), "data": data}
        return json.dumps({"input_data": block}).encode()

    wrong_type = [list(row) for _ in range(2)]
    wrong_type[1][2] = "typical angina"
    bad: list[tuple[bytes, Any, dict[str, str]]] = [
        (b"{not json", 400, auth),
        (b"", 400, auth),
        (b"null", 400, auth),
        (b"\xff\xfe\xfd", 400, auth),
        (b"[" * 50_000, 400, auth),
        (b'{"input_data": {"columns": ["age"], "data": [[NaN]]}}', 400, auth),
        (split(columns[1:], [r[1:] for r in good_rows[:3]]), 400, auth),  # a missing column
        (split([*columns, "extra"], [[*r, 1] for r in good_rows[:3]]), 400, auth),  # an unknown column
        (split(columns, wrong_type), 400, auth),  # wrong type
        (split(columns, [[r[0] + 0.5, *r[1:]] for r in good_rows[:2]]), 400, auth),  # 63.5 in an int column
        (split(columns, []), 400, auth),  # empty data
        (split(columns, [row[:-1]]), 400, auth),  # a short row
        (json.dumps({"data": [dict(zip(columns[:-1], row, strict=False))]}).encode(), 400, auth),
        (json.dumps({"dataframe_split": {"columns": columns, "data": [row]}}).encode(), 400, auth),
        (
            json.dumps({"input_data": {"columns": columns, "data": [row]}, "params": {"x": 1}}).encode(),
            400,
            auth,
        ),
        (split(columns, [row]), 401, {}),  # no key
        (split(columns, [row]), 401, {"Authorization": "Bearer not-the-key"}),
        (split(columns, [row]), 404, {**auth, "azureml-model-deployment": "nope"}),
    ]
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each throughput run")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="model processes / mlflow workers"
    )
    parser.add_argument("--robust", type=int, default=10_000, help="requests in the robustness run")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    import mlflow
    from mlflow.tracking import MlflowClient

    from core.data.schema import Task, build_schema
    from core.endpoint.batching import ENV_MAX_BATCH_ROWS
    from core.endpoint.client import split_payload
    from core.endpoint.service import LocalEndpoints
    from core.local.workspace_store import provision_mlflow_store
    from core.train.target import feature_frame
    from core.train.tracking import log_model
    from core.train.trainer import fit_final

    frame, source = load_heart()
    schema = build_schema(frame, "output", Task.CLASSIFICATION)
    pipeline = fit_final(frame, schema, "random_forest", {})
    features = feature_frame(frame, schema)
    print(
        f"model: Random forest (scikit-learn defaults, {pipeline[-1].n_estimators} trees) "
        f"on {source}, {len(frame)} rows"
    )
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
        f"workers: {args.workers}"
    )

    with tempfile.TemporaryDirectory(prefix="endpoint-bench-") as tmp:
        folder = Path(tmp)
        uri = provision_mlflow_store(folder / "ws")
        mlflow.set_tracking_uri(uri)
        with mlflow.start_run() as run:
            info = log_model(pipeline, frame, name="model")
        client = MlflowClient(uri)
        client.create_registered_model("heart-rf")
        artifacts = client.get_logged_model(info.model_id).artifact_location
        client.create_model_version(
            "heart-rf",
            source=artifacts,
            run_id=run.info.run_id,
            model_id=info.model_id,
            tags={"task": "classification"},
        )
        model_dir = artifacts.removeprefix("file://")

        endpoints = LocalEndpoints(folder / "ws" / "endpoints", "bench", uri)
        procs: list[subprocess.Popen[bytes]] = []
        try:
            endpoints.create_endpoint("heart-bench")
            endpoints.create_deployment("heart-bench", "heart-rf", "heart-rf", 1, instance_count=args.workers)
            os.environ[ENV_MAX_BATCH_ROWS] = "1"
            endpoints.create_endpoint("heart-nobatch")
            endpoints.create_deployment(
                "heart-nobatch", "heart-rf", "heart-rf", 1, instance_count=args.workers
            )
            del os.environ[ENV_MAX_BATCH_ROWS]
            ours = endpoints.get("heart-bench").record
            nobatch = endpoints.get("heart-nobatch").record
            key = endpoints.keys("heart-bench").primary.reveal()
            key_nb = endpoints.keys("heart-nobatch").primary.reveal()
            mlflow_ports = {}
            for workers in sorted({1, args.workers}):  # its default (1) and as many workers as ours
                mlflow_proc, mlflow_ports[workers] = start_mlflow_serve(model_dir, workers)
                procs.append(mlflow_proc)

            # -- the in-process single-row rate ---------------------------------------------
            singles = [features.iloc[[i]] for i in range(len(features))]
            for one in singles[:20]:
                pipeline.predict(one)
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < 5:
                pipeline.predict(singles[count % len(singles)])
                count += 1
            per_row_ms = (time.perf_counter() - started) / count * 1000
            rate = 1000 / per_row_ms
            limit = args.workers * rate
            print(
                f"\nin process: single-row predict {per_row_ms:.1f} ms -> {rate:.1f}/s per worker; "
                f"limit {args.workers} x {rate:.1f} = {limit:.1f} requests/s"
            )

            # -- throughput -----------------------------------------------------------------------
            expected = pipeline.predict(features).tolist()
            ours_requests = [
                (json.dumps(split_payload(one)).encode(), [expected[i]], {}) for i, one in enumerate(singles)
            ]
            mlflow_requests = [
                (
                    json.dumps({"dataframe_split": split_payload(one)["input_data"]}).encode(),
                    {"predictions": [expected[i]]},
                    {},
                )
                for i, one in enumerate(singles)
            ]
            json_h = {"Content-Type": "application/json"}
            runs = {}
            for label, load, requests in (
                (
                    "endpoint",
                    Load(ours.port or 0, "/score", {**json_h, "Authorization": f"Bearer {key}"}),
                    ours_requests,
                ),
                (
                    "endpoint, batching off",
                    Load(nobatch.port or 0, "/score", {**json_h, "Authorization": f"Bearer {key_nb}"}),
                    ours_requests,
                ),
                *[
                    (
                        f"mlflow serve, {w} worker{'s' if w > 1 else ''}",
                        Load(port, "/invocations", json_h),
                        mlflow_requests,
                    )
                    for w, port in mlflow_ports.items()
                ],
            ):
                load.run(requests, 8, seconds=2, check=exact)  # warm up
                runs[label] = load.run(requests, 8, seconds=args.seconds, check=exact)
            print(f"\nthroughput: single-row requests, 8 concurrent clients, {args.seconds:.0f} s each")
            print(f"{'server':<26}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}  answers")
            for label, result in runs.items():
                print(
                    f"{label:<26}{result['rps']:>9.1f}{result['p50_ms']:>9.1f}{result['p95_ms']:>9.1f}  "
                    f"{result['outcomes']}"
                )
            best_mlflow = max(
                (r for label, r in runs.items() if label.startswith("mlflow")), key=lambda r: r["rps"]
            )
            ratio_mlflow = runs["endpoint"]["rps"] / best_mlflow["rps"]
            ratio_limit = runs["endpoint"]["rps"] / limit
            print(f"ratio endpoint / best mlflow-serve   = {ratio_mlflow:.2f}x  (goal >= 2.5)")
            print(f"ratio endpoint / in-process limit    = {ratio_limit:.2f}x  (goal >= 0.8)")
            print(
                "ratio batching off / in-process limit = "
                f"{runs['endpoint, batching off']['rps'] / limit:.2f}x  (control)"
            )

            # -- batch ----------------------------------------------------------------------------
            big = features.sample(10_000, replace=True, random_state=0)
            big_expected = pipeline.predict(big).tolist()
            body = json.dumps(split_payload(big)).encode()
            conn = http.client.HTTPConnection("127.0.0.1", ours.port or 0, timeout=120)
            trips, local = [], []
            for _ in range(7):
                started = time.perf_counter()
                conn.request("POST", "/score", body, {**json_h, "Authorization": f"Bearer {key}"})
                response = conn.getresponse()
                answer = json.loads(response.read())
                trips.append(time.perf_counter() - started)
                assert response.status == 200 and answer == big_expected, "the 10,000-row answer differs"
                started = time.perf_counter()
                pipeline.predict(big)
                local.append(time.perf_counter() - started)
            conn.close()
            trip, inproc = statistics.median(trips) * 1000, statistics.median(local) * 1000
            print(
                f"\nbatch: one 10,000-row request ({len(body) / 1e6:.2f} MB), median of 7, answers identical"
            )
            print(
                f"round trip {trip:.0f} ms, in-process predict {inproc:.0f} ms: "
                f"ratio = {trip / inproc:.2f}x  (goal <= 1.5)"
            )

            # -- robustness -----------------------------------------------------------------------
            rows = split_payload(features)["input_data"]["data"]
            columns = list(features.columns)
            rng = random.Random(7)
            mixed: list[tuple[bytes, Any, dict[str, str]]] = []
            for _ in range(400):
                idx = rng.sample(range(len(rows)), rng.choice([1, 1, 2, 5, 20]))
                payload = {"input_data": {"columns": columns, "index": idx, "data": [rows[i] for i in idx]}}
                if rng.random() < 0.3:
                    payload = {"data": [dict(zip(columns, rows[i], strict=True)) for i in idx]}
                mixed.append(
                    (
                        json.dumps(payload).encode(),
                        [expected[i] for i in idx],
                        {"Authorization": f"Bearer {key}"},
                    )
                )
            bad = malformed_requests(columns, rows, key)
            mixed += bad * 12
            oversized = b'{"data": [' + b"0," * (17 * 1024 * 1024) + b"0]}"  # 34 MB > the 32 MiB limit
            mixed += [(oversized, 413, {"Authorization": f"Bearer {key}"})] * 2
            rng.shuffle(mixed)

            def judge(status: int, raw: bytes, want: Any) -> str:
                if status >= 500:
                    return "SERVER ERROR"
                if isinstance(want, int):
                    return "ok" if status == want else f"expected {want}, got {status}"
                if status != 200:
                    return f"expected 200, got {status}"
                return "ok" if json.loads(raw) == want else "WRONG"

            before = endpoints.get("heart-bench").health.info["pid"]
            result = Load(ours.port or 0, "/score", json_h).run(mixed, 16, total=args.robust, check=judge)
            after = endpoints.get("heart-bench").health
            server_errors = sum(n for s, n in result["statuses"].items() if s >= 500)
            wrong = result["outcomes"].get("WRONG", 0)
            print(
                f"\nrobustness: {result['requests']:,} requests, 16 clients, "
                f"{len(bad) + 1} kinds of malformed request mixed in"
            )
            print(f"status codes: {dict(sorted(result['statuses'].items()))}")
            print(f"verdicts: {result['outcomes']}")
            print(
                f"5xx: {server_errors}, wrong predictions: {wrong}, healthy afterwards: {after.healthy} "
                f"(same pid: {after.info.get('pid') == before})"
            )
        finally:
            for proc in procs:
                stop_group(proc)
            for info_ in endpoints.endpoints():
                endpoints.delete(info_.name)
            mlflow.set_tracking_uri(None)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
