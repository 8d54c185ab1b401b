"""The plugin end to end: real pytest runs (pytester) of audit_checks/ against a simulated bot."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.exitcodes import AuditExit

from ..conftest import REPO, reader
from ..helpers import audit_command, html_rows, outcomes_by_test, suite_properties, wait_for

PASSWORD = "Sup3r-s3cret"
FAULTY_FAILS = {
    "TestMonitoring::test_zero_critical_alerts",
    "TestPositions::test_all_positions_have_stop_loss",
    "TestPositions::test_no_emergency_closes",
    "TestMonitoring::test_multiple_critical_alerts",
    "TestPositions::test_positions_without_stop_loss",
    "TestPositions::test_emergency_closes",
    "TestStability::test_frequent_websocket_reconnects",
    "TestStability::test_high_api_errors",
}
FAULTY_WARNS = {
    "TestStability::test_few_websocket_reconnects",
    "TestStability::test_few_api_errors",
}


def with_password(dsn: str) -> str:
    """The same DSN with a password (the test server trusts everyone, so it is ignored)."""
    return dsn.replace("postgres@", f"postgres:{PASSWORD}@", 1)


class _Bot:
    def __init__(self, dsn: str, log: Path, duration: float, scenario: str) -> None:
        self.simulator = BotSimulator(dsn, log, duration, scenario, seed=11)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.simulator.run()))

    def __enter__(self) -> _Bot:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.simulator.stop()
        self.thread.join(timeout=30)


def run_live_audit(
    pytester: pytest.Pytester,
    checks: Path,
    dsn: str,
    scenario: str,
    duration: float = 5.0,
    interval: float = 0.25,
    *extra: str,
) -> pytest.RunResult:
    """Start the audit (as the SELECT-only role), wait until its collection has begun, then
    play the bot into it, so every injected fault lands inside the audit window however slow
    pytest starts."""
    out = pytester.path
    log = out / "bot.log"
    log.write_text("2025-10-15 02:40:20,001 - __main__ - INFO - 🚀 Starting trading bot\n")
    started = time.monotonic()
    command = audit_command(checks, reader(dsn), out, duration, interval, *extra)
    with subprocess.Popen(
        command, cwd=out, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        wait_for(
            lambda: any(out.glob("*/monitoring_snapshots_*.jsonl")) or process.poll() is not None,
            60,
            "the collection to start",
        )
        with _Bot(dsn, log, duration * 0.8, scenario):
            stdout, stderr = process.communicate(timeout=120)
    return pytest.RunResult(
        process.returncode, stdout.splitlines(), stderr.splitlines(), time.monotonic() - started
    )


@pytest.mark.slow
def test_faulty_bot_fails_exactly_the_injected_checks(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    dsn = with_password(database)
    result = run_live_audit(pytester, checks_dir, dsn, "faulty")
    assert result.ret == 1, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == len(FAULTY_FAILS)
    assert outcomes["passed"] == 35 - len(FAULTY_FAILS)  # a WARN passes (not --audit-strict)
    assert "warned" not in outcomes  # pytest's own outcomes only: the JUnit's and HTML's
    xml = outcomes_by_test(pytester.path / "audit.xml")
    failed = {name for name, props in xml.items() if props["outcome"] == "failed"}
    assert {
        name.split("::", 1)[1] if name.count("::") > 1 else name for name in failed
    } == FAULTY_FAILS
    warned = {name for name, props in xml.items() if props.get("verdict") == "WARN"}
    assert warned == FAULTY_WARNS
    # a WARN passes, so it has no <failure>: its property says why
    assert all(xml[n]["message"].startswith("WARN: ") for n in warned)
    unprotected = xml["TestPositions::test_all_positions_have_stop_loss"]
    assert unprotected.pop("message").startswith("FAIL: positions without stop-loss = 2")
    assert unprotected | {"outcome": ""} == {
        "metric": "unprotected_positions",
        "title": "positions without stop-loss",
        "direction": "lower_is_better",
        "verdict": "FAIL",
        "value": "2",
        "unit": "positions",
        "good_threshold": "<= 0",
        "warning_threshold": "> 0",
        "margin": "-2",
        "kind": "good_indicator",
        "outcome": "",
    }
    result.stdout.fnmatch_lines(
        [
            "*botaudit: CRITICAL incident opened: ? position* without SL*",
            "*FAIL: positions without stop-loss = 2 positions*",
            "*evidence: ticks *-* (*-*): 2 (*USDT@*, *USDT@*)",  # one run of ticks, its positions
            "*evidence: *WITHOUT STOP LOSS* (×*, first at *bot.log:*)",  # grouped
            "*FAIL: WebSocket reconnects = 2? reconnects: warning sign present (> 20*",
            "FAIL     CRITICAL  positions without stop-loss: 2 positions*",
        ]
    )
    # the session's last line is the audit's state and its problems, one per metric
    assert result.stdout.lines[-1].startswith(
        "botaudit: RED: 5 problems (3 critical, 2 high). Do not deploy."
    ), result.stdout.lines[-3:]
    rows = html_rows(pytester.path / "audit.html")
    row = rows["TestPositions::test_all_positions_have_stop_loss"]
    assert (row["result"], row["verdict"], row["value"]) == ("Failed", "FAIL", "2 positions")
    assert "WITHOUT STOP LOSS" in row["log"]  # a failure's evidence is in its failure text
    warned_row = rows["TestStability::test_few_api_errors"]
    assert warned_row["verdict"] == "WARN"
    assert "Failed to set Bybit Stop Loss" in warned_row["extras"]  # a pass shows it as extras
    page = (pytester.path / "audit.html").read_text()
    assert re.search(
        r'class="botaudit-band" data-state="RED".*>5 problems \(3 critical, 2 high\)<', page
    )
    assert '<h1 id="title">Trading bot audit</h1>' in page
    # the password appears nowhere: terminal, JUnit, HTML, JSON, the run folder's reports
    assert PASSWORD not in result.stdout.str() + result.stderr.str()
    artifacts = [
        path
        for path in pytester.path.rglob("*")
        if path.suffix in {".xml", ".html", ".json", ".jsonl", ".md", ".txt"}
    ]
    assert any(path.name == "audit_report.md" for path in artifacts)
    for artifact in artifacts:
        assert PASSWORD not in artifact.read_text(), artifact


@pytest.mark.slow
def test_healthy_bot_passes_every_check(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    result = run_live_audit(pytester, checks_dir, database, "healthy")
    assert result.ret == 0, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 35  # and the vocabulary check, skipped: no bot source given
    assert outcomes["skipped"] == 1
    assert result.stdout.lines[-1].startswith("botaudit: GREEN: 0 problems."), result.stdout.lines
    result.stdout.fnmatch_lines(["PASS * 16 metrics within their limits*"])
    cases = outcomes_by_test(pytester.path / "audit.xml")
    skipped = {name for name, props in cases.items() if props["outcome"] == "skipped"}
    assert skipped == {"test_preflight::test_profile_knows_the_bots_words"}
    assert {p["verdict"] for n, p in cases.items() if n not in skipped} == {"PASS"}
    rows = html_rows(pytester.path / "audit.html")
    assert len(rows) == 36
    assert {row["verdict"] for name, row in rows.items() if "bots_words" not in name} == {"PASS"}
    assert 'class="botaudit-band" data-state="GREEN"' in (pytester.path / "audit.html").read_text()
    row = rows["TestStability::test_few_websocket_reconnects"]
    assert row["value"] == "1 reconnect"  # in the words of every other output
    assert row["thresholds"] == "good < 5, warning > 20"


@pytest.mark.slow
def test_ctrl_c_keeps_the_data_and_still_judges(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    out = pytester.path
    (out / "bot.log").write_text("2025-10-15 02:40:20,001 - __main__ - INFO - bot started\n")
    command = audit_command(checks_dir, database, out, 120, 0.2)
    with subprocess.Popen(
        command, cwd=out, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:

        def snapshot_lines() -> int:
            files = list(out.glob("*/monitoring_snapshots_*.jsonl"))
            return len(files[0].read_text().splitlines()) if files else 0

        wait_for(lambda: snapshot_lines() >= 4, 60, "three snapshots")
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=60)
    assert re.search(r"botaudit: \d+/600 snapshots \(interrupted\)", stdout), stdout
    xml = outcomes_by_test(out / "audit.xml")
    assert xml["TestMonitoring::test_all_expected_snapshots_collected"]["verdict"] == "WARN"
    assert xml["TestMonitoring::test_missing_snapshots"]["verdict"] == "FAIL"
    [summary] = out.glob("*/monitoring_report_*.json")
    assert '"stop_reason": "interrupted"' in summary.read_text()
    # CI tells an audit that could not finish from a RED bot
    assert '"audit_status": "interrupted"' in summary.read_text()


def test_plugin_is_inert_for_other_projects(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a connection attempt would fail loudly against this host
    monkeypatch.setenv("PGHOST", "/nonexistent-socket-dir")
    monkeypatch.delenv("BOTAUDIT_DSN", raising=False)
    pytester.makepyfile("def test_unrelated():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "botaudit:" not in result.stdout.str()


def test_another_projects_session_loads_neither_matplotlib_nor_numpy(
    pytester: pytest.Pytester,
) -> None:
    # installed, the plugin (and its pytest-html hooks) loads in every pytest session of the
    # environment: matplotlib and numpy (~0.3 s) load only when an audit draws a chart or
    # scans a log
    pytester.makepyfile(
        "import sys\n"
        "def test_unrelated():\n"
        "    assert 'pytest_botaudit.plugin' in sys.modules\n"
        "    heavy = {m.partition('.')[0] for m in sys.modules} & {'matplotlib', 'numpy'}\n"
        "    assert heavy == set()\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_unreachable_database_is_not_run_with_a_junit_that_says_so(
    pytester: pytest.Pytester, checks_dir: Path
) -> None:
    """Reachability is a pre-flight check: the JUnit and HTML carry its failure and the
    audit's NOT RUN state, and the exit code is NOT RUN's (a CI job reading the JUnit never
    sees a clean run); the password appears nowhere."""
    (pytester.path / "bot.log").write_text("")
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\n")
    dsn = f"postgresql://bot:{PASSWORD}@127.0.0.1:9/fox_crypto"
    result = pytester.runpytest_subprocess(
        str(checks_dir),
        f"--audit-dsn={dsn}",
        f"--audit-log={pytester.path / 'bot.log'}",
        "--audit-duration=5s",
        "--audit-interval=1s",
        f"--junitxml={pytester.path / 'audit.xml'}",
        f"--html={pytester.path / 'audit.html'}",
    )
    assert result.ret == AuditExit.NOT_RUN, result.stdout.str()
    xml = outcomes_by_test(pytester.path / "audit.xml")
    reachable = xml["test_preflight::test_database_is_reachable"]
    assert (reachable["outcome"], reachable["verdict"]) == ("failed", "FAIL")
    assert "cannot connect to postgresql://bot:***@127.0.0.1:9/fox_crypto" in reachable["message"]
    suite = suite_properties(pytester.path / "audit.xml")
    assert (suite["audit_status"], suite["overall"]) == ("preflight_failed", "NOT RUN")
    assert not any("test_good_indicators" in name for name in xml)  # nothing was judged
    assert result.stdout.lines[-1].startswith("botaudit: NOT RUN: the audit did not judge")
    assert 'data-state="NOT RUN"' in (pytester.path / "audit.html").read_text()
    everything = result.stdout.str() + result.stderr.str()
    everything += (pytester.path / "audit.xml").read_text()
    everything += (pytester.path / "audit.html").read_text()
    assert PASSWORD not in everything
    assert "Traceback" not in result.stderr.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--audit-duration=8x"], "ERROR: --audit-duration (command line): invalid value '8x' *"),
        (
            ["--audit-interval=2h", "--audit-duration=1h"],
            "ERROR: --audit-interval (command line): interval 2h is longer than *",
        ),
    ],
)
def test_bad_options_are_one_line_usage_errors(
    pytester: pytest.Pytester, checks_dir: Path, args: list[str], message: str
) -> None:
    result = pytester.runpytest_subprocess(str(checks_dir), *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_missing_log_file_is_a_usage_error(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    result = pytester.runpytest_subprocess(
        str(checks_dir), f"--audit-dsn={database}", "--audit-log=missing/bot.log"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --audit-log (command line): log file 'missing/bot.log' does not exist"]
    )


def test_bad_threshold_in_pyproject_names_key_and_value(
    pytester: pytest.Pytester, checks_dir: Path
) -> None:
    pytester.makefile(
        ".toml", pyproject="[tool.botaudit.thresholds.ws_reconnects]\ngood = 'five'\n"
    )
    result = pytester.runpytest_subprocess(str(checks_dir))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [line] = [ln for ln in result.stderr.lines if ln.strip()]
    assert line.startswith("ERROR: ")
    assert line.endswith(
        "pyproject.toml [tool.botaudit] thresholds.ws_reconnects.good: "
        "expected a number, got 'five'"
    )


def test_collect_only_reads_like_the_seed(pytester: pytest.Pytester, checks_dir: Path) -> None:
    result = pytester.runpytest_subprocess(str(checks_dir), "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "*test_preflight.py::test_database_is_reachable",
            "*test_good_indicators.py::TestPositions::test_all_positions_have_stop_loss",
            "*test_good_indicators.py::TestStability::test_few_websocket_reconnects",
            "*test_warning_signs.py::TestStability::test_frequent_websocket_reconnects",
            "*36 tests collected*",
        ]
    )
    critical = pytester.runpytest_subprocess(
        str(checks_dir), "--collect-only", "-q", "-m", "critical"
    )
    # -m selects the critical checks, and pre-flight runs whatever -m says: an audit without
    # its read-only and testnet checks is not an audit
    critical.stdout.fnmatch_lines(
        [
            "botaudit: pre-flight always runs: 9 pre-flight check(s) kept although -m "
            "deselected them",
            "*test_preflight.py::test_bot_runs_on_testnet",
            "*15/36 tests collected (21 deselected)*",
        ]
    )
    # ... only a deselection by name leaves a pre-flight check out, and the terminal says so
    by_name = pytester.runpytest_subprocess(
        str(checks_dir), "--collect-only", "-q", "-m", "critical", "-k", "not testnet"
    )
    by_name.stdout.fnmatch_lines(
        [
            "botaudit: WARNING: pre-flight checks deselected by name, the audit runs without "
            "them: test_bot_runs_on_testnet",
            "*14/36 tests collected (22 deselected)*",
        ]
    )
    assert not any(line.endswith("::test_bot_runs_on_testnet") for line in by_name.stdout.lines)


def test_markers_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.good_indicator: *",
            "@pytest.mark.warning_sign: *",
            "@pytest.mark.critical: *",
            "@pytest.mark.preflight: *",
        ]
    )


def test_report_header_shows_settings_with_password_hidden(
    pytester: pytest.Pytester, checks_dir: Path
) -> None:
    dsn = f"postgresql://bot:{PASSWORD}@db.example/fox_crypto"
    result = pytester.runpytest_subprocess(
        str(checks_dir),
        "--collect-only",
        "-q",
        f"--audit-dsn={dsn}",
        "--audit-duration=90m",
        "--audit-strict",
        "-v",
    )
    result.stdout.fnmatch_lines(
        [
            "botaudit: mode live, duration 1h30m (90 snapshots), interval 1m, strict True*",
            "botaudit: dsn postgresql://bot:***@db.example/fox_crypto*",
        ]
    )
    assert PASSWORD not in result.stdout.str()


@pytest.mark.parametrize("source", ["BOTAUDIT_DSN", "PG*"])
def test_connection_from_environment(
    pytester: pytest.Pytester,
    checks_dir: Path,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    parts = urllib.parse.urlsplit(database)
    query = dict(urllib.parse.parse_qsl(parts.query))
    if source == "BOTAUDIT_DSN":
        monkeypatch.setenv("BOTAUDIT_DSN", database)
    else:  # libpq's own variables, read by asyncpg
        monkeypatch.setenv("PGHOST", query["host"])
        monkeypatch.setenv("PGPORT", query["port"])
        monkeypatch.setenv("PGUSER", parts.username or "")
        monkeypatch.setenv("PGDATABASE", parts.path.lstrip("/"))
    result = pytester.runpytest_subprocess(
        str(checks_dir / "test_preflight.py"), "-k", "database or tables", "-v"
    )
    result.assert_outcomes(passed=2, deselected=7)
    expected = "(libpq PG* environment)" if source == "PG*" else "postgresql://postgres@/t_*"
    result.stdout.fnmatch_lines([f"botaudit: dsn {expected}*"])


def _write_audit_module(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(test_custom_audit=body)
    (pytester.path / "bot.log").write_text("2025-10-15 02:40:20,001 - m - INFO - started\n")


def test_strict_turns_warn_into_failure_and_no_data_is_not_a_pass(
    pytester: pytest.Pytester, database: str
) -> None:
    _write_audit_module(
        pytester,
        """
