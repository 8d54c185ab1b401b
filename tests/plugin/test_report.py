"""The report a person reads: one model rendered as HTML, audit_report.md, the summary JSON
and JUnit, checked against each other over the faulty, degraded and healthy bots."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tomllib
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from junitparser.xunit2 import JUnitXml

from pytest_botaudit.collection.replay import replay
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.record.folder import AuditDir, RunFolder
from pytest_botaudit.reporting.hourly import hourly_rows

from ..conftest import REPO

START = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=3)
# the per-tick metrics of a window audit on the default profile: the bot contract's three
# position gauges, and the counters the profile file declares (read here from the file itself)
GAUGES = ("positions_total", "unprotected_positions", "aged_positions")
_PROFILE = REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml"
CHARTED = (*GAUGES, *tomllib.loads(_PROFILE.read_text())["counters"])


class _Page(HTMLParser):
    """What the report's own sections hold: elements by id and class, with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: dict[str, int] = {}
        self.rows: dict[str, list[dict[str, str]]] = {}
        self._table: list[str] = []
        self.banner = ""
        self._in_banner = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in a.get("class", "").split():
            self.classes[name] = self.classes.get(name, 0) + 1
        if tag == "table":
            self._table.append(a.get("id", ""))
        if tag == "tr" and self._table and self._table[-1]:
            self.rows.setdefault(self._table[-1], []).append(a)
        if "botaudit-banner" in a.get("class", ""):
            self._in_banner = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table:
            self._table.pop()
        if tag == "p":
            self._in_banner = False

    def handle_data(self, data: str) -> None:
        if self._in_banner:
            self.banner += data


def _audit(pytester: pytest.Pytester, dsn: str, scenario: str) -> pytest.RunResult:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    log = pytester.path / "bot.log"
    asyncio.run(BotSimulator(dsn, log, 7200, scenario, seed=5).run(START, live=False))
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n")
    return pytester.runpytest_subprocess(
        "audit_checks",
        f"--audit-dsn={dsn}",
        f"--audit-log={log}",
        f"--audit-since={START.isoformat()}",
        f"--audit-until={(START + timedelta(hours=2)).isoformat()}",
        "--audit-interval=60s",
        f"--audit-out={pytester.path / 'out'}",
        f"--audit-env-file={pytester.path / '.env'}",
        "--audit-bot-version=deadbeef",
        f"--junitxml={pytester.path / 'audit.xml'}",
        f"--html={pytester.path / 'audit.html'}",
        "--self-contained-html",
    )


