"""Window, resume and signals end to end: real pytest runs of audit_checks/ in a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.record.folder import AuditDir

from ..conftest import REPO
from ..helpers import audit_command, outcomes_by_test, reading, wait_for


def test_replay_of_the_legacy_run_as_an_audit(
    pytester: pytest.Pytester, legacy_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGHOST", "/nonexistent")  # a replay must not need any database
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    snapshots = f"--audit-snapshots={legacy_run / 'monitoring_snapshots_20251018.jsonl'}"
    refused = pytester.runpytest_subprocess("audit_checks", snapshots)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert "holds 7 audits; name one with --audit-run ID|latest|all" in refused.stderr.str()
    result = pytester.runpytest_subprocess(
        "audit_checks",
        snapshots,
        "--audit-run=all",
        f"--audit-out={pytester.path / 'out'}",
        f"--junitxml={pytester.path / 'j.xml'}",
        "--audit-allow-no-data",
    )
    verdicts = {
        name.split("::")[-1]: props.get("verdict", props["outcome"])
        for name, props in outcomes_by_test(pytester.path / "j.xml").items()
    }
    day = "[20251018T070625Z]"  # the run of the legacy report 07:06-14:59
    assert verdicts[f"test_all_positions_have_stop_loss{day}"] == "FAIL"
    assert verdicts[f"test_many_aged_positions{day}"] == "FAIL"
    assert verdicts[f"test_high_api_errors{day}"] == "FAIL"
    assert verdicts[f"test_missing_snapshots{day}"] == "PASS"  # no gap inside this run
    assert verdicts[f"test_no_emergency_closes{day}"] == "NO-DATA"
    assert verdicts[f"test_few_websocket_reconnects{day}"] == "NO-DATA"
    assert verdicts[f"test_zero_zombie_orders{day}"] == "NO-DATA"
    # the short first run of the day: a monitor restarted after one snapshot
    assert verdicts["test_all_positions_have_stop_loss[20251018T025352Z]"] == "PASS"
    # each of the 7 runs judged separately, in a folder of its own
    assert sum(name.startswith("test_missing_snapshots[") for name in verdicts) == 7
    assert len(AuditDir(pytester.path / "out").runs()) == 7
    assert verdicts["test_database_is_reachable"] == "skipped"
    assert result.ret == 1
    assert "event types ['zombie_cleaned'] never occur" in result.stdout.str()


def test_window_mode_judges_a_past_period_at_once(pytester: pytest.Pytester, database: str) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    log = pytester.path / "bot.log"
    asyncio.run(BotSimulator(database, log, 600, "faulty", seed=2).run(start, live=False))
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n")
    result = pytester.runpytest_subprocess(
        "audit_checks",
        f"--audit-dsn={database}",
        f"--audit-log={log}",
        f"--audit-since={start.isoformat()}",
        f"--audit-until={(start + timedelta(minutes=10)).isoformat()}",
        "--audit-interval=10s",
        f"--audit-out={pytester.path}",
        f"--audit-env-file={pytester.path / '.env'}",
        f"--junitxml={pytester.path / 'j.xml'}",
        timeout=120,  # ten minutes judged without waiting for them (a wait would hang here)
    )
    assert ": collecting for" not in result.stdout.str()
    xml = outcomes_by_test(pytester.path / "j.xml")
    failed = {name.split("::")[-1] for name, props in xml.items() if props["outcome"] == "failed"}
    assert failed == {
        "test_zero_critical_alerts",
        "test_all_positions_have_stop_loss",
        "test_no_emergency_closes",
        "test_multiple_critical_alerts",
        "test_positions_without_stop_loss",
        "test_emergency_closes",
        "test_frequent_websocket_reconnects",
        "test_high_api_errors",
    }
    assert xml["TestMonitoring::test_all_expected_snapshots_collected"]["value"] == "100"
    result.stdout.fnmatch_lines(["*botaudit: 60/60 snapshots (completed), 0 gaps*"])


def _live_audit(
    pytester: pytest.Pytester, database: str, duration: float
) -> tuple[Path, list[str]]:
    """A directory ready for a live audit of ``duration`` seconds at 0.2 s, and its command."""
    out = pytester.path
    shutil.copytree(REPO / "audit_checks", out / "audit_checks")
    (out / "bot.log").write_text("2025-10-15 02:40:20,001 - m - INFO - started\n")
    (out / ".env").write_text("BINANCE_TESTNET=true\n")
    return out, audit_command(out / "audit_checks", database, out, duration, 0.2)


def _run(command: list[str], *extra: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *extra], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _snapshot_lines(out: Path) -> list[dict[str, Any]]:
    files = list(out.glob("*/monitoring_snapshots_*.jsonl"))
    if not files:
        return []
    lines = []
    for line in files[0].read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # the line in flight at a kill
            lines.append(json.loads(line))
    return lines


@pytest.mark.slow
def test_killed_audit_resumes_and_judges_the_whole_run(
    pytester: pytest.Pytester, database: str
) -> None:
    out, command = _live_audit(pytester, database, duration=4)
    with subprocess.Popen(
        command, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as first:
        wait_for(
            lambda: sum("tick" in x for x in _snapshot_lines(out)) >= 5 or first.poll() is not None,
            60,
            "5 ticks",
        )
        assert first.poll() is None, "the audit ended before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait()
    kept = [x["tick"] for x in _snapshot_lines(out) if "tick" in x]
    resumed = _run(command, "--audit-resume", cwd=out)
    assert "botaudit: resuming run " in resumed.stdout, resumed.stdout
    records = _snapshot_lines(out)
    ticks = sorted(x["tick"] for x in records if "tick" in x)
    assert ticks == list(range(1, 21))  # every tick: a snapshot or a gap, none twice
    assert set(kept) <= set(ticks)
    gaps = [x for x in records if x.get("gap")]
    assert all("no audit process was running" in str(g["reason"]) for g in gaps)
    [summary_file] = out.glob("*/monitoring_report_*.json")
    summary = json.loads(summary_file.read_text())
    assert summary["snapshots_collected"] + len(summary["gaps"]) == 20
    assert summary["monitoring_start"] == records[0]["audit"]["started_at"]
    again = _run(command, "--audit-resume", cwd=out)
    # nothing to resume is a usage error before any waiting, not a failing audit
    assert again.returncode == pytest.ExitCode.USAGE_ERROR
    assert "no unfinished audit" in again.stderr
    named = _run(command, "--audit-resume", "--audit-run=latest", cwd=out)
    assert named.returncode == pytest.ExitCode.USAGE_ERROR
    assert "already ended" in named.stderr


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_collection_and_keeps_everything(
    pytester: pytest.Pytester, database: str, signum: int
) -> None:
    out, command = _live_audit(pytester, database, duration=120)
    with subprocess.Popen(command, cwd=out, stdout=subprocess.PIPE, text=True) as process:
        wait_for(
            lambda: (
                sum("tick" in x for x in _snapshot_lines(out)) >= 3 or process.poll() is not None
            ),
            60,
            "3 ticks",
        )
        assert process.poll() is None, "the audit ended before the signal"
        process.send_signal(signum)
        stdout, _ = process.communicate(timeout=60)
    assert "snapshots (interrupted)" in stdout
    assert (out / "audit.xml").exists()
    assert (out / "audit.html").exists()
    assert _snapshot_lines(out)[-1]["audit_end"]["stop_reason"] == "interrupted"


def _read_until(process: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    """Lines of the process's output up to the first that contains ``marker``."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} never came: {''.join(lines)}")


