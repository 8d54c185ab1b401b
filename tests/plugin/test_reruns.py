"""Reruns end to end: window audits of a faulty and a healthy bot (each in its own database,
the same hour), compared by ``botaudit compare`` and by ``--audit-baseline`` in pytest."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.record.folder import AuditDir

from ..conftest import REPO, TEMPLATE, Server
from .test_cli import botaudit
from .test_plugin import FAULTY_FAILS, FAULTY_WARNS

START = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=3)


@pytest.fixture
def databases(pg_server: Server) -> Iterator[dict[str, str]]:
    """Three fresh databases: a faulty bot's, a healthy bot's, and the healthy bot again."""
    names = {key: "t_" + uuid.uuid4().hex[:12] for key in ("faulty", "healthy", "again")}
    for name in names.values():
        asyncio.run(pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    yield {key: pg_server.dsn(name) for key, name in names.items()}
    for name in names.values():
        asyncio.run(pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _window_audit(
    pytester: pytest.Pytester, dsn: str, scenario: str, name: str, *extra: str
) -> tuple[pytest.RunResult, Path]:
    """A bot's ten minutes simulated at once, then judged in window mode; its JUnit file."""
    log = pytester.path / f"{name}.log"
    if not log.exists():
        asyncio.run(BotSimulator(dsn, log, 600, scenario, seed=2).run(START, live=False))
    xml = pytester.path / f"{name}.xml"
    result = pytester.runpytest_subprocess(
        "audit_checks",
        f"--audit-dsn={dsn}",
        f"--audit-log={log}",
        f"--audit-since={START.isoformat()}",
        f"--audit-until={(START + timedelta(minutes=10)).isoformat()}",
        "--audit-interval=10s",
        f"--audit-out={pytester.path / 'runs'}",
        "--audit-env-file=none",
        f"--junitxml={xml}",
        f"--html={pytester.path / (name + '.html')}",
        "--self-contained-html",
        *extra,
    )
    return result, xml


def _names(items: list[dict[str, str]]) -> set[str]:
    return {item["name"] for item in items}


# the checks the faulty scenario's faults fail or warn, plus the one whose verdict holds but
# whose value they move far beyond the tolerance: its WebSocket flapping and API error bursts
# open WARNING incidents (1 -> 6 here, still under the warning sign's > 10)
INJECTED = {name.split("::")[-1] for name in FAULTY_FAILS | FAULTY_WARNS} | {
    "test_high_warning_alert_count"
}


def test_compare_finds_exactly_the_injected_faults_both_ways(
    pytester: pytest.Pytester, databases: dict[str, str]
) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    _, healthy = _window_audit(pytester, databases["healthy"], "healthy", "healthy")
    _, faulty = _window_audit(pytester, databases["faulty"], "faulty", "faulty")
    _, again = _window_audit(pytester, databases["again"], "healthy", "again")

    worse = botaudit("compare", str(healthy), str(faulty), "--json")
    assert worse.returncode == 1, worse.stderr
    report = json.loads(worse.stdout)
    assert _names(report["regressions"]) == INJECTED
    assert report["improvements"] == []
    assert report["warnings"] == []
    better = json.loads(botaudit("compare", str(faulty), str(healthy), "--json").stdout)
    assert _names(better["improvements"]) == INJECTED
    assert better["regressions"] == []
    # the same scenario and seed twice: nothing moves
    same = botaudit("compare", str(healthy), str(again))
    assert same.returncode == 0, same.stdout
    assert "regressions (0):" in same.stdout
    assert "improvements (0):" in same.stdout
    # run folders compare like their JUnit files (the summary JSON carries the verdicts)
    runs = AuditDir(pytester.path / "runs").runs()
    assert len(runs) == 3
    folders = botaudit("compare", str(runs[0].path), str(runs[1].path), "--json")
    assert _names(json.loads(folders.stdout)["regressions"]) == INJECTED
    # three runs: a trend, one column a run, the last judged against the one before
    markdown = pytester.path / "t.md"
    trend = botaudit("compare", str(healthy), str(faulty), str(again), "--markdown", str(markdown))
    assert trend.returncode == 0
    assert "trend (oldest to newest):" in trend.stdout
    header = next(line for line in trend.stdout.splitlines() if line.startswith("metric"))
    assert len(header.split()) == 4
    assert "Improvements" in markdown.read_text()

    # the same comparison inside pytest: the faulty run against the healthy baseline
    gated, _ = _window_audit(
        pytester,
        databases["faulty"],
        "faulty",
        "faulty",
        f"--audit-baseline={healthy}",
        "--audit-fail-on-regression",
    )
    assert gated.ret == 1
    gated.stdout.fnmatch_lines(["*vs baseline*", f"*regressions ({len(INJECTED)})*"])
    newest = AuditDir(pytester.path / "runs").latest()
    assert newest is not None
    assert "### Against the baseline" in (newest.path / "audit_report.md").read_text()
    assert "vs baseline" in (pytester.path / "faulty.html").read_text()
    quiet, _ = _window_audit(
        pytester,
        databases["again"],
        "healthy",
        "again",
        f"--audit-baseline={healthy}",
        "--audit-fail-on-regression",
    )
    assert quiet.ret == 0, quiet.stdout.str()[-3000:]


