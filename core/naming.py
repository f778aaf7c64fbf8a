"""Azure's naming rules, enforced on every backend before anything is created.

The SDKs do not check most of these on the client (see AZURE_FACTS.md), so a name
that passes here is one that Azure itself accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import InvalidNameError
from core.resources import Kind


@dataclass(frozen=True)
class NameRule:
    """One resource kind's rule: a human sentence plus the check that enforces it."""

    kind: Kind
    rule: str
    check: Callable[[str], str | None]  # returns the specific problem, or None

    def problem(self, name: str) -> str | None:
        if not name:
            return "the name is empty"
        return self.check(name)


def _length(name: str, low: int, high: int) -> str | None:
    if not low <= len(name) <= high:
        unit = "character" if len(name) == 1 else "characters"
        return f"it is {len(name)} {unit} long; it must be {low}–{high}"
    return None


def _bad_chars(name: str, allowed: str, pattern: str) -> str | None:
    bad = sorted({c for c in name if not re.fullmatch(pattern, c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"it contains {shown}; only {allowed} are allowed"
    return None


def _resource_group(name: str) -> str | None:
    return (
        _length(name, 1, 90)
        or _bad_chars(name, "letters, digits, '-', '_', '.', '(' and ')'", r"[-\w.()]")
        or ("it ends with '.'" if name.endswith(".") else None)
    )


def _storage_account(name: str) -> str | None:
    return _length(name, 3, 24) or _bad_chars(name, "lowercase letters and digits", r"[a-z0-9]")


def _blob_container(name: str) -> str | None:
    return (
        _length(name, 3, 63)
        or _bad_chars(name, "lowercase letters, digits and '-'", r"[a-z0-9-]")
        or ("it starts or ends with '-'" if name[0] == "-" or name[-1] == "-" else None)
        or ("it contains '--'" if "--" in name else None)
    )


def _workspace(name: str) -> str | None:
    return (
        _length(name, 3, 33)
        or _bad_chars(name, "letters, digits, '-' and '_'", r"[a-zA-Z0-9_-]")
        or (None if name[0].isalnum() else "it does not start with a letter or digit")
    )


def _compute(name: str) -> str | None:
    # Azure's current docs say 3–24 characters; an older page says 2–16. We follow
    # the newer, documented-by-the-service rule (AZURE_FACTS.md).
    problem = (
        _length(name, 3, 24)
        or _bad_chars(name, "letters, digits and '-'", r"[a-zA-Z0-9-]")
        or (None if name[0].isalpha() else "it does not start with a letter")
    )
    if problem is None and "-" in name and not re.search(r"[a-zA-Z]", name[name.rindex("-") :]):
        problem = "a '-' is not followed later by a letter"
    return problem


def _endpoint(name: str) -> str | None:
    return (
        _length(name, 3, 32)
        or _bad_chars(name, "letters, digits and '-'", r"[a-zA-Z0-9-]")
        or (None if name[0].isalpha() else "it does not start with a letter")
        or ("it ends with '-'" if name.endswith("-") else None)
    )


def _asset(name: str) -> str | None:
    return (
        _length(name, 1, 255)
        or _bad_chars(name, "letters, digits, '-', '_' and '.'", r"[a-zA-Z0-9._-]")
        or (None if name[0].isalnum() else "it does not start with a letter or digit")
    )


def _model(name: str) -> str | None:
    # azure-ai-ml's model data plane checks ^(?![\-_.])[a-zA-Z0-9\-_.]{1,255}(?<!\.)$
    return _asset(name) or ("it ends with '.'" if name.endswith(".") else None)


RULES: dict[Kind, NameRule] = {
    rule.kind: rule
    for rule in (
        NameRule(
            Kind.RESOURCE_GROUP,
            "1–90 characters: letters, digits, '-', '_', '.', '(' and ')'; must not end with '.'.",
            _resource_group,
        ),
        NameRule(
            Kind.STORAGE_ACCOUNT,
            "3–24 characters, lowercase letters and digits only; unique across all of Azure.",
            _storage_account,
        ),
        NameRule(
            Kind.BLOB_CONTAINER,
            "3–63 characters: lowercase letters, digits and '-'; starts and ends with a letter "
            "or digit; no '--'.",
            _blob_container,
        ),
        NameRule(
            Kind.WORKSPACE,
            "3–33 characters: letters, digits, '-' and '_'; starts with a letter or digit.",
            _workspace,
        ),
        NameRule(
            Kind.ENVIRONMENT,
            "1–255 characters: letters, digits, '-', '_' and '.'; starts with a letter or digit.",
            _asset,
        ),
        NameRule(
            Kind.COMPUTE,
            "3–24 characters: letters, digits and '-'; starts with a letter; every '-' is "
            "followed later by a letter; unique in the region.",
            _compute,
        ),
        NameRule(
            Kind.ENDPOINT,
            "3–32 characters: letters, digits and '-'; starts with a letter and ends with a "
            "letter or digit; unique in the region.",
            _endpoint,
        ),
        NameRule(
            Kind.DEPLOYMENT,
            "3–32 characters: letters, digits and '-'; starts with a letter and ends with a letter or digit.",
            _endpoint,
        ),
    )
}


@dataclass(frozen=True)
class AssetRule:
    """The rule of a versioned asset that is not a resource of the tree (no ``Kind``)."""

    label: str
    rule: str
    check: Callable[[str], str | None]


# AZURE_FACTS.md states no data asset rule; Azure's asset names (data, environment, model) share
# this one. Models add "must not end with '.'" (the pattern in azure-ai-ml's model data plane).
DATA_ASSET = AssetRule(
    "data asset",
    "1–255 characters: letters, digits, '-', '_' and '.'; starts with a letter or digit.",
    _asset,
)
MODEL = AssetRule(
    "model",
    "1–255 characters: letters, digits, '-', '_' and '.'; starts with a letter or digit; "
    "must not end with '.'.",
    _model,
)


def name_problem(kind: Kind, name: str) -> str | None:
    """Return why ``name`` is not a valid ``kind`` name, or None when it is."""
    return RULES[kind].problem(name)


def validate_name(kind: Kind, name: str) -> str:
    """Return ``name`` stripped of surrounding spaces, or raise with the rule stated."""
    return _validated(name, kind.label, RULES[kind].rule, RULES[kind].problem)


def validate_asset_name(asset: AssetRule, name: str) -> str:
    """``validate_name`` for a data asset or a model: the same error, with the asset's own rule."""
    return _validated(name, asset.label, asset.rule, lambda n: asset.check(n) if n else "the name is empty")


def _validated(name: str, label: str, rule: str, problem_of: Callable[[str], str | None]) -> str:
    cleaned = name.strip()
    problem = problem_of(cleaned)
    if problem:
        raise InvalidNameError(f"'{cleaned}' is not a valid {label} name: {problem}.", f"Rule: {rule}")
    return cleaned
