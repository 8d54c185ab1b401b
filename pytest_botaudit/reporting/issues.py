"""What every output states about a run: the problems found (one per metric whose finding
FAILs or WARNs, its incidents part of it, and one per pre-flight check that failed or warned),
the headline that counts them, the sentences to act on, and the category scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..config.values import format_duration
from ..judging.preflight import PreflightResult
from ..judging.verdicts import CheckResult, Verdict
from ..record.model import Incident, Severity
from ..timefmt import span
from .model import NOT_RUN, AuditStatus, Finding, RunReport
from .novel import unclassified_shapes, uncounted_event_types
from .series import Series

# each category's catalogue metrics (both their checks count)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "System stability": (
        "snapshots_collected",
        "snapshot_gaps",
        "ws_reconnects",
        "timeouts",
        "api_errors",
    ),
    "Data integrity": ("zombie_orders", "aged_positions", "warning_alerts"),
    "Performance": (
        "api_response_ms",
        "sl_update_latency_ms",
        "slow_operations",
        "ts_updates_per_position",
        "ts_updates_per_minute",
    ),
    "Risk management": ("unprotected_positions", "emergency_closes", "critical_alerts"),
}
CREDIT = {Verdict.PASS: 1.0, Verdict.WARN: 0.5, Verdict.FAIL: 0.0}
SCORE_FORMULA = (
    "score = 10 × (PASS + ½·WARN) / (PASS + WARN + FAIL), over the checks of the category's "
    "metrics (good indicator and warning sign each count); NO-DATA checks are left out, and a "
    "category with no judged check shows n/a. Rounded to one decimal."
)
PRIORITY = {"CRITICAL": "IMMEDIATE", "HIGH": "HIGH", "MEDIUM": "MEDIUM", "LOW": "LOW"}
# where the database analysis (analysis_db.txt) shows a metric's detail
SECTION_OF = {
    "unprotected_positions": 2,
    "sl_update_latency_ms": 5,
    "api_response_ms": 5,
    "api_errors": 4,
    "timeouts": 4,
    "aged_positions": 6,
    "zombie_orders": 7,
    "ws_reconnects": 9,
    "ts_updates_per_position": 3,
    "ts_updates_per_minute": 3,
    "emergency_closes": 12,
    "critical_alerts": 12,
    "warning_alerts": 12,
}


@dataclass(frozen=True, slots=True)
class Score:
    category: str
    value: float | None
    judged: int
    no_data: int


def scores(run: RunReport) -> list[Score]:
    results = [r.result for r in run.rows if isinstance(r.result, CheckResult)]
    found = []
    for category, metrics in CATEGORIES.items():
        mine = [r for r in results if r.metric in metrics]
        judged = [r for r in mine if r.verdict in CREDIT]
        value = (
            round(10 * sum(CREDIT[r.verdict] for r in judged) / len(judged), 1) if judged else None
        )
        found.append(Score(category, value, len(judged), len(mine) - len(judged)))
    return found


@dataclass(frozen=True, slots=True)
class AuditIssue:
    """One problem the audit found: a metric whose finding FAILs or WARNs (both its checks, its
    incidents), or a pre-flight check that failed or warned. Every output lists these."""

    title: str
    severity: str  # CRITICAL, HIGH, MEDIUM
    verdict: Verdict
    frequency: str
    first_seen: datetime | None
    last_seen: datetime | None
    evidence: tuple[str, ...]
    tests: tuple[str, ...] = ()  # the checks that judged it
    metric: str = ""  # empty for a pre-flight check
    value: str = ""
    thresholds: str = ""
    incidents: tuple[Incident, ...] = ()

    @property
    def priority(self) -> str:
        return PRIORITY[self.severity]

    @property
    def test(self) -> str:
        return ", ".join(self.tests)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "metric": self.metric or None,
            "severity": self.severity,
            "verdict": self.verdict.value,
            "value": self.value,
            "thresholds": self.thresholds,
            "frequency": self.frequency,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "tests": list(self.tests),
            "incidents": [i.to_json() for i in self.incidents],
            "evidence": list(self.evidence),
        }


def issues(run: RunReport) -> list[AuditIssue]:
    """One per metric whose finding FAILs or WARNs, one per pre-flight check that failed or
    warned; worst first."""
    series = {s.metric: s for s in run.series}
    found = [
        _finding_issue(f, series.get(f.metric), run) for f in run.findings if f.severity is not None
    ]
    for row in run.rows:
        result = row.result
        if isinstance(result, CheckResult) or result.verdict not in (Verdict.FAIL, Verdict.WARN):
            continue
        found.append(
            AuditIssue(
                title=f"pre-flight: {result.message.split(': ', 1)[-1]}",
                severity="HIGH" if result.verdict is Verdict.FAIL else "MEDIUM",
                verdict=result.verdict,
                frequency="at the start of the audit",
                first_seen=None,
                last_seen=None,
                evidence=tuple(result.evidence) or (result.message,),
                tests=(row.name,),
            )
        )
    order = list(PRIORITY)
    return sorted(found, key=lambda i: order.index(i.severity))


def not_judged(run: RunReport) -> list[Finding]:
    """The metrics whose finding is NO-DATA: no verdict either way."""
    return [f for f in run.findings if f.verdict is Verdict.NO_DATA]


INCIDENT_METRICS = {"critical_alerts": Severity.CRITICAL, "warning_alerts": Severity.WARNING}


def _incidents_of(finding: Finding, run: RunReport) -> tuple[Incident, ...]:
    """A metric's own incidents; the alert-count metrics are about every incident of theirs."""
    collection = run.collection
    if finding.metric in INCIDENT_METRICS and collection is not None:
        return tuple(collection.incidents_of(INCIDENT_METRICS[finding.metric]))
    return finding.incidents


