"""An endpoint's traffic split, checked the same way on every backend (Azure's rule)."""

from __future__ import annotations

from collections.abc import Iterable

from core.errors import NotFoundError, UserFacingError

__all__ = ["checked_traffic"]


def checked_traffic(endpoint: str, traffic: dict[str, int], deployments: Iterable[str]) -> dict[str, int]:
    """The split to apply: whole percents from 0 to 100 over the endpoint's own deployments, adding
    up to 100, with the zero entries left out (as Azure keeps it)."""
    unknown = sorted(set(traffic) - set(deployments))
    if unknown:
        raise NotFoundError(
            f"Endpoint '{endpoint}' has no deployment {', '.join(repr(u) for u in unknown)}.",
            "Set traffic only for its deployments.",
        )
    clean = {d: int(p) for d, p in traffic.items() if int(p) > 0}
    if any(not 0 <= int(p) <= 100 for p in traffic.values()) or sum(clean.values()) != 100:
        raise UserFacingError(
            f"The traffic split adds up to {sum(int(p) for p in traffic.values())}%, not 100%.",
            "Give each deployment a whole percent from 0 to 100, adding up to 100.",
        )
    return clean
