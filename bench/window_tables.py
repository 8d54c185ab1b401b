"""The 14-section analysis over one window, timed table by table under the checkout on
PYTHONPATH (bench/window_bench.py runs it for each checkout): prints the slowest table, and
those that hit the statement timeout; with ``--all``, every table's seconds, slowest first,
each alone on one session (``--sessions 2``: as the audit runs them, two at a time), and with
``--json FILE`` the tables' rows, to compare two checkouts' results.

    PYTHONPATH=CHECKOUT python bench/window_tables.py DSN SINCE UNTIL [--all] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.analysis import Table, run_analysis
from pytest_botaudit.database.connection import Target, connect


async def main(args: argparse.Namespace) -> list[Table]:
    since, until = datetime.fromisoformat(args.since), datetime.fromisoformat(args.until)
    sessions = [await connect(Target(args.dsn, 30.0, 5.0)) for _ in range(args.sessions)]
    try:
        began = time.perf_counter()
        analysis = await run_analysis(sessions, load_profile(), since, until)
        total = time.perf_counter() - began
    finally:
        for session in sessions:
            await session.close()
    tables = [t for s in analysis.sections for t in s.tables]
    timed_out = [t.name for t in tables if t.unavailable and "timeout" in t.unavailable]
    slowest = max((t for t in tables if t.unavailable is None), key=lambda t: t.seconds)
    print(
        f"{slowest.name} {slowest.seconds:.2f} s (all tables {total:.1f} s"
        + (f"; timed out at 30 s: {', '.join(timed_out)})" if timed_out else ")")
    )
    if args.all:
        for table in sorted(tables, key=lambda t: -t.seconds):
            print(
                f"  {table.name:28} {table.seconds:6.3f} s" + (" n/a" if table.unavailable else "")
            )
        print(f"  {'sum':28} {sum(t.seconds for t in tables):6.3f} s")
    return tables


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("since")
    parser.add_argument("until")
    parser.add_argument("--all", action="store_true", help="every table's seconds")
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--json", help="write the tables' rows here")
    arguments = parser.parse_args()
    tables = asyncio.run(main(arguments))
    if arguments.json:
        rows = {
            t.name: {"columns": t.columns, "rows": t.rows, "unavailable": t.unavailable}
            for t in tables
        }
        with open(arguments.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, default=str, indent=1, sort_keys=True)
