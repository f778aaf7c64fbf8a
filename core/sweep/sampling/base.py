"""What every sampler shares: the ask/tell interface and the bookkeeping a resume relies on.

Every ask is a *draw* with an index (the k-th configuration the sweep asked for), and every
suggestion a trial number. :class:`Draws` and :class:`Numbers` keep both across a restore: the
draws a crash cut short are made again first, and no restored trial number is handed out twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from core.sweep.space import Fixed, Scalar
from core.sweep.spec import SweepSpec

Outcome: TypeAlias = Literal["complete", "failed", "pruned"]


@dataclass(frozen=True)
class Suggestion:
    """One configuration to try: ``number`` identifies it in ``tell``; ``draw`` is its index
    among the sweep's draws (what a resume goes on from)."""

    number: int
    params: dict[str, Scalar]
    draw: int = 0


class Sampler(Protocol):
    """Ask for configurations, tell how they did."""

    name: str

    def ask(self) -> Suggestion | None:
        """The next configuration, or None when the sampler has nothing left."""
        ...

    def tell(
        self,
        number: int,
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
    ) -> None:
        """Report a trial: its final value, or ``failed``, or ``pruned`` (early-terminated)
        with the values it logged before it was stopped."""
        ...

    def restore(
        self,
        params: dict[str, Scalar],
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
        *,
        draw: int | None = None,
        number: int | None = None,
        interrupted: bool = False,
    ) -> None:
        """Replay a trial of the sweep before a restart, so it is not repeated or forgotten.
        ``draw`` defaults to the order of the calls; ``number`` (its trial number) is never
        handed out again; an ``interrupted`` trial did not finish: its draw is made again."""
        ...


class Draws:
    """Which draw comes next: the lowest index not done yet, so the draws a crash cut short
    (or that were queued and never logged) are made again before the sweep goes on."""

    def __init__(self) -> None:
        self.done: set[int] = set()
        self.next = 0
        self.restored = 0

    def restore(self, draw: int | None, interrupted: bool) -> int:
        index = self.restored if draw is None else draw
        self.restored += 1
        if not interrupted:
            self.done.add(index)
        return index

    def take(self) -> int:
        while self.next in self.done:
            self.next += 1
        self.next += 1
        return self.next - 1


class Numbers:
    """Trial numbers: after a restore, never one a restored trial had."""

    def __init__(self) -> None:
        self.next = 0

    def restore(self, number: int | None) -> None:
        self.next = self.next + 1 if number is None else max(self.next, number + 1)

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def seed_for(base: int, index: int, stream: int = 0) -> int:
    """A seed that depends only on ``(base, index, stream)``: the k-th draw's own randomness."""
    import numpy as np

    return int(np.random.SeedSequence([base % 2**64, stream, index]).generate_state(1)[0])


def config_key(params: dict[str, Scalar]) -> str:
    """A configuration's identity (``1`` and ``True``, ``None`` and ``"None"`` stay apart)."""
    return json.dumps(params, sort_keys=True)


def same_value(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def merge_fixed(spec: SweepSpec, sampled: dict[str, Scalar]) -> dict[str, Scalar]:
    """All hyperparameters in the spec's order: sampled ones and the Fixed values."""
    return {
        name: param.value if isinstance(param, Fixed) else sampled[name] for name, param in spec.space.items()
    }
