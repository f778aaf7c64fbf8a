"""The Endpoint page's session keys, and the results kept under them.

Results (the live test, the latency probe, the last single prediction) live under session keys
that no widget owns, so they survive a change of page. Each is kept with its provenance (what the
deployment served when it was produced) and dropped once the deployment serves something else.
Endpoint keys are read from the backend once and held (as masked ``Secret``s, in this server's
memory only: a ``Secret`` refuses to be pickled) under ``KEYS`` until Refresh, a regenerate on
this page or a delete: on Azure every read is a call to Resource Manager. A key regenerated
elsewhere meanwhile makes the endpoint answer 401, and the page says to press Refresh.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.backend import DeploymentInfo, EndpointInfo
from dashboard import session

# Session keys no widget owns (they survive a change of page).
# Results: {(endpoint, deployment): {"provenance": what produced it (see provenance()), "value": ...}}
LIVE = "endpoint:live_results"  # value: LiveTest
LIVE_CV = "endpoint:live_cv_results"  # value: the served version's cross-validated metrics, kept with LIVE
LATENCY = "endpoint:latency_results"  # value: LatencyReport
SINGLE = "endpoint:single_results"  # value: ScoreResult
FROM_TRIALS = session.TRIALS_CHOSEN  # a core.trials.ChosenTrial, set by 5 · Trials
CARRIED_SEEN = "endpoint:carried_seen"  # (carried trial applied, finished sweeps then, carry owns pin)
KEYS = "endpoint:keys"  # {(workspace key, endpoint): EndpointKeys} as last read
DEPLOYING = "endpoint:deploying"  # {workspace, endpoint, deployment} of the deploy started here
FAILED_DEPLOY = "endpoint:failed_deploy"  # {target, log}: the last failed deploy's log tail
PENDING = "endpoint:pending_deploy"  # a deployment waiting for the user's confirmation
NAMES_DEFAULT = "endpoint:names_default"  # the (endpoint, deployment) names last put in the form
ENDPOINT_NAME, DEPLOYMENT_NAME = "endpoint:new_endpoint", "endpoint:new_deployment"  # text inputs
# The picks of the select boxes that follow the newest object (dashboard.widgets.follow_newest_select)
SWEEP_PIN = "endpoint:sweep_pin"
COMPARE_PIN = "endpoint:compare_pin"
VERSION_PIN = "endpoint:version_pin"  # :<model>
DEPLOY_MODEL_PIN = "endpoint:deploy_model_pin"
DEPLOY_VERSION_PIN = "endpoint:deploy_version_pin"  # :<model>
ENDPOINT_PIN = "endpoint:pick_pin"
TEST_DEPLOYMENT_PIN = "endpoint:test_deployment_pin"  # :<endpoint>


def results(key: str) -> dict[Any, Any]:
    value = st.session_state.setdefault(key, {})
    return value if isinstance(value, dict) else {}


def provenance(info: EndpointInfo, deployment: DeploymentInfo) -> dict[str, Any]:
    """What a result depends on: the endpoint, the deployment and when it last changed, the model
    version it serves and the dataset version that model was trained on."""
    return {
        "endpoint": info.name,
        "deployment": deployment.name,
        "deployed": deployment.last_change,
        "model": f"{deployment.model_name} v{deployment.model_version}",
        "dataset": f"{deployment.dataset} v{deployment.dataset_version}" if deployment.dataset else None,
    }


def keep(key: str, info: EndpointInfo, deployment: DeploymentInfo, value: Any) -> None:
    results(key)[(info.name, deployment.name)] = {"provenance": provenance(info, deployment), "value": value}


def kept(key: str, info: EndpointInfo, deployment: DeploymentInfo) -> Any:
    """The result kept for this deployment, if it was produced by what the deployment serves now;
    one produced by an earlier model or dataset is dropped, and the page says so."""
    slot = (info.name, deployment.name)
    stored = results(key).get(slot)
    if not isinstance(stored, dict) or "provenance" not in stored:
        return None
    now = provenance(info, deployment)
    if stored["provenance"] != now:
        del results(key)[slot]
        old = stored["provenance"]
        trained = f" · {old['dataset']}" if old.get("dataset") else ""
        st.caption(
            f":material/history: The earlier result ({old['model']}{trained}) was cleared: the deployment "
            f"now serves {now['model']}" + (f" · {now['dataset']}" if now["dataset"] else "") + "."
        )
        return None
    return stored["value"]
