"""One sampling tick as monitoring.events grows: 100k, 1M and 10M rows.

Loads the contract's real mix with generate_series into a throw-away PostgreSQL (or
BOTAUDIT_BENCH_DSN, an empty database): the last hour at the live rate (~270 rows a minute,
mostly position_updated), and history behind it spread over 30 days, grown to each size. Then
times the collector's tick (one round trip, sql/tick.sql) against a baseline of one query per
metric, the seed's bot_monitor.py approach, on the same one-minute windows of the last hour,
which is what a live audit samples. Prints median and p95 per size.

    python bench/tick_bench.py [--sizes 100000,1000000,10000000] [--ticks 200]
                               [--baseline /path/to/an/older/checkout] [--runs 3]

``--baseline`` also times the tick of another checkout of this project on the same database,
each checkout in its own process, in turn (``--runs`` times a size, the order alternating):
the figure to compare a change with.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from pytest_botaudit.collection.snapshots import take_snapshot
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.connection import connect
from pytest_botaudit.database.queries import AuditDatabase
from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres

# (event_type, share): the live mix of the contract (~8,000 position_updated per 30 minutes
# plus a few hundred others)
MIX = [
    ("position_updated", 0.955),
    ("position_created", 0.004),
    ("position_closed", 0.004),
    ("stop_loss_placed", 0.004),
    ("trailing_stop_activated", 0.003),
    ("trailing_stop_updated", 0.01),
    ("trailing_stop_sl_updated", 0.01),
    ("exchange_error", 0.003),
    ("zombie_order_cancelled", 0.001),
    ("emergency_close_all_triggered", 0.0005),
    ("warning_raised", 0.0055),
]

LOAD = """
INSERT INTO monitoring.events (event_type, event_data, symbol, exchange, severity, created_at)
SELECT CASE {cases} END,
       jsonb_build_object('symbol', 'SYM' || (g % 50), 'execution_time_ms', (g % 400)),
       'SYM' || (g % 50) || 'USDT',
       CASE WHEN g % 3 = 0 THEN 'bybit' ELSE 'binance' END,
       'INFO',
       now() - $2::interval - random() * $3::interval
