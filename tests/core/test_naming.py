"""Azure's naming rules, table-driven: valid and invalid names for every kind."""

from __future__ import annotations

import pytest

from core.errors import InvalidNameError
from core.naming import RULES, name_problem, validate_name
from core.resources import Kind

VALID = {
    Kind.RESOURCE_GROUP: ["rg-dev-ml-eastus-001", "a", "My_RG.(test)", "x" * 90, "Ünïcode-ok"],
    Kind.STORAGE_ACCOUNT: ["datadevmleastus001", "abc", "a" * 24, "0123"],
    Kind.BLOB_CONTAINER: ["data4ml", "abc", "a-b-c", "a" * 63, "9lives"],
    Kind.WORKSPACE: ["dev-heart-classifier", "ws1", "A_b-C", "1ab", "a" * 33],
    Kind.ENVIRONMENT: ["sklearn-mlflow-env", "env.v2", "a", "E_1"],
    Kind.COMPUTE: ["heartclassifycluster", "cpu-cluster", "abc", "a" * 24, "a1-b2"],
    Kind.ENDPOINT: ["heart-classify-endpoint", "abc", "A1b", "a" * 32],
    Kind.DEPLOYMENT: ["heart-classify-deployment", "blue", "green-2"],
}

INVALID = {
    Kind.RESOURCE_GROUP: [
        ("", "empty"),
        ("x" * 91, "91 characters"),
        ("rg.", "ends with '.'"),
        ("rg/1", "'/'"),
        ("rg 1", "' '"),
    ],
    Kind.STORAGE_ACCOUNT: [
        ("ab", "2 characters"),
        ("a" * 25, "25 characters"),
        ("Data", "'D'"),
        ("data-dev", "'-'"),
        ("data_dev", "'_'"),
    ],
    Kind.BLOB_CONTAINER: [
        ("ab", "2 characters"),
        ("a" * 64, "64 characters"),
        ("Data4ml", "'D'"),
        ("-data", "starts or ends"),
        ("data-", "starts or ends"),
        ("da--ta", "'--'"),
        ("da_ta", "'_'"),
    ],
    Kind.WORKSPACE: [
        ("ws", "2 characters"),
        ("a" * 34, "34 characters"),
        ("-ws1", "start with a letter or digit"),
        ("_ws1", "start with a letter or digit"),
        ("ws.1", "'.'"),
    ],
    Kind.ENVIRONMENT: [
        ("-env", "start with a letter or digit"),
        ("env/1", "'/'"),
        ("x" * 256, "256 characters"),
    ],
    Kind.COMPUTE: [
        ("ab", "2 characters"),
        ("a" * 25, "25 characters"),
        ("1cluster", "start with a letter"),
        ("cpu-1", "followed later by a letter"),
        ("cpu_c", "'_'"),
        ("cpu-cluster-01", "followed later"),
    ],
    Kind.ENDPOINT: [
        ("ab", "2 characters"),
        ("a" * 33, "33 characters"),
        ("1abc", "start with a letter"),
        ("abc-", "ends with '-'"),
        ("ab_c", "'_'"),
    ],
    Kind.DEPLOYMENT: [("b", "1 character long"), ("blue-", "ends with '-'")],
}


def test_every_kind_has_a_rule_and_cases() -> None:
    assert set(RULES) == set(Kind) == set(VALID) == set(INVALID)


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, names in VALID.items() for n in names])
def test_valid_names_pass(kind: Kind, name: str) -> None:
    assert name_problem(kind, name) is None
    assert validate_name(kind, f"  {name}  ") == name


@pytest.mark.parametrize(
    ("kind", "name", "reason"), [(k, n, r) for k, cases in INVALID.items() for n, r in cases]
)
def test_invalid_names_state_the_rule(kind: Kind, name: str, reason: str) -> None:
    with pytest.raises(InvalidNameError) as info:
        validate_name(kind, name)
    message = str(info.value)
    assert reason in message
    assert RULES[kind].rule in message
    assert kind.label in message
