"""The fake's sweep runner: a submitted SweepJob runs its trials for real.

States, one step per GET of the job (so tests see every state and stay deterministic):
``NotStarted`` (the PUT's answer) -> ``Queued`` -> ``Preparing`` -> ``Running`` -> ``Completed``
| ``Failed`` | ``Canceled`` (``CancelRequested`` between a cancel and the children's end).

While Running, the runner draws configurations from the job's REST ``searchSpace`` itself
(``random`` with the job's seed, ``grid`` over the choices; ``bayesian`` is drawn at random
here), runs up to ``maxConcurrentTrials`` children at once and ``maxTotalTrials`` in all. Each
child is a real subprocess of the job's trial command, with Azure's substitutions
(``${{inputs.x}}``, ``${{search_space.x}}``), run in a folder holding the code version
downloaded from Azurite, ``uri_file`` inputs downloaded from Azurite beside it:
``python -S -m core.train ...`` with ``PYTHONPATH=<code folder>:<site-packages>`` (so only the
uploaded snapshot provides ``core``), ``MLFLOW_TRACKING_URI`` = the workspace's mlflow server,
``MLFLOW_RUN_ID`` = the child's job name and ``AZURE_STORAGE_CONNECTION_STRING`` = Azurite.

MLflow, as on Azure: the sweep job is a run whose id is the job name (the job's tags copied as
run tags, its status mapped); each child ``<sweep>_<n>`` is a run with that id, tagged
``mlflow.parentRunId=<sweep>``, in the job's experiment, with artifact URI
``wasbs://azureml@devstoreaccount1.blob.core.windows.net/ExperimentRun/dcid.<run id>`` (the
trainer's MLflow writes there, into Azurite). The runs are created directly in the mlflow
server's SQLite store (``fake.workspace_mlflow.server.backend_uri``), since a REST client cannot
choose a run id. Metrics come from the real training only. ``best_child_run_id`` (and ``score``)
in the job's ``properties.properties`` follow the best finished child by the primary metric's
last value and the objective's goal.

Limits: ``timeout`` cancels the sweep and its running trials (noticed on a GET or a child's end);
``trialTimeout`` cancels one trial. Not modelled: early-termination policies (never applied:
every trial runs to its end), and run history (``jobs.list(parent_job_name=...)``
goes to the run-history data plane, which the fake does not serve: read children from MLflow).

Failure cases, for tests:

- compute not found: submit to a compute the workspace lacks; the PUT answers 404.
- :func:`exceed_quota`: the next jobs on a cluster fail while Queued with Azure's quota error.
- :func:`break_environment_image`: jobs using an environment version fail while Preparing with
  the image-build error.
- :func:`fail_trial`: one child (by number) gets its ``uri_file`` inputs missing, so its real
  command exits non-zero: that child is Failed and the sweep goes on.
- :func:`cancel_elsewhere`: someone cancels the job in the studio.

The failure text of a failed job goes to ``properties.error`` (``{"code", "message",
"details"}``, Azure's error shape): the REST model azure-ai-ml reads has no such field (Azure
keeps it in run history), so read it from the raw body.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import math
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.azure.fake.core import FakeAzure, Response, arm_error
from tests.azure.fake.routes_ml import children, ws_id

ARTIFACT_CONTAINER = "azureml"
ARTIFACT_ROOT = "wasbs://azureml@devstoreaccount1.blob.core.windows.net/ExperimentRun/dcid."
FINAL = ("Completed", "Failed", "Canceled")
MLFLOW_STATUS = {
    "NotStarted": "SCHEDULED",
    "Queued": "SCHEDULED",
    "Preparing": "SCHEDULED",
    "Running": "RUNNING",
    "CancelRequested": "RUNNING",
    "Completed": "FINISHED",
    "Failed": "FAILED",
    "Canceled": "KILLED",
}
# The shape of Azure's answer (status code JobNodeCountExceedsCoreQuota, the VM family's vCPU
# quota against what the job's nodes need, and the quota how-to), in this fake's words.
QUOTA_MESSAGE = (
    "Job submission to AzureML Compute '{compute}' failed with status code JobNodeCountExceedsCoreQuota: "
    "the subscription's Standard DSv2 family vCPU quota is 0, less than the 4 vCPUs the job's node "
    "count needs. Ask your subscription admin for more quota, see "
    "https://learn.microsoft.com/azure/machine-learning/how-to-manage-quotas#request-quota-increases"
)
IMAGE_BUILD_MESSAGE = (
    "Image build failed. For more details, check log file azureml-logs/20_image_build_log.txt. "
    "Environment '{environment}' version {version} could not be built."
)


# -- cross-references a job PUT checks --------------------------------------------------------
def _segment(arm_id: str, kind: str) -> tuple[str, str | None] | None:
    found = re.search(rf"/{kind}/([^/]+)(?:/versions/([^/]+))?$", arm_id, re.IGNORECASE)
    return (found.group(1), found.group(2)) if found else None


def _short_ref(ref: str) -> tuple[str, str | None] | None:
    """``azureml:name:version`` / ``name:version`` / ``name@latest``."""
    text = ref.removeprefix("azureml:")
    if "/" in text:
        return None
    if "@" in text:
        return text.split("@", 1)[0], None
    name, _, version = text.partition(":")
    return name, version or None


def environment_ref(env_id: str) -> tuple[str, str | None] | None:
    """(name, version) of a workspace environment, None for a registry's (not checked)."""
    if "registries/" in env_id:
        return None
    return _segment(env_id, "environments") or _short_ref(env_id)


