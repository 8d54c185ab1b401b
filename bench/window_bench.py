"""Window audits of a busy bot: the whole pytest session over an 8-hour window holding 3M events
and 2,000 positions, at 60 s and at 1 s, and over 24 hours at 1 s (86,400 ticks, 9M events and
6,000 positions), for this checkout and a floor checkout (``--floor DIR``, e.g. a worktree of
main) in the same runs.

Loads, into a throw-away PostgreSQL (or ``--dsn``, a database this script loaded before with
``--load-only``), 25 hours of a bot writing 20x the real one's rate (~375k events an hour, the
contract's mix, in time order as the bot appends them) with a position opened every 14.4 s:
most protected by a symbol-only stop_loss_placed 2 s after opening, one in 97 never, one in 301
rolled back, one in 499 closed by an emergency close. Then runs ``pytest audit_checks`` in
window mode with ``--html --self-contained-html`` (no log: the database side) for each case and
checkout, ``--runs`` times in turn, and prints per case and checkout the median wall time, peak
RSS (the pytest process, from wait4), the analysis tables "not available" in its
analysis_db.json, the HTML's size, and the end of the session (judging and the reports: the
time after the last analysis table was read), then the slowest analysis table of each
checkout, timed alone (bench/window_tables.py under that checkout).

    python bench/window_bench.py --floor /tmp/floor [--runs 3] [--cases 60s,1s,24h]
    python bench/window_bench.py --load-only     # prints the DSN of a loaded server, waits
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import tick_bench  # the contract's event mix

from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres

HERE = Path(__file__).resolve().parent
SPAN = timedelta(hours=25)  # the data: [end - 25 h, end), end an hour before the load
EVENTS_PER_HOUR = 375_000  # 3M in 8 hours
POSITION_EVERY = timedelta(seconds=14.4)  # 2,000 in 8 hours
SYMBOLS = 200

POSITIONS = """
INSERT INTO monitoring.positions (symbol, exchange, side, status, has_stop_loss, opened_at,
                                  closed_at, exit_reason, realized_pnl, unrealized_pnl)
SELECT 'SYM' || (g % $4) || 'USDT', CASE WHEN g % 2 = 0 THEN 'binance' ELSE 'bybit' END,
       CASE WHEN g % 2 = 0 THEN 'long' ELSE 'short' END,
       CASE WHEN g % 301 = 0 THEN 'rolled_back'
            WHEN o.opened + o.life >= $2 THEN 'active' ELSE 'closed' END,
       g % 97 <> 0 AND g % 301 <> 0,
       o.opened AT TIME ZONE current_setting('TimeZone'),
       CASE WHEN g % 301 = 0 THEN (o.opened + interval '3 s') AT TIME ZONE 'UTC'
            WHEN g % 499 = 0 THEN (o.opened + o.life) AT TIME ZONE 'UTC'
            WHEN o.opened + o.life >= $2 THEN NULL
            ELSE (o.opened + o.life) AT TIME ZONE current_setting('TimeZone') END,
       CASE WHEN g % 301 = 0 THEN 'rollback: Failed to place stop-loss: timeout'
            WHEN g % 499 = 0 THEN 'emergency: no stop loss'
            WHEN o.opened + o.life >= $2 THEN NULL ELSE 'take_profit' END,
       (g % 41) - 20, (g % 13) - 6
FROM generate_series(0, $3 - 1) AS g
CROSS JOIN LATERAL (SELECT $1::timestamptz + g * $5::interval AS opened,
                           (20 + g % 25) * interval '1 minute' AS life) AS o
"""
# each position's own rows: created, its stop-loss (symbol only, as the bot's stop-loss manager
# writes it; none for one in 97), a trailing stop for one in three, closed
POSITION_EVENTS = """
INSERT INTO monitoring.events (event_type, event_data, position_id, symbol, exchange, created_at)
SELECT t.event_type, jsonb_build_object('execution_time_ms', (p.id % 300) + 20),
       CASE WHEN t.by_id THEN p.id END, p.symbol, p.exchange,
       (p.opened_at AT TIME ZONE current_setting('TimeZone')) + t.after
