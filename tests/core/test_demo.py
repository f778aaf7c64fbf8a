"""The one-click demo on a workspace already in use: it works beside the user's objects, never on them."""

from __future__ import annotations

from pathlib import Path

from core import defaults, demo
from core.local.backend import LocalBackend
from core.naming import name_problem
from core.registry import validate_model_name
from core.resources import Kind
from core.sweep.spec import Limits
from tests.core.engine.conftest import finished, small_spec, wait_for
from tests.workspaces import CC, WS, ready_workspace

USER_ENDPOINT, USER_DEPLOYMENT = "heart-classify-endpoint", "heart-classify-deployment"


def run_demo(backend: LocalBackend) -> demo.DemoContext:
    ctx = demo.DemoContext(backend)
    for step in demo.STEPS:
        step.run(ctx, lambda share, text: None)
    return ctx


def user_work(backend: LocalBackend) -> LocalBackend:
    """The user's own walk: dataset ``heart`` v1, a sweep, model ``best_random_forest`` v1 deployed."""
    spec = small_spec(limits=Limits(max_total_trials=2, max_concurrent_trials=2), cv_folds=2)
    job = wait_for(backend, backend.launch_sweep(WS, CC, "heart", 1, spec, "heart-sweeps").id, finished).job
    model = backend.register_model(WS, job.id)
    backend.create_endpoint(WS, USER_ENDPOINT)
    backend.create_deployment(WS, USER_ENDPOINT, USER_DEPLOYMENT, model.name, model.version)
    return backend


def test_the_demo_leaves_the_users_dataset_model_and_endpoint_alone(data_dir: Path) -> None:
    backend = user_work(ready_workspace(data_dir, test_fraction=0.2))  # not the demo's split
    assert defaults.WORKSPACE == WS, "the demo runs in the workspace the user already uses"
    before = backend.get_endpoint(WS, USER_ENDPOINT).record
    try:
        run_demo(backend)
        assert len(backend.data_asset_versions(WS, "heart")) == 1, "the user's 'heart' got no demo version"
        assert len(backend.model_versions(WS, "best_random_forest")) == 1, "nor did the user's model"
        after = backend.get_endpoint(WS, USER_ENDPOINT).record
        assert after.deployments == before.deployments, "the user's deployment still serves the user's model"
        assert backend.get_endpoint(WS, demo.DEMO_ENDPOINT).health.healthy
        assert [a.name for a in backend.list_data_assets(WS)] == ["heart", demo.DEMO_DATASET]
        sweeps = [j for j in backend.list_sweeps(WS) if j.experiment == demo.DEMO_EXPERIMENT]
        assert len(sweeps) == 1 and sweeps[0].dataset == demo.DEMO_DATASET
        assert len(backend.model_versions(WS, demo.DEMO_MODEL)) == 1

        run_demo(backend)  # a second run reuses every demo object
        assert len(backend.data_asset_versions(WS, demo.DEMO_DATASET)) == 1
        assert len([j for j in backend.list_sweeps(WS) if j.experiment == demo.DEMO_EXPERIMENT]) == 1
        assert len(backend.model_versions(WS, demo.DEMO_MODEL)) == 1
        assert backend.get_endpoint(WS, USER_ENDPOINT).record.deployments == before.deployments
    finally:
        backend.delete_workspace(WS)  # stops both endpoints' servers


def test_the_demos_names_are_valid_azure_names() -> None:
    assert name_problem(Kind.ENDPOINT, demo.DEMO_ENDPOINT) is None
    assert name_problem(Kind.DEPLOYMENT, demo.DEMO_DEPLOYMENT) is None
    assert name_problem(Kind.ENVIRONMENT, demo.DEMO_DATASET) is None  # data assets share the asset rule
    assert validate_model_name(demo.DEMO_MODEL) == demo.DEMO_MODEL
    assert demo.DEMO_DATASET != "heart" and demo.DEMO_ENDPOINT != USER_ENDPOINT
