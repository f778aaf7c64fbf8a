"""Plotly builders: pure functions from core's aggregates to figures, readable on a projector.

- :mod:`~dashboard.figures.style`: the one house style (:func:`figure`), palette and font.
- :mod:`~dashboard.figures.dataset`: the dataset on the Data and EDA steps.
- :mod:`~dashboard.figures.evaluation`: predictions against the truth (confusion matrix, ROC,
  precision-recall, predicted vs actual, residuals) for the Endpoint step's live test and the
  best-trial panel, and the registered versions compared.
- :mod:`~dashboard.figures.marks`: how the Trials page draws a trial (status, best, selected).
- :mod:`~dashboard.figures.hyperparams`: parallel coordinates, slice plots, importance.
- :mod:`~dashboard.figures.heatmap`: the metric over two hyperparameters.
- :mod:`~dashboard.figures.history`: optimisation history, intermediate values per step.
- :mod:`~dashboard.figures.sweeps`: the live best-so-far, the timeline, sweeps compared.

The Trials page's builders take the trials frame (or an aggregate of it), the scores, a boolean
``shown`` mask (the trials passing the table's filters) and a boolean ``selected`` mask (rows
picked in the table). Charts with one point per trial use WebGL traces and are built from whole
arrays, so 10,000 trials cost about what 50 do. The best trial is a gold star; selected trials
get a dark ring (or a thick line). Every chart keeps Plotly's toolbar, which saves it as PNG.
Importing this package loads Plotly, never scikit-learn or MLflow.
"""

from dashboard.figures.dataset import (
    associations_bar,
    categorical_distribution,
    class_balance,
    correlation_heatmap,
    missing_values,
    numeric_distribution,
    split_balance,
)
from dashboard.figures.evaluation import (
    confusion_matrix,
    oof_confusion_matrix,
    oof_pr_curves,
    oof_predicted_vs_actual,
    oof_residuals,
    oof_roc_curves,
    pr_curves,
    predicted_vs_actual,
    residuals,
    roc_curves,
    version_metrics,
)
from dashboard.figures.heatmap import contour
from dashboard.figures.history import intermediate_values, optimisation_history
from dashboard.figures.hyperparams import (
    importance_bar,
    log_axis,
    parallel_coordinates,
    param_axis,
    slice_plots,
)
from dashboard.figures.marks import STATUS_COLOURS
from dashboard.figures.style import FONT, PALETTE, figure
from dashboard.figures.sweeps import SweepSeries, assign_lanes, best_so_far, compare_history, timeline

__all__ = [
    "FONT",
    "PALETTE",
    "STATUS_COLOURS",
    "SweepSeries",
    "assign_lanes",
    "associations_bar",
    "best_so_far",
    "categorical_distribution",
    "class_balance",
    "compare_history",
    "confusion_matrix",
    "contour",
    "correlation_heatmap",
    "figure",
    "importance_bar",
    "intermediate_values",
    "log_axis",
    "missing_values",
    "numeric_distribution",
    "oof_confusion_matrix",
    "oof_pr_curves",
    "oof_predicted_vs_actual",
    "oof_residuals",
    "oof_roc_curves",
    "optimisation_history",
    "param_axis",
    "parallel_coordinates",
    "pr_curves",
    "predicted_vs_actual",
    "residuals",
    "roc_curves",
    "slice_plots",
    "split_balance",
    "timeline",
    "version_metrics",
]
