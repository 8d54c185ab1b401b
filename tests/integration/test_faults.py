"""Database faults, read-only enforcement and log rotation against the live collector: nothing
is lost that the bot wrote, and nothing the audit runs can write."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.collection.link import DatabaseLink
from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.config.profile import load_profile, parse_profile
from pytest_botaudit.database.connection import Target, connect
from pytest_botaudit.database.queries import AuditDatabase
from pytest_botaudit.judging.audit import complete_audit
from pytest_botaudit.judging.catalogue import METRICS
from pytest_botaudit.judging.preflight import (
    profile_queries_read_only,
    role_read_only,
    schema_present,
)
from pytest_botaudit.judging.verdicts import Kind, Verdict
from pytest_botaudit.logs.files import analyze_files

from ..conftest import REPO, reader
from ..helpers import async_wait_for, wait_for

PROFILE = replace(load_profile(), log_timezone=UTC)
# one reconnect: a stream goes unhealthy, then is connected again (an outage, two lines); each
# line its own stream, so files read in any order count the same outages
RECONNECT = (
    "2025-10-15 02:40:{second:02d},000 - websocket.improved_stream - WARNING - "
    "binance{second} connection unhealthy, reconnecting...\n"
    "2025-10-15 02:40:{second:02d},500 - websocket.improved_stream - INFO - "
    "binance{second} WebSocket connected\n"
)


@pytest.mark.asyncio
async def test_the_link_tries_at_every_tick_however_long_the_outage() -> None:
    moments = iter([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    now = 0.0

    def clock() -> float:
        return now

    link = DatabaseLink("postgresql://x@/db?host=/nonexistent-dir", PROFILE, 1.0, clock)
    attempts = 0
    for moment in moments:  # one call a tick, an interval apart
        now = moment
        failure_before = link.last_failure
        assert await link.database() is None
        attempts += link.last_failure != failure_before or moment == 0.0
        link.last_failure = "reset"
    assert attempts == 8  # never skipped by a backoff longer than the interval


def _reached(progress: list[Progress], ticks: int) -> bool:
    return len(progress) >= ticks


@pytest.mark.asyncio
async def test_a_dropped_connection_is_retried_before_it_becomes_a_gap(
    database: str, tmp_path: Path
) -> None:
    progress: list[Progress] = []
    collector = Collector(database, PROFILE, 3.0, 0.3, tmp_path, on_tick=progress.append)
    task = asyncio.create_task(collector.run())
    killer = await asyncpg.connect(database)
    terminated: list[list[bool]] = []
    try:
        for ticks in range(1, 7):  # right after each tick, drop the audit's idle connection
            await async_wait_for(partial(_reached, progress, ticks), 10, f"tick {ticks}")
            rows = await killer.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'pytest-botaudit' AND pid <> pg_backend_pid()"
                " AND datname = current_database()"
            )
            terminated.append([row[0] for row in rows])
        result = await task
    finally:
        await killer.close()
    # each time, the audit's one connection was there and was ended by the server
    assert terminated == [[True]] * 6
    assert result.gaps == ()
    assert len(result.snapshots) == result.expected_ticks


def _now_reconnects(count: int) -> str:
    """``count`` reconnects (RECONNECT's two lines each) stamped now to the millisecond, in
    UTC (PROFILE's zone): inside the window of the audit running now."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S") + f",{now.microsecond // 1000:03d}"
    return "".join(
        re.sub(r"^2025-10-15 02:40:\d\d,\d{3}", stamp, line, flags=re.M)
        for line in (RECONNECT.format(second=s) for s in range(count))
    )


@pytest.mark.asyncio
async def test_log_lines_of_gap_ticks_still_count_in_the_verdict(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text("")
    progress: list[Progress] = []
    # no database at all: every tick is a gap; no snapshot takes the log's lines, yet the
    # audit's log analysis of the run's window counts them
    collector = Collector(
        "postgresql://x@/db?host=/nonexistent-dir",
        PROFILE,
        1.2,
        0.3,
        tmp_path,
        log_paths=[log],
        on_tick=progress.append,
    )
    task = asyncio.create_task(collector.run())
    await async_wait_for(lambda: len(progress) >= 1, 10, "the first tick")
    with log.open("a") as handle:
        handle.write(_now_reconnects(5))
    result = await task
    assert len(result.gaps) == result.expected_ticks
    assert len(result.snapshots) == 0  # nothing is invented for ticks the database never gave
    audit = await complete_audit(result, PROFILE, METRICS, None, [log], use_database=False)
    measured = audit.measure("ws_reconnects")
    assert measured.value == 5
    assert audit.check("ws_reconnects", Kind.GOOD_INDICATOR).verdict is Verdict.WARN  # >= 5


@pytest.mark.asyncio
async def test_log_lines_during_an_outage_land_in_the_next_snapshot(
    database: str, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    log.write_text("")
    progress: list[Progress] = []
    collector = Collector(
        database, PROFILE, 4.0, 0.25, tmp_path, log_paths=[log], on_tick=progress.append
    )
    task = asyncio.create_task(collector.run())
    await async_wait_for(lambda: len(progress) >= 2, 10, "two ticks")
    collector.link.dsn = "postgresql://x@/db?host=/nonexistent-dir"  # the database goes away
    await collector.link.disconnect()
    await async_wait_for(lambda: progress[-1].gaps >= 1, 10, "a gap")
    with log.open("a") as handle:
        handle.writelines(RECONNECT.format(second=s) for s in range(25))
    await async_wait_for(lambda: progress[-1].gaps >= 3, 10, "more gaps")
    collector.link.dsn = database  # and comes back
    result = await task
    assert result.gaps, "the outage left no gap"
    assert result.total("ws_reconnects") == 25  # every line, though read during gap ticks


def _write_rotating(log: Path, polled: Callable[[], None]) -> int:
    """A bot that keeps writing to its file after `mv`, then rotates twice in a blink;
    ``polled()`` returns once the follower has read the log after what was written so far."""
    written = 0
    first = log.open("a")
    for s in range(10):
        first.write(RECONNECT.format(second=s))
        written += 1
    first.flush()
    polled()
    log.rename(log.with_name("bot.log.1"))
    for s in range(10, 20):  # still writing to the renamed file
        first.write(RECONNECT.format(second=s))
        written += 1
    first.flush()
    second = log.open("a")
    for s in range(20, 30):
        second.write(RECONNECT.format(second=s))
        written += 1
    second.close()
    # two rotations between two polls: the intermediate file must not be skipped
    log.with_name("bot.log.1").rename(log.with_name("bot.log.2"))
    log.rename(log.with_name("bot.log.1"))
    third = log.open("a")
    for s in range(30, 40):
        third.write(RECONNECT.format(second=s))
        written += 1
    third.flush()
    polled()
    for s in range(40, 45):  # the oldest handle is still in use
        first.write(RECONNECT.format(second=s))
        written += 1
    first.close()
    third.close()
    return written


@pytest.mark.asyncio
async def test_following_across_rotations_loses_nothing(database: str, tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text("")
    progress: list[Progress] = []
    collector = Collector(
        database, PROFILE, 3.0, 0.3, tmp_path, log_paths=[log], on_tick=progress.append
    )
    task = asyncio.create_task(collector.run())
    await async_wait_for(lambda: len(progress) >= 1, 10, "the first tick")

    def polled() -> None:
        # a tick reads the log, then reports: the second report from now is of a tick
        # whose read began after this moment
        seen = len(progress)
        wait_for(lambda: len(progress) >= seen + 2, 10, "a poll of the log")

    written = await asyncio.to_thread(_write_rotating, log, polled)
    assert len(progress) < collector.expected_ticks  # the last one reads everything anyway
    result = await task
    whole = analyze_files([log], PROFILE)
    assert whole.count("ws_disconnected") == written == 45
    assert whole.ws_reconnects == written
    assert result.total("ws_reconnects") == written  # the per-tick sums equal the whole log


@pytest.mark.asyncio
async def test_a_role_that_can_write_is_a_warning_and_a_reader_is_not(database: str) -> None:
    profile = load_profile()
    writer = await role_read_only(database, profile)
    assert writer.verdict is Verdict.WARN
    assert "monitoring.events: INSERT" in writer.evidence
    assert (await role_read_only(reader(database), profile)).verdict is Verdict.PASS


@pytest.mark.asyncio
async def test_a_profile_query_that_writes_or_fails_stops_the_audit_at_preflight(
    database: str,
) -> None:
    import tomllib

    data = tomllib.loads(
        (REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml").read_text()
    )
    data["queries"] = {
        "sneaky": {
            "sql": "WITH w AS (INSERT INTO monitoring.events (event_type) VALUES ('x')"
            " RETURNING 1) SELECT count(*) FROM w, set_config("
            "'default_transaction_read_only', 'off', false) AS s"
        },
        "typo": {"sql": "SELEC 1"},
        "missing": {"sql": "SELECT count(*) FROM monitoring.nowhere"},
        "fine": {"sql": "SELECT count(*) FROM monitoring.events WHERE created_at >= $1"},
    }
    profile = parse_profile(data, "custom.toml")
    refused = await profile_queries_read_only(database, profile)
    assert refused.verdict is Verdict.FAIL
    assert "sneaky (not a read: it (or one of its WITH parts) changes rows; calls " in (
        refused.message
    )
    assert "pg_catalog.set_config(text, text, boolean), which is VOLATILE" in refused.message
    assert "; typo (starts with SELEC: not a query" in refused.message
    result = await schema_present(database, profile)  # runs only what passed the check above
    assert result.verdict is Verdict.FAIL
    assert result.message.endswith("(each tick would be a gap): missing")
    session = await connect(database)
    try:
        assert await session.fetchval("SELECT count(*) FROM monitoring.events") == 0
    finally:
        await session.close()


@pytest.mark.asyncio
async def test_every_session_has_a_statement_and_a_lock_timeout(database: str) -> None:
    session = await connect(Target(database, statement_timeout=0.2, lock_timeout=0.1))
    try:
        settings = await session.fetchrow(
            "SELECT current_setting('statement_timeout') AS statement,"
            " current_setting('lock_timeout') AS lock"
        )
        assert settings is not None
        assert (settings["statement"], settings["lock"]) == ("200ms", "100ms")
        with pytest.raises(asyncpg.QueryCanceledError):
            await session.fetch("SELECT pg_sleep(2)")
        database_queries = AuditDatabase(session, load_profile())
        assert await database_queries.missing_columns() == []  # the session is usable after
    finally:
        await session.close()
