"""Online endpoints on this machine: key-protected HTTP servers that score registered models.

The layout mirrors Azure's managed online endpoints: an endpoint has a scoring URI, key auth
and a traffic split; each deployment serves one registered model version. The modules:

- :mod:`.records`: endpoint and deployment records and their keys, on disk;
- :mod:`.payload`: the scoring contract, checked and converted without the model;
- :mod:`.model`: loading a logged MLflow model once per server process;
- :mod:`.app` and :mod:`.serve`: the ASGI app and the detached server process;
- :mod:`.batching`: the app's model processes, and the request queues they score in batches;
- :mod:`.process`: start, find, health-check and stop that process from the dashboard;
- :mod:`.service`: get-or-create endpoints and deployments (what the backend calls);
- :mod:`.client` and :mod:`.evaluation`: scoring over HTTP and the metrics of a live test.

Their curl, ``requests`` and azure-ai-ml snippets are in :mod:`core.codegen.endpoint`.

This package imports nothing heavy at the top, so the server process can set its thread
limits before NumPy loads.
"""
