"""Reruns end to end: window audits of simulated bots (each in its own database), compared by
``botaudit compare`` and ``botaudit trend`` from their files, and by ``--audit-baseline`` in
pytest, whose terminal, JUnit and HTML show the comparison per metric."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from html.parser import HTMLParser
from pathlib import Path

import pytest

# loaded once, before pytester snapshots sys.modules: it would unload it after a test, and
# numpy's C modules cannot be loaded twice in one process (compare runs in-process here)
import scipy.stats  # noqa: F401

from pytest_botaudit.cli import main
from pytest_botaudit.demo.scenarios import Scenario
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.record.folder import AuditDir

from ..conftest import REPO, TEMPLATE, Server, reader
from ..helpers import suite_properties
from .test_cli import botaudit
from .test_plugin import FAULTY_FAILS, FAULTY_WARNS

START = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=3)


@pytest.fixture
def databases(pg_server: Server) -> Iterator[dict[str, str]]:
    """Fresh databases: a faulty bot's, a healthy bot's, and the healthy bot again."""
    names = {key: "t_" + uuid.uuid4().hex[:12] for key in ("faulty", "healthy", "again")}
    for name in names.values():
        asyncio.run(pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    yield {key: pg_server.dsn(name) for key, name in names.items()}
    for name in names.values():
        asyncio.run(pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _window_audit(
    pytester: pytest.Pytester,
    dsn: str,
    scenario: str | Scenario,
    name: str,
    *extra: str,
    minutes: float = 10,
    interval: str = "10s",
    seed: int = 2,
) -> tuple[pytest.RunResult, Path]:
    """A bot's minutes simulated at once, then judged in window mode as the SELECT-only role
    (no pre-flight WARN: a healthy bot is GREEN); its JUnit file."""
    log = pytester.path / f"{name}.log"
    if not log.exists():
        simulated = BotSimulator(dsn, log, minutes * 60, scenario, seed=seed)
        asyncio.run(simulated.run(START, live=False))
    xml = pytester.path / f"{name}.xml"
    result = pytester.runpytest_subprocess(
        "audit_checks",
        f"--audit-dsn={reader(dsn)}",
        f"--audit-log={log}",
        f"--audit-since={START.isoformat()}",
        f"--audit-until={(START + timedelta(minutes=minutes)).isoformat()}",
        f"--audit-interval={interval}",
        f"--audit-out={pytester.path / 'runs'}",
        "--audit-env-file=none",
        f"--junitxml={xml}",
        f"--html={pytester.path / (name + '.html')}",
        "--self-contained-html",
        *extra,
    )
    return result, xml


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``botaudit ARGS`` in this process (compare and trend read files only): its exit code
    and output, as ``botaudit`` in a subprocess gives them (a few tests run that too)."""
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse refusing an argument
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def _injected_metrics(xml: Path) -> set[str]:
    """The metrics the faulty scenario's faults fail or warn, read from the run's JUnit."""
    injected = {name.split("::")[-1] for name in FAULTY_FAILS | FAULTY_WARNS}
    return {
        p.get("value", "")
        for case in ET.parse(xml).iter("testcase")
        if case.get("name") in injected
        for p in case.iter("property")
        if p.get("name") == "metric"
    }