def test_reasonable_aged_position_count(audit_check):
    audit_check.good_indicator("aged_positions")

def test_few_api_errors(audit_check):
    audit_check.good_indicator("api_errors")
""",
    )
    pytester.makefile(".toml", pyproject="[tool.botaudit.thresholds.aged_positions]\ngood = 0\n")
    common = [
        f"--audit-dsn={database}",
        f"--audit-log={pytester.path / 'bot.log'}",
        "--audit-duration=0.4s",
        "--audit-interval=0.2s",
        f"--audit-out={pytester.path}",
    ]
    lenient = pytester.runpytest_subprocess(*common)
    # 0 aged positions misses "good < 0": WARN passes. api_errors: no exchange_error rows ever
    # and a log with no record in the window, so no live source: NO-DATA fails with its reason
    assert lenient.parseoutcomes() == {"passed": 1, "failed": 1}  # pytest's words
    # in pytest's failures and short summary too, under the verdict's word
    lenient.stdout.fnmatch_lines(
        ["test_custom_audit.py WN*", "NO-DATA *test_few_api_errors - Failed: NO-DATA: API*"]
    )
    assert lenient.ret == AuditExit.YELLOW_FAILING
    assert (
        "NO-DATA: API errors: event types ['exchange_error', 'stop_loss_error', "
        "'trailing_stop_sl_update_failed'] never occur in monitoring.events; the bot log has "
        "no records in the audit window"
    ) in lenient.stdout.str()
    strict = pytester.runpytest_subprocess(*common, "--audit-strict", "--audit-allow-no-data")
    strict.assert_outcomes(failed=1, skipped=1)
    strict.stdout.fnmatch_lines(
        ["*WARN: aged positions = 0 positions misses the good indicator < 0*(--audit-strict)*"]
    )
    assert strict.ret == AuditExit.YELLOW_FAILING
    allowed = pytester.runpytest_subprocess(*common, "--audit-allow-no-data")
    allowed.assert_outcomes(passed=1, skipped=1)
    assert allowed.ret == AuditExit.GREEN  # YELLOW, and the settings let it pass


def test_failed_preflight_stops_the_audit_before_collecting(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    (pytester.path / "bot.log").write_text("2025-10-15 02:40:20,001 - m - INFO - started\n")
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=false\n")
    result = pytester.runpytest_subprocess(
        str(checks_dir),
        f"--audit-dsn={database}",
        f"--audit-log={pytester.path / 'bot.log'}",
        f"--audit-env-file={pytester.path / '.env'}",
        "--audit-duration=1h",
        f"--audit-out={pytester.path}",
        timeout=120,  # an hour-long collection that started would hang here: a failure
    )
    assert result.ret == AuditExit.NOT_RUN
    assert ": collecting for" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "botaudit: pre-flight failed, the audit did not start: test_bot_runs_on_testnet*",
            "FAIL: the bot may trade on a live exchange*BYBIT_TESTNET='false' is not true*",
        ]
    )
    # every check the pre-flight stopped is in the JUnit, skipped as NOT RUN
    result.assert_outcomes(failed=1, passed=7, skipped=28)
    result.stdout.fnmatch_lines(["NOT RUN * a pre-flight check failed (below)*"])
    assert result.stdout.lines[-1].startswith("botaudit: NOT RUN: the audit did not judge")
    assert not list(pytester.path.glob("*/monitoring_snapshots_*.jsonl"))


def test_a_bad_threshold_in_a_profile_names_the_profile_file(
    pytester: pytest.Pytester, checks_dir: Path
) -> None:
    profile = (REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml").read_text()
    profile += "\n[thresholds.aged_positions]\ngood = 'many'\n"
    (pytester.path / "profile.toml").write_text(profile)
    result = pytester.runpytest_subprocess(
        str(checks_dir), "--collect-only", f"--audit-profile={pytester.path / 'profile.toml'}"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        f"profile {pytester.path / 'profile.toml'} thresholds.aged_positions.good: "
        "expected a number, got 'many'"
    ) in result.stderr.str()


async def _execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def test_a_schema_renamed_in_the_profile_is_where_the_audit_reads(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    """The bot's tables under another schema: the profile's name reaches the pre-flight and
    every tick's queries; the default profile, looking in monitoring, finds nothing there."""
    asyncio.run(_execute(database, "ALTER SCHEMA monitoring RENAME TO bot_schema"))
    default = (REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml").read_text()
    renamed = default.replace('schema = "monitoring"', 'schema = "bot_schema"')
    assert renamed != default
    (pytester.path / "profile.toml").write_text(renamed)
    _write_audit_module(
        pytester,
        """
def test_every_tick_read_the_renamed_schema(audit):
    assert [g.reason for g in audit.collection.gaps] == []
    assert len(audit.collection.snapshots) == 2
""",
    )
    preflight = [str(checks_dir / "test_preflight.py"), f"--audit-dsn={database}", "-k", "tables"]
    live = [
        "test_custom_audit.py",
        f"--audit-dsn={database}",
        f"--audit-log={pytester.path / 'bot.log'}",
        "--audit-duration=0.4s",
        "--audit-interval=0.2s",
        f"--audit-out={pytester.path / 'out'}",
    ]
    profile = f"--audit-profile={pytester.path / 'profile.toml'}"
    xml = pytester.path / "preflight.xml"
    found = pytester.runpytest_subprocess(*preflight, profile, f"--junitxml={xml}")
    found.assert_outcomes(passed=1, deselected=8)
    [tables] = outcomes_by_test(xml).values()
    assert tables["message"].startswith(
        "PASS: every table and column of the profile exists (bot_schema.positions, "
    )
    pytester.runpytest_subprocess(*live, profile).assert_outcomes(passed=1)
    # the same database through the default profile: nothing where it looks
    missing = pytester.runpytest_subprocess(*preflight)
    missing.assert_outcomes(failed=1, deselected=8)
    missing.stdout.fnmatch_lines(["*FAIL: the profile needs what the database lacks: *"])
    nowhere = pytester.runpytest_subprocess(*live)
    nowhere.assert_outcomes(errors=1)
    nowhere.stdout.fnmatch_lines(['*relation "monitoring.events" does not exist*'])


def test_custom_check_reads_the_collected_audit(pytester: pytest.Pytester, database: str) -> None:
    _write_audit_module(
        pytester,
        """
def test_snapshots_and_log_are_there(audit):
    assert len(audit.collection.snapshots) == 2
    assert audit.log is not None and audit.log.read.files
    assert audit.collection.summary_path.exists()
""",
    )
    result = pytester.runpytest_subprocess(
        f"--audit-dsn={database}",
        f"--audit-log={pytester.path / 'bot.log'}",
        "--audit-duration=0.4s",
        "--audit-interval=0.2s",
        f"--audit-out={pytester.path}",
    )
    result.assert_outcomes(passed=1)
