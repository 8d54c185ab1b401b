"""The charts as data: a dense incident timeline keeps every incident on its rule's lane, and the
SVG's geometry is written to a tenth of a pixel without changing any text, and a step line keeps
the points it draws."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from matplotlib import dates as mdates

from pytest_botaudit.record.model import Incident, Severity
from pytest_botaudit.reporting.charts import (
    LABELLED_INCIDENTS,
    _changes,
    dense_lanes,
    incident_lanes,
    incident_timeline,
)

START = datetime(2026, 12, 1, tzinfo=UTC)
END = START + timedelta(hours=24)
RULES = {
    "api_error_rate": (Severity.WARNING, "API errors in a minute"),
    "unprotected_positions": (Severity.CRITICAL, "positions without SL"),
    "aged_positions": (Severity.INFO, "aged positions"),
}


def _incidents(n: int, seed: int = 7) -> list[Incident]:
    """``n`` incidents, one rule's never overlapping in time (an incident ends before the
    rule's next opens), of one to ninety ticks each."""
    rng = random.Random(seed)
    found = []
    for rule, (severity, _) in RULES.items():
        at = START
        for k in range(n // len(RULES)):
            at += timedelta(seconds=rng.uniform(1, 40))
            last = at + timedelta(seconds=rng.choice([0, 0, 1, 5, 90]))
            found.append(Incident(rule, severity, f"{rule} {k}", at, last, 1, k % 9 + 1, False))
            at = last + timedelta(seconds=1)
    return found


def test_a_dense_timeline_has_a_lane_per_rule_holding_every_incident() -> None:
    incidents = _incidents(3000)
    titles = {rule: title for rule, (_, title) in RULES.items()}
    lanes = dense_lanes(incidents, START, END, titles)
    assert [name.split(":")[0] for name, _, _ in lanes] == ["CRITICAL", "WARNING", "INFO"]
    for name, severity, bars in lanes:
        rule = next(r for r, (s, t) in RULES.items() if s is severity and t in name)
        mine = [i for i in incidents if i.rule_id == rule]
        assert f"({len(mine)} incidents, peak 9)" in name
        # bars in time order, none overlapping, and every incident inside one of them
        assert all(a[1] < b[0] for a, b in pairwise(bars))
        for incident in mine:
            left = mdates.date2num(incident.first_seen)  # type: ignore[no-untyped-call]
            right = mdates.date2num(incident.last_seen)  # type: ignore[no-untyped-call]
            assert any(b[0] <= left and right <= b[1] for b in bars)
        assert len(bars) < len(mine)  # merged: fewer bars than incidents
    svg = incident_timeline(incidents, START, END, titles)
    assert svg.count('<g id="botaudit-lane-') == len(RULES)
    assert len(svg) < 300_000


def test_a_few_incidents_keep_a_bar_and_a_label_each() -> None:
    incidents = _incidents(LABELLED_INCIDENTS - 1)
    titles = {rule: title for rule, (_, title) in RULES.items()}
    svg = incident_timeline(incidents, START, END, titles)
    assert svg.count('<g id="botaudit-incident-') == len(incidents)
    placed = [bar for _, bars in incident_lanes(incidents, START, END, titles) for bar in bars]
    assert sorted(id(bar[0]) for bar in placed) == sorted(map(id, incidents))


def test_the_svg_geometry_is_rounded_and_its_text_kept() -> None:
    incidents = _incidents(12)
    svg = incident_timeline(incidents, START, END, {"api_error_rate": "API errors 0.123456"})
    for value in re.findall(r'\b(?:d|points|transform|x|y|width|height)="([^"]*)"', svg):
        assert not re.search(r"\d\.\d{2}", value), value
    assert "API errors 0.123456 (peak" in svg  # a label's number is text, never rounded


def test_a_short_run_shows_distinct_clock_ticks() -> None:
    """A 30-second run would label its two edges with the same HH:MM: the axis spans the
    whole minutes around it instead."""
    start = datetime(2026, 12, 1, 12, 41, 8, tzinfo=UTC)
    end = start + timedelta(seconds=31)
    incident = Incident("api_error_rate", Severity.WARNING, "x", start, end, 3, 5, False)
    svg = incident_timeline([incident], start, end, {})
    labels = re.findall(r">(\d\d:\d\d)<", svg)
    assert labels == ["12:41", "12:42"]


def test_a_step_line_keeps_its_first_point_each_change_and_its_last() -> None:
    times = [START + timedelta(minutes=m) for m in range(7)]
    values = [0.0, 0.0, 1.0, 1.0, 1.0, 3.0, 3.0]
    kept = _changes(times, values)
    assert kept == ([times[0], times[2], times[5], times[6]], [0.0, 1.0, 3.0, 3.0])
    # drawn with where="post", the value at any moment is the same as the full line's
    for i, moment in enumerate(times):
        at = max(j for j, t in enumerate(kept[0]) if t <= moment)
        assert kept[1][at] == values[i]


def test_many_breaching_ticks_are_one_line_not_a_dot_each() -> None:
    from pytest_botaudit.reporting.charts import MAX_MARKERS, series_chart
    from pytest_botaudit.reporting.series import Series

    n = 1000
    times = tuple(START + timedelta(seconds=i) for i in range(n))
    values = tuple(float(i % 7) for i in range(n))
    breaches = tuple(i for i, v in enumerate(values) if v > 3)
    few = breaches[: MAX_MARKERS - 1]

    def chart(marked: tuple[int, ...]) -> str:
        series = Series(
            "api_errors", "API errors", "errors", False, times, values, {}, None, marked, (), ()
        )
        return series_chart(series)

    axis = chart(()).count("<use ")  # the axes' tick marks
    assert chart(few).count("<use ") == axis + len(few) + 1  # a dot each, and the legend's
    many = chart(breaches)
    assert len(breaches) > MAX_MARKERS
    assert many.count("<use ") == axis
    assert "ticks beyond the warning limit" in many
