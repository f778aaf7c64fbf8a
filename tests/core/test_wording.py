"""Counts agree with their nouns: no "1 sweep(s)" or "2 node(s)" on a page."""

from __future__ import annotations

from core.wording import counted


def test_a_count_agrees_with_its_noun() -> None:
    assert counted(1, "sweep") == "1 sweep"
    assert counted(0, "node") == "0 nodes"
    assert counted(2, "model process", "model processes") == "2 model processes"
    assert counted(12_000, "trial") == "12,000 trials"
