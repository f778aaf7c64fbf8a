"""ModelsAPI: a finished sweep's model is registered with where it came from; versions, the
champion alias and the user's tags."""

from __future__ import annotations

import pytest

from core.errors import InvalidNameError, NotFoundError, UserFacingError
from tests.contract.conftest import DATASET, MODEL, Trained
from tests.workspaces import WS_REF

pytestmark = pytest.mark.contract_slice("models")

CHAMPION = "champion"


def test_the_registered_model_says_where_it_came_from(trained: Trained) -> None:
    model, spec = trained.model, trained.launched.spec
    assert (model.name, model.version) == (MODEL, 1)
    assert CHAMPION in model.aliases, "the first version is the champion"
    assert model.sweep_id == trained.launched.id and model.run_id and model.source and model.created_at
    assert model.dataset == (DATASET, trained.stored.asset.version)
    assert (model.family, model.task) == ("random_forest", "classification")
    assert model.metrics[spec["primary_metric"]] == pytest.approx(trained.progress.job.best_value, abs=1e-5)
    assert model.trial_number is not None and model.description


def test_the_registry_lists_the_model(trained: Trained) -> None:
    backend = trained.backend
    assert MODEL in backend.registered_models(WS_REF)
    assert backend.newest_model(WS_REF) == MODEL
    assert [v.version for v in backend.model_versions(WS_REF, MODEL)][0] == 1
    assert backend.model_versions(WS_REF, "no-such-model") == []


def test_registering_again_adds_a_version_and_the_champion_moves_only_when_set(trained: Trained) -> None:
    backend = trained.backend
    again = backend.register_model(WS_REF, trained.launched.id, name=MODEL, description="Registered again.")
    assert again.name == MODEL and again.version > 1 and again.description == "Registered again."
    assert CHAMPION not in again.aliases, "as good as the champion is not better"
    moved = backend.set_model_alias(WS_REF, MODEL, again.version)
    assert CHAMPION in moved.aliases
    champions = [v.version for v in backend.model_versions(WS_REF, MODEL) if CHAMPION in v.aliases]
    assert champions == [again.version], "one version holds an alias"
    backend.set_model_alias(WS_REF, MODEL, 1)
    assert backend.deployment_changes(WS_REF, "contract-endpoint", "blue", MODEL, again.version) == []


def test_user_tags_and_recorded_tags(trained: Trained) -> None:
    backend = trained.backend
    tagged = backend.set_model_version_tag(WS_REF, MODEL, 1, "reviewer", "ana")
    assert tagged.tags["reviewer"] == "ana" and tagged.version == 1
    assert backend.set_model_version_tag(WS_REF, MODEL, 1, "reviewer", "bo").tags["reviewer"] == "bo"
    with pytest.raises(UserFacingError, match="recorded by the registry") as caught:
        backend.set_model_version_tag(WS_REF, MODEL, 1, "sweep_id", "forged")
    assert caught.value.fix
    with pytest.raises(UserFacingError, match="key is empty"):
        backend.set_model_version_tag(WS_REF, MODEL, 1, " ", "x")
    assert backend.model_versions(WS_REF, MODEL)[0].sweep_id == trained.launched.id


def test_registry_mistakes_are_explained(trained: Trained) -> None:
    backend, sweep_id = trained.backend, trained.launched.id
    before = [(v.version, v.aliases) for v in backend.model_versions(WS_REF, MODEL)]
    with pytest.raises(InvalidNameError, match="not a valid model name"):
        backend.register_model(WS_REF, sweep_id, name="-bad name")
    with pytest.raises(NotFoundError, match="has no trial 999"):
        backend.register_model(WS_REF, sweep_id, trial_number=999)
    with pytest.raises(NotFoundError, match="no sweep 'sweep-nope'"):
        backend.register_model(WS_REF, "sweep-nope")
    with pytest.raises(NotFoundError, match="no version 99 of model"):
        backend.set_model_alias(WS_REF, MODEL, 99)
    with pytest.raises(NotFoundError, match="no version 1 of model 'no-such-model'"):
        backend.set_model_version_tag(WS_REF, "no-such-model", 1, "reviewer", "ana")
    with pytest.raises(NotFoundError, match="no workspace called 'no-such-ws'"):
        backend.registered_models("no-such-ws")
    assert [(v.version, v.aliases) for v in backend.model_versions(WS_REF, MODEL)] == before


@pytest.mark.parametrize("bad", ["-bad name", "_model", "model.", "m\u00f6del", "m" * 256])
def test_a_bad_model_name_is_an_invalid_name_with_the_model_rule(trained: Trained, bad: str) -> None:
    """A bad model name raises the same error type as every other bad name, with Azure's model rule."""
    backend = trained.backend
    before = backend.registered_models(WS_REF)
    with pytest.raises(InvalidNameError, match=f"'{bad}' is not a valid model name") as caught:
        backend.register_model(WS_REF, trained.launched.id, name=bad)
    assert caught.value.fix.startswith("Rule: ") and "must not end with '.'" in caught.value.fix
    assert isinstance(caught.value, UserFacingError)
    assert backend.registered_models(WS_REF) == before, "nothing was registered"
