"""The run's figures as HTML sections below its findings: the charts, the incident timeline,
the hourly table and both analyses; and a check's row extras (its evidence and chart). Every
figure comes from the model; every text goes through ``for_html``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..collection.alerts import rule_metrics
from ..escape import for_html
from ..judging.preflight import PreflightResult
from ..judging.verdicts import CheckResult
from ..record.folder import RunFolder
from ..timefmt import moment, span
from .evidence import evidence_items
from .htmltable import html_table as _table
from .issues import worst_incidents
from .logtext import render_log_report
from .model import RunReport
from .series import Series, is_count


def chart_figure(series: Series) -> str:
    from .charts import series_chart  # matplotlib loads only when a chart is drawn

    return (
        f'<div class="chart botaudit-chart" data-metric="{for_html(series.metric)}" '
        f'data-integer="{int(is_count(series))}" id="{chart_id(series.metric)}">'
        f"{series_chart(series)}</div>"
    )


def chart_id(metric: str) -> str:
    return f"botaudit-chart-{for_html(metric)}"


def charts_section(run: RunReport) -> str:
    if not run.series:
        return ""
    body = "".join(chart_figure(s) for s in run.series)
    return (
        f'<details open class="botaudit-charts"><summary>Charts: {len(run.series)} per-tick '
        "metrics (counters as running totals; dashed lines are the checks' limits, shaded "
        f"where a warning sign holds; grey bands are gaps)</summary>{body}</details>"
    )


TABLE_INCIDENTS = 200  # incidents listed in the HTML table (the JSON holds every one)


def incidents_section(run: RunReport) -> str:
    collection = run.collection
    if collection is None:
        return ""
    incidents = collection.incidents
    titles = {rule: title for rule, (_, title) in rule_metrics().items()}
    # the table: every incident up to TABLE_INCIDENTS, else the worst and longest of them
    listed = worst_incidents(incidents, TABLE_INCIDENTS)
    rows: list[Sequence[object]] = [
        (
            i.severity.value,
            titles.get(i.rule_id, i.rule_id),
            i.message,
            moment(i.first_seen),
            moment(i.last_seen),
            i.count,
            f"{i.peak:g}",
        )
        for i in listed
    ]
    if len(listed) < len(incidents):
        left_out = len(incidents) - len(listed)
        rows.append(
            (
                "",
                f"… and {left_out} more incident(s)",
                "all in the summary JSON's incidents",
                "",
                "",
                "",
                "",
            )
        )
    from .charts import incident_timeline  # matplotlib loads only when a chart is drawn

    chart = (
        incident_timeline(incidents, collection.started_at, collection.ended_at, titles)
        if incidents
        else ""
    )
    table = _table(
        ["Severity", "Watches", "Message", "First seen", "Last seen", "Snapshots", "Peak"],
        rows,
        "botaudit-incidents",
    )
    return (
        f'<details open class="botaudit-timeline"><summary>Incident timeline: {len(incidents)} '
        f'incident(s)</summary><div class="chart">{chart}</div>{table}</details>'
    )


def hourly_section(run: RunReport) -> str:
    collection = run.collection
    if collection is None:
        return ""
    rows = [
        (
            r.hour,
            span(r.starts, r.ends),
            r.snapshots,
            r.gaps,
            f"{r.active_peak:g}",
            f"{r.opened:g}",
            f"{r.closed:g}",
            f"{r.unprotected_peak:g}",
            f"{r.aged_peak:g}",
            f"{r.api_errors:g}",
            f"{r.ws_reconnects:g}",
            r.responsive,
            "; ".join(r.anomalies) or "none",
        )
        for r in run.hours
    ]
    table = _table(
        [
            "Hour",
            "Window",
            "Snapshots",
            "Gaps",
            "Active peak",
            "Opened",
            "Closed",
            "Unprotected peak",
            "Aged peak",
            "API errors",
            "WS reconnects",
            "Responsive",
            "Anomalies",
        ],
        rows,
        "botaudit-hourly",
    )
    return (
        f'<details class="botaudit-hourly"><summary>Hourly observations ({len(rows)} h)'
        f"</summary>{table}</details>"
    )


def analyses_section(run: RunReport) -> str:
    data = run.data
    if data is None:
        return ""
    parts = []
    if data.log is not None:
        parts.append(
            '<details class="botaudit-log-analysis"><summary>Log analysis</summary>'
            f"<pre>{for_html(render_log_report(data.log))}</pre></details>"
        )
    analysis = data.window.analysis
    if analysis is None:
        parts.append(
            "<p>Database analysis: not available "
            f"({for_html(data.window.error or 'no database')})</p>"
        )
        return "".join(parts)
    sections = []
    for section in analysis.sections:
        inner = (
            f"<p>not available: {for_html(section.unavailable)}</p>"
            if section.unavailable
            else "".join(
                f"<p><i>{for_html(t.name)}</i></p>"
                + (
                    f"<p>not available: {for_html(t.unavailable)}</p>"
                    if t.unavailable
                    else _table(t.columns, t.rows)
                )
                for t in section.tables
            )
        )
        note = f"<p>{for_html(section.note)}</p>" if section.note else ""
        sections.append(
            f'<details class="botaudit-db-section" data-section="{section.number}"><summary>'
            f"{section.number}. {for_html(section.title)}</summary>{inner}{note}</details>"
        )
    parts.append(
        '<details class="botaudit-db-analysis"><summary>Database analysis (14 sections)</summary>'
        + "".join(sections)
        + "</details>"
    )
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a check's row needs besides its result: its run's folder and series."""

    folder: RunFolder | None = None
    series: Sequence[Series] = ()


def result_extras(result: CheckResult | PreflightResult, context: RowContext) -> str:
    """A check's row details: its message, grouped evidence, and a link to its metric's chart
    (one chart per metric in the page: the rows' copies made an 8-hour report twice as big)."""
    folder = context.folder
    items = evidence_items(result.evidence, folder)
    rows = "".join(f"<li>{for_html(e)}</li>" for e in items) or "<li>none</li>"
    chart = ""
    margin = ""
    if isinstance(result, CheckResult):
        shown = "-" if result.margin is None else f"{result.margin:g}"
        margin = f"<p>margin (positive is safe): {shown}</p>"
        series = next((s for s in context.series if s.metric == result.metric), None)
        if series is not None:  # a link to the one chart of the metric, not a copy of it
            chart = (
                f'<p class="botaudit-chart-link" data-metric="{for_html(series.metric)}">'
                f'<a href="#{chart_id(series.metric)}">chart: {for_html(series.title)}</a></p>'
            )
    return (
        f'<div class="botaudit botaudit-evidence"><p><b>{for_html(result.message)}</b></p>'
        f"{margin}<ul>{rows}</ul>{chart}</div>"
    )
