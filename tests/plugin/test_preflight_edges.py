"""Pre-flight at its edges: a bot .env that is missing, holds no flag or holds an exchange's
keys without its flag, a log not written for more than 15 minutes, a disk almost full, a
damaged rotated log and no log at all; the first ones stop the audit before any collection,
the last two are warnings the audit goes on with."""

from __future__ import annotations

import gzip
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_botaudit.judging import preflight
from pytest_botaudit.judging.verdicts import Verdict

from ..helpers import outcomes_by_test, unavailable

LOG_LINE = "2025-10-15 02:40:20,001 - m - INFO - started\n"
TESTNET = "BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test (as root): a disk with far less than 500 MB free."""
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        unavailable("mounting a small tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        unavailable(f"mounting a small tmpfs was refused: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "--lazy", str(mountpoint)], check=True)


def _log(path: Path, age_seconds: float = 0.0) -> Path:
    path.write_text(LOG_LINE)
    if age_seconds:
        stamp = time.time() - age_seconds
        os.utime(path, (stamp, stamp))
    return path


# -- the checks themselves ------------------------------------------------------------------


def test_a_log_not_written_for_over_15_minutes_fails_a_live_audit(tmp_path: Path) -> None:
    log = _log(tmp_path / "bot.log")
    written = log.stat().st_mtime
    stale = preflight.log_files([log], now=written + 16 * 60)
    assert stale.verdict is Verdict.FAIL
    assert stale.message == f"FAIL: {log}: not written for 16 min"
    fresh = preflight.log_files([log], now=written + 14 * 60)
    assert fresh.verdict is Verdict.PASS
    assert fresh.message == "PASS: 1 log file(s) readable and written in the last 15 min"
    # a past window's log is not written any more: no freshness asked (window and replay)
    assert preflight.log_files([log], None, now=written + 10 * 3600).verdict is Verdict.PASS


def test_a_damaged_rotated_log_is_a_warning_naming_it(tmp_path: Path) -> None:
    log = _log(tmp_path / "bot.log")
    with gzip.open(tmp_path / "x.gz", "wt") as handle:
        handle.writelines(LOG_LINE for _ in range(500))
    whole = (tmp_path / "x.gz").read_bytes()
    (tmp_path / "bot.log.1.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "bot.log.2.gz").write_bytes(whole)  # a whole one is no warning
    result = preflight.log_files([log])
    assert result.verdict is Verdict.WARN
    assert result.message == "WARN: 1 rotated log file(s) damaged; read up to the damage"
    [damaged] = [e for e in result.evidence if ": damaged at byte " in e]
    assert damaged.startswith(f"{tmp_path / 'bot.log.1.gz'}: damaged at byte {len(whole) // 2:,}")


def test_no_log_is_a_warning_that_names_what_follows() -> None:
    result = preflight.log_files([])
    assert result.verdict is Verdict.WARN
    assert "no bot log given (--audit-log)" in result.message
    assert "the checks that read the log will be NO-DATA" in result.message


def test_low_disk_space_fails_with_what_is_free(small_disk: Path) -> None:
    result = preflight.disk_space(small_disk / "out")  # not made yet: its disk is asked
    assert result.verdict is Verdict.FAIL
    assert result.message == f"FAIL: 4 MB free in {small_disk} (needs > 500 MB)"
    # the figure is the disk's: the same disk passes a threshold below what it has
    assert preflight.disk_space(small_disk, min_free_mb=3).verdict is Verdict.PASS


# -- in real runs: what stops the audit, what it goes on with -------------------------------


def _audit(
    pytester: pytest.Pytester, checks_dir: Path, database: str, *extra: str
) -> pytest.RunResult:
    """A live audit of 1 h: it ends at once when the pre-flight fails (a guard otherwise)."""
    return pytester.runpytest_subprocess(
        str(checks_dir),
        "-p",
        "no:cacheprovider",
        f"--audit-dsn={database}",
        "--audit-duration=1h",
        f"--junitxml={pytester.path / 'audit.xml'}",
        *extra,
        timeout=120,
    )


def _stopped(result: pytest.RunResult, pytester: pytest.Pytester, check: str) -> None:
    assert result.ret == 1
    result.stdout.fnmatch_lines([f"*pre-flight failed, the audit did not start: {check}*"])
    assert ": collecting for" not in result.stdout.str()
    assert not list(pytester.path.rglob("monitoring_snapshots_*.jsonl"))


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (None, "*NO-DATA: .env: no such file (--audit-env-file)*"),
        ("LOG_LEVEL=INFO\n", "*no *_TESTNET flag: the bot defaults to the live exchange*"),
        (
            "BINANCE_TESTNET=true\nBYBIT_API_KEY=sekrit-key-42\n",
            "*BYBIT_API_KEY is set but BYBIT_TESTNET is not: the bot defaults to the live*",
        ),
    ],
    ids=["no .env", "no flag", "keys without their flag"],
)
def test_a_bot_env_that_may_trade_live_stops_the_audit(
    pytester: pytest.Pytester, checks_dir: Path, database: str, env: str | None, said: str
) -> None:
    (pytester.path / ".env").unlink()  # the default --audit-env-file, in the working folder
    if env is not None:
        (pytester.path / ".env").write_text(env)
    log = _log(pytester.path / "bot.log")
    result = _audit(pytester, checks_dir, database, f"--audit-log={log}")
    _stopped(result, pytester, "test_bot_runs_on_testnet")
    result.stdout.fnmatch_lines([said])
    assert "sekrit" not in result.stdout.str() + result.stderr.str()
    verdict = outcomes_by_test(pytester.path / "audit.xml")[
        "test_preflight::test_bot_runs_on_testnet"
    ]
    assert verdict["verdict"] == ("NO-DATA" if env is None else "FAIL")


