"""The real scoring servers behind the fake's online endpoints (decision 4 of issue 17).

Each fake online endpoint is an endpoint record of the project's own scoring server
(:class:`core.endpoint.records.EndpointStore`, :func:`core.endpoint.process.start_server`) in a
folder of the fake: one store per workspace under ``scoring_root(fake)``. So the endpoint's
``scoringUri`` is a real ``http://127.0.0.1:<port>/score`` with Azure's contract (Bearer key,
``azureml-model-deployment`` header, bare-list answer); the keys listKeys returns are the keys
the server checks, regenerateKeys changes them for real (the old key gets 401 on the next
request); a traffic update changes the split the server routes by; getLogs returns the server's
own log tail, after a few container lines the fake writes itself (marked ``[fake-azure]``).

A deployment's model files come from where Azure keeps them: the model version's ``modelUri``
(``azureml://jobs/<job>/outputs/artifacts/paths/model/`` is container ``azureml``,
``ExperimentRun/dcid.<job>/model/``; ``azureml://datastores/<ds>/paths/<p>`` is the datastore's
container) downloaded from Azurite.

Servers stop when their endpoint (or workspace, or resource group) is deleted, and in
:func:`stop_all`, which the fixtures call at teardown (and ``atexit`` calls for any fake left).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from core.backend.types import EndpointKeys, Secret
from core.endpoint.process import start_server, stop_server
from core.endpoint.records import (
    HOST,
    LOG,
    DeploymentRecord,
    EndpointRecord,
    EndpointStore,
    generate_keys,
    new_key,
)
from core.errors import UserFacingError
from tests.azure.fake.core import FakeAzure

ARTIFACT_CONTAINER = "azureml"
CONTAINER_LOG = "container.log"  # the fake's own Azure-like container lines, per deployment
_LIVE: dict[int, FakeAzure] = {}  # fakes with scoring folders, stopped at exit if still there


def scoring_root(fake: FakeAzure) -> Path:
    """The fake's folder of endpoint stores (made on first use)."""
    root = fake.data.get("scoring_root")
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="fake-azure-endpoints-"))
        fake.data["scoring_root"] = root
        _LIVE[id(fake)] = fake
    return Path(root)


def store_of(fake: FakeAzure, wid: str) -> EndpointStore:
    """The endpoint store of one workspace (``wid``: its ARM id)."""
    digest = hashlib.sha1(wid.lower().encode()).hexdigest()[:12]  # noqa: S324 - a folder name
    fake.data.setdefault("scoring_stores", {})[wid.lower()] = digest
    return EndpointStore(scoring_root(fake) / digest)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def new_endpoint(fake: FakeAzure, wid: str, name: str, workspace: str, created_at: str) -> EndpointRecord:
    """The endpoint's record with its two keys and the port its server will listen on (kept
    from the start, so the scoring URI Azure reports never changes)."""
    store = store_of(fake, wid)
    with store.locked():
        record = store.save(
            EndpointRecord(name=name, workspace=workspace, created_at=created_at, port=_free_port())
        )
        store.set_keys(name, generate_keys())
    return record


def record_of(fake: FakeAzure, wid: str, name: str) -> EndpointRecord | None:
    return store_of(fake, wid).load(name)


def scoring_uri(fake: FakeAzure, wid: str, name: str) -> str:
    record = record_of(fake, wid, name)
    return record.scoring_uri if record is not None else ""


def keys(fake: FakeAzure, wid: str, name: str) -> EndpointKeys:
    store = store_of(fake, wid)
    found = store.keys(name)
    if found is None:  # an endpoint seeded without a server (seed_endpoint)
        found = store.set_keys(name, generate_keys())
    return found


def regenerate(fake: FakeAzure, wid: str, name: str, key_type: str, value: str | None) -> EndpointKeys:
    """A new primary or secondary key. azure-ai-ml sends the key's current value as ``keyValue``;
    then (or without a value) the key gets a fresh random value; another value is taken as given."""
    store = store_of(fake, wid)
    with store.locked():
        old = keys(fake, wid, name)
        current = old.primary if key_type == "primary" else old.secondary
        fresh = Secret(value if value and value != current.reveal() else new_key())
        updated = EndpointKeys(
            fresh if key_type == "primary" else old.primary,
            fresh if key_type == "secondary" else old.secondary,
        )
        return store.set_keys(name, updated)


