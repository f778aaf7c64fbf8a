"""ROC and precision-recall charts: the legend sits under the plot, never in the title's band
(issue 19: "the PR-curve legend overlaps its title"), and a small test set's AUC interval is in
the ROC legend."""

from __future__ import annotations

import numpy as np
import pytest

from core.endpoint.intervals import Interval
from core.train.curves import Curve, class_curves
from dashboard import figures as figs
from dashboard.figures.style import ROOMY


def _curves(classes: int) -> tuple[list[Curve], list[Curve]]:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, classes, 90)
    proba = rng.dirichlet([1] * classes, 90)
    return class_curves(truth, proba, list(range(classes)))


@pytest.mark.parametrize("classes", [2, 3])
def test_roc_and_pr_legends_are_under_the_plot_not_beside_the_title(classes: int) -> None:
    roc, pr = _curves(classes)
    for fig in (figs.pr_curves(pr, preset=ROOMY), figs.roc_curves(roc, preset=ROOMY), figs.pr_curves(pr)):
        legend = fig.layout.legend
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom"), "at the figure's foot"
        assert (legend.x, legend.xanchor) == (0, "left")
        assert fig.layout.title.x == 0 and fig.layout.title.xanchor == "left"


def test_a_multiclass_roc_title_gets_a_second_line_and_the_room_for_it() -> None:
    roc, _ = _curves(3)
    fig = figs.roc_curves(roc)
    assert fig.layout.title.text == "ROC curve<br><sup>one class vs the rest</sup>"
    assert fig.layout.margin.t >= 72
    assert figs.roc_curves(_curves(2)[0]).layout.margin.t == 50


def test_the_roc_legend_carries_a_small_test_sets_auc_interval() -> None:
    roc, _ = _curves(2)
    label = roc[0].label
    fig = figs.roc_curves(roc, intervals={label: Interval(0.41, 0.62, "bootstrap")})
    assert fig.data[1].name == f"{label} · AUC {roc[0].area:.3f} (0.410–0.620)"
    assert figs.roc_curves(roc).data[1].name == f"{label} · AUC {roc[0].area:.3f}"
