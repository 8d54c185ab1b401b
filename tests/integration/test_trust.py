"""No false alarm on a healthy bot: a stop-loss placed seconds after its fill is not a position
without stop-loss, however the ticks fall; a position left unprotected beyond the grace is."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.collection.window import reconstruct
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.judging.audit import complete_audit
from pytest_botaudit.judging.catalogue import METRICS
from pytest_botaudit.judging.verdicts import Kind, Verdict

from ..helpers import async_wait_for

PROFILE = load_profile()
NO_GRACE = replace(PROFILE, sl_grace_seconds=0.0)
JUDGED = [
    ("unprotected_positions", Kind.GOOD_INDICATOR),
    ("unprotected_positions", Kind.WARNING_SIGN),
    ("critical_alerts", Kind.GOOD_INDICATOR),
]


async def _backfill(database: str, tmp_path: Path, scenario: str) -> tuple[datetime, datetime]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    log = tmp_path / "bot.log"
    await BotSimulator(database, log, 20.0, scenario, seed=5).run(start, live=False)
    return start, start + timedelta(seconds=20)


@pytest.mark.asyncio
async def test_window_ticks_inside_the_stop_loss_gaps_are_no_false_alarm(
    database: str, tmp_path: Path
) -> None:
    since, until = await _backfill(database, tmp_path, "late_stop_loss")
    # ticks every 0.1 s: every gap of 0.5-5 s between a fill and its stop-loss holds ticks
    without_grace = await reconstruct(database, NO_GRACE, since, until, 0.1, tmp_path / "a")
    assert without_grace.peak("unprotected_positions") >= 1, "no tick fell into a gap"
    judged = await reconstruct(database, PROFILE, since, until, 0.1, tmp_path / "b")
    assert judged.peak("unprotected_positions") == 0
    data = await complete_audit(judged, PROFILE, dict(METRICS), database, [])
    assert {key: data.check(*key).verdict for key in JUDGED} == dict.fromkeys(JUDGED, Verdict.PASS)
    assert data.window.analysis is not None
    assert data.window.analysis.section(2).table("02b_unprotected_positions").rows == ()


@pytest.mark.asyncio
async def test_live_ticks_inside_the_stop_loss_gaps_are_no_false_alarm(
    database: str, tmp_path: Path
) -> None:
    progress: list[Progress] = []
    strict = Collector(database, NO_GRACE, 6.0, 0.2, tmp_path / "a", on_tick=progress.append)
    judged = Collector(database, PROFILE, 6.0, 0.2, tmp_path / "b")
    runs = [asyncio.create_task(strict.run()), asyncio.create_task(judged.run())]
    await async_wait_for(lambda: bool(progress), 10, "the first tick")
    await BotSimulator(database, tmp_path / "bot.log", 5.0, "late_stop_loss", seed=5).run()
    without_grace, collection = await asyncio.gather(*runs)
    assert without_grace.peak("unprotected_positions") >= 1, "no tick fell into a gap"
    assert collection.peak("unprotected_positions") == 0
    data = await complete_audit(collection, PROFILE, dict(METRICS), database, [])
    assert {key: data.check(*key).verdict for key in JUDGED} == dict.fromkeys(JUDGED, Verdict.PASS)


@pytest.mark.asyncio
async def test_unprotected_beyond_the_grace_still_fails_with_its_duration(
    database: str, tmp_path: Path
) -> None:
    since, until = await _backfill(database, tmp_path, "faulty")
    collection = await reconstruct(database, PROFILE, since, until, 1.0, tmp_path / "out")
    data = await complete_audit(collection, PROFILE, dict(METRICS), database, [])
    result = data.check("unprotected_positions", Kind.WARNING_SIGN)
    assert (result.verdict, result.value) == (Verdict.FAIL, 2)
    durations = [
        int(match.group(1))
        for line in result.evidence
        if (match := re.search(r"without stop-loss for (\d+) s", line))
    ]
    assert len(durations) == 2
    assert all(duration > 1200 for duration in durations)  # opened 20 min before it was found
