"""Default endpoint and deployment names, from the dataset the model was trained on.

``heart`` and a classifier give ``heart-classify-endpoint`` and ``heart-classify-deployment``;
``smart_grid_stability`` and a regressor give ``smart-grid-regress-endpoint``. Both names keep
Azure's rule (3-32 letters, digits and '-', starting with a letter, not ending with '-'): the
dataset part is shortened at a word boundary, the same way for both names.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["default_names"]

MAX_LENGTH = 32
VERBS = {"classification": "classify", "regression": "regress"}
SUFFIXES = ("endpoint", "deployment")


def _slug(text: str) -> str:
    """Lowercase ASCII letters and digits, words joined by single '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def _shorten(slug: str, budget: int) -> str:
    if len(slug) <= budget:
        return slug
    cut = slug[:budget]
    if slug[budget] != "-" and "-" in cut:  # cut inside a word: drop it
        cut = cut[: cut.rindex("-")]
    return cut.strip("-")


def default_names(dataset: str | None, task: str) -> tuple[str, str]:
    """The default (endpoint, deployment) names for a model of ``task`` trained on ``dataset``."""
    verb = VERBS.get(task, "model")
    budget = MAX_LENGTH - max(len(f"-{verb}-{suffix}") for suffix in SUFFIXES)
    slug = _shorten(_slug(dataset or ""), budget)
    if not slug or not slug[0].isalpha():
        slug = _shorten(f"model-{slug}".strip("-"), budget)
    return f"{slug}-{verb}-endpoint", f"{slug}-{verb}-deployment"