class _Findings(HTMLParser):
    """The HTML findings table: each row's cells as text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._inside = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._inside = dict(attrs).get("id") == "botaudit-findings"
        elif tag == "tr" and self._inside:
            self.rows.append([])
        elif tag == "td" and self._inside:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_compare_reads_the_verdict_change_and_names_each_injected_problem_once(
    pytester: pytest.Pytester, databases: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    _, healthy = _window_audit(pytester, databases["healthy"], "healthy", "healthy")
    _, faulty = _window_audit(pytester, databases["faulty"], "faulty", "faulty")
    _, again = _window_audit(pytester, databases["again"], "healthy", "again")
    injected = _injected_metrics(faulty)
    assert len(injected) == 5  # unprotected, emergency close, critical alerts, WS, API errors

    better = botaudit("compare", str(faulty), str(healthy))
    assert better.returncode == 0, better.stdout + better.stderr
    assert better.stdout.splitlines()[0] == "RED → GREEN: better"
    worse = botaudit("compare", str(healthy), str(faulty), "--json")
    assert worse.returncode == 1, worse.stderr
    assert worse.stdout.splitlines()[1].startswith('  "headline": "GREEN → RED: worse"')
    report = json.loads(worse.stdout)
    assert (report["result"], report["exit_code"]) == ("worse", 1)
    assert set(report["worse"]) == injected
    assert len(report["metrics"]) == len({m["metric"] for m in report["metrics"]})
    assert report["better"] == []
    # the JUnit files carry what each value was drawn from: counts over their hours, latencies
    # with their one-minute batch means
    metrics = {m["metric"]: m for m in report["metrics"]}
    hours = float(metrics["api_errors"]["new"]["sample"]["sample_hours"])
    assert hours == pytest.approx(10 / 60, rel=1e-5)
    latency = metrics["api_response_ms"]["new"]["sample"]
    assert 2 <= float(latency["sample_batches"]) <= 10  # minutes of the ten that hold samples
    assert metrics["api_response_ms"]["test"]["name"] == "Welch's t-test on one-minute batch means"
    # the injected errors and alerts are new message shapes, each with a sample at file:line
    shapes = report["new_since_baseline"]["error_shapes"]
    assert {s["level"] for s in shapes} == {"ERROR", "CRITICAL"}
    assert any(s["shape"].startswith("Failed to set Bybit Stop Loss") for s in shapes)
    assert all(".log:" in s["where"] for s in shapes)
    assert "emergency_close_all_triggered" in {
        e["event_type"] for e in report["new_since_baseline"]["event_types"]
    }
    text = cli(capsys, "compare", str(healthy), str(faulty)).stdout
    worse_block = text.split("worse (5):\n", 1)[1].split("\nbetter (0):", 1)[0].splitlines()
    titles = sorted(line.split(":", 1)[0].strip() for line in worse_block)
    assert len(titles) == len(set(titles)) == 5  # each problem once
    # the same scenario and seed twice: nothing worse, nothing better
    same = cli(capsys, "compare", str(healthy), str(again))
    assert same.returncode == 0, same.stdout
    assert same.stdout.startswith("GREEN → GREEN: the same")
    # run folders compare like their JUnit files
    runs = AuditDir(pytester.path / "runs").runs()
    assert len(runs) == 3
    # compare's regressions are the faulty run's problems, as every output of it lists them
    [faulty_summary] = runs[1].summary_files()
    problems = json.loads(faulty_summary.read_text())["problems"]
    assert {p["metric"] for p in problems} == set(report["worse"])
    folders = json.loads(
        cli(capsys, "compare", str(runs[0].path), str(runs[1].path), "--json").stdout
    )
    assert set(folders["worse"]) == injected
    # the trend: a row per run, a column per metric, the faulty run's change marked
    page = pytester.path / "trend.html"
    trend = cli(capsys, "trend", str(pytester.path / "runs"), "--html", str(page))
    assert trend.returncode == 0, trend.stderr
    rows = [line for line in trend.stdout.splitlines() if line.startswith(runs[1].run_id)]
    assert "RED" in rows[0]
    assert "api_errors" in trend.stdout
    assert "60!" in rows[0]  # the API errors of the faulty run, worse than the run before
    html = page.read_text()
    assert html.count("<svg") == sum(m["kind"] == "metric" for m in report["metrics"])
    assert 'class="worse"' in html
    assert 'class="better"' in html  # the healthy rerun after it

    # the same rules inside pytest: the faulty run against the healthy baseline
    gated, gated_xml = _window_audit(
        pytester,
        databases["faulty"],
        "faulty",
        "faulty",
        f"--audit-baseline={healthy}",
        "--audit-fail-on-regression",
    )
    assert gated.ret == 1
    gated.stdout.fnmatch_lines(
        ["*vs baseline*: GREEN → RED: worse*", "*worse: API errors: 0 errors*", "*new ERROR*"]
    )
    props = suite_properties(gated_xml)
    assert props["baseline_headline"].startswith("GREEN → RED: worse")
    assert {k.split(".", 1)[1] for k, v in props.items() if v.startswith("worse:")} == injected
    findings = _Findings()
    findings.feed((pytester.path / "faulty.html").read_text())
    api_row = next(row for row in findings.rows if len(row) > 2 and row[2] == "API errors")
    assert api_row[-1].startswith("worse: 0 errors (0/h) → 60 errors")
    newest = AuditDir(pytester.path / "runs").latest()
    assert newest is not None
    assert "### Against the baseline" in (newest.path / "audit_report.md").read_text()
    quiet, _ = _window_audit(
        pytester,
        databases["again"],
        "healthy",
        "again",
        f"--audit-baseline={healthy}",
        "--audit-fail-on-regression",
    )
    assert quiet.ret == 0, quiet.stdout.str()[-3000:]
    quiet.stdout.fnmatch_lines(["*vs baseline*: GREEN → GREEN: the same*"])


def test_different_thresholds_are_refused_by_name_in_compare_and_in_pytest(
    pytester: pytest.Pytester, database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    _, first = _window_audit(pytester, database, "healthy", "first")
    pytester.makepyprojecttoml("[tool.botaudit.thresholds]\napi_errors = { warning = 40 }\n")
    shutil.copy(pytester.path / "first.log", pytester.path / "second.log")  # the same bot
    second_run, second = _window_audit(
        pytester, database, "healthy", "second", "--audit-interval=20s", f"--audit-baseline={first}"
    )
    refused = botaudit("compare", str(first), str(second))
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "not comparable: the thresholds differ: api_errors (good < 10, warning > 40 vs " in (
        refused.stderr
    )
    second_run.stdout.fnmatch_lines(["*vs baseline: not compared: *thresholds differ: api_errors*"])
    # an audit that did not complete is not compared unless asked
    cut = pytester.path / "cut.xml"
    cut.write_text(
        first.read_text().replace(
            'name="audit_status" value="completed"', 'name="audit_status" value="interrupted"'
        )
    )
    refused = cli(capsys, "compare", str(cut), str(first))
    assert refused.returncode == 2
    assert "the audit is 'interrupted', not completed" in refused.stderr
    assert cli(capsys, "compare", str(cut), str(first), "--allow-incomplete").returncode == 0
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
    props = suite_properties(pytester.path / "replayed.xml")
    assert (props["mode"], props["interval_seconds"]) == ("replay", "20")


def test_bad_inputs_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.xml"  # a JUnit file of some other test suite
    plain.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="1">'
        '<testcase classname="test_x" name="test_plain" time="0.001" /></testsuite></testsuites>'
    )
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(plain.read_text()[:60])
    audit = tmp_path / "audit.xml"  # the least an audit's JUnit holds: a check's verdict
    audit.write_text(
        '<testsuites><testsuite><testcase name="t"><properties><property name="verdict" '
        'value="PASS"/></properties></testcase></testsuite></testsuites>'
    )
    cases = {
        "truncated": ([str(truncated), str(plain)], "not XML"),
        "not an audit": ([str(plain), str(plain)], "not an audit's JUnit XML"),
        "missing": ([str(tmp_path / "nope.xml"), str(plain)], "cannot read it"),
        "removed": ([str(plain), str(plain), "--tolerance", "api_errors=10%"], "was removed"),
        "one run": ([str(audit)], "compare needs at least 2 runs, got 1"),
    }
    for what, (args, message) in cases.items():
        # a real process for the first (no traceback, one line), this one for the rest
        done = (botaudit if what == "truncated" else partial(cli, capsys))("compare", *args)
        assert done.returncode == 2, what
        assert done.stderr.count("\n") == 1, (what, done.stderr)
        assert message in done.stderr, (what, done.stderr)
        assert "Traceback" not in done.stderr
    for flag, value in (("--alpha", "1.5"), ("--min-effect", "-1")):
        done = cli(capsys, "compare", str(audit), str(audit), flag, value)
        assert done.returncode == 2
        assert f"argument {flag}: '{value}'" in done.stderr
