"""A log written in local time across the end of summer time (Europe/Berlin, 2025-10-26: 03:00
CEST is 02:00 CET, the hour 02:00-03:00 is written twice). Each record stands for the moment
its pass of the repeated hour means: in file order, the first pass is CEST, the second CET. Real
log files, the profile's log.timezone and, in a subprocess, the machine's own TZ."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.logs.files import analyze_files
from pytest_botaudit.logs.grammar import timestamp_text
from pytest_botaudit.logs.localtime import repeated_span
from pytest_botaudit.logs.window import log_ticks

from ..conftest import REPO

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2025, 10, 25, 23, 0, tzinfo=UTC)  # 01:00 CEST: five hours, one repeated
HOURS = 5
PROFILE = replace(load_profile(), log_timezone=BERLIN)


def _write_log(path: Path, zone: ZoneInfo | None) -> Path:
    """A minute's timeout warning and price tick (bulk), every minute, in local time."""
    lines = []
    for minute in range(HOURS * 60):
        stamp = timestamp_text(START + timedelta(minutes=minute, seconds=30), zone)
        lines.append(f"{stamp} - core.exchange_manager - WARNING - Request to bybit timed out\n")
        lines.append(f"{stamp} - core.position_manager - INFO - 📊 Position update: BTCUSDT\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_the_repeated_hour_of_a_zone_is_known() -> None:
    assert repeated_span("2025-10-26", BERLIN) == (
        "2025-10-26 02:00:00,000",
        "2025-10-26 03:00:00,000",
    )
    assert repeated_span("2025-10-25", BERLIN) is None
    assert repeated_span("2025-03-30", BERLIN) is None  # spring forward: an hour is skipped
    assert repeated_span("2025-10-26", UTC) is None


def test_each_hour_of_the_fall_back_gets_its_own_records(tmp_path: Path) -> None:
    log = _write_log(tmp_path / "bot.log", BERLIN)
    ticks = log_ticks([log], PROFILE, START, START + timedelta(hours=HOURS), 3600)
    assert [ticks.counts.get(k, {}).get("timeout", 0) for k in range(1, HOURS + 1)] == [60] * 5


def test_a_window_inside_the_repeated_hour_reads_its_records(tmp_path: Path) -> None:
    log = _write_log(tmp_path / "bot.log", BERLIN)
    # 00:30-01:30 UTC: the second half of the first pass (02:30-03:00 CEST) and the first
    # half of the second (02:00-02:30 CET); both edges are written "02:30"
    since, until = START + timedelta(minutes=90), START + timedelta(minutes=150)
    analysis = analyze_files([log], PROFILE, since, until)
    assert analysis.records == 120  # 60 warnings and 60 price ticks
    assert analysis.timing.timeouts == 60
    whole = analyze_files([log], PROFILE, START, START + timedelta(hours=HOURS))
    assert whole.records == 2 * HOURS * 60


@pytest.mark.slow
def test_a_log_in_the_machines_local_time(tmp_path: Path) -> None:
    """No log.timezone: the log is in the local time of the machine (TZ=Europe/Berlin)."""
    log = _write_log(tmp_path / "bot.log", BERLIN)
    since, until = START + timedelta(minutes=90), START + timedelta(minutes=150)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest_botaudit.cli",
            "logs",
            str(log),
            "--json",
            f"--since={since.isoformat()}",
            f"--until={until.isoformat()}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "TZ": "Europe/Berlin", "PYTHONPATH": str(REPO)},
    )
    assert json.loads(done.stdout)["records"] == 120
