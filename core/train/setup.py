"""What a trial trains on and how it is cross-validated: the settings every trial of a sweep shares.

One type for both places that run a trial's cross-validation: the local engine's worker pool
(:mod:`core.engine.pool`) and the out-of-fold re-run of the Trials page
(:mod:`core.trials.oof`). The train split itself is given beside it, in the form each needs: a
path for the pool (each worker reads it once per sweep and keeps it), the CSV's bytes for a
backend's :class:`~core.trials.oof.TrainingData`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TrialSetup:
    """The train split's schema, the model family, the primary metric and the CV folds and seed:
    the same setup gives the same folds and the same models."""

    schema: dict[str, Any]
    family: str
    primary_metric: str
    folds: int
    seed: int
