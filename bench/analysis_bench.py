"""The 14-section database analysis of an 8-hour window as monitoring.events grows: 100k, 1M
and 10M rows.

Loads, into a throw-away PostgreSQL (or BOTAUDIT_BENCH_DSN, an empty database), the last
8 hours at the contract's live rate (~270 events a minute, ~130k rows, mostly
position_updated, with positions opened and closed in it) and history behind it spread over
30 days, grown to each size. Runs every section over the 8-hour window five times and prints
the median total, each table's median, and the plan of the slowest. The table is clustered by
created_at after each load: the bot appends its events in time order.

    python bench/analysis_bench.py [--sizes 100000,1000000,10000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import asyncpg
import tick_bench  # the same event mix and loader as the tick's benchmark

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.analysis import analysis_sql, run_analysis
from pytest_botaudit.database.connection import connect
from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres

WINDOW = timedelta(hours=8)
POSITIONS = """
INSERT INTO monitoring.positions (symbol, exchange, status, has_stop_loss, opened_at,
                                  closed_at, realized_pnl, unrealized_pnl)
SELECT 'SYM' || (g % 50) || 'USDT', CASE WHEN g % 3 = 0 THEN 'bybit' ELSE 'binance' END,
       CASE WHEN g % 4 = 0 THEN 'active' ELSE 'closed' END, g % 97 <> 0,
       (now() AT TIME ZONE 'utc') - g * interval '1 minute',
       CASE WHEN g % 4 = 0 THEN NULL
            ELSE (now() AT TIME ZONE 'utc') - g * interval '1 minute' + interval '40 minutes' END,
       (g % 41) - 20, (g % 13) - 6
FROM generate_series(1, $1) AS g
"""
POSITION_EVENTS = """
INSERT INTO monitoring.events (event_type, event_data, position_id, symbol, exchange, created_at)
SELECT t.event_type, jsonb_build_object('execution_time_ms', (p.id % 300) + 20), p.id,
       p.symbol, p.exchange, p.opened_at::timestamptz + t.after
FROM monitoring.positions AS p
CROSS JOIN (VALUES ('position_created', interval '0'), ('stop_loss_placed', interval '2 s'),
                   ('trailing_stop_activated', interval '5 min')) AS t (event_type, after)
WHERE p.opened_at > (now() AT TIME ZONE 'utc') - interval '30 days'
"""


async def prepare(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(load_sql("schema.sql"))
        await connection.execute(POSITIONS, 3000)  # two days of openings, one a minute
        await connection.execute(POSITION_EVENTS)
    finally:
        await connection.close()


async def cluster(dsn: str) -> None:
    """The heap in created_at order, as an append-only events table written by the bot in time
    order is (the loader appends history after the window, which no live table does)."""
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await connection.execute("CLUSTER monitoring.events USING idx_events_created_at")
        await connection.execute("ANALYZE monitoring.events")
        print(f"  clustered by created_at in {time.perf_counter() - started:.1f}s")
    finally:
        await connection.close()


async def measure(dsn: str, runs: int) -> tuple[list[float], dict[str, list[float]]]:
    profile = load_profile()
    session = await connect(dsn)
    try:
        until = datetime.now(UTC)
        since = until - WINDOW
        totals: list[float] = []
        tables: dict[str, list[float]] = defaultdict(list)
        await run_analysis(session, profile, since, until)  # warm plans and caches
        for _ in range(runs):
            began = time.perf_counter()
            analysis = await run_analysis(session, profile, since, until)
            totals.append(time.perf_counter() - began)
            for section in analysis.sections:
                for table in section.tables:
                    if table.unavailable is None:
                        tables[table.name].append(table.seconds)
        return totals, tables
    finally:
        await session.close()


async def plan(dsn: str, name: str) -> str:
    profile = load_profile()
    until = datetime.now(UTC)
    sql, args = analysis_sql(name, profile, until - WINDOW, until)
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
        return "\n".join("    " + r[0] for r in rows)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with ExitStack() as stack:
        dsn = os.environ.get("BOTAUDIT_BENCH_DSN")
        if dsn is None:
            dsn = stack.enter_context(EmbeddedPostgres(port=54340)).dsn()
        asyncio.run(prepare(dsn))
        window_rows = tick_bench.LIVE_ROWS_PER_MINUTE * 60 * 8
        print(f"the last 8 hours: {window_rows:,} rows at the live rate")
        asyncio.run(tick_bench.load(dsn, window_rows, history=False, span=WINDOW))
        loaded = window_rows
        medians = {}
        for size in sizes:
            print(f"events table at {size:,} rows:")
            asyncio.run(tick_bench.load(dsn, max(0, size - loaded), span=WINDOW))
            asyncio.run(cluster(dsn))
            loaded = max(size, loaded)
            totals, tables = asyncio.run(measure(dsn, args.runs))
            medians[size] = statistics.median(totals)
            print(f"  all 14 sections: median {medians[size] * 1000:.0f} ms over {args.runs} runs")
            per_table = {name: statistics.median(v) for name, v in tables.items()}
            for name, seconds in sorted(per_table.items()):
                print(f"    {name:32} {seconds * 1000:7.1f} ms")
            slowest = max(per_table, key=lambda n: per_table[n])
            if size == sizes[-1]:
                print(f"  plan of the slowest, {slowest}:")
                print(asyncio.run(plan(dsn, slowest)))
        if len(medians) > 1:
            first, last = medians[sizes[0]], medians[sizes[-1]]
            print(f"total at {sizes[-1]:,} rows / at {sizes[0]:,} rows: {last / first:.2f}x")


if __name__ == "__main__":
    main()
