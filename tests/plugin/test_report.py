"""The report a person reads: one model rendered as HTML, audit_report.md, the summary JSON
and JUnit, checked against each other over the faulty, degraded and healthy bots."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from junitparser.xunit2 import JUnitXml

from pytest_botaudit.collection.replay import replay
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.exitcodes import AuditExit
from pytest_botaudit.record.folder import AuditDir, RunFolder
from pytest_botaudit.reporting.hourly import hourly_rows
from pytest_botaudit.reporting.model import cases_text

from ..conftest import REPO

START = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=3)
# the per-tick metrics of a window audit on the default profile: the bot contract's three
# position gauges, and the counters the profile file declares (read here from the file itself)
GAUGES = ("positions_total", "unprotected_positions", "aged_positions")
_PROFILE = REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml"
CHARTED = (*GAUGES, *tomllib.loads(_PROFILE.read_text())["counters"])


class _Page(HTMLParser):
    """What the report's own sections hold: elements by id and class, the rows of its
    tables, the text of its verdict band and of pytest-html's outcome boxes."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: dict[str, int] = {}
        self.rows: dict[str, list[dict[str, str]]] = {}
        self.band_state = ""
        self.texts: dict[str, str] = {}  # class -> text of its (last) element
        self.buttons: dict[str, str] = {}  # filter button -> its label
        self.boxes: dict[str, str] = {}  # pytest-html's outcome box -> its label
        self._table: list[str] = []
        self._open: list[tuple[str, str]] = []  # (tag, what its text is kept as)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        names = a.get("class", "").split()
        for name in names:
            self.classes[name] = self.classes.get(name, 0) + 1
        if tag == "table":
            self._table.append(a.get("id", ""))
        if tag == "tr" and self._table and self._table[-1]:
            self.rows.setdefault(self._table[-1], []).append(a)
        if "botaudit-band" in names:
            self.band_state = a.get("data-state", "")
        kept = next((n for n in names if n.startswith("botaudit-band__")), "")
        if tag == "button" and a.get("data-show"):
            kept = "button:" + a["data-show"]
        if tag == "span" and names and names[0] in {"passed", "failed", "skipped", "error"}:
            kept = "box:" + names[0]
        if kept:
            self._open.append((tag, kept))
            self.texts[kept] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table:
            self._table.pop()
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[self._open[-1][1]] += data