FROM (SELECT g, random() AS r FROM generate_series(1, $1) AS g) AS s
"""
LIVE_ROWS_PER_MINUTE = 270

# the seed's approach: one query per metric, each over the last minute
BASELINE = [
    "SELECT count(*) FROM monitoring.positions WHERE status = 'active'",
    "SELECT exchange, count(*) FROM monitoring.positions WHERE status = 'active' GROUP BY 1",
    "SELECT count(*) FROM monitoring.positions WHERE status = 'active' AND NOT has_stop_loss",
    "SELECT count(*) FROM monitoring.positions WHERE status = 'active'"
    " AND opened_at < now() - interval '3 hours'",
] + [
    f"SELECT count(*) FROM monitoring.events WHERE event_type = '{event_type}'"
    " AND created_at >= $1 AND created_at < $2"
    for event_type in (
        "position_created",
        "position_updated",
        "trailing_stop_activated",
        "trailing_stop_sl_updated",
        "position_closed",
        "zombie_order_cancelled",
        "emergency_close_all_triggered",
        "exchange_error",
    )
]


def cases() -> str:
    parts, edge = [], 0.0
    for event_type, share in MIX:
        edge += share
        parts.append(f"WHEN r < {edge:.6f} THEN '{event_type}'")
    return " ".join(parts) + " ELSE 'warning_raised'"


async def load(
    dsn: str, rows: int, history: bool = True, span: timedelta = timedelta(hours=1)
) -> None:
    """``rows`` of history (older than ``span``) or, with history=False, the last ``span``."""
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        offset, spread = (span, timedelta(days=30)) if history else (timedelta(0), span)
        await connection.execute(LOAD.format(cases=cases()), rows, offset, spread)
        await connection.execute("ANALYZE monitoring.events")
        total = await connection.fetchval("SELECT count(*) FROM monitoring.events")
        print(
            f"  loaded {rows:,} rows in {time.perf_counter() - started:.1f}s (table now {total:,})"
        )
    finally:
        await connection.close()


def summary(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{label:28} median {statistics.median(ordered):6.2f} ms   p95 {p95:6.2f} ms"


async def measure(dsn: str, ticks: int) -> tuple[list[float], list[float]]:
    profile = load_profile()
    connection = await connect(dsn)
    baseline = await connect(dsn)
    try:
        database = AuditDatabase(connection, profile)
        rng = random.Random(1)
        now = datetime.now(UTC)
        windows = [now - timedelta(seconds=rng.uniform(60, 3540)) for _ in range(ticks)]
        ours, seed = [], []
        for tick, end in enumerate(windows, 1):  # warm both paths' plans and caches first
            await take_snapshot(database, tick, end - timedelta(minutes=1), end, end)
        for tick, end in enumerate(windows, 1):
            start = end - timedelta(minutes=1)
            began = time.perf_counter()
            await take_snapshot(database, tick, start, end, end)
            ours.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            for sql in BASELINE:
                args = (start, end) if "$1" in sql else ()
                await baseline.fetch(sql, *args)
            seed.append((time.perf_counter() - began) * 1000)
        return ours, seed
    finally:
        await connection.close()
        await baseline.close()


# one checkout's measure() in a process of its own (its package first on the path)
CHILD = """
import asyncio, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
import pytest_botaudit, tick_bench
assert pytest_botaudit.__file__.startswith(sys.argv[1]), pytest_botaudit.__file__
print(json.dumps(asyncio.run(tick_bench.measure(sys.argv[2], int(sys.argv[3])))))
"""
HERE = str(Path(__file__).resolve().parent.parent)


def measure_checkout(tree: str, dsn: str, ticks: int) -> tuple[list[float], list[float]]:
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, tree, dsn, str(ticks)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    ours, seed = json.loads(out.stdout.strip().splitlines()[-1])
    return ours, seed


def side_by_side(dsn: str, ticks: int, baseline: str, runs: int) -> None:
    """This checkout's tick and the baseline's, in turn, ``runs`` times; medians of each."""
    print(f"  beside the baseline {baseline}:")
    trees = {"this checkout": HERE, "baseline": baseline}
    medians: dict[str, list[float]] = {name: [] for name in trees}
    for run in range(runs):
        order = list(trees) if run % 2 == 0 else list(reversed(trees))
        for name in order:
            ours, _ = measure_checkout(trees[name], dsn, ticks)
            medians[name].append(statistics.median(ours))
            print("  " + summary(f"run {run + 1}: {name}", ours))
    mine, theirs = medians.values()
    ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
    print(
        f"  median tick: this checkout {statistics.median(mine):.2f} ms, baseline "
        f"{statistics.median(theirs):.2f} ms; this / baseline per run "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f" (median {statistics.median(ratios):.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--ticks", type=int, default=200)
    parser.add_argument("--baseline", help="another checkout of this project to time beside")
    parser.add_argument("--runs", type=int, default=3, help="turns of each with --baseline")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with ExitStack() as stack:
        dsn = os.environ.get("BOTAUDIT_BENCH_DSN")
        if dsn is None:
            dsn = stack.enter_context(EmbeddedPostgres(port=54339)).dsn()
        setup = asyncpg.connect(dsn)

        async def prepare() -> None:
            connection = await setup
            await connection.execute(load_sql("schema.sql"))
            await connection.execute(
                "INSERT INTO monitoring.positions (symbol, exchange, status, has_stop_loss,"
                " opened_at) SELECT 'SYM' || g || 'USDT', CASE WHEN g % 3 = 0 THEN 'bybit'"
                " ELSE 'binance' END, CASE WHEN g % 10 = 0 THEN 'active' ELSE 'closed' END,"
                " g % 17 <> 0, now() - g * interval '5 minutes' FROM generate_series(1, 5000) g"
            )
            await connection.close()

        asyncio.run(prepare())
        recent = LIVE_ROWS_PER_MINUTE * 60
        print(f"the last hour: {recent:,} rows at the live rate")
        asyncio.run(load(dsn, recent, history=False))
        loaded = recent
        results = {}
        for size in sizes:
            print(f"events table at {size:,} rows:")
            asyncio.run(load(dsn, size - loaded))
            loaded = size
            ours, seed = asyncio.run(measure(dsn, args.ticks))
            results[size] = statistics.median(ours)
            print("  " + summary("one round trip (tick.sql)", ours))
            print("  " + summary(f"baseline: {len(BASELINE)} queries", seed))
            if args.baseline:
                side_by_side(dsn, args.ticks, str(Path(args.baseline).resolve()), args.runs)
        if len(results) > 1:
            first, last = results[sizes[0]], results[sizes[-1]]
            print(f"median tick at {sizes[-1]:,} rows / at {sizes[0]:,} rows: {last / first:.2f}x")


if __name__ == "__main__":
    main()
