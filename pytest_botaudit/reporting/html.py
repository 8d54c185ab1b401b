"""The audit in pytest-html: a verdict banner, Verdict / Measured / Thresholds columns, and
each check's evidence in its row's extras."""

from __future__ import annotations

import html
from collections.abc import Callable, Generator
from typing import Any

import pytest

from ..judging.verdicts import CheckResult
from .model import OVERALL_COLOURS, VERDICT_COLOURS, ReportModel

# the CheckResult behind a test item, for its HTML extras
RESULT_KEY = pytest.StashKey[CheckResult]()
_COLOUR_BY_NAME = {v.value: colour for v, colour in VERDICT_COLOURS.items()}


def _evidence_html(result: CheckResult) -> str:
    rows = "".join(f"<li>{html.escape(e)}</li>" for e in result.evidence) or "<li>none</li>"
    return (
        f'<div class="botaudit-evidence"><p><b>{html.escape(result.message)}</b></p>'
        f"<p>margin: {'' if result.margin is None else f'{result.margin:g}'}</p>"
        f"<ul>{rows}</ul></div>"
    )


class AuditHtml:
    """pytest-html hooks, registered only when pytest-html is active."""

    def __init__(self, model: Callable[[], ReportModel | None]) -> None:
        self._model = model  # the session's report model, built at session finish

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "Trading bot audit"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        model = self._model()
        if model is None or not model.rows:
            return
        colour = OVERALL_COLOURS[model.overall]
        counts = ", ".join(
            f'<span style="color:{VERDICT_COLOURS[v]}">{n} {v.value}</span>'
            for v, n in model.counts
        )
        prefix.append(
            f'<p style="font-size:1.4em">Audit verdict: <b style="color:{colour}">'
            f"{model.overall}</b> &mdash; {counts}</p>"
        )

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, '<th class="sortable" data-column-type="verdict">Verdict</th>')
        cells.insert(3, '<th data-column-type="value">Measured</th>')
        cells.insert(4, '<th data-column-type="thresholds">Thresholds</th>')

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        props = {str(k): str(v) for k, v in report.user_properties}
        verdict = props.get("verdict", "")
        colour = _COLOUR_BY_NAME.get(verdict, "inherit")
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