def _audit(
    pytester: pytest.Pytester, dsn: str, scenario: str, where: Path | None = None
) -> pytest.RunResult:
    """Two simulated hours of a bot judged in window mode; the files in ``where``."""
    here = where or pytester.path
    if not (pytester.path / "audit_checks").exists():
        shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    log = here / "bot.log"
    asyncio.run(BotSimulator(dsn, log, 7200, scenario, seed=5).run(START, live=False))
    (here / ".env").write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n")
    return pytester.runpytest_subprocess(
        str(pytester.path / "audit_checks"),
        f"--audit-dsn={dsn}",
        f"--audit-log={log}",
        f"--audit-since={START.isoformat()}",
        f"--audit-until={(START + timedelta(hours=2)).isoformat()}",
        "--audit-interval=60s",
        f"--audit-out={here / 'out'}",
        f"--audit-env-file={here / '.env'}",
        "--audit-bot-version=deadbeef",
        f"--junitxml={here / 'audit.xml'}",
        f"--html={here / 'audit.html'}",
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


_PROBLEM = re.compile(
    r"^(?P<verdict>FAIL|WARN) +(?P<severity>CRITICAL|HIGH|MEDIUM) +(?P<title>.*?)"
    r"(?: \((?:good|warning) [^)]*\))?$"
)
_ISSUE = re.compile(
    r"^#### Issue #\d+: (?P<title>.*?)(?: \((?:good|warning) [^)]*\))? \((?P<tests>`.*`)\)$"
)
_CASES = re.compile(r"(\d+) (failed|passed|skipped|errors?)\b")


def _case_counts(text: str) -> dict[str, int]:
    """``8 failed, 27 passed, 1 skipped`` (pytest's words) as counts."""
    return {
        word.rstrip("s") if word.startswith("error") else word: int(n)
        for n, word in _CASES.findall(text)
    }


def _terminal(result: pytest.RunResult) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """The problems of the audit's section of pytest's summary, and pytest's own counts."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"=+ botaudit =+", line))
    problems = [
        (m["severity"], m["verdict"], m["title"])
        for line in lines[start + 1 :]
        if (m := _PROBLEM.match(line))
    ]
    summary = next(line for line in reversed(lines) if re.fullmatch(r"=+ .* in [\d.]+s.* =+", line))
    return problems, _case_counts(summary)


def _markdown(report: str) -> list[str]:
    """The titles of audit_report.md's issues, its Markdown escapes undone."""
    titles = []
    for line in report.splitlines():
        m = _ISSUE.match(line)
        if m:
            titles.append(re.sub(r"\\(.)", r"\1", m["title"]))
    return titles


@pytest.mark.parametrize("scenario", ["faulty", "degraded", "healthy"])
def test_every_output_counts_the_same_problems_the_same_way(
    pytester: pytest.Pytester, database: str, scenario: str
) -> None:
    """One run, read through every output: the terminal, the JUnit file (junitparser), the
    HTML page's DOM, the summary JSON and audit_report.md hold the same problems, one per
    metric, the same headline, the same test-case counts and the same findings counts."""
    result = _audit(pytester, database, scenario)
    run = AuditDir(pytester.path / "out").latest()
    assert run is not None
    [summary_file] = RunFolder(run.path).summary_files()
    summary = json.loads(summary_file.read_text())
    expected = [(p["severity"], p["verdict"], p["title"]) for p in summary["problems"]]
    metrics = [p["metric"] for p in summary["problems"] if p["metric"]]
    assert len(metrics) == len(set(metrics))  # one problem per metric
    if scenario == "faulty":  # the injected faults, each once (and the WARNING alerts of 2 h)
        assert {
            "api_errors",
            "critical_alerts",
            "emergency_closes",
            "unprotected_positions",
            "ws_reconnects",
        } <= set(metrics)
        assert summary["headline"].startswith(f"RED: {len(expected)} problems (3 critical, ")
    cases = summary["test_cases"]

    # terminal: the same problems, pytest's counts, the headline last
    problems, counted = _terminal(result)
    assert problems == expected
    assert counted == {k: n for k, n in cases.items() if n}
    assert result.stdout.lines[-1].startswith(f"botaudit: {summary['headline']}. ")

    # JUnit, as a CI tool reads it
    [suite] = list(JUnitXml.fromfile(str(pytester.path / "audit.xml")))
    props = {p.name: p.value for p in suite.properties()}  # type: ignore[no-untyped-call]
    assert props["headline"] == summary["headline"]
    assert int(props["problems"]) == len(expected)
    assert sorted(v for k, v in props.items() if k.startswith("problem.")) == sorted(
        f"{severity} {verdict}: {title}" for severity, verdict, title in expected
    )
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (
        sum(cases.values()),
        cases["failed"],
        cases["error"],
        cases["skipped"],
    )

    # HTML: the band, the findings and their filter, pytest-html's own boxes
    page = _Page()
    page.feed((pytester.path / "audit.html").read_text())
    assert page.band_state == summary["overall"]
    _, _, told = summary["headline"].partition(": ")
    assert page.texts["botaudit-band__headline"] == told
    assert page.texts["botaudit-band__cases"].startswith(cases_text(cases))
    findings = page.rows["botaudit-findings"][1:]
    assert len(findings) == len(summary["findings"])
    assert [r["data-metric"] for r in findings if r["data-verdict"] in ("FAIL", "WARN")] == metrics
    by_verdict = Counter(f["verdict"] for f in summary["findings"])
    for verdict in ("FAIL", "WARN", "NO-DATA", "PASS"):
        assert page.texts[f"button:{verdict}"] == f"{verdict} ({by_verdict[verdict]})"
    assert page.texts["button:all"] == f"All ({len(summary['findings'])})"
    boxes = {k.split(":")[1]: v for k, v in page.texts.items() if k.startswith("box:")}
    assert {k: int(v.split()[0]) for k, v in boxes.items()} == cases

    # audit_report.md: the headline, one issue and one recommendation per problem
    report = (run.path / "audit_report.md").read_text()
    assert f"{summary['headline']}**" in report
    assert _markdown(report) == [title for _, _, title in expected]
    recommendations = report.split("## 5. Recommendations", 1)[1].split("## 6.", 1)[0]
    assert len(re.findall(r"^\d+\. \[", recommendations, re.M)) == len(expected)
    assert f"Checks: {cases_text(cases)}." in report
    results = report.split("## 2. Check Results", 1)[1].split("##", 1)[0]
    assert len(re.findall(r"^\| (?!Check|---)", results, re.M)) == len(summary["findings"])


@pytest.mark.parametrize("scenario", ["faulty", "healthy"])
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
    assert (result.ret == AuditExit.RED) is (suite["overall"] == "RED")
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

    # audit_report.md: its issues name every failing or warning check, each once
    report = (run.path / "audit_report.md").read_text()
    named = re.findall(r"`(test_\w+)`", "".join(re.findall(r"^#### Issue .*$", report, re.M)))
    bad = {name for name, props in cases.items() if props.get("verdict") in ("FAIL", "WARN")}
    assert sorted(named) == sorted(bad)
    assert "**Overall health: " in report
    assert summary["overall"] in report
    assert "Score (out of 10)" in report
    assert "¹ score = 10 ×" in report
    for heading in ("## 1. Executive Summary", "### 3.2 Stop-loss", "### 3.11 Hourly", "## 6."):
        assert heading in report
    # statistics at a glance: each figure names its source and window, and the ticks'
    # openings are section 1's (both positions.opened_at in the audit window)
    glance = {
        row[0]: row[1:]
        for row in (
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in report.split("### Statistics at a glance", 1)[1]
            .split("## 2.")[0]
            .splitlines()
            if line.startswith("| ") and not line.startswith("| Figure")
        )
    }
    assert glance["Positions opened"][0] == glance["Positions opened (section 1)"][0]
    assert glance["Positions opened (log)"][0] == glance["Positions opened"][0]  # the bot's log
    assert (
        int(glance["Positions opened"][0]) == summary["metrics_summary"]["total_positions_opened"]
    )
    assert "opened\\_at in" in glance["Positions opened"][1]
    assert all(source and source != "-" for _, source in glance.values())

    # HTML: banner, findings, one chart per per-tick metric, incidents, hours, analyses
    html = (pytester.path / "audit.html").read_text()
    page = _Page()
    page.feed(html)
    assert page.band_state == summary["overall"]
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
    # ... and each check of a charted metric links to that chart from its row's extras (kept
    # in pytest-html's JSON blob, so its quotes are escaped there): one chart per metric
    in_rows = re.findall(r'data-metric=\\"(\w+)', unescape(html))
    assert sorted(in_rows) == sorted(
        v["metric"] for v in summary["verdicts"] if v.get("metric") in CHARTED
    )
    links = set(re.findall(r'href=\\"#(botaudit-chart-\w+)', unescape(html)))
    assert links == {f"botaudit-chart-{m}" for m in in_rows}
    assert links <= set(re.findall(r'id="(botaudit-chart-\w+)"', html))
    drawn = len(CHARTED) + (1 if summary["incidents"] else 0)  # the charts and the timeline
    assert unescape(html).count("<svg") == drawn  # no chart twice
    collection = replay(Path(summary["snapshot_file"]))
    assert len(page.rows.get("botaudit-incidents", [])) - 1 == len(summary["incidents"])
    # one bar per incident in the timeline's SVG, each in its lane
    timeline = html[html.index('class="botaudit-timeline"') :]
    timeline = timeline[: timeline.index("</details>")]
    assert timeline.count('<g id="botaudit-incident-') == len(summary["incidents"])
    assert len(page.rows["botaudit-hourly"]) - 1 == len(hourly_rows(collection)) == 2
    assert page.classes["botaudit-db-section"] == 14
    assert page.classes["botaudit-log-analysis"] == 1
    assert len(html) < 5_000_000
    # pytest-html's Environment box names the audit too, not only Python and the plugins
    blob = re.search(r'data-jsonblob="([^"]*)"', html)
    assert blob is not None
    environment = json.loads(unescape(blob[1]))["environment"]
    assert unescape(environment["Audit"]) == f"run {run.run_id}, window mode, completed"
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
        f"--html={pytester.path / 'audit.html'}",
    )
    assert result.ret == AuditExit.NOT_RUN
    suite, cases = _junit(pytester.path / "audit.xml")
    assert (suite["audit_status"], suite["overall"]) == ("preflight_failed", "NOT RUN")
    assert cases["test_bot_runs_on_testnet"]["verdict"] == "FAIL"
    assert len(cases) == 36  # every check is in the JUnit: the ones it stopped skipped
    run = AuditDir(pytester.path / "out").latest()
    assert run is not None
    [summary_file] = RunFolder(run.path).summary_files()
    summary = json.loads(summary_file.read_text())
    assert (summary["audit_status"], summary["overall"]) == ("preflight_failed", "NOT RUN")
    assert summary["headline"] == "NOT RUN: the audit did not judge the bot"
    assert not RunFolder(run.path).snapshot_files()  # nothing was collected
    # never a colour: NOT RUN in the terminal's last line, the report and the page
    assert result.stdout.lines[-1].startswith("botaudit: NOT RUN: the audit did not judge")
    report = (run.path / "audit_report.md").read_text()
    assert "**Overall health: ⚪ NOT RUN: the audit did not judge the bot**" in report
    assert "YELLOW" not in report
    assert "GREEN" not in report
    page = _Page()
    page.feed((pytester.path / "audit.html").read_text())
    assert page.band_state == "NOT RUN"