def _seen(finding: Finding, series: Series | None, run: RunReport) -> tuple[list[datetime], str]:
    """When the metric's problem showed (each time), and how often, in words."""
    value = finding.value
    if finding.metric in INCIDENT_METRICS:
        found = _incidents_of(finding, run)
        times = sorted([i.first_seen for i in found] + [i.last_seen for i in found])
        return times, f"{len(found)} incident(s) over the audit"
    if series is None:
        return [], f"{value} over the audit" if value != "-" else "-"
    times, count, ticks = series.seen()  # every tick's, not the chart's downsampled points
    if series.cumulative:  # a counter: the snapshots in which it counted something
        return times, f"{value} in {count} of {ticks} snapshots"
    return times, f"{count} of {ticks} snapshots beyond the limit"


SHOWN_INCIDENTS = 5  # a problem's incidents named in its lines; the others are counted


def incident_line(incident: Incident) -> str:
    return (
        f"{incident.severity.value} incident {span(incident.first_seen, incident.last_seen)}"
        f": {incident.message} ({incident.count} snapshot(s), peak {incident.peak:g})"
    )


def worst_incidents(incidents: Sequence[Incident], n: int) -> list[Incident]:
    """The ``n`` worst of ``incidents`` (by severity, then the most snapshots), in their order."""
    ranks = list(Severity)
    worst = sorted(incidents, key=lambda i: (ranks.index(i.severity), -i.count))
    kept = set(map(id, worst[:n]))
    return [i for i in incidents if id(i) in kept]


def shown_incidents(incidents: Sequence[Incident]) -> tuple[list[Incident], str | None]:
    """The SHOWN_INCIDENTS worst of a problem's incidents (by severity, then the most
    snapshots) in the order they opened, and a line saying how many more there are (thousands
    of one-tick incidents would bury the rest of a report, and the long one among them)."""
    if len(incidents) <= SHOWN_INCIDENTS:
        return list(incidents), None
    shown = sorted(worst_incidents(incidents, SHOWN_INCIDENTS), key=lambda i: i.first_seen)
    more = len(incidents) - SHOWN_INCIDENTS
    return shown, (
        f"and {more} more incident(s), every one in the incident timeline and the summary JSON"
    )


def incident_lines(incidents: Sequence[Incident]) -> list[str]:
    """A problem's incidents as shown_incidents() picks them, a line each."""
    shown, more = shown_incidents(incidents)
    return [incident_line(i) for i in shown] + ([more] if more else [])


def _finding_issue(finding: Finding, series: Series | None, run: RunReport) -> AuditIssue:
    times, frequency = _seen(finding, series, run)
    first, last = (times[0], times[-1]) if times else (None, None)
    incidents = _incidents_of(finding, run)
    evidence = list(finding.deciding.evidence)
    evidence += incident_lines(incidents)
    if first is not None and last is not None and series is not None:
        evidence.append(f"snapshots {span(first, last)}")
    if finding.metric in SECTION_OF:
        evidence.append(f"analysis_db.txt: section {SECTION_OF[finding.metric]}")
    assert finding.severity is not None
    return AuditIssue(
        title=f"{finding.title}: {finding.value if finding.value != '-' else 'no value'}",
        severity=finding.severity,
        verdict=finding.verdict,
        frequency=frequency,
        first_seen=first,
        last_seen=last,
        evidence=tuple(evidence),
        tests=finding.names,
        metric=finding.metric,
        value=finding.value,
        thresholds=finding.thresholds,
        incidents=finding.incidents,  # its own: an alert count's are its evidence
    )


