"""The botaudit command line: logs, simulate and the demo, run as a user would."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.cli import main

from ..unit.test_logs import BOT_LOG


def botaudit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_botaudit.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_logs_text_report_has_the_seven_sections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "bot.log"
    log.write_text(BOT_LOG, encoding="utf-8")
    assert main(["logs", str(log)]) == 0
    text = capsys.readouterr().out
    for heading in (
        "1. POSITION LIFECYCLE",
        "2. STOP-LOSS",
        "3. TRAILING STOP",
        "4. WEBSOCKET HEALTH",
        "5. EXCHANGE DISTRIBUTION",
        "6. ERRORS",
        "7. TIMING",
    ):
        assert heading in text
    assert "bybit: 1 entries, 1 errors" in text
    assert "x ERROR    Failed to set Bybit Stop Loss: bybit {<str>:<n>,<str>:<str>}" in text
    assert "reconnects 1" in text


def test_logs_json_to_a_file(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(BOT_LOG, encoding="utf-8")
    out = tmp_path / "analysis.json"
    assert (
        main(["logs", str(log), "--json", "--output", str(out), "--since", "2025-10-15T02:40:22"])
        == 0
    )
    data = json.loads(out.read_text())
    assert data["position_lifecycle"]["opened"] == 1
    assert data["websocket"]["reconnects"] == 1
    assert data["errors"]["types"]["ccxt.base.errors.ExchangeError"] == 1
    assert data["errors"]["shapes"][0]["count"] == 1
    assert set(data) >= {"stop_loss", "trailing_stop", "exchanges", "timing", "samples"}


def test_logs_missing_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", str(tmp_path / "nope.log")]) == 2
    assert "no such log file" in capsys.readouterr().err


def test_simulate_writes_rows_and_log(tmp_path: Path, database: str) -> None:
    log = tmp_path / "bot.log"
    done = botaudit(
        "simulate",
        "--dsn",
        database,
        "--log",
        str(log),
        "--duration",
        "1s",
        "--scenario",
        "faulty",
        "--speed",
        "3",
    )
    assert done.returncode == 0, done.stderr
    assert "simulated faulty bot for 1s" in done.stdout

    async def count() -> int:
        connection = await asyncpg.connect(database)
        try:
            return int(await connection.fetchval("SELECT count(*) FROM monitoring.events"))
        finally:
            await connection.close()

    assert asyncio.run(count()) > 10
    assert "opened ATOMICALLY" in log.read_text()


def test_simulate_rejects_a_bad_duration() -> None:
    done = botaudit("simulate", "--log", "x.log", "--duration", "8x")
    assert done.returncode == 2
    assert "invalid duration '8x'" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "code"), [("faulty", 1), ("healthy", 0)])
def test_demo_leaves_a_report_and_gates(tmp_path: Path, scenario: str, code: int) -> None:
    done = botaudit("demo", "--duration", "6s", "--scenario", scenario, "--out", str(tmp_path))
    assert done.returncode == code, done.stdout + done.stderr
    assert f"botaudit demo: report {tmp_path / 'audit.html'}" in done.stdout
    assert "initdb took" not in done.stdout + done.stderr
    suite = ET.parse(tmp_path / "audit.xml").getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("tests", 0)) == 33
    assert (int(suite.get("failures", 0)) > 0) is (scenario == "faulty")
    assert (tmp_path / "audit.html").stat().st_size > 10_000


def test_checks_dir_points_at_the_audit_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks-dir"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert (folder / "test_good_indicators.py").is_file()
