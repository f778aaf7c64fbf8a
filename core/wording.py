"""Counts in words: "1 sweep", "2 sweeps", never "2 sweep(s)"."""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun that agrees with it; ``plural`` for nouns that do not just add an s."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"
