"""The Sweep page's live chart: every kind of dot it draws is named in the legend."""

from __future__ import annotations

from dashboard.figures.sweeps import best_so_far


def _trial(number: int, status: str, value: float) -> dict[str, object]:
    return {"number": number, "status": status, "value": value, "ended": 100.0 + number}


def test_early_stopped_dots_have_their_own_legend_entry() -> None:
    trials = [
        _trial(1, "completed", 0.80),
        _trial(2, "early_terminated", 0.61),
        _trial(3, "completed", 0.84),
        _trial(4, "early_terminated", 0.55),
        {"number": 5, "status": "running", "value": None, "ended": None},
    ]
    fig = best_so_far(trials, "accuracy", "maximize")
    names = [trace.name for trace in fig.data]
    assert names == ["completed", "early-terminated", "best so far"]
    early = fig.data[1]
    assert list(early.x) == [2, 4] and list(early.y) == [0.61, 0.55], "at their finishing order"
    assert fig.data[0].marker.color != early.marker.color
    assert list(fig.data[2].y) == [0.80, 0.80, 0.84, 0.84], "the best line follows completed trials only"
    assert fig.data[2].line.shape == "hv", "a step, as on the Trials page: the best holds until beaten"
    assert fig.layout.xaxis.dtick == 1, "4 trials finished: ticks 1 to 4, not 1.5"
