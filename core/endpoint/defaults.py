"""Default endpoint and deployment names, from the dataset the model was trained on.

``heart`` and a classifier give ``heart-classify-endpoint`` and ``heart-classify-deployment``;
``smart_grid_stability`` and a regressor give ``smart-grid-regress-endpoint``. Both names keep
Azure's rule (3-32 letters, digits and '-', starting with a letter, not ending with '-'): the
dataset part is shortened at a word boundary, the same way for both names.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["DEFAULT_INSTANCE_TYPE", "INSTANCE_TYPES", "UPGRADE_QUOTA_SHARE", "default_names", "quota_cores"]

# The VM sizes a managed online deployment can run on that suit a scikit-learn model, with their
# vCPUs (Azure's "Managed online endpoints SKU list"). Standard_DS3_v2 is Azure's own default.
INSTANCE_TYPES: dict[str, int] = {
    "Standard_DS2_v2": 2,
    "Standard_DS3_v2": 4,
    "Standard_DS4_v2": 8,
    "Standard_F2s_v2": 2,
    "Standard_F4s_v2": 4,
    "Standard_F8s_v2": 8,
    "Standard_E2s_v3": 2,
    "Standard_E4s_v3": 4,
}
DEFAULT_INSTANCE_TYPE = "Standard_DS3_v2"
# Azure reserves about 20 % more cores than a deployment uses, for upgrades ("Managed online
# endpoints quotas": virtual machine quota).
UPGRADE_QUOTA_SHARE = 0.2

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


def quota_cores(instance_type: str, instance_count: int) -> int:
    """The vCPUs of the VM family's quota a deployment needs: the cores of its instances plus
    the about 20 % more instances Azure keeps spare for upgrades, in whole instances (10
    instances need quota for 12; one needs quota for 2). Azure's own OutOfQuota answers count
    this way: "Additional needed: 8" for one 4-core Standard_DS3_v2 or Standard_F4s_v2, 32 for
    one 16-core Standard_F16s_v2."""
    import math

    instances = math.ceil(max(1, int(instance_count)) * (1 + UPGRADE_QUOTA_SHARE))
    return INSTANCE_TYPES.get(instance_type, 4) * instances
