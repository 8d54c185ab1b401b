"""The session's contract: inert until asked, collection once and outside every test phase, an
error recorded once for every check, and a read-only database fixture for custom checks."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ..helpers import latest_run, outcomes_by_test

LOG_LINE = "2025-10-15 02:40:20,001 - m - INFO - started\n"
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def test_inert_for_a_project_without_audit_checks(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest-asyncio itself warns while its loop scope is unset: the project sets it (README)
    pytester.makeini(INI)
    monkeypatch.setenv("BOTAUDIT_DURATION", "bogus")
    monkeypatch.setenv("BOTAUDIT_INTERVAL", "0.001s")
    monkeypatch.setenv("PGHOST", "/nonexistent-socket-dir")
    pytester.makepyfile("def test_unrelated():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    output = result.stdout.str() + result.stderr.str()
    assert "botaudit:" not in output
    assert "BOTAUDIT_" not in output
    assert "warning" not in output.lower()


def test_a_bad_environment_setting_still_fails_an_audit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOTAUDIT_DURATION", "bogus")
    pytester.makepyfile("def test_check(audit_check):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: BOTAUDIT_DURATION (environment): invalid value 'bogus' for --audit-duration*"]
    )


def _two_checks(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_audit="""
def test_first(audit_check):
    audit_check.good_indicator("snapshot_gaps")

def test_second(audit_check):
    audit_check.warning_sign("snapshots_collected")
"""
    )
    (pytester.path / "bot.log").write_text(LOG_LINE)


def _live(pytester: pytest.Pytester, database: str, *extra: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        f"--audit-dsn={database}",
        f"--audit-log={pytester.path / 'bot.log'}",
        "--audit-duration=2s",
        "--audit-interval=0.25s",
        f"--audit-out={pytester.path}",
        f"--junitxml={pytester.path / 'audit.xml'}",
        *extra,
    )


# what the run folder holds as each check starts, just before its setup (where its JUnit and
# HTML duration begins): a collection done in any fixture or setup hook would come after this
_AT_START = """
import json
from pathlib import Path

HERE = Path(__file__).parent


def pytest_runtest_logstart(nodeid, location):
    files = sorted(HERE.glob("*/monitoring_snapshots_*.jsonl"))
    text = files[0].read_text() if files else ""
    seen = {"test": nodeid.split("::")[-1], "ticks": text.count('"gauges"')}
    seen["ended"] = '"audit_end"' in text
    with (HERE / "at_start.jsonl").open("a") as handle:
        handle.write(json.dumps(seen) + "\\n")
"""


def test_collection_is_outside_every_check_duration(
    pytester: pytest.Pytester, database: str
) -> None:
    _two_checks(pytester)
    pytester.makeconftest(_AT_START)
    result = _live(pytester, database)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["collection: * s (outside every check's duration)"])
    cases = list(ET.parse(pytester.path / "audit.xml").iter("testcase"))
    assert [case.get("name") for case in cases] == ["test_first", "test_second"]
    # before the first check started, the whole 2 s audit was collected and its run closed
    # (ticks and end line written): no check's duration holds the wait
    seen = [
        json.loads(line) for line in (pytester.path / "at_start.jsonl").read_text().splitlines()
    ]
    assert seen == [
        {"test": "test_first", "ticks": 8, "ended": True},
        {"test": "test_second", "ticks": 8, "ended": True},
    ]


def test_a_report_that_cannot_be_built_costs_neither_junit_nor_the_run(
    pytester: pytest.Pytester, database: str
) -> None:
    _two_checks(pytester)
    pytester.makeconftest(
        """
import pytest_botaudit.reporting.build as build

def boom(*args, **kwargs):
    raise RuntimeError("injected failure in the Markdown report")

build.render_audit_report = boom
"""
    )
    result = _live(pytester, database)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the checks passed; the report did not
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(
        ["*botaudit: the report could not be built: RuntimeError: injected failure*"]
    )
    cases = list(ET.parse(pytester.path / "audit.xml").iter("testcase"))
    assert [case.get("name") for case in cases] == ["test_first", "test_second"]
    [snapshots] = pytester.path.glob("*/monitoring_snapshots_*.jsonl")
    assert snapshots.read_text().count('"gauges"') == 8  # every tick of the 2 s audit


def test_an_error_after_collection_is_recorded_once(
    pytester: pytest.Pytester, database: str
) -> None:
    _two_checks(pytester)
    pytester.makeconftest(
        """
import pytest_botaudit.judging.audit as audit

def boom(*args, **kwargs):
    raise RuntimeError("injected failure in the log analysis")