def data_ref(uri: str) -> tuple[str, str | None] | None:
    """(name, version) of a data asset an input names, None for a path (datastore or URL)."""
    text = uri.removeprefix("azureml:")
    if text.startswith("//") or "://" in uri and not uri.startswith("azureml:/"):
        return None
    return _segment(text, "data") or _short_ref(text)


def _latest(versions: dict[str, Any]) -> str | None:
    return max(versions, key=lambda v: int(v) if v.isdigit() else 0) if versions else None


def check_references(fake: FakeAzure, sub: str, rg: str, ws: str, props: dict[str, Any]) -> Response | None:
    """What Azure refuses at submission: a missing compute, environment, code or data asset, an
    empty search space, grid sampling over a non-choice."""
    from tests.azure.fake.routes_jobs import find_code

    compute = _segment(props.get("computeId") or "", "computes")
    name = compute[0] if compute else (props.get("computeId") or "")
    if not name or name not in children(fake, sub, rg, ws, "computes"):
        return arm_error(
            404,
            "UserError",
            f"Compute '{name}' is not found in workspace '{ws}'. Create it, or submit to an existing "
            "compute target.",
        )
    trial = props.get("trial") or {}
    env = environment_ref(trial.get("environmentId") or "")
    if env is not None:
        versions = children(fake, sub, rg, ws, "environments").get(env[0], {})
        if (env[1] or _latest(versions)) not in versions:
            return arm_error(
                404,
                "UserError",
                f"Could not find asset with ID: {ws_id(sub, rg, ws)}/environments/{env[0]}/versions/{env[1]}",
            )
    if trial.get("codeId") and find_code(fake, trial["codeId"]) is None:
        return arm_error(404, "UserError", f"Could not find asset with ID: {trial['codeId']}")
    for input_name, value in (props.get("inputs") or {}).items():
        uri = value.get("uri") if isinstance(value, dict) else None
        asset = data_ref(uri) if uri else None
        if asset is not None:
            versions = children(fake, sub, rg, ws, "data").get(asset[0], {})
            if (asset[1] or _latest(versions)) not in versions:
                return arm_error(
                    404,
                    "UserError",
                    f"Input '{input_name}': could not find asset with ID: "
                    f"{ws_id(sub, rg, ws)}/data/{asset[0]}/versions/{asset[1]}",
                )
    space = props.get("searchSpace") or {}
    if not space:
        return arm_error(400, "UserError", "A sweep job needs a non-empty search space.")
    sampling = (props.get("samplingAlgorithm") or {}).get("samplingAlgorithmType", "Random")
    if sampling.lower() == "grid":
        for param, expression in space.items():
            if str(expression[0]).lower() != "choice":
                return arm_error(
                    400, "UserError", f"Grid sampling supports choice only; '{param}' is {expression[0]}."
                )
    if not (props.get("objective") or {}).get("primaryMetric"):
        return arm_error(400, "UserError", "A sweep job needs objective.primaryMetric.")
    return None


