"""Noise and change: how often compare calls a healthy rerun worse (false positives) and how
often it finds an injected change (detection), at its default settings.

Plays the simulator's steady scenario (60 API errors an hour at random times) and a sparse one
(4 an hour: small counts that move by chance) for one hour each, seed after seed, into fresh
databases of a throw-away PostgreSQL, judges each hour as window mode does (in this process)
and compares:

- noise: each rerun with the one before it, and every pair of reruns;
- change: a rerun with one injected change against a healthy rerun of another seed:
  stop-loss latency x1.5, the API error rate x2 (from 60 an hour, and from 40 to show where
  an hour's counts start to be too few), a new exception type;
- length: a 30-minute run against a 2-hour run of the same scenario, both ways.

    python bench/rerun_bench.py [--reruns 30] [--alpha 0.01] [--min-effect 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from pytest_botaudit.config.values import DEFAULT_ALPHA, DEFAULT_MIN_EFFECT
from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres
from pytest_botaudit.demo.reruns import STEADY_THRESHOLDS, judged_rerun
from pytest_botaudit.demo.scenarios import Scenario, tuned
from pytest_botaudit.judging.catalogue import configure_metrics
from pytest_botaudit.reruns.compare import Comparison, Settings, compare_records
from pytest_botaudit.reruns.records import AuditRecord

TEMPLATE = "rerun_bench_template"
METRICS = configure_metrics(STEADY_THRESHOLDS)
STEADY = tuned("steady", price_ticks_per_second=0.5)
SPARSE = replace(STEADY, api_errors_per_hour=4.0)
FORTY = replace(STEADY, api_errors_per_hour=40.0)
# label: (the baseline's scenario, the changed one, what must be found worse)
CHANGES = {
    "stop-loss latency x1.5": (
        STEADY,
        replace(STEADY, sl_latency_factor=1.5),
        "sl_update_latency_ms",
    ),
    "API error rate x2, 60 -> 120/h": (
        STEADY,
        replace(STEADY, api_errors_per_hour=120.0),
        "api_errors",
    ),
    "API error rate x2, 40 -> 80/h": (
        FORTY,
        replace(STEADY, api_errors_per_hour=80.0),
        "api_errors",
    ),
    "a new exception type": (STEADY, replace(STEADY, novel_error=True), "new shape"),
}


class Bench:
    def __init__(self, server: EmbeddedPostgres, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.start = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=3)
        self.runs = 0

    async def execute(self, sql: str, database: str = "postgres") -> None:
        connection = await asyncpg.connect(self.server.dsn(database))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def prepare(self) -> None:
        await self.execute(f"CREATE DATABASE {TEMPLATE}")
        await self.execute(load_sql("schema.sql"), TEMPLATE)

    async def rerun(
        self, scenario: Scenario, seed: int, hours: float = 1.0, interval: float = 60.0
    ) -> AuditRecord:
        name = "b_" + uuid.uuid4().hex[:12]
        await self.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        try:
            self.runs += 1
            return await judged_rerun(
                self.server.dsn(name),
                self.folder / name,
                scenario,
                seed,
                self.start,
                hours * 3600,
                interval,
                METRICS,
            )
        finally:
            await self.execute(f"DROP DATABASE {name}")


def found(comparison: Comparison, reason: str) -> bool:
    """Worse, and for the reason injected (and no other metric worse beside it)."""
    if comparison.exit_code != 1:
        return False
    worse = [e.key for e in comparison.worse]
    if reason == "new shape":
        return worse == [] and len(comparison.novelty.error_shapes) == 1
    return worse == [reason] and not comparison.novelty.error_shapes


async def main(reruns: int, settings: Settings) -> None:
    started = time.monotonic()
    with EmbeddedPostgres() as server, tempfile.TemporaryDirectory() as scratch:
        bench = Bench(server, Path(scratch))
        await bench.prepare()
        print(
            f"compare at alpha {settings.alpha:g} (Holm), minimum effect {settings.min_effect:g}; "
            f"{reruns} one-hour reruns per scenario"
        )
        print(f"{'experiment':44} {'comparisons':>11} {'worse':>6} {'rate':>7}")
        cried: Counter[str] = Counter()
        baselines = [await bench.rerun(STEADY, seed) for seed in range(reruns)]
        sparse = [await bench.rerun(SPARSE, seed) for seed in range(reruns)]
        for label, records in (("steady, 60 API errors/h", baselines), ("sparse, 4/h", sparse)):
            for kind, pairs in (
                ("each with the one before", list(itertools.pairwise(records))),
                ("every pair", list(itertools.combinations(records, 2))),
            ):
                worse = 0
                for old, new in pairs:
                    comparison = compare_records(old, new, settings)
                    worse += comparison.exit_code
                    cried.update(e.key for e in comparison.worse)
                    cried.update("new shape" for _ in comparison.novelty.error_shapes)
                rate = worse / len(pairs)
                print(f"noise: {label}, {kind:24} {len(pairs):>5} {worse:>6} {rate:>7.1%}")
        forty = [await bench.rerun(FORTY, seed) for seed in range(reruns)]
        for label, (base, scenario, reason) in CHANGES.items():
            hits = 0
            for seed, baseline in enumerate(forty if base is FORTY else baselines):
                changed = await bench.rerun(scenario, 1000 + seed)
                hits += found(compare_records(baseline, changed, settings), reason)
            print(f"change: {label:36} {reruns:>11} {hits:>6} {hits / reruns:>7.1%}")
        pairs = max(2, reruns // 6)
        worse = 0
        for seed in range(pairs):
            short = await bench.rerun(STEADY, 2000 + seed, hours=0.5, interval=30)
            long = await bench.rerun(STEADY, 3000 + seed, hours=2.0, interval=60)
            worse += compare_records(long, short, settings).exit_code
            worse += compare_records(short, long, settings).exit_code
        rate = worse / pairs / 2
        print(f"length: 30 min vs 2 h, both ways {2 * pairs:>15} {worse:>6} {rate:>7.1%}")
        if cried:
            print(
                "false alarms by metric: " + ", ".join(f"{k} {n}" for k, n in cried.most_common())
            )
        print(f"{bench.runs} simulated and judged runs in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=30)
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA)
    parser.add_argument("--min-effect", type=float, default=DEFAULT_MIN_EFFECT)
    args = parser.parse_args()
    asyncio.run(main(args.reruns, Settings(args.alpha, args.min_effect)))
