"""The trial a user picked on 5 · Trials to deploy on 6 · Endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ChosenTrial:
    """A trial carried from the Trials page to the Endpoint page, with when it was carried.

    ``sweeps_with_model`` lists the workspace's sweeps that had a model at that moment, so the
    Endpoint page can follow a sweep that finishes later, even if the page was not open then."""

    run_id: str
    trial_number: int
    params: dict[str, Any]
    metric: str
    goal: str
    value: float | None  # None when the trial has no finite score
    tracking_uri: str
    experiment_id: str
    parent_run_id: str | None
    sweep_id: str | None
    workspace: str | None  # the workspace's name, for labels
    is_best: bool
    model_uri: str | None  # the sweep's refit model, for its best trial only
    carried_at: float
    sweeps_with_model: tuple[str, ...] | None = field(default=None)  # None: not known