def accepted_properties(
    fake: FakeAzure, sub: str, rg: str, ws: str, name: str, props: dict[str, Any]
) -> dict[str, Any]:
    """The job's properties as Azure answers them after a PUT (recorded traffic)."""
    objective = dict(props.get("objective") or {})
    objective["goal"] = str(objective.get("goal") or "Maximize").capitalize()
    trial = dict(props.get("trial") or {})
    env = environment_ref(trial.get("environmentId") or "")
    if env is not None:
        version = env[1] or _latest(children(fake, sub, rg, ws, "environments").get(env[0], {}))
        trial["environmentId"] = f"{ws_id(sub, rg, ws)}/environments/{env[0]}/versions/{version}"
    metric = json.dumps({"name": objective.get("primaryMetric"), "goal": objective["goal"].lower()})
    return {
        **props,
        "description": props.get("description"),
        "tags": dict(props.get("tags") or {}),
        "properties": {
            **(props.get("properties") or {}),
            "primary_metric_config": metric,
            "runTemplate": "HyperDrive",
            "azureml.runsource": "hyperdrive",
            "platform": "AML",
        },
        "displayName": props.get("displayName") or name,
        "experimentName": props.get("experimentName") or "Default",
        "status": "NotStarted",
        "isArchived": bool(props.get("isArchived")),
        "objective": objective,
        "trial": trial,
        "outputs": {
            "default": {
                "description": None,
                "uri": f"azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.{name}",
                "mode": "ReadWriteMount",
                "jobOutputType": "uri_folder",
            },
            **(props.get("outputs") or {}),
        },
    }


# -- failure injection ---------------------------------------------------------------------
def _faults(fake: FakeAzure) -> dict[str, Any]:
    store: dict[str, Any] = fake.data.setdefault(
        "sweep_faults", {"quota": set(), "image": set(), "trials": set()}
    )
    return store


def exceed_quota(fake: FakeAzure, compute: str) -> None:
    """Jobs on ``compute`` fail while Queued: the cluster cannot get nodes within the quota."""
    with fake.lock:
        _faults(fake)["quota"].add(compute.lower())


def break_environment_image(fake: FakeAzure, environment: str, version: str) -> None:
    """Jobs using this environment version fail while Preparing: its image does not build."""
    with fake.lock:
        _faults(fake)["image"].add((environment.lower(), str(version)))


def fail_trial(fake: FakeAzure, number: int) -> None:
    """Child ``<sweep>_<number>`` of every sweep gets no input files: its command exits non-zero."""
    with fake.lock:
        _faults(fake)["trials"].add(number)


# -- the runner -----------------------------------------------------------------------------
@dataclass
class Trial:
    name: str
    number: int
    params: dict[str, Any]
    status: str = "Running"
    process: subprocess.Popen[bytes] | None = None
    output: str = ""  # the command's stdout and stderr, for a test's failure message
    started: float = 0.0  # time.monotonic() when the command started, and when it ended
    ended: float = 0.0


@dataclass
class Sweep:
    fake: FakeAzure
    sub: str
    rg: str
    ws: str
    job: dict[str, Any]  # the stored job record (GET's answer)
    configs: Any  # iterator of configurations
    trials: list[Trial] = field(default_factory=list)
    folder: Path | None = None  # code + inputs, downloaded once
    prepared: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)
    running_since: float = 0.0  # time.monotonic() when the sweep started Running

    @property
    def name(self) -> str:
        return str(self.job["name"])

    @property
    def props(self) -> dict[str, Any]:
        props: dict[str, Any] = self.job["properties"]
        return props

    @property
    def status(self) -> str:
        return str(self.props["status"])


def _sweeps(fake: FakeAzure) -> dict[str, Sweep]:
    store: dict[str, Sweep] = fake.data.setdefault("sweeps", {})
    return store


def find_sweep(fake: FakeAzure, name: str) -> Sweep | None:
    return _sweeps(fake).get(name)


