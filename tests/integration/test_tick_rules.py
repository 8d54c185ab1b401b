"""The live tick (sql/tick.sql, a lookup per open position) and window mode (the rule of
fragments/first_stop_loss.sql and force_closed.sql over a period) judge the same positions
alike: which are without a stop-loss at a tick, and which opened, closed or were closed by force
in its window, on a server whose TimeZone is not UTC (naive columns read in it, a rollback's
closed_at in UTC as its rule says)."""

from __future__ import annotations

import asyncio
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.collection.snapshots import build_snapshot
from pytest_botaudit.collection.window import reconstruct
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.connection import connect
from pytest_botaudit.database.queries import AuditDatabase

from ..conftest import Server

PROFILE = load_profile()
ZONE = "America/New_York"
# symbol -> (opened before the tick (None: no opening time), the stop-loss events: (type,
# seconds after the opening, by position_id (True: its own, an int: another's, None: symbol
# only), exchange), flagged)
CASES: dict[str, tuple[timedelta | None, list[tuple[str, float, bool | int | None, str]], bool]] = {
    "IDUSDT": (timedelta(minutes=10), [("stop_loss_placed", 5, True, "binance")], False),
    "SYMUSDT": (timedelta(minutes=10), [("stop_loss_placed", 5, None, "binance")], False),
    "EARLYUSDT": (timedelta(minutes=10), [("stop_loss_placed", -5, None, "binance")], False),
    "LOADUSDT": (timedelta(minutes=10), [("stop_loss_set_on_load", 40, None, "binance")], False),
    "TOOEARLYUSDT": (timedelta(minutes=10), [("stop_loss_placed", -20, None, "binance")], False),
    "OTHEREXUSDT": (timedelta(minutes=10), [("stop_loss_placed", 5, None, "bybit")], False),
    "OTHERIDUSDT": (timedelta(minutes=10), [("stop_loss_placed", 5, 999999, "binance")], False),
    "LATEUSDT": (timedelta(minutes=10), [("stop_loss_placed", 660, None, "binance")], False),
    "NONEUSDT": (timedelta(minutes=10), [], False),
    "GRACEUSDT": (timedelta(seconds=10), [], False),
    "FLAGGEDUSDT": (timedelta(minutes=10), [], True),
    # open for hours: the tick looks these up by position_id and by symbol
    "OLDIDUSDT": (timedelta(hours=3), [("stop_loss_placed", 3, True, "binance")], False),
    "OLDSYMUSDT": (timedelta(hours=3), [("stop_loss_placed", 3, None, "binance")], False),
    "OLDLATEUSDT": (timedelta(hours=3), [("stop_loss_placed", 10860, None, "binance")], False),
    "OLDNONEUSDT": (timedelta(hours=3), [], False),
    "OLDTOOEARLYUSDT": (timedelta(hours=3), [("stop_loss_placed", -11, None, "binance")], False),
    # no opening time: not judged (its grace cannot be told), by the tick nor by window mode
    "NOOPENUSDT": (None, [], False),
}
UNPROTECTED = {
    "TOOEARLYUSDT", "OTHEREXUSDT", "OTHERIDUSDT", "LATEUSDT", "NONEUSDT",
    "OLDLATEUSDT", "OLDNONEUSDT", "OLDTOOEARLYUSDT",
}  # fmt: skip


