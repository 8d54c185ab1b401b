"""The report model as HTML fragments for pytest-html's summary, in the order an operator reads
them: the verdict band (state, problems, the sentences to act on, the run), the findings (one
row per metric) with their filter, the words the profile does not know, the charts, the
incident timeline, the hourly table, both analyses, and the audit's identity. Every figure
comes from the model; nothing here computes one. Every text goes through ``for_html``."""

from __future__ import annotations

from collections.abc import Sequence

from ..config.values import format_duration
from ..escape import for_html
from ..judging.verdicts import Verdict
from ..reruns.render import caption, cell_text
from ..timefmt import moment, span
from .htmlsections import (
    analyses_section,
    charts_section,
    hourly_section,
    incidents_section,
)
from .htmltable import html_table as _table
from .issues import advice, headline, issues, not_run_reason, shown_incidents
from .model import (
    OVERALL_COLOURS,
    VERDICT_COLOURS,
    VERDICT_ORDER,
    Finding,
    ReportModel,
    RunReport,
    cases_text,
)
from .novel import novelty_line, unclassified_shapes, uncounted_event_types

STYLE = """<style>
.botaudit{color:#1f2328;max-width:100%}.botaudit h3{margin:1.2em 0 .4em}
.botaudit table{border-collapse:collapse;margin:.3em 0;color:#1f2328}
.botaudit td,.botaudit th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;
vertical-align:top}.botaudit th{background:#f6f8fa}.botaudit .num{text-align:right}
.botaudit details{margin:.6em 0}.botaudit summary{cursor:pointer;font-weight:bold}
.botaudit .chart{margin:.4em 0;width:100%}
.botaudit .chart svg{width:100%;height:auto;display:block}
.botaudit-filter button{margin-right:4px}.botaudit-filter button.on{font-weight:bold;
text-decoration:underline}.botaudit .near{color:#9a6700}.botaudit pre{white-space:pre-wrap}
.botaudit-evidence li{font-family:ui-monospace,"DejaVu Sans Mono",monospace,
"Noto Color Emoji","Apple Color Emoji","Segoe UI Emoji";font-size:12px}
.botaudit-band{display:flex;gap:1.2em;align-items:center;color:#fff;padding:14px 20px;
margin:0 0 1em;border-radius:6px;width:auto}
.botaudit-band__state{font-size:2.4em;font-weight:800;letter-spacing:.02em;white-space:nowrap}
.botaudit-band p{margin:.15em 0}.botaudit-band__headline{font-size:1.35em;font-weight:700}
.botaudit-band__advice{font-size:1.1em}.botaudit-band__identity,.botaudit-band__cases{
opacity:.92;font-size:.95em}
.botaudit .sev-CRITICAL{color:#cf222e;font-weight:bold}.botaudit .sev-HIGH{color:#bc4c00;
font-weight:bold}.botaudit .sev-MEDIUM{color:#9a6700}
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
# pytest-html's environment table sits above its summary: collapsed, it is one line there
COLLAPSE_ENVIRONMENT = """<script>
(function(){
  var table=document.getElementById('environment');
  var header=document.getElementById('environment-header');
  if(table&&header){table.classList.add('hidden');header.classList.add('collapsed');}
})();
</script>"""


def _run_identity(run: RunReport) -> str:
    i = run.identity
    window = span(i.window_start, i.window_end) if i.window_start else "not collected"
    return (
        f"run {i.run_id} · {i.mode} mode · {window} ({format_duration(i.duration)} every "
        f"{format_duration(i.interval)}) · {i.ticks_taken} of {i.ticks_expected} snapshots, "
        f"{i.gaps} gap ticks · bot {i.bot_version or 'version not given'}"
    )


def band(model: ReportModel) -> str:
    """The verdict first, as a full-width band in its colour: the state, the problems, the
    sentences to act on, which run, and pytest's counts of the test cases."""
    state = model.overall
    colour = OVERALL_COLOURS[state]
    if len(model.runs) == 1:
        run = model.runs[0]
        found = issues(run)
        told = headline(run, found).removeprefix(f"{state}: ")
        act = advice(run, found)
        novel = novelty_line(run)
        who = _run_identity(run)
        cases = f"{cases_text(run.cases)} (pytest's own boxes below)" if run.cases else ""
    else:
        worst = [r for r in model.runs if r.overall == state]
        told = f"{len(model.runs)} runs judged, {len(worst)} of them {state}"
        act = "Each run's problems are in its findings below."
        novel = who = cases = ""
    parts = [
        f'<p class="botaudit-band__headline">{for_html(told)}</p>',
        f'<p class="botaudit-band__advice">{for_html(act)}</p>',
        f'<p class="botaudit-band__advice">{for_html(novel)}</p>' if novel else "",
        f'<p class="botaudit-band__identity">{for_html(who)}</p>' if who else "",
        f'<p class="botaudit-band__cases">{for_html(cases)}</p>' if cases else "",
    ]
    return (
        f'<section class="botaudit-band" data-state="{for_html(state)}" '
        f'style="background:{colour}"><div class="botaudit-band__state">{for_html(state)}'
        f'</div><div class="botaudit-band__body">{"".join(parts)}</div></section>'
    )


