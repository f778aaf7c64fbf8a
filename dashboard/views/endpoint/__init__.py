"""The Endpoint step: register a sweep's model, deploy it to an online endpoint, test it live.

- :mod:`~dashboard.views.endpoint.state`: the page's session keys and the results kept under them.
- :mod:`~dashboard.views.endpoint.register`: register a model; its versions, @champion and tags.
- :mod:`~dashboard.views.endpoint.deploy`: the deploy form, the confirmation, the deploy Operation.
- :mod:`~dashboard.views.endpoint.status`: the endpoint's health, keys, deployments and traffic.
- :mod:`~dashboard.views.endpoint.live`: the live test on the held-out split, and latency.
- :mod:`~dashboard.views.endpoint.single`: the single-prediction form.
- :mod:`~dashboard.views.endpoint.snippets`: calling the endpoint from code.
- :mod:`~dashboard.views.endpoint.delete`: deleting a deployment or the endpoint.
- :mod:`~dashboard.views.endpoint.page`: :func:`render`, the page built from these sections.
"""

from dashboard.views.endpoint.page import endpoints_section, render
from dashboard.views.endpoint.state import provenance

__all__ = ["endpoints_section", "provenance", "render"]