def submit(fake: FakeAzure, sub: str, rg: str, ws: str, job: dict[str, Any]) -> None:
    """Register a just-accepted sweep job and create its MLflow run."""
    props = job["properties"]
    limits = props.get("limits") or {}
    total = int(limits.get("maxTotalTrials") or 1)
    sweep = Sweep(
        fake, sub, rg, ws, job, iter(draw(props["searchSpace"], props.get("samplingAlgorithm"), total))
    )
    _sweeps(fake)[job["name"]] = sweep
    mlflow = _mlflow(fake)
    if mlflow is not None:
        experiment = _experiment(mlflow, props["experimentName"])
        tags = {**props["tags"], "mlflow.runName": props["displayName"], "azureml.runsource": "hyperdrive"}
        _create_run(mlflow, sweep.name, experiment, tags, "SCHEDULED")


def advance(fake: FakeAzure, name: str) -> None:
    """Time passes for the job ``name`` (called on each GET): one state before Running, then
    the children are scheduled and the end noticed."""
    sweep = find_sweep(fake, name)
    if sweep is None or sweep.status in FINAL:
        return
    faults = _faults(fake)
    compute = (_segment(sweep.props.get("computeId") or "", "computes") or ("",))[0]
    env = environment_ref(sweep.props["trial"].get("environmentId") or "")
    status = sweep.status
    if status == "NotStarted":
        _set_status(sweep, "Queued")
    elif status == "Queued":
        if compute.lower() in faults["quota"]:
            _fail(sweep, "UserError", QUOTA_MESSAGE.format(compute=compute), "JobNodeCountExceedsCoreQuota")
        else:
            _set_status(sweep, "Preparing")
    elif status == "Preparing":
        if env is not None and (env[0].lower(), str(env[1])) in faults["image"]:
            message = IMAGE_BUILD_MESSAGE.format(environment=env[0], version=env[1])
            _fail(sweep, "UserError", message, "ImageBuildFailure")
        else:
            _set_status(sweep, "Running")
            sweep.running_since = time.monotonic()
            schedule(sweep)
    else:
        schedule(sweep)


def schedule(sweep: Sweep) -> None:
    """Start children up to the limits; notice the end. Call with ``fake.lock`` held."""
    if sweep.status == "CancelRequested":
        if not any(t.status == "Running" for t in sweep.trials):
            _set_status(sweep, "Canceled")
        return
    if sweep.status != "Running":
        return
    limits = sweep.props.get("limits") or {}
    timeout = iso_seconds(limits.get("timeout"))
    if timeout is not None and time.monotonic() - sweep.running_since > timeout:
        _cancel_running(sweep)  # Azure cancels the sweep, and its trials, at its timeout
        return
    total = int(limits.get("maxTotalTrials") or 1)
    concurrent = int(limits.get("maxConcurrentTrials") or total)
    while sum(t.status == "Running" for t in sweep.trials) < concurrent and len(sweep.trials) < total:
        params = next(sweep.configs, None)
        if params is None:
            break
        trial = Trial(f"{sweep.name}_{len(sweep.trials)}", len(sweep.trials), params)
        sweep.trials.append(trial)
        thread = threading.Thread(target=_run_trial, args=(sweep, trial), name=trial.name, daemon=True)
        sweep.threads.append(thread)
        thread.start()
    if any(t.status == "Running" for t in sweep.trials):
        return
    # nothing runs and nothing more can start: the limit is reached or the space is exhausted
    if sweep.trials and all(t.status == "Failed" for t in sweep.trials):
        _fail(sweep, "UserError", "All the sweep's trials failed; see the children's logs.", "TrialsFailed")
    else:
        _set_status(sweep, "Completed")


def cancel(fake: FakeAzure, name: str) -> None:
    """Cancel the job: running children are killed (their runs KILLED), finished ones kept."""
    with fake.lock:
        sweep = find_sweep(fake, name)
        if sweep is not None and sweep.status not in FINAL:
            _cancel_running(sweep)


def _cancel_running(sweep: Sweep) -> None:
    running = [t for t in sweep.trials if t.status == "Running"]
    if not running:
        _set_status(sweep, "Canceled")
        return
    _set_status(sweep, "CancelRequested")
    for trial in running:
        trial.status = "Canceled"
        if trial.process is not None and trial.process.poll() is None:
            trial.process.kill()


def cancel_elsewhere(fake: FakeAzure, job: str) -> None:
    """Someone else cancels the sweep ``job`` (in the studio, with the CLI): no request to this
    fake's REST routes, the same effect."""
    cancel(fake, job)


