"""What the audit shows: the terminal summary and the pytest-html columns, extras and summary."""

from __future__ import annotations

import html
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from .checks import CheckResult, Verdict
from .preflight import PreflightResult

if TYPE_CHECKING:
    from .audit import AuditData

# the CheckResult behind a test item, for its HTML extras
RESULT_KEY = pytest.StashKey[CheckResult]()

VERDICT_COLOURS = {
    Verdict.PASS.value: "#1a7f37",
    Verdict.WARN.value: "#b58900",
    Verdict.FAIL.value: "#cf222e",
    Verdict.NO_DATA.value: "#6e40c9",
}


def overall(results: Sequence[CheckResult | PreflightResult]) -> str:
    """GREEN: all pass; YELLOW: warnings or missing data; RED: any failure."""
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return "RED"
    if verdicts & {Verdict.WARN, Verdict.NO_DATA}:
        return "YELLOW"
    return "GREEN"


def _thresholds(result: CheckResult) -> str:
    good = f"good {result.good_threshold}" if result.good_threshold else ""
    warning = f"warning {result.warning_threshold}" if result.warning_threshold else ""
    return ", ".join(x for x in (good, warning) if x)


def terminal_summary(
    reporter: Any,
    results: Sequence[tuple[str, CheckResult | PreflightResult]],
    data: AuditData | None,
) -> None:
    reporter.write_sep("=", "botaudit verdicts")
    for nodeid, result in results:
        name = nodeid.split("::")[-1]
        colour = {
            "red": result.verdict in (Verdict.FAIL, Verdict.NO_DATA),
            "yellow": result.verdict is Verdict.WARN,
            "green": result.verdict is Verdict.PASS,
        }
        if isinstance(result, CheckResult):
            value = "-" if result.value is None else f"{result.value:g} {result.unit}"
            line = f"{result.verdict.value:8} {name}: {value} ({_thresholds(result)})"
        else:
            line = f"{result.verdict.value:8} {name}: {result.message}"
        reporter.write_line(line, **colour)
        if isinstance(result, CheckResult) and result.verdict in (Verdict.WARN, Verdict.NO_DATA):
            # FAILs are explained in pytest's failures section; these are not
            reporter.write_line(f"{'':9}{result.message}")
    if results:
        reporter.write_line(f"overall: {overall([r for _, r in results])}", bold=True)
    if data is not None:
        collection = data.collection
        reporter.write_line(f"snapshots: {collection.snapshot_path}")
        if collection.summary_path:
            reporter.write_line(f"summary:   {collection.summary_path}")


def _evidence_html(result: CheckResult) -> str:
    rows = "".join(f"<li>{html.escape(e)}</li>" for e in result.evidence) or "<li>none</li>"
    return (
        f'<div class="botaudit-evidence"><p><b>{html.escape(result.message)}</b></p>'
        f"<p>margin: {'' if result.margin is None else f'{result.margin:g}'}</p>"
        f"<ul>{rows}</ul></div>"
    )


class AuditHtml:
    """pytest-html hooks, registered only when pytest-html is active."""

    def __init__(self, results: Sequence[tuple[str, CheckResult | PreflightResult]]) -> None:
        self.results = results  # the session's list, filled while the checks run

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "Trading bot audit"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        if not self.results:
            return
        verdicts = [r.verdict.value for _, r in self.results]
        state = overall([r for _, r in self.results])
        colour = {"GREEN": "#1a7f37", "YELLOW": "#b58900", "RED": "#cf222e"}[state]
        counts = ", ".join(
            f'<span style="color:{VERDICT_COLOURS[v.value]}">{verdicts.count(v.value)} {v.value}'
            "</span>"
            for v in Verdict
        )
        prefix.append(
            f'<p style="font-size:1.4em">Audit verdict: <b style="color:{colour}">{state}</b> '
            f"&mdash; {counts}</p>"
        )

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, '<th class="sortable" data-column-type="verdict">Verdict</th>')
        cells.insert(3, '<th data-column-type="value">Measured</th>')
        cells.insert(4, '<th data-column-type="thresholds">Thresholds</th>')

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        props = {str(k): str(v) for k, v in report.user_properties}
        verdict = props.get("verdict", "")
        colour = VERDICT_COLOURS.get(verdict, "inherit")
        value = f"{props.get('value', '')} {props.get('unit', '')}".strip()
        limits = ", ".join(
            f"{k.split('_')[0]} {props[k]}"
            for k in ("good_threshold", "warning_threshold")
            if props.get(k)
        )
        cells.insert(
            1,
            f'<td class="col-verdict" style="color:{colour};font-weight:bold">'
            f"{html.escape(verdict)}</td>",
        )
        cells.insert(3, f'<td class="col-value">{html.escape(value)}</td>')
        cells.insert(4, f'<td class="col-thresholds">{html.escape(limits)}</td>')

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        result = item.stash.get(RESULT_KEY, None)
        # a failed check already shows its evidence in the failure text
        if report.when == "call" and result is not None and not report.failed:
            from pytest_html import extras

            report.extras = [*getattr(report, "extras", []), extras.html(_evidence_html(result))]