audit.analyze_files = boom
"""
    )
    result = _live(pytester, database)
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert output.count(": collecting for") == 1
    assert output.count("RuntimeError: injected failure in the log analysis") >= 2
    [snapshots] = pytester.path.glob("*/monitoring_snapshots_*.jsonl")
    headers = [line for line in snapshots.read_text().splitlines() if '"audit":' in line]
    assert len(headers) == 1
    assert len(list(pytester.path.glob("*/monitoring_report_*.json"))) == 1
    xml = outcomes_by_test(pytester.path / "audit.xml")
    assert {props["outcome"] for props in xml.values()} == {"failed"}


def test_audit_db_reads_on_the_session_loop_and_cannot_write(
    pytester: pytest.Pytester, database: str
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_custom="""
import asyncpg
import pytest

from pytest_botaudit.errors import ReadOnlyViolation

@pytest.mark.asyncio(loop_scope="session")
async def test_events_are_readable(audit_db):
    count = await audit_db.fetchval("SELECT count(*) FROM monitoring.events")
    assert count == 0
    row = await audit_db.fetchrow("SELECT current_setting('transaction_read_only') AS ro")
    assert row["ro"] == "on"

@pytest.mark.asyncio(loop_scope="session")
async def test_no_statement_can_write(audit_db):
    insert = "INSERT INTO monitoring.events (event_type) VALUES ('x') RETURNING id"
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await audit_db.fetch(insert)
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await audit_db.fetch("WITH w AS (" + insert + ") SELECT * FROM w")
    await audit_db.fetch("SET default_transaction_read_only = off")
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await audit_db.fetch(insert)
    async with audit_db.transaction():
        with pytest.raises(asyncpg.ActiveSQLTransactionError):
            await audit_db.fetch("SET TRANSACTION READ WRITE")
    with pytest.raises(ReadOnlyViolation):
        async with audit_db.transaction():
            await audit_db.fetch("COMMIT")
            await audit_db.fetch(insert)
    assert await audit_db.fetchval("SELECT count(*) FROM monitoring.events") == 0
"""
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--audit-dsn={database}", "-W", "error"
    )
    result.assert_outcomes(passed=2)
    assert "botaudit: collecting" not in result.stdout.str()  # the fixture needs no collection


def test_summary_json_of_a_run_is_written_once(pytester: pytest.Pytester, database: str) -> None:
    _two_checks(pytester)
    _live(pytester, database).assert_outcomes(passed=2)
    [summary] = pytester.path.glob("*/monitoring_report_*.json")
    data = json.loads(summary.read_text())
    assert data["snapshots_expected"] == 8
    assert Path(data["snapshot_file"]).exists()


def test_a_bot_without_env_file_skips_the_testnet_check(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    result = pytester.runpytest_subprocess(
        str(checks_dir / "test_preflight.py"),
        "-p",
        "no:cacheprovider",
        f"--audit-dsn={database}",
        "--audit-env-file=none",
        "-k",
        "testnet",
        "-rs",
    )
    result.assert_outcomes(skipped=1, deselected=8)
    result.stdout.fnmatch_lines(["*--audit-env-file none: the bot has no .env*"])


def test_every_seed_deliverable_is_in_the_run_folder(
    pytester: pytest.Pytester, database: str
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_audit="""
def test_gaps(audit_check):
    audit_check.good_indicator("snapshot_gaps")

def test_the_analysis_is_a_fixture(audit_analysis):
    assert [s.number for s in audit_analysis.sections] == list(range(1, 15))
"""
    )
    (pytester.path / "bot.log").write_text(LOG_LINE)
    result = _live(pytester, database, f"--audit-bot-pid={os.getpid()}")
    result.assert_outcomes(passed=2)
    out = latest_run(pytester.path)
    assert (out / "analysis_db.txt").read_text().startswith("BOT DATABASE ANALYSIS")
    assert len(json.loads((out / "analysis_db.json").read_text())) == 14
    assert (out / "analysis_logs.txt").read_text().startswith("BOT LOG ANALYSIS")
    # the run's own log, read whole: its one line is from 2025, before this audit's window
    logs = json.loads((out / "analysis_logs.json").read_text())
    assert logs["read"]["files"] == [str(pytester.path / "bot.log")]
    assert logs["read"]["lines"] == logs["read"]["records"] == 1
    assert (logs["records"], logs["out_of_window"]) == (0, 1)
    hourly = (out / "hourly_observations.md").read_text()
    assert "## Hour 1:" in hourly
    assert "tick round trip average" in hourly
    assert "Bot process: CPU average" in hourly
    assert "Interim" not in hourly
