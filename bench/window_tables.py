"""The 14-section analysis over one window, timed table by table under the checkout on
PYTHONPATH (bench/window_bench.py runs it for each checkout): prints the slowest table, and
those that hit the statement timeout.

    PYTHONPATH=CHECKOUT python bench/window_tables.py DSN SINCE UNTIL
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.analysis import run_analysis
from pytest_botaudit.database.connection import Target, connect


async def main(dsn: str, since: datetime, until: datetime) -> None:
    session = await connect(Target(dsn, 30.0, 5.0))
    try:
        began = time.perf_counter()
        analysis = await run_analysis(session, load_profile(), since, until)
        total = time.perf_counter() - began
    finally:
        await session.close()
    tables = [t for s in analysis.sections for t in s.tables]
    timed_out = [t.name for t in tables if t.unavailable and "timeout" in t.unavailable]
    slowest = max((t for t in tables if t.unavailable is None), key=lambda t: t.seconds)
    print(
        f"{slowest.name} {slowest.seconds:.2f} s (all tables {total:.1f} s"
        + (f"; timed out at 30 s: {', '.join(timed_out)})" if timed_out else ")")
    )


if __name__ == "__main__":
    since, until = (datetime.fromisoformat(a) for a in sys.argv[2:4])
    asyncio.run(main(sys.argv[1], since, until))
