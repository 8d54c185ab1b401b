"""Collector memory over a 480-tick run (interval 0.05 s) against a live simulated bot.

Prints the resident set size after the first ticks and at the end; the target is flat memory
(at most 10 MB of growth).

    python bench/collector_memory.py [--ticks 480] [--interval 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import asyncpg

from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres
from pytest_botaudit.demo.simulator import BotSimulator


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


async def run(dsn: str, ticks: int, interval: float, out: Path) -> None:
    connection = await asyncpg.connect(dsn)
    await connection.execute(load_sql("schema.sql"))
    await connection.close()
    samples: dict[int, float] = {}

    def on_tick(progress: Progress) -> None:
        if progress.tick in (20, ticks // 2, ticks):
            samples[progress.tick] = rss_mb()

    duration = ticks * interval
    log = out / "bot.log"
    collector = Collector(
        dsn, load_profile(), duration, interval, out, log_paths=[log], on_tick=on_tick
    )
    bot = BotSimulator(dsn, log, duration, "faulty", seed=1, speed=4)
    await asyncio.gather(collector.run(), bot.run())
    print(
        f"{ticks} ticks every {interval:g}s: {bot.events_written} events and "
        f"{bot.log_lines_written} log lines written by the simulated bot"
    )
    for tick, mb in sorted(samples.items()):
        print(f"  RSS after tick {tick:4}: {mb:7.1f} MB")
    print(f"  growth from tick 20 to tick {ticks}: {samples[ticks] - samples[20]:+.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ticks", type=int, default=480)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    with EmbeddedPostgres(port=54338) as server, tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(server.dsn(), args.ticks, args.interval, Path(directory)))


if __name__ == "__main__":
    main()