def test_a_changed_threshold_or_interval_makes_runs_not_comparable(
    pytester: pytest.Pytester, database: str
) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    _, first = _window_audit(pytester, database, "healthy", "first")
    pytester.makepyprojecttoml("[tool.botaudit.thresholds]\napi_errors = { warning = 40 }\n")
    shutil.copy(pytester.path / "first.log", pytester.path / "second.log")  # the same bot
    _, second = _window_audit(pytester, database, "healthy", "second", "--audit-interval=20s")
    shown = botaudit("compare", str(first), str(second))
    assert "WARNING: not comparable: thresholds differ" in shown.stdout
    assert "interval differs by more than 10% (10s vs 20s)" in shown.stdout
    strict = botaudit("compare", str(first), str(second), "--strict")
    assert strict.returncode == 2
    assert strict.stderr.count("\n") == 1
    assert "not comparable (--strict): thresholds differ" in strict.stderr
    # an audit that did not complete is not compared unless asked
    cut = pytester.path / "cut.xml"
    cut.write_text(
        first.read_text().replace(
            'name="audit_status" value="completed"', 'name="audit_status" value="interrupted"'
        )
    )
    refused = botaudit("compare", str(cut), str(first))
    assert refused.returncode == 2
    assert "the audit is 'interrupted', not completed" in refused.stderr
    assert botaudit("compare", str(cut), str(first), "--allow-incomplete").returncode == 0
    # --audit-run names a run of --audit-out to replay: no database, its recorded interval
    replayed = pytester.runpytest_subprocess(
        "audit_checks",
        "--audit-run=latest",
        f"--audit-out={pytester.path / 'runs'}",
        f"--junitxml={pytester.path / 'replayed.xml'}",
        "--audit-allow-no-data",
    )
    replayed.stdout.fnmatch_lines(
        ["*mode replay of run latest of *, interval as recorded*", "*(recorded every 20s)*"]
    )
    suite = ET.parse(pytester.path / "replayed.xml").getroot().find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["mode"] == "replay"
    assert props["interval_seconds"] == "20"


def test_bad_inputs_are_one_line_and_exit_2(tmp_path: Path) -> None:
    plain = tmp_path / "plain.xml"  # a JUnit file of some other test suite
    plain.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="1">'
        '<testcase classname="test_x" name="test_plain" time="0.001" /></testsuite></testsuites>'
    )
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(plain.read_text()[:60])
    cases = {
        "truncated": ([str(truncated), str(plain)], "not XML"),
        "not an audit": ([str(plain), str(plain)], "not an audit's JUnit XML"),
        "missing": ([str(tmp_path / "nope.xml"), str(plain)], "cannot read it"),
        "tolerance": ([str(plain), str(plain), "--tolerance", "api_errors=lots"], "METRIC="),
    }
    for what, (args, message) in cases.items():
        done = botaudit("compare", *args)
        assert done.returncode == 2, what
        assert done.stderr.count("\n") == 1, (what, done.stderr)
        assert message in done.stderr, (what, done.stderr)
        assert "Traceback" not in done.stderr