def set_traffic(fake: FakeAzure, wid: str, name: str, traffic: dict[str, int]) -> None:
    """The split the server routes by (it re-reads the record on the next request)."""
    store = store_of(fake, wid)
    with store.locked():
        record = store.load(name)
        if record is not None:
            store.save(record.with_(traffic={d: int(p) for d, p in traffic.items() if int(p) > 0}))


def model_location(fake: FakeAzure, model_uri: str, datastores: dict[str, Any]) -> tuple[str, str]:
    """(container, blob prefix) of a model version's ``modelUri`` in the workspace's storage."""
    uri = model_uri.strip()
    if uri.startswith("azureml://jobs/"):
        rest = uri.removeprefix("azureml://jobs/")
        job, _, path = rest.partition("/outputs/artifacts/paths/")
        if not job or not path:
            raise ValueError(f"not a job output URI: {model_uri}")
        return ARTIFACT_CONTAINER, f"ExperimentRun/dcid.{job}/{path.strip('/')}/"
    if uri.startswith("azureml://datastores/"):
        rest = uri.removeprefix("azureml://datastores/")
        name, _, path = rest.partition("/paths/")
        store = datastores.get(name)
        if store is None or not path:
            raise ValueError(f"no datastore '{name}' for {model_uri}")
        return str(store["properties"]["containerName"]), path.strip("/") + "/"
    raise ValueError(f"unsupported model URI: {model_uri}")


def download_model(fake: FakeAzure, container: str, prefix: str, target: Path) -> Path:
    """Download every blob under ``prefix`` into ``target`` (the MLflow model folder)."""
    from tests.azure.fake.routes_storage import _azurite

    client = _azurite(fake).get_container_client(container)
    found = 0
    for blob in client.list_blobs(name_starts_with=prefix):
        relative = blob.name[len(prefix) :]
        if not relative:
            continue
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(client.download_blob(blob.name).readall())
        found += 1
    if not found or not (target / "MLmodel").exists():
        raise FileNotFoundError(f"no MLflow model under {container}/{prefix}")
    return target


def container_lines(image: str, deployment: str, instance_type: str) -> list[str]:
    """The Azure-like container start lines the fake writes (its own, marked as such)."""
    return [
        f"[fake-azure] Pulling image {image} for deployment '{deployment}' on {instance_type}",
        "[fake-azure] Starting the inference server container (scoring server of this project)",
    ]


def deploy(
    fake: FakeAzure,
    wid: str,
    endpoint: str,
    deployment: DeploymentRecord,
    model: tuple[str, str],
) -> None:
    """Add (or replace) ``deployment`` on the endpoint's server: download its model, (re)start
    the server. A model that does not load fails with the server's log tail, and the endpoint
    keeps its other deployments (the server restarts without this one)."""
    store = store_of(fake, wid)
    folder = store.path(endpoint) / "deployments" / deployment.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / CONTAINER_LOG).write_text(
        "\n".join(
            container_lines(
                "mcr.microsoft.com/azureml/mlflow-ubuntu20.04-py38-cpu-inference",
                deployment.name,
                deployment.instance_type,
            )
        )
        + "\n",
        encoding="utf-8",
    )
    model_dir = folder / "model"
    try:
        download_model(fake, model[0], model[1], model_dir)
    except (FileNotFoundError, ValueError) as exc:
        _append_log(store, endpoint, f"[fake-azure] The model could not be downloaded: {exc}")
        raise UserFacingError(f"The model could not be downloaded: {exc}") from None
    record = deployment.__class__(**{**deployment.__dict__, "model_dir": str(model_dir)})
    with store.locked():
        current = store.load(endpoint)
        assert current is not None
        previous = current.deployment(record.name)
        others = [d for d in current.deployments if d.name != record.name]
        store.save(current.with_(deployments=[*others, record]))
    kept: list[DeploymentRecord] = others
    try:
        start_server(store, endpoint, timeout=60)
    except UserFacingError:
        with store.locked():
            current = store.load(endpoint)
            if current is not None:
                kept = [d for d in current.deployments if d.name != record.name]
                kept += [previous] if previous else []
                store.save(current.with_(deployments=kept))
        if kept:
            with contextlib.suppress(UserFacingError):
                start_server(store, endpoint, timeout=60)
        raise