async def play(dsn: str, tick: datetime) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for symbol, (age, events, flagged) in CASES.items():
            opened = None if age is None else tick - age
            position_id = await connection.fetchval(
                "INSERT INTO monitoring.positions (symbol, exchange, status, has_stop_loss,"
                " opened_at) VALUES ($1, 'binance', 'active', $2, $3::timestamptz) RETURNING id",
                symbol,
                flagged,
                opened,
            )
            for event_type, after, by_id, exchange in events:
                assert opened is not None  # (a case without an opening time has no events)
                owner = position_id if by_id is True else by_id
                await connection.execute(
                    "INSERT INTO monitoring.events (event_type, position_id, symbol, exchange,"
                    " created_at) VALUES ($1, $2, $3, $4, $5)",
                    event_type,
                    owner,
                    symbol,
                    exchange,
                    opened + timedelta(seconds=after),
                )
        # in the tick's window: an opening, a close (closed_at = NOW(), the server's zone), a
        # rollback and an emergency close (closed_at = utcnow(), naive UTC, as their rules
        # say); before it, a close not counted
        moves = [
            ("OPENEDUSDT", "active", tick - timedelta(seconds=50), None, None),
            ("CLOSEDUSDT", "closed", tick - timedelta(hours=2), tick - timedelta(seconds=20), "tp"),
            ("BEFOREUSDT", "closed", tick - timedelta(hours=2), tick - timedelta(minutes=5), "tp"),
        ]  # fmt: skip
        for symbol, status, opened, closed, reason in moves:
            await connection.execute(
                "INSERT INTO monitoring.positions (symbol, exchange, status, has_stop_loss,"
                " opened_at, closed_at, exit_reason)"
                " VALUES ($1, 'bybit', $2, true, $3::timestamptz, $4::timestamptz, $5)",
                symbol,
                status,
                opened,
                closed,
                reason,
            )
        forced = [
            ("ROLLUSDT", "rolled_back", 55, 40, "rollback: Failed to place stop-loss: timeout"),
            ("EMERGUSDT", "closed", 3600, 30, "emergency: no stop loss"),
        ]
        for symbol, status, opened_before, closed_before, reason in forced:
            await connection.execute(
                "INSERT INTO monitoring.positions (symbol, exchange, status, has_stop_loss,"
                " opened_at, closed_at, exit_reason)"
                " VALUES ($1, 'bybit', $2, false, $3::timestamptz, $4, $5)",
                symbol,
                status,
                tick - timedelta(seconds=opened_before),
                (tick - timedelta(seconds=closed_before)).astimezone(UTC).replace(tzinfo=None),
                reason,
            )
    finally:
        await connection.close()


@pytest.fixture
def zoned_database(database: str, pg_server: Server) -> str:
    name = urllib.parse.urlsplit(database).path.lstrip("/")
    asyncio.run(pg_server.execute(f"ALTER DATABASE {name} SET timezone = '{ZONE}'"))
    return database


@pytest.mark.asyncio
async def test_the_tick_and_window_mode_judge_each_position_alike(
    zoned_database: str, tmp_path: Path
) -> None:
    tick = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    await play(zoned_database, tick)
    session = await connect(zoned_database)
    try:
        database = await AuditDatabase.open(session, PROFILE)
        rows = await database.tick_rows(tick - timedelta(seconds=60), tick, tick)
    finally:
        await session.close()
    live = build_snapshot(rows, PROFILE, 1, tick - timedelta(seconds=60), tick, tick)
    window = await reconstruct(
        zoned_database, PROFILE, tick - timedelta(seconds=60), tick, 60.0, tmp_path
    )
    (rebuilt,) = window.snapshots
    assert {entry.partition("@")[0] for entry in live.unprotected} == UNPROTECTED
    assert rebuilt.unprotected == live.unprotected
    # NOOPENUSDT is open now by its status; window mode, which places a position in time by
    # its opening, cannot: the one gauge they tell apart
    assert live.gauges == {
        **rebuilt.gauges,
        "positions_total": rebuilt.gauges["positions_total"] + 1,
    }
    assert live.gauges["unprotected_positions"] == len(UNPROTECTED)
    for counter in ("new_positions_opened", "positions_closed", "emergency_closes"):
        assert live.counters[counter] == rebuilt.counters[counter], counter
    # OPENEDUSDT, GRACEUSDT and ROLLUSDT (a rollback counts as an open), CLOSEDUSDT and
    # EMERGUSDT, and the two force-closes
    assert live.counters["new_positions_opened"] == 3
    assert live.counters["positions_closed"] == 2
    assert live.counters["emergency_closes"] == 2
