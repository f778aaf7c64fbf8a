"""Grid sampling: every combination of the Choice values exactly once (``itertools.product``).

The order is shuffled by ``seed``, or the natural product order without a seed. A draw is an
index into that order, so a resumed sweep goes on with the combinations not done yet.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from core.sweep.sampling.base import Draws, Numbers, Outcome, Suggestion, merge_fixed, same_value
from core.sweep.space import Choice, Scalar
from core.sweep.spec import SweepSpec


class GridSampler:
    """Every combination of the Choice values exactly once, then None."""

    name = "grid"

    def __init__(self, spec: SweepSpec) -> None:
        self._spec = spec
        searched = spec.searched
        for name, param in searched.items():
            if not isinstance(param, Choice):
                raise ValueError(f"Grid sampling takes Choice only; '{name}' is {type(param).__name__}.")
        names = list(searched)
        combos = [
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(p.values for p in searched.values()))  # type: ignore[union-attr]
        ]
        if spec.seed is not None:
            random.Random(spec.seed).shuffle(combos)
        self._combos = combos
        self._draws = Draws()
        self._numbers = Numbers()
        self.results: dict[int, tuple[Outcome, float | None]] = {}

    @property
    def remaining(self) -> int:
        return sum(1 for k in range(self._draws.next, len(self._combos)) if k not in self._draws.done)

    def ask(self) -> Suggestion | None:
        if not self.remaining:
            return None
        draw = self._draws.take()
        return Suggestion(self._numbers.take(), merge_fixed(self._spec, self._combos[draw]), draw)

    def tell(
        self,
        number: int,
        value: float | None,
        state: Outcome = "complete",
        intermediate: Sequence[float] = (),
    ) -> None:
        self.results[number] = (state, value)

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
        self._numbers.restore(number)
        index = self._draws.restore(draw, interrupted=True)
        if interrupted:
            return
        if not (0 <= index < len(self._combos) and self._matches(index, params)):
            # a sweep from before draws were recorded: find its combination by value
            index = next((k for k in range(len(self._combos)) if self._matches(k, params)), -1)
        if index >= 0:
            self._draws.done.add(index)

    def _matches(self, index: int, params: dict[str, Scalar]) -> bool:
        combo = self._combos[index]
        return all(same_value(combo[name], params.get(name, object())) for name in combo)