def key_findings(run: RunReport) -> list[tuple[str, str]]:
    """(tag, text), one per problem (worst first), then the metrics without data and the near
    misses (LOW)."""
    found = [(i.severity, i.title) for i in issues(run)]
    low = [("LOW", f"{f.title}: no data ({f.reason.split(': ')[-1]})") for f in not_judged(run)] + [
        ("LOW", f"{f.title}: {f.value}, within 10 % of its limit")
        for f in run.findings
        if f.near_miss and f.verdict is Verdict.PASS
    ]
    return found + low


def severity_counts(found: Sequence[AuditIssue]) -> str:
    """``3 critical, 2 high``."""
    counts = [(s, sum(1 for i in found if i.severity == s)) for s in PRIORITY if s != "LOW"]
    return ", ".join(f"{n} {s.lower()}" for s, n in counts if n)


def headline(run: RunReport | None, found: Sequence[AuditIssue] = ()) -> str:
    """``RED: 5 problems (3 critical, 2 high)``: the first thing every output says."""
    if run is None or not run.judged:
        return f"{NOT_RUN}: the audit did not judge the bot"
    overall = run.overall
    n = len(found)
    text = f"{overall}: {n} problem{'s' if n != 1 else ''}"
    if n:
        text += f" ({severity_counts(found)})"
    blind = not_judged(run)
    if blind:
        text += f", {len(blind)} metric{'s' if len(blind) != 1 else ''} not judged (NO-DATA)"
    return text


def _listed(found: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(found[:limit])
    return shown + (f" and {len(found) - limit} more" if len(found) > limit else "")


def answer(run: RunReport) -> str:
    """The run's headline and what to do, as one line (the terminal's last, the notifier's)."""
    found = issues(run)
    return f"{headline(run, found)}. {advice(run, found)}"


def advice(run: RunReport, found: Sequence[AuditIssue]) -> str:
    """The one or two sentences to act on."""
    if not run.judged:
        return f"Fix this and run the audit again: {not_run_reason(run)}."
    failing = [i.title for i in found if i.verdict is Verdict.FAIL]
    warning = [i.title for i in found if i.verdict is Verdict.WARN]
    blind = [f.title for f in not_judged(run)]
    sentences = []
    if failing:
        sentences.append(f"Do not deploy. Fix first: {_listed(failing)}.")
    elif warning:
        sentences.append(f"Review before deploying: {_listed(warning)}.")
    if blind:
        sentences.append(
            f"Not judged for lack of data: {_listed(blind)}; give the audit their source "
            "(database, log) or accept the gap with --audit-allow-no-data."
        )
    if run.identity.status is AuditStatus.PREFLIGHT_ONLY:
        sentences.append(
            "Only pre-flight checks were selected: the setup was checked, no metric judged."
        )
    if not sentences:
        judged = sum(1 for f in run.findings if f.verdict is Verdict.PASS)
        near = [f"{f.title} ({f.value})" for f in run.findings if f.near_miss]
        sentences.append(
            f"All {judged} metrics within their limits over the "
            f"{format_duration(run.identity.duration)} window."
            + (f" Near a limit: {_listed(near)}." if near else "")
        )
    return " ".join(sentences)


def not_run_reason(run: RunReport) -> str:
    """Why an audit that did not judge the bot did not: its failed pre-flight checks, or the
    error that stopped it."""
    failed = [
        f"{row.name}: {row.result.message}"
        for row in run.rows
        if isinstance(row.result, PreflightResult)
        and row.result.verdict in (Verdict.FAIL, Verdict.NO_DATA)
    ]
    if failed:
        return "pre-flight failed: " + "; ".join(failed)
    return run.error or "nothing was collected"


def problems_json(run: RunReport) -> dict[str, Any]:
    """What the summary JSON says of the run, in the words of every other output: the
    headline, the sentences to act on, one entry per problem, per metric not judged, and per
    metric (its finding)."""
    found = issues(run)
    return {
        "headline": headline(run, found),
        "advice": advice(run, found),
        "problems": [i.to_json() for i in found],
        "not_judged": [
            {"metric": f.metric, "title": f.title, "reason": f.reason} for f in not_judged(run)
        ],
        "unclassified_shapes": [s.to_json() for s in unclassified_shapes(run)],
        "uncounted_event_types": [
            {"event_type": e.event_type, "events": e.events, "first_at": e.first_at.isoformat()}
            for e in uncounted_event_types(run)
        ],
        "findings": [
            {
                "metric": f.metric,
                "title": f.title,
                "verdict": f.verdict.value,
                "severity": f.severity,
                "value": f.value,
                "thresholds": f.thresholds,
                "margin": f.margin,
                "near_miss": f.near_miss,
                "tests": list(f.names),
                "incidents": [i.to_json() for i in f.incidents],
            }
            for f in run.findings
        ],
    }