def elapse(fake: FakeAzure, name: str, seconds: float, *, whole_sweep: bool = True) -> None:
    """Time passes for the limits of sweep ``name``: its ``timeout`` (unless not ``whole_sweep``)
    and its running trials' ``trialTimeout`` are measured from clocks this moves back (Azure's
    limits are whole minutes; tests do not wait that long)."""
    with fake.lock:
        sweep = find_sweep(fake, name)
        if sweep is None:
            return
        if whole_sweep:
            sweep.running_since -= seconds
        for trial in sweep.trials:
            if trial.status == "Running":
                trial.started -= seconds


def wait_idle(fake: FakeAzure, name: str, timeout_s: float = 60.0) -> None:
    """Wait until no child of sweep ``name`` is still running (a test's teardown)."""
    sweep = find_sweep(fake, name)
    if sweep is None:
        return
    deadline = time.monotonic() + timeout_s
    for thread in list(sweep.threads):
        thread.join(max(0.0, deadline - time.monotonic()))


def _set_status(sweep: Sweep, status: str) -> None:
    sweep.props["status"] = status
    mlflow = _mlflow(sweep.fake)
    if mlflow is not None:
        _set_run_status(mlflow, sweep.name, MLFLOW_STATUS[status], final=status in FINAL)


def _fail(sweep: Sweep, code: str, message: str, detail: str) -> None:
    sweep.props["error"] = {
        "code": code,
        "message": message,
        "details": [{"code": detail, "message": message}],
    }
    _set_status(sweep, "Failed")


# What the runner leaves behind, cleaned when the test process ends: a test that stops polling
# must not leave trial processes running, nor downloaded snapshots in /tmp.
_LEFT: list[subprocess.Popen[bytes]] = []
_FOLDERS: list[Path] = []


@atexit.register
def _clean_up() -> None:
    for process in _LEFT:
        if process.poll() is None:
            process.kill()
    for folder in _FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)


