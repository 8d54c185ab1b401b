"""The collector against a real PostgreSQL and a live simulated bot, at a 0.2 s interval."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.record.model import StopReason

from ..helpers import async_wait_for

PROFILE = load_profile()


async def count_events(dsn: str, event_type: str, since: object, until: object) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM monitoring.events WHERE event_type = $1"
                " AND created_at >= $2 AND created_at < $3",
                event_type,
                since,
                until,
            )
        )
    finally:
        await connection.close()


@pytest.mark.asyncio
async def test_ticks_are_aligned_windows_without_double_counting(
    database: str, tmp_path: Path
) -> None:
    simulator = BotSimulator(database, tmp_path / "bot.log", 4.0, "faulty", seed=5, speed=2)
    collector = Collector(database, PROFILE, 3.0, 0.2, tmp_path, log_paths=[tmp_path / "bot.log"])
    bot = asyncio.create_task(simulator.run())
    result = await collector.run()
    simulator.stop()
    await bot

    assert result.stop_reason is StopReason.COMPLETED
    assert len(result.snapshots) == result.expected_ticks == 15
    assert result.gaps == ()
    for before, after in zip(result.snapshots, result.snapshots[1:], strict=False):
        assert before.window_end == after.window_start
    first, last = result.snapshots[0].window_start, result.snapshots[-1].window_end
    assert last - first == timedelta(seconds=3)
    # every event of the audited period is counted exactly once, by every counter
    for counter in [c for c in PROFILE.counters if c.event_types]:
        counts = [await count_events(database, t, first, last) for t in counter.event_types]
        assert result.total(counter.name) == sum(counts), counter.name
    assert result.total("price_updates") > 0
    assert result.total("api_errors") == 60
    # from the log, followed tick by tick (the 25th, at 2.8 s, may land after the last poll)
    assert result.total("ws_reconnects") in (24, 25)
    assert result.total("timeouts") == 0
    assert result.peak("unprotected_positions") == 2
    assert result.total("emergency_closes") == 1
    critical = {i.rule_id for i in result.incidents if i.severity.value == "CRITICAL"}
    assert critical == {"unprotected_positions", "emergency_closes"}

    lines = result.snapshot_path.read_text().splitlines()
    assert json.loads(lines[0])["audit"]["interval"] == 0.2
    assert [json.loads(line)["tick"] for line in lines[1:-1]] == list(range(1, 16))
    assert json.loads(lines[-1])["audit_end"]["stop_reason"] == "completed"
    assert result.summary_path is not None
    summary = json.loads(result.summary_path.read_text())
    assert summary["snapshots_collected"] == 15
    assert summary["critical_alerts"] == 2
    assert summary["metrics_summary"]["total_emergency_closes"] == 1
    assert {
        "monitoring_start",
        "monitoring_end",
        "total_alerts",
        "alerts",
        "incidents",
        "gaps",
    } <= set(summary)


@pytest.mark.asyncio
async def test_metric_with_unseen_event_types_is_flagged(database: str, tmp_path: Path) -> None:
    result = await Collector(database, PROFILE, 0.4, 0.2, tmp_path).run()
    assert "emergency_closes" in result.missing_event_types
    api_errors = PROFILE.counter("api_errors")
    assert api_errors is not None
    assert result.missing_event_types["api_errors"] == api_errors.event_types
    assert result.missing_columns == ()


@pytest.mark.asyncio
async def test_missing_columns_are_named(database: str, tmp_path: Path) -> None:
    connection = await asyncpg.connect(database)
    await connection.execute("ALTER TABLE monitoring.positions DROP COLUMN has_stop_loss")
    await connection.close()
    result = await Collector(database, PROFILE, 0.4, 0.2, tmp_path).run()
    assert result.missing_columns == ("monitoring.positions.has_stop_loss",)


@pytest.mark.asyncio
async def test_collector_cannot_write_to_the_bot_database(database: str) -> None:
    from pytest_botaudit.database.connection import connect

    session = await connect(database)
    try:
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await session.fetch("DELETE FROM monitoring.events")
    finally:
        await session.close()


@pytest.mark.asyncio
async def test_database_outage_becomes_gaps_and_the_collector_recovers(tmp_path: Path) -> None:
    server = EmbeddedPostgres(port=54331)
    server.start()
    try:
        connection = await asyncpg.connect(server.dsn())
        await connection.execute(load_sql("schema.sql"))
        await connection.close()
        progress: list[Progress] = []
        collector = Collector(server.dsn(), PROFILE, 6.0, 0.2, tmp_path, on_tick=progress.append)
        task = asyncio.create_task(collector.run())
        await async_wait_for(lambda: len(progress) >= 3, 10, "three snapshots")
        server.stop()
        await async_wait_for(lambda: progress[-1].gaps >= 2, 10, "gaps during the outage")
        server.start()  # from the main thread: the server must die with this process
        snapshots_before = progress[-1].snapshots
        await async_wait_for(
            lambda: progress[-1].snapshots > snapshots_before, 10, "a snapshot after the restart"
        )
        collector.request_stop()
        result = await task
    finally:
        server.cleanup()
    assert result.stop_reason is StopReason.INTERRUPTED
    assert len(result.gaps) >= 2
    assert all(g.reason.startswith(("query failed", "database unavailable")) for g in result.gaps)
    assert result.snapshots[-1].tick > result.gaps[-1].tick
    # a failed tick is never recorded as zeros
    gap_ticks = {g.tick for g in result.gaps}
    assert not gap_ticks & {s.tick for s in result.snapshots}
    written = [json.loads(line) for line in result.snapshot_path.read_text().splitlines()[1:-1]]
    assert [w["tick"] for w in written] == sorted(gap_ticks | {s.tick for s in result.snapshots})
