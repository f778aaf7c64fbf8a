"""Conda YAML and base image validation, checked offline with the real azure-ai-ml schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from core.environments import DEFAULT_BASE_IMAGE, DEFAULT_CONDA_YAML, build_environment_spec, validate_image
from core.errors import UserFacingError


def test_default_spec_is_valid_and_named() -> None:
    spec = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    assert spec.name == "sklearn-mlflow-env"
    pip = next(d for d in spec.conda["dependencies"] if isinstance(d, dict))["pip"]
    assert any(p.startswith("scikit-learn") for p in pip) and any(p.startswith("mlflow") for p in pip)


def test_default_spec_round_trips_through_the_azure_ml_sdk(tmp_path: Path) -> None:
    from azure.ai.ml import load_environment
    from azure.ai.ml.entities import Environment

    spec = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    (tmp_path / "conda.yaml").write_text(spec.conda_yaml)
    env = Environment(name=spec.name, image=spec.image, conda_file=str(tmp_path / "conda.yaml"))
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(env._to_dict()))))
    loaded = load_environment(path)
    assert loaded.name == spec.name and loaded.image == DEFAULT_BASE_IMAGE
    assert loaded.conda_file["dependencies"] == spec.conda["dependencies"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("name: x\ndependencies:\n  - pip\n - bad", "line 4"),
        ("name: [unclosed\n", "cannot be read"),
        ("- just\n- a list\n", "must be a mapping"),
        ("channels:\n  - conda-forge\ndependencies:\n  - python=3.11\n", "has no 'name'"),
        ("name: ''\ndependencies:\n  - python\n", "has no 'name'"),
        ("name: env\n", "no 'dependencies'"),
        ("name: env\ndependencies:\n  - numpy: 1\n", "'pip:' followed by a list"),
        ("name: env\ndependencies:\n  - 3\n", "not a package specification"),
        ("name: env\nchannels: conda-forge\ndependencies:\n  - pip\n", "'channels' must be a list"),
        ("name: -bad\ndependencies:\n  - pip\n", "not a valid environment name"),
    ],
)
def test_bad_conda_yaml_gets_a_clear_message(text: str, expected: str) -> None:
    with pytest.raises(UserFacingError) as info:
        build_environment_spec(text, DEFAULT_BASE_IMAGE)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    "image", [DEFAULT_BASE_IMAGE, "python:3.11-slim", "myregistry.azurecr.io/team/env:1.2", "ubuntu"]
)
def test_valid_images(image: str) -> None:
    assert validate_image(image) == image


@pytest.mark.parametrize("image", ["", "UPPER/case:tag", "bad image", "repo:tag:extra", "http://x/y"])
def test_invalid_images(image: str) -> None:
    with pytest.raises(UserFacingError, match="not a valid container image"):
        validate_image(image)


def test_same_content_same_fingerprint_regardless_of_formatting() -> None:
    a = build_environment_spec(DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    b = build_environment_spec("# comment\n" + DEFAULT_CONDA_YAML, DEFAULT_BASE_IMAGE)
    c = build_environment_spec(DEFAULT_CONDA_YAML, "python:3.11-slim")
    assert a.fingerprint == b.fingerprint != c.fingerprint
