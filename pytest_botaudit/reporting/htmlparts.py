"""The report model as HTML fragments for pytest-html's summary: the audit identity, the
findings table with its verdict filter, the charts, the incident timeline, the hourly table
and both analyses. Every figure comes from the model; nothing here computes one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from ..config.values import format_duration
from ..judging.preflight import PreflightResult
from ..judging.verdicts import CheckResult, Verdict
from ..record.folder import RunFolder
from ..reruns.render import caption, cell_text
from .charts import incident_timeline, series_chart
from .dbtext import _cell
from .evidence import evidence_items
from .logtext import render_log_report
from .model import OVERALL_COLOURS, VERDICT_COLOURS, Finding, ReportModel, RunReport
from .series import Series

STYLE = """<style>
.botaudit{color:#1f2328}.botaudit h3{margin:1.2em 0 .4em}
.botaudit table{border-collapse:collapse;margin:.3em 0;color:#1f2328}
.botaudit td,.botaudit th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;
vertical-align:top}.botaudit th{background:#f6f8fa}.botaudit .num{text-align:right}
.botaudit details{margin:.6em 0}.botaudit summary{cursor:pointer;font-weight:bold}
.botaudit .chart{margin:.4em 0;max-width:100%}
.botaudit .chart svg{width:900px;max-width:100%;height:auto}
.botaudit-filter button{margin-right:4px}.botaudit-filter button.on{font-weight:bold;
text-decoration:underline}.botaudit .near{color:#9a6700}.botaudit pre{white-space:pre-wrap}
.botaudit-evidence li{font-family:monospace;font-size:12px}
</style>"""
FILTER_SCRIPT = """<script>
(function(){
  document.querySelectorAll('.botaudit-filter').forEach(function(bar){
    var table=document.getElementById(bar.getAttribute('data-table'));
    if(!table){return;}
    bar.addEventListener('click',function(e){
      var want=e.target.getAttribute('data-show'); if(!want){return;}
      bar.querySelectorAll('button').forEach(function(b){b.classList.toggle('on',b===e.target);});
      table.querySelectorAll('tbody tr').forEach(function(row){
        var v=row.getAttribute('data-verdict'), near=row.getAttribute('data-near')==='1';
        var show=want==='all'||v===want||(want==='near'&&near);
        row.style.display=show?'':'none';
      });
    });
  });
})();
</script>"""


def _table(columns: Sequence[str], rows: Iterable[Sequence[Any]], id_: str = "") -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    ident = f' id="{id_}"' if id_ else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def banner(model: ReportModel) -> str:
    colour = OVERALL_COLOURS[model.overall]
    counts = ", ".join(
        f'<span style="color:{VERDICT_COLOURS[v]}">{n} {v.value}</span>' for v, n in model.counts
    )
    return (
        f'<p class="botaudit-banner" style="font-size:1.4em">Audit verdict: '
        f'<b style="color:{colour}">{model.overall}</b> &mdash; {counts}</p>'
    )


def identity_table(run: RunReport) -> str:
    i = run.identity
    window = (
        f"{i.window_start:%Y-%m-%d %H:%M:%S} → {i.window_end:%Y-%m-%d %H:%M:%S} UTC"
        if i.window_start and i.window_end
        else "not collected"
    )
    rows = [
        ("Run", f"{i.run_id} ({i.status.value})"),
        ("Mode", i.mode),
        ("Window", window),
        (
            "Duration / interval",
            f"{format_duration(i.duration)} every {format_duration(i.interval)}",
        ),
        ("Snapshots", f"{i.ticks_taken} of {i.ticks_expected} ({i.gaps} gap ticks)"),
        ("Database", i.dsn),
        ("Profile", f"{i.profile} (sha256 {i.profile_hash}), thresholds {i.thresholds_hash}"),
        ("Log files", ", ".join(i.logs) or "none"),
        ("Bot version", i.bot_version or "not given (--audit-bot-version)"),
        ("pytest-botaudit", i.plugin_version),
    ]
    if run.collection_seconds is not None:
        rows.append(("Collection", f"{run.collection_seconds:.1f} s, outside every check"))
    if run.identity.error:
        rows.append(("Error", run.identity.error))
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="botaudit-identity">{body}</table>'


def _baseline_cell(run: RunReport, finding: Finding) -> str:
    comparison = run.comparison
    if comparison is None or isinstance(comparison, Exception):
        return ""
    return cell_text(comparison, finding.metric) or "new check"


def findings_table(run: RunReport, n: int = 0) -> str:
    """The run's findings with their verdict filter (the n-th run of the page: ids unique)."""
    suffix = f"-{n}" if n else ""
    baseline = run.comparison is not None
    heads = ["Check", "Measured", "Thresholds", "Margin (+ safe)", "Verdict"]
    heads += ["vs baseline"] if baseline else []
    rows = []
    for f in run.findings:
        colour = VERDICT_COLOURS[f.verdict]
        near = (
            ' <span class="near" title="within 10% of a limit">near miss</span>'
            if f.near_miss
            else ""
        )
        cells = [
            f'<td title="{escape(f.reason)}">{escape(f.title)}</td>',
            f'<td class="num">{escape(f.value)}</td>',
            f"<td>{escape(f.thresholds)}</td>",
            f'<td class="num">{"-" if f.margin is None else f"{f.margin:g}"}</td>',
            f'<td style="color:{colour};font-weight:bold">{f.verdict.value}{near}</td>',
        ]
        if baseline:
            cells.append(f"<td>{escape(_baseline_cell(run, f))}</td>")
        rows.append(
            f'<tr data-verdict="{f.verdict.value}" data-near="{int(f.near_miss)}">'
            + "".join(cells)
            + "</tr>"
        )
    counts = {v: sum(1 for f in run.findings if f.verdict is v) for v in Verdict}
    near_misses = sum(1 for f in run.findings if f.near_miss)
    buttons = (
        [("all", f"All ({len(run.findings)})")]
        + [
            (v.value, f"{v.value} ({counts[v]})")
            for v in (Verdict.FAIL, Verdict.WARN, Verdict.NO_DATA, Verdict.PASS)
        ]
        + [("near", f"near miss ({near_misses})")]
    )
    bar = "".join(
        f'<button type="button" data-show="{k}"{on}>{escape(t)}</button>'
        for k, t in buttons
        for on in [" class=on" if k == "all" else ""]
    )
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    error = ""
    if isinstance(run.comparison, Exception):
        error = f"<p>Baseline not compared: {escape(str(run.comparison))}</p>"
    elif run.comparison is not None:
        error = f'<p class="botaudit-baseline">{escape(caption(run.comparison))}</p>'
    return (
        f'<h3>Findings</h3><p class="botaudit-filter" id="botaudit-filter{suffix}" '
        f'data-table="botaudit-findings{suffix}">{bar}</p>'
        "<p><small>pytest's own boxes below count a WARN as Passed; these buttons filter by "
        "verdict.</small></p>"
        f'<table id="botaudit-findings{suffix}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{error}"
    )


def chart_figure(series: Series) -> str:
    return (
        f'<div class="chart botaudit-chart" data-metric="{escape(series.metric)}">'
        f"{series_chart(series)}</div>"
    )


def charts_section(run: RunReport) -> str:
    if not run.series:
        return ""
    body = "".join(chart_figure(s) for s in run.series)
    return (
        f'<details open class="botaudit-charts"><summary>Charts: {len(run.series)} per-tick '
        "metrics (counters as running totals; dotted lines are the checks' limits, grey bands "
        f"gaps)</summary>{body}</details>"
    )


def incidents_section(run: RunReport) -> str:
    collection = run.collection
    if collection is None:
        return ""
    incidents = collection.incidents
    rows = [
        (
            i.severity.value,
            i.rule_id,
            i.message,
            f"{i.first_seen:%H:%M:%S}",
            f"{i.last_seen:%H:%M:%S}",
            i.count,
            f"{i.peak:g}",
        )
        for i in incidents
    ]
    chart = (
        incident_timeline(incidents, collection.started_at, collection.ended_at)
        if incidents
        else ""
    )
    table = _table(
        ["Severity", "Rule", "Message", "First seen", "Last seen", "Snapshots", "Peak"],
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
            f"{r.starts:%H:%M}–{r.ends:%H:%M}",
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
            "UTC",
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
            f"<pre>{escape(render_log_report(data.log))}</pre></details>"
        )
    analysis = data.window.analysis
    if analysis is None:
        parts.append(
            "<p>Database analysis: not available "
            f"({escape(data.window.error or 'no database')})</p>"
        )
        return "".join(parts)
    sections = []
    for section in analysis.sections:
        inner = (
            f"<p>not available: {escape(section.unavailable)}</p>"
            if section.unavailable
            else "".join(
                f"<p><i>{escape(t.name)}</i></p>"
                + (
                    f"<p>not available: {escape(t.unavailable)}</p>"
                    if t.unavailable
                    else _table(t.columns, t.rows)
                )
                for t in section.tables
            )
        )
        note = f"<p>{escape(section.note)}</p>" if section.note else ""
        sections.append(
            f'<details class="botaudit-db-section" data-section="{section.number}"><summary>'
            f"{section.number}. {escape(section.title)}</summary>{inner}{note}</details>"
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
    """A check's row details: its message, grouped evidence, and its metric's chart."""
    folder = context.folder
    items = evidence_items(result.evidence, folder)
    rows = "".join(f"<li>{escape(e)}</li>" for e in items) or "<li>none</li>"
    chart = ""
    margin = ""
    if isinstance(result, CheckResult):
        shown = "-" if result.margin is None else f"{result.margin:g}"
        margin = f"<p>margin (positive is safe): {shown}</p>"
        series = next((s for s in context.series if s.metric == result.metric), None)
        if series is not None:
            chart = chart_figure(series)
    return (
        f'<div class="botaudit botaudit-evidence"><p><b>{escape(result.message)}</b></p>{margin}'
        f"<ul>{rows}</ul>{chart}</div>"
    )
