"""The report of an 8-hour audit at a 60 s interval (480 ticks): its size, how long the
session's end takes to build it, and how soon it is readable in headless Chromium.

Simulates eight hours of a bot (the faulty scenario, so every chart and the timeline have
something to draw) into a throw-away PostgreSQL, judges it in window mode with
``--html --self-contained-html``, then loads the file in Debian's chromium (selenium and
chromedriver) five times and prints the median of the Navigation Timing figures.

    python bench/report_bench.py [--scenario faulty] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from pytest_botaudit.bundled import audit_checks_dir
from pytest_botaudit.demo.pgserver import EmbeddedPostgres
from pytest_botaudit.demo.run import create_schema
from pytest_botaudit.demo.simulator import BotSimulator

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def build_report(folder: Path, scenario: str, profile: Path | None = None) -> tuple[Path, float]:
    start = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=9)
    with EmbeddedPostgres() as server:
        dsn = server.dsn()
        asyncio.run(create_schema(dsn))
        log = folder / "bot.log"
        asyncio.run(BotSimulator(dsn, log, 8 * 3600, scenario, seed=3).run(start, live=False))
        html = folder / "audit.html"
        began = time.perf_counter()
        subprocess.call(
            [
                sys.executable,
                *(["-m", "cProfile", "-o", str(profile)] if profile else []),
                "-m",
                "pytest",
                str(audit_checks_dir()),
                "-q",
                "-p",
                "no:cacheprovider",
                f"--audit-dsn={dsn}",
                f"--audit-log={log}",
                f"--audit-since={start.isoformat()}",
                f"--audit-until={(start + timedelta(hours=8)).isoformat()}",
                "--audit-interval=60s",
                f"--audit-out={folder / 'runs'}",
                "--audit-env-file=none",
                f"--html={html}",
                "--self-contained-html",
            ],
            stdout=subprocess.DEVNULL,
        )
        return html, time.perf_counter() - began


def load_times(html: Path, runs: int) -> dict[str, list[float]]:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        options.add_argument(flag)
    figures: dict[str, list[float]] = {"domContentLoaded": [], "load": [], "charts drawn": []}
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for _ in range(runs):
            began = time.perf_counter()
            driver.get(html.as_uri())
            charts = driver.find_elements(By.CSS_SELECTOR, ".botaudit-charts .botaudit-chart svg")
            assert all(c.size["width"] > 0 for c in charts)
            drawn = time.perf_counter() - began
            timing = driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0];"
                "return [t.domContentLoadedEventEnd, t.loadEventEnd];"
            )
            figures["domContentLoaded"].append(timing[0] / 1000)
            figures["load"].append(timing[1] / 1000)
            figures["charts drawn"].append(drawn)
            driver.get("about:blank")
    finally:
        driver.quit()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="faulty")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="copy the report here, to look at it")
    parser.add_argument("--profile", type=Path, help="cProfile the audit session into this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        html, judged = build_report(Path(tmp), args.scenario, args.profile)
        size = html.stat().st_size
        if args.keep is not None:
            args.keep.write_bytes(html.read_bytes())
        print(
            f"report: {size / 1e6:.2f} MB for 480 ticks ({args.scenario}); "
            f"judging and writing it took {judged:.1f} s"
        )
        for name, values in load_times(html, args.runs).items():
            print(
                f"{name:>17}: median {statistics.median(values):.2f} s, "
                f"max {max(values):.2f} s over {args.runs} loads"
            )


if __name__ == "__main__":
    main()
