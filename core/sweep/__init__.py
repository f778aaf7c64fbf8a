"""The sweep definition layer: search space, spec, Azure's rules, policies, samplers, Azure translation.

Pure code: no Streamlit, no MLflow, no processes. ``core.sweep.azure`` imports
azure-ai-ml lazily and ``core.sweep.sampling`` imports Optuna lazily, so importing this
package stays cheap.
"""

from __future__ import annotations

from core.sweep.policies import is_evaluation_point, replay, should_terminate, trials_to_terminate
from core.sweep.rules import SpecError, check_spec, validate_spec, warnings_for
from core.sweep.sampling import Sampler, Suggestion, make_sampler
from core.sweep.space import (
    Choice,
    Fixed,
    LogUniform,
    Normal,
    Param,
    QLogUniform,
    QUniform,
    Randint,
    Scalar,
    SearchParam,
    SpecProblem,
    Uniform,
    param_from_dict,
)
from core.sweep.spec import (
    METRICS,
    BanditPolicy,
    Limits,
    MedianStoppingPolicy,
    Policy,
    SweepSpec,
    TruncationSelectionPolicy,
    default_goal,
    default_metric,
    grid_size,
)

__all__ = [
    "METRICS",
    "BanditPolicy",
    "Choice",
    "Fixed",
    "Limits",
    "LogUniform",
    "MedianStoppingPolicy",
    "Normal",
    "Param",
    "Policy",
    "QLogUniform",
    "QUniform",
    "Randint",
    "Sampler",
    "Scalar",
    "SearchParam",
    "SpecError",
    "SpecProblem",
    "Suggestion",
    "SweepSpec",
    "TruncationSelectionPolicy",
    "Uniform",
    "check_spec",
    "default_goal",
    "default_metric",
    "grid_size",
    "is_evaluation_point",
    "make_sampler",
    "param_from_dict",
    "replay",
    "should_terminate",
    "trials_to_terminate",
    "validate_spec",
    "warnings_for",
]
