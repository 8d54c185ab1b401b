"""The server goes away in the middle of the work and is back at once: window collection and the
14-section analysis carry on, on a fresh connection, with the same results as an undisturbed
run. The audit's backend is ended with ``pg_terminate_backend`` by a superuser while it waits
on a lock the test holds (so the moment is certain), which is what the session sees of a
restart: its connection is closed under it (57P01)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest

from pytest_botaudit.collection.window import reconstruct
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.analysis import DatabaseAnalysis
from pytest_botaudit.database.connection import Target
from pytest_botaudit.database.window import gather_window_stats
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.record.model import StopReason

from ..conftest import reader
from ..helpers import async_wait_for

PROFILE = load_profile()
T = TypeVar("T")
WAITING = (
    "SELECT pid FROM pg_stat_activity WHERE application_name = 'pytest-botaudit'"
    " AND wait_event_type = 'Lock'"
)


async def _backfill(database: str, tmp_path: Path) -> tuple[datetime, datetime]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    await BotSimulator(database, tmp_path / "bot.log", 300, "faulty", seed=5).run(start, live=False)
    return start, start + timedelta(minutes=5)


async def _terminated_while_waiting(
    admin_dsn: str, table: str, work: Callable[[], Awaitable[T]]
) -> T:
    """``work()`` run while ``table`` is locked; once the audit's session waits on the lock,
    its backend is terminated and the lock released."""
    admin = await asyncpg.connect(admin_dsn)
    try:
        locking = admin.transaction()
        await locking.start()
        await admin.execute(f"LOCK TABLE monitoring.{table} IN ACCESS EXCLUSIVE MODE")
        task = asyncio.ensure_future(work())
        watcher = await asyncpg.connect(admin_dsn)
        try:

            async def waiting() -> bool:
                assert not task.done(), "the work ended before it reached the locked table"
                return bool(await watcher.fetch(WAITING))

            await async_wait_for(waiting, 30, f"the audit to wait on {table}")
            killed = await watcher.fetchval(
                f"SELECT count(pg_terminate_backend(pid)) FROM ({WAITING}) AS w"
            )
            # one, or each session that reached the table by then (the analysis spreads its
            # tables over two sessions; 03b reads the trailing-stop state, 14 the size of it):
            # a restart ends them all
            assert killed >= 1
        finally:
            await watcher.close()
        await locking.rollback()
        return await task
    finally:
        await admin.close()


def _target(database: str) -> Target:
    # the audit waits on the lock for as long as the test holds it
    return Target(reader(database), statement_timeout=60, lock_timeout=60)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "table",
    [
        "events",  # read first on its own (the event types the window holds)
        "positions",  # read in the transaction whose ticks are streamed to the file
    ],
)
async def test_window_collection_survives_a_restart(
    database: str, tmp_path: Path, table: str
) -> None:
    since, until = await _backfill(database, tmp_path)
    calm = await reconstruct(_target(database), PROFILE, since, until, 10, tmp_path / "calm")
    assert calm.stop_reason is StopReason.COMPLETED
    assert sum(sum(s.counters.values()) for s in calm.snapshots) > 0  # the window holds events

    result = await _terminated_while_waiting(
        database,
        table,
        lambda: reconstruct(_target(database), PROFILE, since, until, 10, tmp_path / "restarted"),
    )
    assert result.stop_reason is StopReason.COMPLETED, result.error
    assert result.error is None
    assert len(result.snapshots) == len(calm.snapshots) == 30
    assert [s.counters for s in result.snapshots] == [s.counters for s in calm.snapshots]
    assert [s.gauges for s in result.snapshots] == [s.gauges for s in calm.snapshots]


def _tables(analysis: DatabaseAnalysis | None) -> dict[str, tuple[str | None, int]]:
    """Each table's reason for being unavailable and its row count; the server's connections
    at the moment (the test's own among them) aside."""
    assert analysis is not None
    return {
        table.name: (table.unavailable, len(table.rows))
        for section in analysis.sections
        for table in section.tables
        if table.name != "14b_connections"
    }


@pytest.mark.asyncio
async def test_the_analysis_survives_a_restart_mid_way(database: str, tmp_path: Path) -> None:
    since, until = await _backfill(database, tmp_path)
    calm = await gather_window_stats(_target(database), PROFILE, since, until)
    # the trailing-stop state is read by section 3 of the analysis (and sized by 14): the
    # connection is lost there, with eleven sections still to run
    stats = await _terminated_while_waiting(
        database,
        "trailing_stop_state",
        lambda: gather_window_stats(_target(database), PROFILE, since, until),
    )
    assert stats.error is None
    tables = _tables(stats.analysis)
    assert tables == _tables(calm.analysis)
    lost = {name: why for name, (why, _) in tables.items() if why and "connection" in why}
    assert lost == {}
    assert tables["03b_trailing_by_symbol"][0] is None
    assert tables["14_table_health"][1] > 0  # a section after the loss ran and has rows
