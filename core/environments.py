"""Custom environments: a conda YAML plus a base image, checked before anything is stored."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import yaml

from core.errors import UserFacingError

DEFAULT_BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
DEFAULT_ENVIRONMENT_NAME = "sklearn-mlflow-env"

# azureml-mlflow (the MLflow plugin that runs on Azure ML compute) requires mlflow-skinny<=3.15.0
# (1.62.0.post6, its newest release); without pins pip backtracks to an old, incompatible
# azureml-mlflow. mlflow 3.15.0 is the newest release that fits, so the pair is pinned together.
DEFAULT_CONDA_YAML = """\
name: sklearn-mlflow-env
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
      - scikit-learn>=1.6
      - pandas>=2.2
      - mlflow==3.15.0
      - azureml-mlflow==1.62.0.post6
      - optuna>=4
"""

# registry[:port]/path[:tag][@sha256:digest], following the Docker reference grammar.
_IMAGE = re.compile(
    r"^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


@dataclass(frozen=True)
class EnvironmentSpec:
    """A validated environment: its name comes from the conda YAML's ``name``."""

    name: str
    image: str
    conda_yaml: str
    conda: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        """Same image and same conda content give the same fingerprint (one version)."""
        canonical = yaml.safe_dump(self.conda, sort_keys=True) + "\n" + self.image
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_conda_yaml(text: str) -> dict[str, Any]:
    """Parse a conda spec and check its shape; errors name the line and the fix."""
    if not text.strip():
        raise UserFacingError("The conda YAML is empty.", "Paste a conda spec with a name and dependencies.")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "it is not valid YAML"
        raise UserFacingError(
            f"The conda YAML cannot be read{where}: {reason}.",
            "Check the indentation and that list items start with '- '.",
        ) from None
    if not isinstance(data, dict):
        raise UserFacingError(
            "The conda YAML must be a mapping with keys such as 'name' and 'dependencies'.",
            "Start from the prefilled example.",
        )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise UserFacingError(
            "The conda YAML has no 'name'.", "Add a line such as 'name: sklearn-mlflow-env' at the top."
        )
    deps = data.get("dependencies")
    if not isinstance(deps, list) or not deps:
        raise UserFacingError(
            "The conda YAML has no 'dependencies' list.",
            "Add 'dependencies:' with at least 'python=3.11' and 'pip'.",
        )
    for dep in deps:
        if isinstance(dep, dict):
            if set(dep) != {"pip"} or not isinstance(dep["pip"], list):
                raise UserFacingError(
                    "A nested entry in 'dependencies' must be 'pip:' followed by a list of packages.",
                    "Indent the pip packages under '- pip:' as '- name>=version'.",
                )
        elif not isinstance(dep, str):
            raise UserFacingError(
                f"The dependency {dep!r} is not a package specification.",
                "Write each dependency as text, such as 'scikit-learn>=1.6'.",
            )
    if "channels" in data and not isinstance(data["channels"], list):
        raise UserFacingError("'channels' must be a list.", "Write it as 'channels:' then '- conda-forge'.")
    return data


def validate_image(image: str) -> str:
    cleaned = image.strip()
    if not _IMAGE.fullmatch(cleaned):
        raise UserFacingError(
            f"'{cleaned}' is not a valid container image reference.",
            "Use the form registry/repository:tag, for example " + DEFAULT_BASE_IMAGE + ".",
        )
    return cleaned


def build_environment_spec(conda_yaml: str, image: str) -> EnvironmentSpec:
    """Validate the YAML, the environment name and the image, and bundle them."""
    from core.naming import validate_name
    from core.resources import Kind

    conda = parse_conda_yaml(conda_yaml)
    name = validate_name(Kind.ENVIRONMENT, str(conda["name"]))
    return EnvironmentSpec(name=name, image=validate_image(image), conda_yaml=conda_yaml, conda=conda)