def test_a_log_silent_for_20_minutes_stops_a_live_audit(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    log = _log(pytester.path / "bot.log", age_seconds=20 * 60)
    result = _audit(pytester, checks_dir, database, f"--audit-log={log}")
    _stopped(result, pytester, "test_log_file_readable_and_recently_written")
    result.stdout.fnmatch_lines([f"*FAIL: {log}: not written for 20 min*"])


def test_a_nearly_full_disk_stops_the_audit(
    pytester: pytest.Pytester, checks_dir: Path, database: str, small_disk: Path
) -> None:
    log = _log(pytester.path / "bot.log")
    result = _audit(
        pytester, checks_dir, database, f"--audit-log={log}", f"--audit-out={small_disk}"
    )
    _stopped(result, pytester, "test_disk_space_above_500mb")
    result.stdout.fnmatch_lines([f"*FAIL: * MB free in {small_disk} (needs > 500 MB)*"])


@pytest.mark.parametrize("case", ["no log", "a damaged rotated log"])
def test_a_log_warning_lets_the_audit_go_on(
    pytester: pytest.Pytester, checks_dir: Path, database: str, case: str
) -> None:
    log = _log(pytester.path / "bot.log")
    whole = gzip.compress("".join(f"{LOG_LINE[:-1]} {n}\n" for n in range(500)).encode())
    (pytester.path / "bot.log.1.gz").write_bytes(whole[: len(whole) // 2])
    logs = [] if case == "no log" else [f"--audit-log={log}"]
    result = pytester.runpytest_subprocess(
        str(checks_dir),
        "-p",
        "no:cacheprovider",
        f"--audit-dsn={database}",
        "--audit-duration=0.4s",
        "--audit-interval=0.2s",
        f"--audit-out={pytester.path / 'out'}",
        f"--junitxml={pytester.path / 'audit.xml'}",
        *logs,
        timeout=120,
    )
    xml = outcomes_by_test(pytester.path / "audit.xml")
    check = xml["test_preflight::test_log_file_readable_and_recently_written"]
    assert (check["verdict"], check["outcome"]) == ("WARN", "passed")
    result.stdout.fnmatch_lines(["*: collecting for 0.4s every 0.2s*"])
    assert "pre-flight failed" not in result.stdout.str()
    reconnects = xml["TestStability::test_few_websocket_reconnects"]
    if case == "no log":
        result.stdout.fnmatch_lines(["*WARN: no bot log given (--audit-log)*"])
        assert reconnects["verdict"] == "NO-DATA"
        result.stdout.fnmatch_lines(["*NO-DATA: WebSocket reconnects*no bot log given*"])
    else:
        result.stdout.fnmatch_lines(["*WARN: 1 rotated log file(s) damaged*"])