def identity_table(run: RunReport) -> str:
    i = run.identity
    rows = [
        ("Run", f"{i.run_id} ({i.status.value})"),
        ("Mode", i.mode),
        ("Window", span(i.window_start, i.window_end) if i.window_start else "not collected"),
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
    body = "".join(f"<tr><th>{for_html(k)}</th><td>{for_html(v)}</td></tr>" for k, v in rows)
    return (
        '<details class="botaudit-identity-box"><summary>The audit\'s identity</summary>'
        f'<table class="botaudit-identity">{body}</table></details>'
    )


def _baseline_cell(run: RunReport, finding: Finding) -> str:
    comparison = run.comparison
    if comparison is None or isinstance(comparison, Exception):
        return ""
    return cell_text(comparison, finding.metric) or "new check"


def _ordered(found: Sequence[Finding]) -> list[Finding]:
    """Worst first: FAIL (critical ones first), NO-DATA, WARN, PASS; catalogue order within."""
    return sorted(found, key=lambda f: (VERDICT_ORDER.index(f.verdict), f.severity != "CRITICAL"))


def _incidents_cell(f: Finding) -> str:
    """A finding's incidents as shown_incidents() picks them: each its span and peak."""
    shown, more = shown_incidents(f.incidents)
    named = [f"{i.severity.value} {span(i.first_seen, i.last_seen)} peak {i.peak:g}" for i in shown]
    return "; ".join(named + ([more] if more else []))


def findings_table(run: RunReport, n: int = 0) -> str:
    """One row per metric (its two checks, its incidents), worst first, with a filter whose
    buttons count the same rows (the n-th run of the page: ids unique)."""
    suffix = f"-{n}" if n else ""
    baseline = run.comparison is not None
    heads = ["Verdict", "Severity", "Metric", "Measured", "Thresholds", "Margin (+ safe)"]
    heads += ["Incidents", "Checks"] + (["vs baseline"] if baseline else [])
    found = _ordered(run.findings)
    rows = []
    for f in found:
        colour = VERDICT_COLOURS[f.verdict]
        near = (
            ' <span class="near" title="within 10% of a limit, on its safe side">near miss</span>'
            if f.near_miss
            else ""
        )
        severity = f.severity or ""
        incidents = _incidents_cell(f)
        cells = [
            f'<td style="color:{colour};font-weight:bold">{f.verdict.value}{near}</td>',
            f'<td class="sev-{severity}">{for_html(severity)}</td>',
            f'<td title="{for_html(f.reason)}">{for_html(f.title)}</td>',
            f'<td class="num">{for_html(f.value)}</td>',
            f"<td>{for_html(f.thresholds)}</td>",
            f'<td class="num">{"-" if f.margin is None else f"{f.margin:g}"}</td>',
            f"<td>{for_html(incidents)}</td>",
            f"<td>{for_html(', '.join(f.names))}</td>",
        ]
        if baseline:
            cells.append(f"<td>{for_html(_baseline_cell(run, f))}</td>")
        rows.append(
            f'<tr data-verdict="{f.verdict.value}" data-near="{int(f.near_miss)}" '
            f'data-metric="{for_html(f.metric)}">' + "".join(cells) + "</tr>"
        )
    counts = {v: sum(1 for f in found if f.verdict is v) for v in Verdict}
    near_misses = sum(1 for f in found if f.near_miss)
    buttons = (
        [("all", f"All ({len(found)})")]
        + [(v.value, f"{v.value} ({counts[v]})") for v in VERDICT_ORDER]
        + [("near", f"near miss ({near_misses})")]
    )
    bar = "".join(
        f'<button type="button" data-show="{k}"{on}>{for_html(t)}</button>'
        for k, t in buttons
        for on in [" class=on" if k == "all" else ""]
    )
    head = "".join(f"<th>{for_html(h)}</th>" for h in heads)
    note = ""
    if isinstance(run.comparison, Exception):
        note = f"<p>Baseline not compared: {for_html(str(run.comparison))}</p>"
    elif run.comparison is not None:
        note = f'<p class="botaudit-baseline">{for_html(caption(run.comparison))}</p>'
    return (
        f"<h3>Findings: {len(found)} metrics, one row each</h3>"
        f'<p class="botaudit-filter" id="botaudit-filter{suffix}" '
        f'data-table="botaudit-findings{suffix}">{bar}</p>'
        f'<table id="botaudit-findings{suffix}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{note}"
    )


def not_run_section(run: RunReport) -> str:
    if run.judged:
        return ""
    return f'<p class="botaudit-not-run">{for_html(not_run_reason(run))}</p>'


def novelty_section(run: RunReport) -> str:
    """The words the profile does not know, every one of them."""
    shapes, types = unclassified_shapes(run), uncounted_event_types(run)
    if not shapes and not types:
        return ""
    parts = ["<h3>Words the profile does not know</h3>"]
    if shapes:
        parts.append(
            "<p>WARNING, ERROR and CRITICAL messages no pattern of the profile classifies: a "
            "fault the bot logs in these words counts nowhere.</p>"
            + _table(
                ["Level", "Shape", "Count", "First seen", "Last seen", "Sample", "Message"],
                (
                    (
                        s.level,
                        s.shape,
                        s.count,
                        moment(s.first_seen),
                        moment(s.last_seen),
                        s.sample,
                        s.message,
                    )
                    for s in shapes
                ),
                "botaudit-unclassified",
            )
        )
    if types:
        parts.append(
            "<p>Event types written in the window that no metric counts and the profile does "
            "not call informational:</p>"
            + _table(
                ["Event type", "Events", "First"],
                ((e.event_type, e.events, moment(e.first_at)) for e in types),
                "botaudit-uncounted-events",
            )
        )
    return "".join(parts)


def run_sections(run: RunReport, n: int, several: bool) -> str:
    """One run's content under the band, in reading order."""
    heading = (
        f"<h3>Run {for_html(run.identity.run_id)}: {for_html(headline(run, issues(run)))}</h3>"
        if several
        else ""
    )
    return (
        f"{heading}{not_run_section(run)}{findings_table(run, n)}{novelty_section(run)}"
        f"{charts_section(run)}{incidents_section(run)}{hourly_section(run)}"
        f"{analyses_section(run)}{identity_table(run)}"
    )
