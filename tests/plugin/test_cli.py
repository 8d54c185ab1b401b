"""The botaudit command line: logs, simulate and the demo, run as a user would."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit import __version__
from pytest_botaudit.cli import main
from pytest_botaudit.exitcodes import MEANINGS, SHORT, AuditExit
from pytest_botaudit.record.folder import AuditDir

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
def test_two_demos_into_one_folder_leave_two_separate_runs(tmp_path: Path) -> None:
    done = {
        scenario: botaudit(
            "demo", "--duration", "8s", "--scenario", scenario, "--out", str(tmp_path)
        )
        for scenario in ("faulty", "healthy")
    }
    assert done["faulty"].returncode == 1, done["faulty"].stdout
    assert done["healthy"].returncode == 0, done["healthy"].stdout
    runs = AuditDir(tmp_path).runs()
    assert len(runs) == 2
    assert (tmp_path / "latest").read_text().strip() == runs[1].run_id
    for run, (scenario, result) in zip(runs, done.items(), strict=True):
        assert f"botaudit demo: report {run.path / 'audit.html'}" in result.stdout
        assert "initdb took" not in result.stdout + result.stderr
        suite = ET.parse(run.path / "audit.xml").getroot().find("testsuite")
        assert suite is not None
        assert int(suite.get("tests", 0)) == 36
        assert (int(suite.get("failures", 0)) > 0) is (scenario == "faulty")
        assert (run.path / "audit.html").stat().st_size > 10_000
        assert (run.path / "audit_report.md").is_file()
        [summary] = run.summary_files()  # one summary a run, none left from the other
        assert json.loads(summary.read_text())["audit_status"] == "completed"
        [snapshots] = run.snapshot_files()
        assert snapshots.read_text().count('"audit":') == 1  # one run in its file
    assert len(list((tmp_path / "logs").glob("bot-*.log"))) == 2  # each demo a fresh log
    # the healthy rerun fixes what the faulty run broke, and compare says so from the folders
    # (eight-second demos: latencies swing, and that is noise, not worse)
    fixed = botaudit("compare", str(runs[0].path), str(runs[1].path))
    assert fixed.returncode == 0, fixed.stdout
    assert fixed.stdout.splitlines()[0] == "RED → GREEN: better"
    assert "worse (0):" in fixed.stdout
    assert "positions without stop-loss: 2 positions → 0 positions: verdict FAIL → PASS" in (
        fixed.stdout
    )
    broken = botaudit("compare", str(runs[1].path / "audit.xml"), str(runs[0].path / "audit.xml"))
    assert broken.returncode == 1


def test_checks_dir_points_at_the_audit_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks-dir"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert (folder / "test_good_indicators.py").is_file()


def test_version_names_the_installed_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"pytest-botaudit {__version__}"


def test_help_shows_examples_and_every_exit_code_without_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "``" not in text  # plain text, not RST
    assert "examples:" in text
    assert "botaudit demo" in text
    for code, meaning in MEANINGS.items():
        assert f"  {int(code)}  {meaning}" in text


def test_pytest_help_names_the_audit_exit_codes(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    text = " ".join(result.stdout.str().split())
    assert " ".join(SHORT.split()) in text
    for code in (AuditExit.RED, AuditExit.YELLOW_FAILING, AuditExit.NOT_RUN, AuditExit.REGRESSION):
        assert f" {int(code)} " in SHORT


def test_analyze_refuses_a_window_that_has_not_ended(capsys: pytest.CaptureFixture[str]) -> None:
    # refused before any connection: the DSN names no server
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    dsn = "postgresql://nobody@/none?host=/nonexistent"
    assert main(["analyze", "--dsn", dsn, "--until", later]) == 2
    err = capsys.readouterr().err
    assert f"--until {later} has not happened yet" in err
    assert len(err.strip().splitlines()) == 1
