"""How long an audit session takes beside the period it judges: the figures the test suite
once asserted (``< 60 s``, ``< 2.0 s``) and now leaves to this script, since a test must not
pass or fail on the speed of the machine it runs on.

- a live audit of 2 s at 0.25 s: the collection's time beside each check's JUnit time (the
  wait happens outside every check's duration);
- a failed pre-flight (a live exchange flag) of an audit asked to run 1 h: the time to say so
  (no collection starts);
- window mode over 10 minutes and 2 hours of a simulated faulty bot: the time to judge them
  beside their length (no waiting).

Each one is a real ``python -m pytest`` run of audit_checks/ against a throw-away PostgreSQL.

    python bench/session_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from pytest_botaudit.config.values import format_duration
from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres
from pytest_botaudit.demo.simulator import BotSimulator

REPO = Path(__file__).resolve().parent.parent
LOG_LINE = "2025-10-15 02:40:20,001 - m - INFO - started\n"


async def _execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _database(server: EmbeddedPostgres) -> str:
    name = "s_" + uuid.uuid4().hex[:12]
    asyncio.run(_execute(server.dsn(), f"CREATE DATABASE {name}"))
    asyncio.run(_execute(server.dsn(name), load_sql("schema.sql")))
    return server.dsn(name)


def _folder(scratch: Path, env: str) -> Path:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    shutil.copytree(REPO / "audit_checks", folder / "audit_checks")
    (folder / ".env").write_text(env)
    (folder / "bot.log").write_text(LOG_LINE)
    return folder


def _pytest(folder: Path, dsn: str, *args: str) -> tuple[float, int, str]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "audit_checks",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--audit-dsn={dsn}",
        f"--audit-out={folder / 'out'}",
        f"--audit-env-file={folder / '.env'}",
        f"--junitxml={folder / 'audit.xml'}",
        *args,
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    return time.monotonic() - started, done.returncode, done.stdout


def live(server: EmbeddedPostgres, scratch: Path) -> tuple[float, float, float]:
    """(wall time, collection time, the longest check's JUnit time) of a 2 s live audit."""
    folder = _folder(scratch, "BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n")
    wall, _, out = _pytest(
        folder,
        _database(server),
        f"--audit-log={folder / 'bot.log'}",
        "--audit-duration=2s",
        "--audit-interval=0.25s",
    )
    collection = re.search(r"^collection: ([\d.]+) s \(outside every check", out, re.M)
    assert collection, out
    cases = list(ET.parse(folder / "audit.xml").iter("testcase"))
    longest = max(float(case.get("time", "0")) for case in cases)
    return wall, float(collection[1]), longest


def failed_preflight(server: EmbeddedPostgres, scratch: Path) -> float:
    folder = _folder(scratch, "BINANCE_TESTNET=true\nBYBIT_TESTNET=false\n")
    wall, code, _ = _pytest(
        folder, _database(server), f"--audit-log={folder / 'bot.log'}", "--audit-duration=1h"
    )
    assert code == 1, "the pre-flight should have failed"
    return wall


def window(server: EmbeddedPostgres, scratch: Path, minutes: int) -> float:
    folder = _folder(scratch, "BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n")
    dsn = _database(server)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes + 60)
    log = folder / "bot.log"
    asyncio.run(BotSimulator(dsn, log, minutes * 60, "faulty", seed=2).run(start, live=False))
    wall, _, _ = _pytest(
        folder,
        dsn,
        f"--audit-log={log}",
        f"--audit-since={start.isoformat()}",
        f"--audit-until={(start + timedelta(minutes=minutes)).isoformat()}",
        "--audit-interval=10s",
    )
    return wall


def main(rounds: int) -> None:
    with EmbeddedPostgres(port=54341) as server, tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        print(f"median of {rounds} rounds, seconds of wall time of a whole pytest session")
        print(f"{'session':52} {'judges':>8} {'takes':>8}")
        runs = [live(server, scratch) for _ in range(rounds)]
        print(f"{'live audit, 2 s at 0.25 s':52} {'2s':>8} {_median(r[0] for r in runs):>8.2f}")
        collection = _median(r[1] for r in runs)
        print(f"{'  of which the collection (outside every check)':52} {'':>8} {collection:>8.2f}")
        longest = _median(r[2] for r in runs)
        print(f"{'  the longest check (its JUnit time)':52} {'':>8} {longest:>8.3f}")
        stopped = _median(failed_preflight(server, scratch) for _ in range(rounds))
        print(f"{'failed pre-flight of a 1 h audit':52} {'1h':>8} {stopped:>8.2f}")
        for minutes in (10, 120):
            taken = _median(window(server, scratch, minutes) for _ in range(rounds))
            label = "window mode, faulty bot, 10 s interval"
            print(f"{label:52} {format_duration(minutes * 60):>8} {taken:>8.2f}")


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args().rounds)
