"""The endpoint's server process: ``python -m core.endpoint.serve <endpoint folder> <instance id>``.

:mod:`core.endpoint.process` starts it detached (its own session), so it outlives Streamlit
reruns and dashboard restarts. It:

1. limits NumPy/OpenMP to one thread per process (the model processes are the parallelism);
2. binds 127.0.0.1 itself: the port the record had before if it is free (a restart keeps the
   scoring URI), any free port otherwise (the OS picks it, so two servers never race for one);
3. writes ``server.json`` (pid, port, instance id) for the launcher;
4. runs uvicorn on that socket: one event loop for HTTP, and the record's number of model
   processes, each loading the models once (:func:`core.endpoint.app.create_app`).

It stops on SIGTERM, and by itself once the endpoint record no longer names its instance id
(the endpoint was deleted or restarted elsewhere, or the workspace folder was removed), so no
server outlives its endpoint.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def bind(host: str, preferred: int | None) -> socket.socket:
    """A listening-ready TCP socket on ``preferred`` if it is free, else on a free port."""
    for port in ([preferred] if preferred else []) + [0]:
        # proto=IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
        # they are TCP, and with Nagle on, a kept-alive client waits ~40 ms (delayed ACK) per answer
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is reusable
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            continue
        return sock
    raise OSError("no free port on the loopback interface")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.stderr.write("usage: python -m core.endpoint.serve <endpoint folder> <instance id>\n")
        return 2
    folder, instance_id = Path(args[0]).resolve(), args[1]
    for var in THREAD_VARS:  # before NumPy is imported, here and in the spawned workers
        os.environ[var] = "1"

    from core.endpoint.app import ENV_DIR, ENV_INSTANCE
    from core.endpoint.records import HOST, RUNTIME, EndpointRecord, write_atomic

    record = EndpointRecord.from_json((folder / "endpoint.json").read_text(encoding="utf-8"))
    os.environ[ENV_DIR] = str(folder)
    os.environ[ENV_INSTANCE] = instance_id
    sock = bind(HOST, record.port)
    port = int(sock.getsockname()[1])
    write_atomic(folder / RUNTIME, json.dumps({"instance_id": instance_id, "pid": os.getpid(), "port": port}))

    import uvicorn

    config = uvicorn.Config(
        "core.endpoint.app:create_app",
        factory=True,
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_keep_alive=30,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