# slow-path lines (each is categorized): a big log takes seconds to read
_SLOW_LINE = (
    "2025-10-15 02:40:20,001 - core.position_manager - INFO - "
    "✅ Position #17 for SOLUSDT opened ATOMICALLY at $142.1\n"
)


@pytest.mark.slow
def test_ctrl_c_in_window_mode_keeps_and_judges_what_was_rebuilt(
    pytester: pytest.Pytester, database: str
) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    log = pytester.path / "bot.log"
    log.write_bytes(_SLOW_LINE.encode() * 800_000)  # ~100 MB: seconds of reading
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\n")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    command = [
        *audit_command(pytester.path / "audit_checks", database, pytester.path, 60, 1),
        f"--audit-since={start.isoformat()}",
        f"--audit-until={(start + timedelta(minutes=10)).isoformat()}",
    ]
    with subprocess.Popen(
        command, cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        _read_until(process, "botaudit: judging the window", 60)
        # inside the rebuild now: the audit is reading the 100 MB log
        wait_for(lambda: reading(process.pid, log), 60, "the audit to read the log")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    assert "snapshots (interrupted)" in stdout, stdout
    assert "= botaudit =" in stdout  # judged: the audit's section of the summary
    assert stdout.splitlines()[-1].startswith("botaudit: ")  # and its state, last
    assert "Traceback" not in stderr
    lines = _snapshot_lines(pytester.path)
    assert lines[0]["audit"]["mode"] == "window"
    assert lines[-1]["audit_end"]["stop_reason"] == "interrupted"
    [summary] = pytester.path.glob("*/monitoring_report_*.json")
    assert json.loads(summary.read_text())["stop_reason"] == "interrupted"


@pytest.mark.slow
def test_a_second_ctrl_c_while_finishing_ends_quietly_with_the_artifacts(
    pytester: pytest.Pytester, database: str
) -> None:
    out, command = _live_audit(pytester, database, duration=120)
    with (out / "bot.log").open("ab") as handle:  # a big log: the final analysis takes seconds
        handle.write(_SLOW_LINE.encode() * 800_000)
    with subprocess.Popen(
        command, cwd=out, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        _read_until(process, ": collecting for", 60)
        wait_for(lambda: sum("tick" in x for x in _snapshot_lines(out)) >= 2, 30, "2 ticks")
        process.send_signal(signal.SIGINT)
        _read_until(process, "snapshots (interrupted)", 60)
        process.send_signal(signal.SIGINT)  # while the log is being analysed
        stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == pytest.ExitCode.INTERRUPTED
    assert "interrupted while finishing the audit" in stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert _snapshot_lines(out)[-1]["audit_end"]["stop_reason"] == "interrupted"
    [summary] = out.glob("*/monitoring_report_*.json")
    assert json.loads(summary.read_text())["stop_reason"] == "interrupted"