def image_build_failed(fake: FakeAzure, wid: str, endpoint: str, deployment: str, instance_type: str) -> None:
    """The build lines of a failed image build, in the deployment's log (the fake's own)."""
    folder = store_of(fake, wid).path(endpoint) / "deployments" / deployment
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        *container_lines(
            "mcr.microsoft.com/azureml/mlflow-ubuntu20.04-py38-cpu-inference", deployment, instance_type
        ),
        "[fake-azure] Building the environment image: conda env create -f conda.yaml",
        "[fake-azure] ResolvePackageNotFound: scikit-learn==0.0.0",
        "[fake-azure] Image build failed (exit code 1)",
    ]
    (folder / CONTAINER_LOG).write_text("\n".join(lines) + "\n", encoding="utf-8")


def remove_deployment(fake: FakeAzure, wid: str, endpoint: str, name: str) -> None:
    """Drop one deployment: the server restarts without it, or stops with the last one."""
    store = store_of(fake, wid)
    with store.locked():
        record = store.load(endpoint)
        if record is None:
            return
        kept = [d for d in record.deployments if d.name != name]
        traffic = {d: p for d, p in record.traffic.items() if d != name}
        if not kept:
            stop_server(record)
        store.save(record.with_(deployments=kept, traffic=traffic))
    shutil.rmtree(store.path(endpoint) / "deployments" / name, ignore_errors=True)
    if kept:
        start_server(store, endpoint, timeout=60)
    else:
        with store.locked():
            current = store.load(endpoint)
            if current is not None:
                store.save(current.with_(instance_id=None, pid=None, started_at=None))


def log_tail(fake: FakeAzure, wid: str, endpoint: str, deployment: str, lines: int) -> str:
    """The deployment's container lines (the fake's), then the server log's tail."""
    store = store_of(fake, wid)
    own = store.path(endpoint) / "deployments" / deployment / CONTAINER_LOG
    text = own.read_text(encoding="utf-8") if own.exists() else ""
    with contextlib.suppress(FileNotFoundError):
        text += (store.path(endpoint) / LOG).read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-max(1, int(lines)) :])


def _append_log(store: EndpointStore, endpoint: str, line: str) -> None:
    path = store.path(endpoint) / LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def delete_endpoint(fake: FakeAzure, wid: str, name: str) -> None:
    """Stop the endpoint's server and remove its folder."""
    store = store_of(fake, wid)
    record = store.load(name)
    if record is not None:
        stop_server(record)
    store.remove(name)


def drop_workspace(fake: FakeAzure, wid: str) -> None:
    """Stop every server of a workspace (deleted, or its resource group deleted)."""
    if "scoring_root" not in fake.data:
        return
    store = store_of(fake, wid)
    for record in store.all():
        stop_server(record)
    shutil.rmtree(store.folder, ignore_errors=True)


def drop_group(fake: FakeAzure, sub: str, rg: str) -> None:
    """Stop every server of the workspaces of a deleted resource group."""
    prefix = f"/subscriptions/{sub}/resourcegroups/{rg}/".lower()
    for wid in [w for w in fake.data.get("scoring_stores", {}) if w.startswith(prefix)]:
        drop_workspace(fake, wid)


def stop_all(fake: FakeAzure) -> None:
    """Stop every scoring server of the fake and remove its folder (fixture teardown)."""
    root = fake.data.pop("scoring_root", None)
    _LIVE.pop(id(fake), None)
    if root is None:
        return
    for folder in Path(root).iterdir() if Path(root).exists() else []:
        if folder.is_dir():
            for record in EndpointStore(folder).all():
                stop_server(record)
    shutil.rmtree(root, ignore_errors=True)


@atexit.register
def _stop_leftovers() -> None:
    for fake in list(_LIVE.values()):
        stop_all(fake)
