"""One status -> colour map: a status looks the same on every page, and no page keeps its own."""

from __future__ import annotations

import re
from pathlib import Path

from core.trials.status import STATUSES
from dashboard.badges import BADGE_COLOURS, badge, mark
from dashboard.views.trials.common import STATUS_BADGES

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def _colour(markdown: str) -> str:
    found = re.match(r":(\w+)(?:-badge)?\[", markdown)
    assert found, markdown
    return found.group(1)


def test_a_status_has_one_colour_on_the_sweep_and_trials_pages() -> None:
    assert badge("completed") == ":green-badge[completed]"
    for status in STATUSES:
        assert _colour(STATUS_BADGES[status]) == _colour(badge(status)) == BADGE_COLOURS[status]
    assert mark("early_terminated").endswith("early-terminated")
    assert badge("something new") == ":gray-badge[something new]", "unknown statuses still show"


def test_every_status_colour_written_in_a_page_agrees_with_the_map() -> None:
    words = "|".join(re.escape(s) for s in BADGE_COLOURS)
    literal = re.compile(rf""":(\w+)(?:-badge)?\[(?::material/\w+:\]\s*)?({words})\b""")
    found = [
        (str(path.relative_to(DASHBOARD)), colour, status)
        for path in DASHBOARD.rglob("*.py")
        if path.name != "badges.py"
        for colour, status in literal.findall(path.read_text(encoding="utf-8"))
    ]
    assert [f for f in found if f[1] != BADGE_COLOURS[f[2]]] == []
    mine = ("views/sweep_watch.py", "views/trials/common.py", "views/endpoint/status.py")
    assert [f for f in found if f[0] in mine] == [], "these pages take their badges from the map"


def test_status_pills_in_page_tables_use_the_badge_colours() -> None:
    views = DASHBOARD / "views"
    chart_colours = [
        str(p.relative_to(DASHBOARD)) for p in views.rglob("*.py") if "STATUS_COLOURS" in p.read_text()
    ]
    assert chart_colours == [], "tables colour statuses as the badges do (chart colours stay in charts)"
    assert "BADGE_COLOURS[s] for s in STATUSES" in (views / "trials" / "table.py").read_text()


def test_charts_draw_a_status_in_its_badge_colour() -> None:
    from dashboard.figures.marks import CHART_HEX, STATUS_COLOURS
    from dashboard.figures.sweeps import best_so_far

    for status, hex_colour in STATUS_COLOURS.items():
        assert hex_colour == CHART_HEX[BADGE_COLOURS[status]], status
    assert STATUS_COLOURS["completed"] == CHART_HEX["green"]
    trials = [
        {"number": 1, "status": "completed", "value": 0.8, "ended": 1.0},
        {"number": 2, "status": "early_terminated", "value": 0.6, "ended": 2.0},
    ]
    dots = {
        t.name: t.marker.color
        for t in best_so_far(trials, "accuracy", "maximize").data
        if t.mode == "markers"
    }
    assert dots == {"completed": CHART_HEX["green"], "early-terminated": CHART_HEX["yellow"]}
