"""Progress during a long audit: one status line rewritten on a terminal, a line every N
minutes in a CI log, and the last tick's line kept in both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pytest_botaudit.collection.live import Progress
from pytest_botaudit.record.model import Snapshot
from pytest_botaudit.reporting.terminal import _progress_printer, progress_text

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
TICKS = 480  # 8 hours at 60 s


def _progress(tick: int) -> Progress:
    end = START + timedelta(minutes=tick)
    snapshot = Snapshot(tick, end - timedelta(minutes=1), end, end, {}, {})
    return Progress(tick, TICKS, tick * 60.0, TICKS * 60.0, tick, 0, 1, snapshot)


def _said(tty: bool, every: float) -> list[tuple[str, bool]]:
    said: list[tuple[str, bool]] = []
    show = _progress_printer(lambda text, status=False: said.append((text, status)), tty, every)
    for tick in range(1, TICKS + 1):
        show(_progress(tick))
    return said


def test_a_terminal_gets_one_status_line_rewritten_and_the_last_kept() -> None:
    said = _said(tty=True, every=300)
    assert len(said) == TICKS
    assert all(status for _, status in said[:-1])  # rewritten in place
    assert said[-1] == (progress_text(_progress(TICKS)), False)  # a line of its own


def test_a_ci_log_gets_a_line_every_five_minutes_not_one_per_tick() -> None:
    said = _said(tty=False, every=300)
    assert not any(status for _, status in said)
    # the first tick, then one per 5 minutes of the audit (8 h: 96), the last tick's among them
    assert len(said) == 96 + 1
    assert said[0][0].startswith("botaudit: 1m of 8h, ETA 18:00:00 UTC")
    assert "tick 480/480: 480 snapshots, 0 gaps | 1 open incident" in said[-1][0]
