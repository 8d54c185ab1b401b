"""Window mode's counts of each tick (sql/window_counts.sql) against the tick windows a live run
samples, at the edges of the windows, and its stream of rows left early."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.connection import Reconnect, connect
from pytest_botaudit.database.queries import AuditDatabase
from pytest_botaudit.logs.window import log_ticks
from pytest_botaudit.record.model import tick_of

PROFILE = load_profile()
SINCE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.asyncio
@pytest.mark.parametrize("interval", [0.1, 0.3, 1.0, 60.0])
async def test_an_event_on_a_window_edge_counts_in_the_tick_that_starts_there(
    database: str, interval: float
) -> None:
    """Tick k counts [since + (k-1)·interval, since + k·interval), as a live tick's window: an
    event stamped where a window starts is its tick's, one a microsecond before is the tick
    before's (at 0.1 s too, where dividing the seconds by the interval rounds 0.3 / 0.1 down)."""
    ticks = 12
    edges = [SINCE + timedelta(seconds=k * interval) for k in range(ticks)]
    stamps = [*edges, *(edge - timedelta(microseconds=1) for edge in edges[1:])]
    connection = await asyncpg.connect(database)
    try:
        await connection.executemany(
            "INSERT INTO monitoring.events (event_type, exchange, created_at) VALUES ($1, $2, $3)",
            [("position_updated", "binance", stamp) for stamp in stamps],
        )
    finally:
        await connection.close()
    expected: dict[int, int] = {}
    for stamp in stamps:
        tick = next(k for k in range(ticks, 0, -1) if stamp >= edges[k - 1])
        expected[tick] = expected.get(tick, 0) + 1
    session = await connect(database, reconnect=Reconnect())
    try:
        audit = await AuditDatabase.open(session, PROFILE)
        end = SINCE + timedelta(seconds=ticks * interval)
        async with session.transaction():
            counted = [
                (row["tick"], row["total"])
                async for batch in audit.window_counts(SINCE, end, interval, ticks)
                for row in batch
            ]
    finally:
        await session.close()
    assert counted == sorted(expected.items())


@pytest.mark.asyncio
async def test_a_stream_left_early_leaves_its_transaction_usable(database: str) -> None:
    """The batch asked for ahead is taken back when the reader stops (an error, Ctrl+C): the
    transaction's next statement runs, not "another operation is in progress"."""
    session = await connect(database, reconnect=Reconnect())
    try:
        async with session.transaction():
            # each batch takes the server 0.2 s: the next is on its way when the reader stops
            stream = session.stream(
                "SELECT g, pg_sleep(0.02) FROM generate_series(1, 1000) AS g", batch=10
            )
            first = await anext(stream)
            await asyncio.sleep(0.05)
            await stream.aclose()
            assert [row["g"] for row in first] == list(range(1, 11))
            assert await session.fetchval("SELECT 42") == 42
    finally:
        await session.close()


def test_a_log_record_on_a_window_edge_counts_in_the_tick_that_starts_there(
    tmp_path: Path,
) -> None:
    """The log's per-tick counts use the database's windows: a reconnect logged 0.3 s into the
    period, at 0.1 s a tick, is tick 4's (0.3 / 0.1 alone is 2.9999...)."""
    log = tmp_path / "bot.log"
    log.write_text(
        "2026-03-02 09:00:00,300 - websocket.improved_stream - WARNING - binance connection"
        " unhealthy, reconnecting...\n",
        encoding="utf-8",
    )
    counts = log_ticks([log], PROFILE, SINCE, SINCE + timedelta(seconds=1), 0.1).counts
    assert dict(counts) == {4: {"ws_disconnected": 1}}
    assert tick_of(SINCE + timedelta(seconds=0.3), SINCE, 0.1) == 4
    assert tick_of(SINCE + timedelta(seconds=0.3, microseconds=-1), SINCE, 0.1) == 3