# -- one child --------------------------------------------------------------------------------
def _run_trial(sweep: Sweep, trial: Trial) -> None:
    fake = sweep.fake
    mlflow = _mlflow(fake)
    try:
        if mlflow is None:
            raise RuntimeError("the fake has no workspace_mlflow: trials cannot log anywhere")
        experiment = _experiment(mlflow, sweep.props["experimentName"])
        tags = {
            "mlflow.parentRunId": sweep.name,
            "mlflow.runName": trial.name,
            "hyperparameters": json.dumps(trial.params),
        }
        _create_run(mlflow, trial.name, experiment, tags, "RUNNING")
        folder = _prepare(sweep)
        argv, cwd = _command(sweep, trial, folder, mlflow)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHON"))},
            "PYTHONPATH": os.pathsep.join([str(cwd), sysconfig.get_paths()["purelib"]]),
            "MLFLOW_TRACKING_URI": mlflow.url,
            "MLFLOW_RUN_ID": trial.name,
            "MLFLOW_EXPERIMENT_ID": experiment,
            "AZURE_STORAGE_CONNECTION_STRING": _connection_string(fake),
            "AZUREML_RUN_ID": trial.name,
            **(sweep.props["trial"].get("environmentVariables") or {}),
        }
        with fake.lock:
            if trial.status != "Running":  # canceled before it started
                raise _Canceled
            trial.process = subprocess.Popen(  # noqa: S603 - the job's own command, as Azure runs it
                argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            _LEFT.append(trial.process)
            trial.started = time.monotonic()
        final = _wait(sweep, trial)
        trial.ended = time.monotonic()
    except _Canceled:
        final = "Canceled"
    except Exception as exc:  # noqa: BLE001 - the child fails, the sweep goes on (as on Azure)
        trial.output += f"\n{type(exc).__name__}: {exc}"
        final = "Failed"
    _end_trial(sweep, trial, final, mlflow)


def _end_trial(sweep: Sweep, trial: Trial, final: str, mlflow: _Mlflow | None) -> None:
    """Record the child's end (MLflow status, log), then, in one step under the lock, its status,
    the sweep's best child and the next children: a GET never sees a sweep that ended before
    its best child was known."""
    with sweep.fake.lock:
        if trial.status != "Running":  # canceled meanwhile: its process was killed
            final = trial.status
    if mlflow is not None:
        with contextlib.suppress(Exception):
            _set_run_status(mlflow, trial.name, MLFLOW_STATUS[final], final=True)
    with contextlib.suppress(Exception):
        _upload_log(sweep.fake, trial)
    with sweep.fake.lock:
        if trial.status == "Running":
            trial.status = final
        if trial.status == "Completed":
            _update_best(sweep, mlflow)
        schedule(sweep)


def _wait(sweep: Sweep, trial: Trial) -> str:
    """Wait for the child's command; Azure cancels it at the trial timeout."""
    assert trial.process is not None
    limit = iso_seconds((sweep.props.get("limits") or {}).get("trialTimeout"))
    while True:
        try:
            out, _ = trial.process.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            with sweep.fake.lock:
                late = limit is not None and time.monotonic() - trial.started > limit
            if late:
                trial.process.kill()
                out, _ = trial.process.communicate()
                trial.output = out.decode(errors="replace")[-20000:]
                return "Canceled"
    trial.output = out.decode(errors="replace")[-20000:]
    return "Completed" if trial.process.returncode == 0 else "Failed"


class _Canceled(Exception):
    pass


def _update_best(sweep: Sweep, mlflow: Any) -> None:
    objective = sweep.props["objective"]
    metric, goal = objective["primaryMetric"], str(objective["goal"]).lower()
    scored: list[tuple[float, str]] = []
    for trial in sweep.trials:
        if trial.status != "Completed":
            continue
        value = _last_metric(mlflow, trial.name, metric)
        if value is not None and not math.isnan(value):
            scored.append((value, trial.name))
    if not scored:
        return
    best = max(scored) if goal == "maximize" else min(scored)
    sweep.props["properties"]["best_child_run_id"] = best[1]
    sweep.props["properties"]["score"] = str(best[0])
    sweep.props["properties"]["best_metric_status"] = "Succeeded"


def _prepare(sweep: Sweep) -> Path:
    """Download the code version and the uri_file inputs once per sweep."""
    with sweep.prepared:
        if sweep.folder is not None:
            return sweep.folder
        from tests.azure.fake.routes_jobs import find_code

        folder = Path(tempfile.mkdtemp(prefix=f"fake-sweep-{sweep.name}-"))
        _FOLDERS.append(folder)
        code_id = sweep.props["trial"].get("codeId")
        code = folder / "code"
        code.mkdir()
        if code_id:
            with sweep.fake.lock:
                record = find_code(sweep.fake, code_id)
            if record is None:
                raise RuntimeError(f"code version {code_id} is gone")
            _download_prefix(sweep.fake, record["properties"]["codeUri"], code)
        inputs = folder / "inputs"
        inputs.mkdir()
        for name, value in (sweep.props.get("inputs") or {}).items():
            if isinstance(value, dict) and value.get("jobInputType") in ("uri_file", "uri_folder"):
                target = inputs / name
                target.mkdir()
                with sweep.fake.lock:
                    container, path = _resolve_input(sweep, value["uri"])
                _download_blobs(sweep.fake, container, path, target)
        sweep.folder = folder
        return folder


def _input_path(folder: Path, name: str, value: dict[str, Any]) -> Path:
    local = folder / "inputs" / name
    if value.get("jobInputType") == "uri_file":
        files = sorted(p for p in local.rglob("*") if p.is_file())
        return files[0] if files else local / "missing"
    return local


def _resolve_input(sweep: Sweep, uri: str) -> tuple[str, str]:
    """(container, blob path) of an input: a data asset version or an azureml datastore path."""
    fake, sub, rg, ws = sweep.fake, sweep.sub, sweep.rg, sweep.ws
    asset = data_ref(uri)
    if asset is not None:
        versions = children(fake, sub, rg, ws, "data")[asset[0]]
        uri = versions[asset[1] or _latest(versions) or ""]["properties"]["dataUri"]
    found = re.search(r"datastores/([^/]+)/paths/(.+)$", uri)
    if found is None:
        raise RuntimeError(f"the fake resolves azureml datastore paths only, not {uri}")
    store = children(fake, sub, rg, ws, "datastores")[found.group(1)]["properties"]
    return store["containerName"], found.group(2)


def _command(sweep: Sweep, trial: Trial, folder: Path, mlflow: Any) -> tuple[list[str], Path]:
    """The trial's argv with Azure's substitutions, and its working folder."""
    inputs = sweep.props.get("inputs") or {}
    broken = trial.number in _faults(sweep.fake)["trials"]

    def value_of(match: re.Match[str]) -> str:
        scope, name = match.group(1), match.group(2)
        if name in trial.params:
            return shlex.quote(_text(trial.params[name]))
        if scope == "inputs" and name in inputs:
            value = inputs[name]
            if value.get("jobInputType") == "literal":
                return shlex.quote(str(value.get("value")))
            if broken:
                return shlex.quote(str(folder / "inputs" / name / "missing"))
            return shlex.quote(str(_input_path(folder, name, value)))
        raise RuntimeError(f"the command names ${{{{{scope}.{name}}}}}, which the job does not define")

    command = re.sub(r"\$\{\{(inputs|search_space)\.(\w+)\}\}", value_of, sweep.props["trial"]["command"])
    argv = shlex.split(command)
    if argv and argv[0] in ("python", "python3"):
        argv = [sys.executable, "-S", *argv[1:]]
    return argv, folder / "code"


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def iso_seconds(duration: str | None) -> float | None:
    """Seconds of an ISO 8601 duration as Azure writes limits (``PT1H30M``, ``PT45S``, ``P1D``)."""
    if not duration:
        return None
    found = re.fullmatch(
        r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", str(duration), re.IGNORECASE
    )
    if found is None:
        return None
    days, hours, minutes, seconds = (float(g or 0) for g in found.groups())
    return days * 86400 + hours * 3600 + minutes * 60 + seconds


# -- drawing configurations ---------------------------------------------------------------------
def draw(space: dict[str, Any], sampling: dict[str, Any] | None, total: int) -> Any:
    """Configurations from a REST search space: grid (every combination of the choices, in
    order) or random (seeded by the job's seed); bayesian is drawn at random here."""
    kind = str((sampling or {}).get("samplingAlgorithmType") or "Random").lower()
    if kind == "grid":
        names = list(space)
        grids = [list(space[name][1][0]) for name in names]
        for combo in itertools.product(*grids):
            yield dict(zip(names, combo, strict=True))
        return
    seed = (sampling or {}).get("seed")
    rng = random.Random(seed if seed is not None else 0)
    for _ in range(total):
        yield {name: _sample(rng, expression) for name, expression in space.items()}


def _sample(rng: random.Random, expression: list[Any]) -> Any:
    kind, args = str(expression[0]).lower(), list(expression[1])
    if kind == "choice":
        return rng.choice(list(args[0]))
    if kind == "randint":
        return rng.randrange(int(args[0]))
    if kind == "uniform":
        return rng.uniform(args[0], args[1])
    if kind == "quniform":
        return _q(rng.uniform(args[0], args[1]), args[2])
    if kind == "loguniform":
        return math.exp(rng.uniform(args[0], args[1]))
    if kind == "qloguniform":
        return _q(math.exp(rng.uniform(args[0], args[1])), args[2])
    if kind == "normal":
        return rng.gauss(args[0], args[1])
    if kind == "qnormal":
        return _q(rng.gauss(args[0], args[1]), args[2])
    if kind == "lognormal":
        return math.exp(rng.gauss(args[0], args[1]))
    if kind == "qlognormal":
        return _q(math.exp(rng.gauss(args[0], args[1])), args[2])
    raise ValueError(f"unknown distribution {expression[0]!r}")


def _q(value: float, q: float) -> float | int:
    rounded = round(value / q) * q
    return int(rounded) if float(q).is_integer() else rounded


# -- Azurite ---------------------------------------------------------------------------------
def _connection_string(fake: FakeAzure) -> str:
    endpoint = fake.blob_endpoint.rstrip("/")
    account = urlsplit(endpoint).path.strip("/") or "devstoreaccount1"
    return (
        f"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={fake.blob_key};"
        f"BlobEndpoint={endpoint};"
    )


def _service(fake: FakeAzure) -> Any:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(_connection_string(fake))


def _download_prefix(fake: FakeAzure, blob_url: str, dest: Path) -> None:
    """Everything under ``http://host/account/container/prefix`` into ``dest``."""
    parts = unquote(urlsplit(blob_url).path).strip("/").split("/")
    container, prefix = parts[1], "/".join(parts[2:])
    _download_blobs(fake, container, prefix, dest)


def _download_blobs(fake: FakeAzure, container: str, prefix: str, dest: Path) -> None:
    client = _service(fake).get_container_client(container)
    prefix = prefix.strip("/")
    for blob in client.list_blobs(name_starts_with=prefix):
        relative = blob.name[len(prefix) :].lstrip("/") or Path(blob.name).name
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.download_blob(blob.name).readall())


