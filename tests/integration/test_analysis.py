"""The 14-section database analysis against a real PostgreSQL and simulated runs of known
content: the numbers, the psql file, "not available" sections, both timestamp types."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import urllib.parse
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.cli import main
from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.collection.window import reconstruct
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.config.settings import AuditSettings
from pytest_botaudit.database.analysis import SECTIONS, DatabaseAnalysis, run_analysis
from pytest_botaudit.database.connection import connect
from pytest_botaudit.demo.pgserver import find_bindir
from pytest_botaudit.demo.scenarios import SCENARIOS
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.judging.catalogue import METRICS
from pytest_botaudit.record.folder import RunFolder
from pytest_botaudit.record.model import CollectionResult
from pytest_botaudit.reporting.build import interim_report
from pytest_botaudit.reporting.deliverables import write_interim
from pytest_botaudit.reporting.hourly import hourly_rows

from ..conftest import REPO
from ..helpers import async_wait_for, unavailable

PROFILE = load_profile()


async def _backfill(database: str, tmp_path: Path, scenario: str) -> tuple[datetime, datetime]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    await BotSimulator(database, tmp_path / "bot.log", 600, scenario, seed=4).run(start, live=False)
    return start, start + timedelta(minutes=10)


async def _analysis(database: str, since: datetime, until: datetime) -> DatabaseAnalysis:
    session = await connect(database)
    try:
        return await run_analysis(session, PROFILE, since, until)
    finally:
        await session.close()


async def _fetch(database: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


def _records(analysis: DatabaseAnalysis, number: int, table: str) -> list[dict[str, object]]:
    return analysis.section(number).table(table).records()


@pytest.mark.asyncio
async def test_faulty_run_numbers(database: str, tmp_path: Path) -> None:
    since, until = await _backfill(database, tmp_path, "faulty")
    analysis = await _analysis(database, since, until)
    assert [s.number for s in analysis.sections] == list(range(1, 15))
    assert all(s.unavailable is None for s in analysis.sections if s.number != 5)
    positions = await _fetch(database, "SELECT * FROM monitoring.positions")
    total = _records(analysis, 1, "01_positions_by_exchange")[-1]
    assert total["exchange"] == "all exchanges"
    assert total["opened"] == sum(
        1 for p in positions if p["opened_at"] >= since.replace(tzinfo=None)
    )
    assert total["ever_unprotected"] == SCENARIOS["faulty"].faults.unprotected_positions
    # 2: each unprotected position with how long it went without a stop-loss
    unprotected = _records(analysis, 2, "02b_unprotected_positions")
    assert len(unprotected) == 2
    assert all(float(str(r["unprotected_seconds"])) > 1200 for r in unprotected)
    # ... and the latency table holds the same positions: both opened before the window and
    # protected late in it, so its max is theirs, not a 0 s of the window's openings alone
    [latency] = _records(analysis, 2, "02c_initial_sl_latency")
    longest = max(float(str(r["unprotected_seconds"])) for r in unprotected)
    assert float(str(latency["max_s"])) == pytest.approx(longest, abs=1.0)
    assert int(str(latency["positions"])) - int(str(latency["opened_in_window"])) == len(
        unprotected
    )
    # the stop-loss errors of section 2 are the burst of refusals the log shows as set
    # failures, and section 4 names their code
    faults = SCENARIOS["faulty"].faults
    by_exchange = {r["exchange"]: r for r in _records(analysis, 2, "02_stop_loss_by_exchange")}
    assert by_exchange["bybit"]["errors"] == faults.api_errors
    assert sum(int(str(r["errors"])) for r in by_exchange.values()) == faults.api_errors
    codes = {
        (r["event_type"], r["error_code"]): r["errors"] for r in _records(analysis, 4, "04_errors")
    }
    assert codes[("stop_loss_error", "10002")] == faults.api_errors
    # 8: PnL totals and win rate of what closed in the window, from the rows themselves
    closed = [p for p in positions if p["closed_at"] is not None]
    pnl = [float(p["realized_pnl"]) for p in closed]
    [everything] = [
        r for r in _records(analysis, 8, "08_pnl_by_exchange") if r["exchange"] == "all exchanges"
    ]
    assert everything["closed"] == len(closed)
    assert float(str(everything["total"])) == pytest.approx(sum(pnl), abs=1e-4)
    winners = sum(1 for value in pnl if value > 0)
    assert everything["winners"] == winners
    assert float(str(everything["win_rate_pct"])) == pytest.approx(
        round(100 * winners / len(pnl), 1)
    )
    # 14: the synchronizations with each exchange, as the events table holds them
    synced = await _fetch(
        database,
        "SELECT event_type, exchange, count(*) AS n FROM monitoring.events"
        " WHERE event_type LIKE 'synchronization_%' GROUP BY 1, 2",
    )
    sync = _records(analysis, 14, "14c_synchronization")
    assert synced
    assert {(r["event_type"], r["exchange"], r["events"]) for r in sync} == {
        (r["event_type"], r["exchange"], r["n"]) for r in synced
    }
    # 10: the bot writes a stop-loss in the same instant as each protected opening
    pairs = {r["pair"]: r["occurrences"] for r in _records(analysis, 10, "10_race_conditions")}
    # an opening followed by its stop-loss in the same instant is the bot's normal sequence;
    # the injected race (a trailing-stop move landing 0.4 s after its position closed) is
    # the only one
    assert pairs == {
        "position_closed -> trailing_stop_sl_updated": SCENARIOS["faulty"].faults.races
    }
    [race] = _records(analysis, 10, "10_race_conditions")
    assert float(str(race["closest_ms"])) == pytest.approx(400, abs=1)
    assert str(race["closest_example"]).startswith("ARBUSDT@bybit")
    # 11: per hour of the window, what the positions table says
    [hour] = _records(analysis, 11, "11_hourly")
    assert (hour["opened"], hour["closed"]) == (total["opened"], len(closed))
    # 12: severity first: the emergency close (CRITICAL) leads, the 60 identical API errors
    # are one row with their count and first and last time
    timeline = _records(analysis, 12, "12_critical_timeline")
    assert timeline[0]["severity"] == "CRITICAL"
    assert timeline[0]["event_type"] == "emergency_close_all_triggered"
    errors = [r for r in timeline if r["event_type"] == "stop_loss_error"]
    assert [int(str(r["events"])) for r in errors] == [60]
    assert str(errors[0]["first_seen"]) < str(errors[0]["last_seen"])


@pytest.mark.asyncio
async def test_aged_buckets_and_zombies(database: str, tmp_path: Path) -> None:
    since, until = await _backfill(database, tmp_path, "degraded")
    analysis = await _analysis(database, since, until)
    buckets = {r["bucket"]: r["positions"] for r in _records(analysis, 6, "06_aged_buckets")}
    faults = SCENARIOS["degraded"].faults
    assert buckets == {"3-6 h": faults.aged_positions, "6-12 h": 0, "> 12 h": 0}
    assert len(_records(analysis, 6, "06b_aged_detail")) == faults.aged_positions
    zombies = _records(analysis, 7, "07_zombie_orders")
    assert sum(int(str(r["events"])) for r in zombies) == faults.zombie_orders


@pytest.mark.asyncio
async def test_a_missing_table_or_column_marks_just_those_tables(
    database: str, tmp_path: Path
) -> None:
    since, until = await _backfill(database, tmp_path, "healthy")
    connection = await asyncpg.connect(database)
    await connection.execute("DROP TABLE monitoring.trailing_stop_state")
    await connection.execute("ALTER TABLE monitoring.positions DROP COLUMN unrealized_pnl")
    await connection.close()
    analysis = await _analysis(database, since, until)
    missing = {t.name for s in analysis.sections for t in s.tables if t.unavailable is not None}
    # transaction_log is no table of the reference schema either
    assert missing == {"03b_trailing_by_symbol", "06b_aged_detail", "05b_transaction_latency"}
    # a healthy bot's openings, stop-losses, trailing stops and closes are no race
    assert _records(analysis, 10, "10_race_conditions") == []
    reason = analysis.section(3).table("03b_trailing_by_symbol").unavailable
    assert reason is not None
    assert "trailing_stop_state" in reason
    assert analysis.section(1).unavailable is None


@pytest.mark.asyncio
async def test_timestamptz_position_columns_give_the_same_analysis(
    database: str, tmp_path: Path
) -> None:
    since, until = await _backfill(database, tmp_path, "faulty")
    before = (await _analysis(database, since, until)).to_json()
    connection = await asyncpg.connect(database)
    for column in ("opened_at", "closed_at", "updated_at", "created_at"):
        await connection.execute(
            f"ALTER TABLE monitoring.positions ALTER COLUMN {column} TYPE timestamptz"
            f" USING {column} AT TIME ZONE 'UTC'"
        )
    await connection.close()
    after = (await _analysis(database, since, until)).to_json()
    skip = {14}  # table statistics change with the ALTERs themselves
    assert [s for s in after if s["number"] not in skip] == [
        s for s in before if s["number"] not in skip
    ]


def _psql_binary() -> str:
    beside = find_bindir() / "psql"
    if beside.is_file():
        return str(beside)
    found = shutil.which("psql") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"))), None
    )
    if found is None:
        unavailable("no psql client on this machine (apt-get install postgresql-client)")
    return found


def _psql(database: str, *variables: str) -> subprocess.CompletedProcess[str]:
    parts = urllib.parse.urlsplit(database)
    query = dict(urllib.parse.parse_qsl(parts.query))
    return subprocess.run(
        [
            _psql_binary(),
            "-X",
            "-h",
            query["host"],
            "-p",
            query["port"],
            "-U",
            parts.username or "postgres",
            "-d",
            parts.path.lstrip("/"),
            "-v",
            "ON_ERROR_STOP=1",
            *[arg for v in variables for arg in ("-v", v)],
            "-f",
            str(REPO / "sql" / "post_test_analysis.sql"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _psql_tables(text: str) -> list[tuple[str, int]]:
    """Each table psql printed: its first two lines (a heading, or its column names) and the
    row count of its footer."""
    tables = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        footer = re.fullmatch(r"\((\d+) rows?\)", line.strip())
        if footer:
            start = n - 1
            while start > 0 and lines[start - 1].strip():
                start -= 1
            tables.append(("\n".join(lines[start : start + 2]), int(footer[1])))
    return tables


@pytest.mark.asyncio
async def test_the_psql_file_prints_every_section_without_error(
    database: str, tmp_path: Path
) -> None:
    since, until = await _backfill(database, tmp_path, "faulty")
    for variables in (("hours=8",), (f"since={since.isoformat()}", f"until={until.isoformat()}")):
        done = await asyncio.to_thread(_psql, database, *variables)
        assert done.returncode == 0, done.stderr
        assert "ERROR" not in done.stderr
        # each section's heading once, in order (a heading is a line of its own: "1. " within
        # "11. " or inside a table's cell is none)
        headings = re.findall(r"^(\d+)\. [A-Z]", done.stdout, re.M)
        assert headings == [str(section.number) for section in SECTIONS]
    # the window's two unprotected positions, in the table of section 2 that lists them
    section_2 = done.stdout[done.stdout.index("\n2. STOP-LOSS") : done.stdout.index("\n3. ")]
    [(_, unprotected)] = [t for t in _psql_tables(section_2) if "unprotected_seconds" in t[0]]
    assert unprotected == SCENARIOS["faulty"].faults.unprotected_positions == 2


@pytest.mark.asyncio
async def test_hourly_table_of_window_mode_matches_the_live_run(
    database: str, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    progress: list[Progress] = []
    collector = Collector(database, PROFILE, 3.0, 0.25, tmp_path / "live", on_tick=progress.append)
    collecting = asyncio.create_task(collector.run())
    await async_wait_for(lambda: bool(progress), 10, "the first tick")
    await BotSimulator(database, log, 2.5, "faulty", seed=8).run()
    live = await collecting
    window = await reconstruct(
        database, PROFILE, live.started_at, live.ended_at, 0.25, tmp_path / "window"
    )
    fields = ("hour", "opened", "closed", "ts_activated", "api_errors", "emergency_closes")
    as_live = [{f: getattr(r, f) for f in fields} for r in hourly_rows(live)]
    as_window = [{f: getattr(r, f) for f in fields} for r in hourly_rows(window)]
    assert as_window == as_live
    assert as_live[0]["api_errors"] == 60


def test_botaudit_analyze_prints_json_and_writes_the_files(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_backfill(database, tmp_path, "healthy"))
    assert main(["analyze", "--dsn", database, "--hours", "3", "--json"]) == 0
    sections = json.loads(capsys.readouterr().out)
    assert [s["number"] for s in sections] == list(range(1, 15))
    assert main(["analyze", "--dsn", database, "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "analysis_db.txt").read_text().startswith("BOT DATABASE ANALYSIS")
    assert main(["analyze", "--dsn", "postgresql://x@/db?host=/nonexistent"]) == 2


@pytest.mark.asyncio
async def test_a_live_audit_hands_over_each_completed_hour(database: str, tmp_path: Path) -> None:
    # resumed 59 min 58 s into an audit at a 60 s interval: the hour ends at the next tick
    from pytest_botaudit.record.model import ResumePoint

    started = datetime.now(UTC) - timedelta(minutes=59, seconds=58)
    path = tmp_path / "monitoring_snapshots_x.jsonl"
    folder = RunFolder(tmp_path)
    hours: list[int] = []
    settings = AuditSettings(dsn=database, duration=7200.0, out=tmp_path)

    def on_hour(so_far: CollectionResult) -> None:
        hours.append(len(hourly_rows(so_far)))
        write_interim(folder, partial(interim_report, settings, PROFILE, METRICS), so_far)

    collector = Collector(
        database,
        PROFILE,
        7200.0,
        60.0,
        tmp_path,
        settle=0.1,
        on_hour=on_hour,
        resume=ResumePoint(path, started, (), ()),
    )
    run = asyncio.create_task(collector.run())
    await async_wait_for(lambda: bool(hours), 20, "the end of the first hour")
    collector.request_stop()
    result = await run
    assert hours == [1]
    assert result.snapshots[-1].window_end - result.started_at == timedelta(hours=1)
    assert set(result.snapshots[-1].observed) == {"round_trip_ms", "db_connections"}
    # the hour's interim files, both marked so: what is known so far, no verdicts yet
    assert "Interim" in folder.hourly_observations.read_text()
    report = folder.audit_report.read_text()
    assert report.startswith("# Trading Bot Audit Report (INTERIM: the audit is still running)")
    assert "**Overall health: not judged yet**" in report
    assert "### 3.11 Hourly activity timeline" in report
