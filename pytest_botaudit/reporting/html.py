"""The audit in pytest-html: the verdict banner, the audit identity and the findings table with
its verdict filter above the results; charts, incidents, hourly table and analyses below them;
Verdict / Measured / Thresholds columns; each check's evidence and chart in its row's extras."""

from __future__ import annotations

import html
from collections.abc import Callable, Generator
from typing import Any

import pytest

from ..judging.preflight import PreflightResult
from ..judging.verdicts import CheckResult
from ..redaction import scrub
from .htmlparts import (
    FILTER_SCRIPT,
    STYLE,
    RowContext,
    analyses_section,
    banner,
    charts_section,
    findings_table,
    hourly_section,
    identity_table,
    incidents_section,
    result_extras,
)
from .model import VERDICT_COLOURS, ReportModel

# the result behind a test item, for its HTML extras
RESULT_KEY = pytest.StashKey[CheckResult | PreflightResult]()
_COLOUR_BY_NAME = {v.value: colour for v, colour in VERDICT_COLOURS.items()}


class AuditHtml:
    """pytest-html hooks, registered only when pytest-html is active."""

    def __init__(
        self,
        model: Callable[[], ReportModel | None],
        context: Callable[[pytest.Item], RowContext],
    ) -> None:
        self._model = model  # the session's report model, built at session finish
        self._context = context  # a check's run folder and series, once collected

    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "Trading bot audit"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        model = self._model()
        if model is None or not model.runs:
            return
        several = len(model.runs) > 1
        _environment(session.config, model)
        before = (len(prefix), len(postfix))
        prefix.append(STYLE)
        prefix.append(f'<div class="botaudit">{banner(model)}')
        for n, run in enumerate(model.runs):
            heading = f"<h3>Run {html.escape(run.identity.run_id)}</h3>" if several else ""
            prefix.append(f"{heading}{identity_table(run)}{findings_table(run, n)}")
        prefix.append(f"</div>{FILTER_SCRIPT}")
        for run in model.runs:
            heading = f"<h3>Run {html.escape(run.identity.run_id)}</h3>" if several else ""
            postfix.append(
                f'<div class="botaudit">{heading}{charts_section(run)}{incidents_section(run)}'
                f"{hourly_section(run)}{analyses_section(run)}</div>"
            )
        # the secrets the audit knows, in whatever spelling the parts escaped them to
        prefix[before[0] :] = [scrub(part) for part in prefix[before[0] :]]
        postfix[before[1] :] = [scrub(part) for part in postfix[before[1] :]]

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
        # pytest-html reads a report's extras as soon as it is logged: made here, per check
        if report.when == "call" and result is not None:
            from pytest_html import extras

            html_extra = extras.html(scrub(result_extras(result, self._context(item))))
            report.extras = [*getattr(report, "extras", []), html_extra]


def _environment(config: pytest.Config, model: ReportModel) -> None:
    """The audit's identity in pytest-html's Environment box too (pytest-metadata's table,
    which pytest-html renders when it writes the file, right after this hook)."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:  # an older pytest-metadata: the summary's identity table says it all
        return
    metadata = config.stash.get(metadata_key, None)
    if metadata is None:
        return
    for run in model.runs:
        i = run.identity
        suffix = f" ({i.run_id})" if len(model.runs) > 1 else ""
        window = (
            f"{i.window_start:%Y-%m-%d %H:%M} → {i.window_end:%Y-%m-%d %H:%M} UTC"
            if (i.window_start and i.window_end)
            else "not collected"
        )
        metadata[f"Audit{suffix}"] = f"run {i.run_id}, {i.mode} mode, {i.status.value}"
        metadata[f"Audit window{suffix}"] = window
        metadata[f"Bot version{suffix}"] = scrub(i.bot_version or "not given")