def _upload_log(fake: FakeAzure, trial: Trial) -> None:
    """The command's output where Azure keeps a job's log: ``user_logs/std_log.txt`` in the run's
    artifact folder."""
    blob = f"ExperimentRun/dcid.{trial.name}/user_logs/std_log.txt"
    client = _service(fake).get_container_client(ARTIFACT_CONTAINER)
    client.upload_blob(blob, trial.output.encode(), overwrite=True)


def ensure_artifact_container(fake: FakeAzure) -> None:
    """The workspace artifact store's container (``azureml``) in Azurite; kept between fakes
    (it holds the session's run artifacts)."""
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        _service(fake).create_container(ARTIFACT_CONTAINER)


# -- MLflow's store, written directly (run id = job name) ---------------------------------------
@dataclass(frozen=True)
class _Mlflow:
    url: str
    store: Any


_STORES: dict[str, Any] = {}
_STORE_LOCK = threading.RLock()  # one writer at a time on the SQLite store (the server writes too)


def _mlflow(fake: FakeAzure) -> _Mlflow | None:
    workspace = getattr(fake, "workspace_mlflow", None)
    if workspace is None:
        return None
    server = workspace.server
    store = _STORES.get(server.backend_uri)
    if store is None:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        store = SqlAlchemyStore(server.backend_uri, str(server.artifact_root))  # type: ignore[no-untyped-call]
        _STORES[server.backend_uri] = store
        ensure_artifact_container(fake)
    return _Mlflow(server.url, store)