def _junit(path: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Suite properties and each test case's properties, read as a CI tool reads them."""
    [suite] = list(JUnitXml.fromfile(str(path)))
    suite_props = {p.name: p.value for p in suite.properties()}  # type: ignore[no-untyped-call]
    # junitparser types a suite's cases as xunit1 ones; xunit2's read <properties> too
    cases = {
        case.name: {p.name: p.value for p in case.properties()}  # type: ignore[attr-defined]
        for case in suite
    }
    return suite_props, cases


@pytest.mark.parametrize("scenario", ["faulty", "degraded", "healthy"])
def test_one_model_four_renderings(pytester: pytest.Pytester, database: str, scenario: str) -> None:
    result = _audit(pytester, database, scenario)
    run = AuditDir(pytester.path / "out").latest()
    assert run is not None
    suite, cases = _junit(pytester.path / "audit.xml")
    [summary_file] = RunFolder(run.path).summary_files()
    summary = json.loads(summary_file.read_text())

    # JUnit: the suite says which audit this was and how it came out
    assert suite["botaudit_format"] == "2"
    assert suite["run_id"] == run.run_id == summary["run_id"]
    assert suite["audit_status"] == summary["audit_status"] == "completed"
    assert suite["mode"] == "window"
    assert suite["ticks_expected"] == suite["ticks_taken"] == "120"
    assert suite["bot_version"] == "deadbeef"
    assert suite["overall"] == summary["overall"]
    assert int(suite["count_fail"]) == sum(c.get("verdict") == "FAIL" for c in cases.values())
    assert (result.ret == 1) is (suite["overall"] == "RED")
    # the summary JSON's verdicts are the JUnit properties, check by check
    verdicts = {v["name"]: v for v in summary["verdicts"]}
    assert set(verdicts) == {name for name, props in cases.items() if "verdict" in props}
    for name, entry in verdicts.items():
        props = cases[name]
        for key in ("verdict", "metric", "kind", "title", "direction", "unit"):
            assert str(entry.get(key, "")) == props.get(key, ""), (name, key)
        if entry.get("value") is not None:
            assert entry["value"] == pytest.approx(float(props["value"]), rel=1e-5)
            assert entry["margin"] == pytest.approx(float(props["margin"]), rel=1e-5, abs=1e-9)

    # audit_report.md: one issue per failing or warning check, no more, no fewer
    report = (run.path / "audit_report.md").read_text()
    issues = set(re.findall(r"^#### Issue #\d+: .* \(`(test_\w+)`\)$", report, re.M))
    bad = {name for name, props in cases.items() if props.get("verdict") in ("FAIL", "WARN")}
    assert issues == bad
    assert "**Overall health: " in report
    assert summary["overall"] in report
    assert "Score (out of 10)" in report
    assert "¹ score = 10 ×" in report
    for heading in ("## 1. Executive Summary", "### 3.2 Stop-loss", "### 3.11 Hourly", "## 6."):
        assert heading in report

    # HTML: banner, findings, one chart per per-tick metric, incidents, hours, analyses
    html = (pytester.path / "audit.html").read_text()
    page = _Page()
    page.feed(html)
    assert f"Audit verdict: {summary['overall']}" in " ".join(page.banner.split())
    findings = page.rows["botaudit-findings"][1:]  # after the header row
    metrics = {v["metric"] for v in summary["verdicts"] if v["kind"] != "preflight"}
    assert len(findings) == len(metrics)
    assert {row["data-verdict"] for row in findings} <= {"PASS", "WARN", "FAIL", "NO-DATA"}
    # the charts section: a window audit samples the three position gauges at every tick and
    # counts every counter of the profile at every tick (0 where nothing happened), so each
    # has one chart, whatever the scenario
    charts = re.findall(r'<div class="chart botaudit-chart" data-metric="(\w+)"', html)
    assert sorted(charts) == sorted(CHARTED)
    assert page.classes["botaudit-chart"] == len(CHARTED) == 13
    # ... and each check of a charted metric carries its chart in its row's extras (kept in
    # pytest-html's JSON blob, so its quotes are escaped there)
    in_rows = re.findall(r'data-metric=\\"(\w+)', unescape(html))
    assert sorted(in_rows) == sorted(
        v["metric"] for v in summary["verdicts"] if v.get("metric") in CHARTED
    )
    collection = replay(Path(summary["snapshot_file"]))
    assert len(page.rows.get("botaudit-incidents", [])) - 1 == len(summary["incidents"])
    # one bar per incident in the timeline's SVG (matplotlib draws each as a PolyCollection)
    timeline = html[html.index('class="botaudit-timeline"') :]
    timeline = timeline[: timeline.index("</details>")]
    assert timeline.count('<g id="PolyCollection_') == len(summary["incidents"])
    assert len(page.rows["botaudit-hourly"]) - 1 == len(hourly_rows(collection)) == 2
    assert page.classes["botaudit-db-section"] == 14
    assert page.classes["botaudit-log-analysis"] == 1
    assert len(html) < 5_000_000
    # pytest-html's Environment box names the audit too, not only Python and the plugins
    blob = re.search(r'data-jsonblob="([^"]*)"', html)
    assert blob is not None
    environment = json.loads(unescape(blob[1]))["environment"]
    assert environment["Audit"] == f"run {run.run_id}, window mode, completed"
    assert environment["Bot version"] == "deadbeef"
    assert "deadbeef" in html
    assert load_profile().digest in html


def test_a_failed_preflight_says_so_everywhere(pytester: pytest.Pytester, database: str) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    (pytester.path / ".env").write_text("BINANCE_TESTNET=false\n")  # production keys: refused
    result = pytester.runpytest_subprocess(
        "audit_checks",
        f"--audit-dsn={database}",
        "--audit-duration=30s",
        "--audit-interval=1s",
        f"--audit-out={pytester.path / 'out'}",
        f"--audit-env-file={pytester.path / '.env'}",
        f"--junitxml={pytester.path / 'audit.xml'}",
    )
    assert result.ret == 1
    suite, _ = _junit(pytester.path / "audit.xml")
    assert suite["audit_status"] == "preflight_failed"
    run = AuditDir(pytester.path / "out").latest()
    assert run is not None
    [summary] = RunFolder(run.path).summary_files()
    assert json.loads(summary.read_text())["audit_status"] == "preflight_failed"
    assert not RunFolder(run.path).snapshot_files()  # nothing was collected
