"""The audit in pytest-html, through its hooks: the verdict band first, then the findings with
their filter, the charts, the incident timeline, the hourly table and the analyses, all before
pytest-html's own boxes and results table (its environment table collapsed); Verdict /
Measured / Thresholds columns; each check's evidence and chart in its row's extras."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from ..escape import for_html
from ..judging.preflight import PreflightResult
from ..judging.verdicts import CheckResult, plural_unit
from ..redaction import scrub
from ..timefmt import span
from .htmlparts import COLLAPSE_ENVIRONMENT, FILTER_SCRIPT, STYLE, band, run_sections
from .htmlsections import RowContext, result_extras
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
        """The audit before pytest-html's own boxes and results table: the verdict band, then
        each run's findings, charts, timeline and analyses; pytest-html's environment table,
        above the summary, collapsed to one line."""
        model = self._model()
        if model is None or not model.runs:
            return
        several = len(model.runs) > 1
        _environment(session.config, model)
        body = "".join(run_sections(run, n, several) for n, run in enumerate(model.runs))
        # the secrets the audit knows, in whatever spelling the parts escaped them to
        prefix.append(
            scrub(
                f'{STYLE}{COLLAPSE_ENVIRONMENT}<div class="botaudit">{band(model)}{body}</div>'
                f"{FILTER_SCRIPT}"
            )
        )

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, '<th class="sortable" data-column-type="verdict">Verdict</th>')
        cells.insert(3, '<th data-column-type="value">Measured</th>')
        cells.insert(4, '<th data-column-type="thresholds">Thresholds</th>')

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        props = {str(k): str(v) for k, v in report.user_properties}
        verdict = props.get("verdict", "")
        colour = _COLOUR_BY_NAME.get(verdict, "inherit")
        value = _measured(props.get("value", ""), props.get("unit", ""))
        limits = ", ".join(
            f"{k.split('_')[0]} {props[k]}"
            for k in ("good_threshold", "warning_threshold")
            if props.get(k)
        )
        cells.insert(
            1,
            f'<td class="col-verdict" style="color:{colour};font-weight:bold">'
            f"{for_html(verdict)}</td>",
        )
        cells.insert(3, f'<td class="col-value">{for_html(value)}</td>')
        cells.insert(4, f'<td class="col-thresholds">{for_html(limits)}</td>')

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
        window = span(i.window_start, i.window_end) if i.window_start else "not collected"
        # pytest-html puts these values into its page as HTML: escaped here (and scrubbed)
        metadata[f"Audit{suffix}"] = for_html(f"run {i.run_id}, {i.mode} mode, {i.status.value}")
        metadata[f"Audit window{suffix}"] = for_html(window)
        metadata[f"Bot version{suffix}"] = for_html(i.bot_version or "not given")


def _measured(value: str, unit: str) -> str:
    """The results table's Measured cell: ``1 close``, ``2 closes`` (as every other output)."""
    try:
        number = float(value)
    except ValueError:
        return f"{value} {unit}".strip()
    return f"{value} {plural_unit(unit, number)}".strip()
