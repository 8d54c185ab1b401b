"""A problem with thousands of incidents names its worst few and counts the rest, the same in
the terminal, the issue's evidence (audit_report.md, JUnit) and the HTML's findings row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytest_botaudit.record.model import Incident, Severity
from pytest_botaudit.reporting.htmlparts import _incidents_cell
from pytest_botaudit.reporting.issues import SHOWN_INCIDENTS, incident_line, incident_lines
from pytest_botaudit.reporting.model import Finding

START = datetime(2026, 12, 1, tzinfo=UTC)


def _incidents(n: int) -> tuple[Incident, ...]:
    return tuple(
        Incident(
            "emergency_closes",
            Severity.CRITICAL,
            f"emergency close {k}",
            START + timedelta(minutes=k),
            START + timedelta(minutes=k, seconds=5),
            k + 1,  # snapshots: the later, the longer
            k + 1,
            False,
        )
        for k in range(n)
    )


def test_many_incidents_name_the_worst_and_count_the_rest() -> None:
    found = _incidents(4538)
    lines = incident_lines(found)
    # the worst are named (here the most snapshots: the last five), in the order they opened
    assert lines[:SHOWN_INCIDENTS] == [incident_line(i) for i in found[-SHOWN_INCIDENTS:]]
    assert len(lines) == SHOWN_INCIDENTS + 1
    assert lines[-1].startswith(f"and {4538 - SHOWN_INCIDENTS} more incident(s)")
    cell = _incidents_cell(Finding("emergency_closes", "emergency closes", (), (), incidents=found))
    assert cell.count("peak") == SHOWN_INCIDENTS
    assert cell.endswith(lines[-1])


def test_a_few_incidents_are_each_named_and_nothing_more() -> None:
    found = _incidents(SHOWN_INCIDENTS)
    assert incident_lines(found) == [incident_line(i) for i in found]
    cell = _incidents_cell(Finding("emergency_closes", "emergency closes", (), (), incidents=found))
    assert cell.count("peak") == SHOWN_INCIDENTS
    assert "more" not in cell