FROM monitoring.positions AS p
CROSS JOIN (VALUES ('position_created', interval '0', true),
                   ('stop_loss_placed', interval '2 s', false),
                   ('trailing_stop_activated', interval '5 min', true),
                   ('position_closed', interval '19 min', true)) AS t (event_type, after, by_id)
WHERE (t.event_type <> 'stop_loss_placed' OR p.id % 97 <> 0)
  AND (t.event_type <> 'trailing_stop_activated' OR p.id % 3 = 0)
  AND (t.event_type <> 'position_closed' OR p.status = 'closed')
"""
BULK = """
INSERT INTO monitoring.events (event_type, event_data, symbol, exchange, severity, created_at)
SELECT CASE {cases} END,
       jsonb_build_object('execution_time_ms', (g % 400)),
       'SYM' || (g % $4) || 'USDT',
       CASE WHEN g % 3 = 0 THEN 'bybit' ELSE 'binance' END,
       'INFO',
       $2::timestamptz + (g::float8 / $1) * $3::interval
FROM (SELECT g, random() AS r FROM generate_series(0, $1 - 1) AS g) AS s
"""


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    hours: int
    interval: str


CASES = {
    "60s": Case("8 h at 60 s (480 ticks)", 8, "60s"),
    "1s": Case("8 h at 1 s (28,800 ticks)", 8, "1s"),
    "24h": Case("24 h at 1 s (86,400 ticks)", 24, "1s"),
}


async def load(dsn: str) -> datetime:
    """The data, ending an hour ago (whole minutes); returns its end."""
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    start = end - SPAN
    connection = await asyncpg.connect(dsn)
    try:
        began = time.perf_counter()
        await connection.execute(load_sql("schema.sql"))
        count = int(SPAN / POSITION_EVERY)
        await connection.execute(POSITIONS, start, end, count, SYMBOLS, POSITION_EVERY)
        total = int(EVENTS_PER_HOUR * SPAN.total_seconds() / 3600)
        # in time order, as the bot appends them (an hour at a time: the sort stays in memory)
        await connection.execute("SET work_mem = '256MB'")
        hour = timedelta(hours=1)
        for k in range(int(SPAN / hour)):
            await connection.execute(
                BULK.format(cases=tick_bench.cases()),
                EVENTS_PER_HOUR,
                start + k * hour,
                hour,
                SYMBOLS,
            )
        await connection.execute(POSITION_EVENTS)
        await connection.execute("ANALYZE")
        events = await connection.fetchval("SELECT count(*) FROM monitoring.events")
        print(
            f"loaded {count:,} positions and {events:,} events ({total:,} of the mix) over "
            f"{SPAN} in {time.perf_counter() - began:.0f} s",
            flush=True,
        )
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS public.bench_loaded (ends timestamptz)"
        )
        await connection.execute("INSERT INTO public.bench_loaded VALUES ($1)", end)
        return end
    finally:
        await connection.close()


async def loaded_end(dsn: str) -> datetime:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval("SELECT max(ends) FROM public.bench_loaded")  # type: ignore[no-any-return]
    finally:
        await connection.close()


@dataclass(frozen=True, slots=True)
class Session:
    seconds: float
    rss_mb: float
    unavailable: tuple[str, ...]
    html_mb: float
    end_seconds: float | None  # from the last analysis table read to the session's end


def run_session(tree: Path, dsn: str, case: Case, end: datetime, out: Path) -> Session:
    since = end - timedelta(hours=case.hours)
    html = out / "audit.html"
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(tree / "audit_checks"),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--audit-dsn={dsn}",
        f"--audit-since={since.isoformat()}",
        f"--audit-until={end.isoformat()}",
        f"--audit-interval={case.interval}",
        f"--audit-out={out / 'runs'}",
        "--audit-env-file=none",
        f"--html={html}",
        "--self-contained-html",
    ]
    began = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    exited = time.time()
    process.returncode = 0
    analysis = next((out / "runs").glob("*/analysis_db.json"), None)
    unavailable: list[str] = []
    end_seconds = None
    if analysis is not None:
        sections = json.loads(analysis.read_text())
        for section in sections if isinstance(sections, list) else []:
            # a timeout is the figure issue 21 counts; a table the schema lacks is named too
            for name, reason in section.get("unavailable_tables", {}).items():
                timed_out = "timeout" in reason or "QueryCanceled" in reason
                unavailable.append(f"{name} ({'TIMEOUT' if timed_out else 'absent'})")
            if "unavailable" in section:
                timed_out = "timeout" in section["unavailable"]
                unavailable.append(
                    f"section {section['number']} ({'TIMEOUT' if timed_out else 'absent'})"
                )
        # analysis_db.json is written once the analysis is read, before the reports
        end_seconds = exited - analysis.stat().st_mtime
    keep = os.environ.get("WINDOW_BENCH_KEEP")  # a folder to copy each report into
    if keep and html.exists():
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{case.name}-{tree.name}.html").write_bytes(html.read_bytes())
    return Session(
        seconds,
        usage.ru_maxrss / 1024,
        tuple(unavailable),
        html.stat().st_size / 1e6 if html.exists() else 0.0,
        end_seconds,
    )


def slowest_table(tree: Path, dsn: str, case: Case, end: datetime) -> str:
    since = end - timedelta(hours=case.hours)
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "window_tables.py"),
            dsn,
            since.isoformat(),
            end.isoformat(),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


@contextmanager
def database(dsn: str | None) -> Iterator[tuple[str, datetime]]:
    with ExitStack() as stack:
        if dsn is None:
            dsn = stack.enter_context(EmbeddedPostgres(port=54341)).dsn()
            end = asyncio.run(load(dsn))
        else:
            end = asyncio.run(loaded_end(dsn))
        yield dsn, end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floor", type=Path, help="a checkout to measure beside this one")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default="60s,1s,24h")
    parser.add_argument("--dsn", help="a database loaded by --load-only")
    parser.add_argument("--load-only", action="store_true")
    args = parser.parse_args()
    trees = {"ours": HERE.parent}
    if args.floor:
        trees = {"floor": args.floor.resolve(), **trees}
    with database(args.dsn) as (dsn, end):
        if args.load_only:
            print(f"loaded: {dsn}", flush=True)
            while True:
                time.sleep(3600)
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            print(
                "note: PYTHONDONTWRITEBYTECODE is set, so every session compiles its modules "
                "and pytest rewrites the installed plugins' asserts anew ("
                "here, 0.4-0.8 s); unset it for the figures of a default Python",
                flush=True,
            )
        results: dict[tuple[str, str], list[Session]] = {}
        for run in range(args.runs):
            for key in args.cases.split(","):
                order = list(trees) if run % 2 == 0 else list(reversed(trees))
                for name in order:
                    with tempfile.TemporaryDirectory() as tmp:
                        session = run_session(trees[name], dsn, CASES[key], end, Path(tmp))
                    results.setdefault((key, name), []).append(session)
                    print(
                        f"run {run + 1} {key:>3} {name:5}: {session.seconds:6.1f} s, "
                        f"{session.rss_mb:6.0f} MB, HTML {session.html_mb:5.2f} MB, not "
                        f"available: {', '.join(session.unavailable) or 'none'}",
                        flush=True,
                    )
        print(f"\nmedians of {args.runs} runs (the same runs, in turn):")
        for key in args.cases.split(","):
            print(f"{CASES[key].name}:")
            for name in trees:
                sessions = results[(key, name)]
                ends = [s.end_seconds for s in sessions if s.end_seconds is not None]
                print(
                    f"  {name:5} session {statistics.median(s.seconds for s in sessions):6.1f} s,"
                    f" peak RSS {statistics.median(s.rss_mb for s in sessions):5.0f} MB,"
                    f" HTML {statistics.median(s.html_mb for s in sessions):5.2f} MB,"
                    f" judging and reports {statistics.median(ends) if ends else 0:5.1f} s,"
                    f" tables timed out: "
                    f"{sum('TIMEOUT' in u for u in sessions[-1].unavailable)}, not available:"
                    f" {len(sessions[-1].unavailable)}"
                    + (
                        f" ({', '.join(sessions[-1].unavailable)})"
                        if sessions[-1].unavailable
                        else ""
                    )
                )
            for name in trees:
                print(
                    f"  {name:5} slowest table: {slowest_table(trees[name], dsn, CASES[key], end)}"
                )


if __name__ == "__main__":
    main()