def _experiment(mlflow: _Mlflow, name: str) -> str:
    with _STORE_LOCK:
        return _get_or_create_experiment(mlflow, name)


def _get_or_create_experiment(mlflow: _Mlflow, name: str) -> str:
    found = mlflow.store.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    from mlflow.exceptions import MlflowException

    try:
        return str(mlflow.store.create_experiment(name))
    except MlflowException:  # created meanwhile by another thread
        return str(mlflow.store.get_experiment_by_name(name).experiment_id)


def _create_run(mlflow: _Mlflow, run_id: str, experiment_id: str, tags: dict[str, str], status: str) -> None:
    from mlflow.store.tracking.dbmodels.models import SqlRun, SqlTag

    now = int(time.time() * 1000)
    with _STORE_LOCK, mlflow.store.ManagedSessionMaker(read_only=False) as session:
        run = SqlRun(
            name=tags.get("mlflow.runName", run_id),
            artifact_uri=ARTIFACT_ROOT + run_id,
            run_uuid=run_id,
            experiment_id=int(experiment_id),
            source_type="JOB",
            source_name="",
            entry_point_name="",
            user_id="fake.user@contoso.com",
            status=status,
            start_time=now,
            end_time=None,
            deleted_time=None,
            source_version="",
            lifecycle_stage="active",
        )
        run.tags = [SqlTag(key=k, value=str(v)) for k, v in tags.items()]
        session.add(run)


def _set_run_status(mlflow: _Mlflow, run_id: str, status: str, *, final: bool) -> None:
    from mlflow.entities import RunStatus

    end = int(time.time() * 1000) if final else None
    with _STORE_LOCK, contextlib.suppress(Exception):
        mlflow.store.update_run_info(run_id, RunStatus.from_string(status), end, None)


def _last_metric(mlflow: _Mlflow, run_id: str, metric: str) -> float | None:
    with _STORE_LOCK:
        run = mlflow.store.get_run(run_id)
    value = run.data.metrics.get(metric)
    return None if value is None else float(value)


__all__ = [
    "break_environment_image",
    "cancel",
    "cancel_elsewhere",
    "elapse",
    "exceed_quota",
    "fail_trial",
    "find_sweep",
    "wait_idle",
]
