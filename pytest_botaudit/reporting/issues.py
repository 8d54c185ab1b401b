"""What the filled audit report states about a run: the category scores, the issues found
(one per failing or warning check and per CRITICAL incident) and the key findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..judging.verdicts import CheckResult, MetricSpec, Verdict
from ..record.model import Severity
from .model import RunReport
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
    title: str
    severity: str  # CRITICAL, HIGH, MEDIUM, LOW
    frequency: str
    first_seen: datetime | None
    last_seen: datetime | None
    evidence: tuple[str, ...]
    test: str = ""  # the check that found it (empty for an incident)

    @property
    def priority(self) -> str:
        return PRIORITY[self.severity]


def severity_of(result: CheckResult, specs: Mapping[str, MetricSpec]) -> str:
    spec = specs.get(result.metric)
    if result.verdict is Verdict.FAIL:
        return "CRITICAL" if spec is not None and spec.critical else "HIGH"
    return "MEDIUM" if result.verdict is Verdict.WARN else "LOW"


def issues(run: RunReport) -> list[AuditIssue]:
    """One per FAIL or WARN check, then one per CRITICAL incident, worst first."""
    specs = run.data.metrics if run.data else {}
    series = {s.metric: s for s in run.series}
    found: list[AuditIssue] = []
    for row in run.rows:
        result = row.result
        if result.verdict not in (Verdict.FAIL, Verdict.WARN):
            continue
        if not isinstance(result, CheckResult):  # a pre-flight check that failed or warned
            found.append(
                AuditIssue(
                    title=f"pre-flight: {result.message.split(': ', 1)[-1]}",
                    severity="HIGH" if result.verdict is Verdict.FAIL else "MEDIUM",
                    frequency="at the start of the audit",
                    first_seen=None,
                    last_seen=None,
                    evidence=tuple(result.evidence) or (result.message,),
                    test=row.name,
                )
            )
            continue
        found.append(_check_issue(row.name, result, specs, series.get(result.metric), run))
    collection = run.collection
    for incident in collection.incidents_of(Severity.CRITICAL) if collection else []:
        found.append(
            AuditIssue(
                title=f"CRITICAL incident: {incident.message}",
                severity="CRITICAL",
                frequency=f"{incident.count} snapshot(s), peak {incident.peak:g}",
                first_seen=incident.first_seen,
                last_seen=incident.last_seen,
                evidence=(
                    f"snapshots {incident.first_seen:%H:%M}–{incident.last_seen:%H:%M} UTC "
                    f"(rule {incident.rule_id})",
                    "analysis_db.txt: section 12 (critical events timeline)",
                ),
            )
        )
    order = list(PRIORITY)
    return sorted(found, key=lambda i: order.index(i.severity))


INCIDENT_METRICS = {"critical_alerts": Severity.CRITICAL, "warning_alerts": Severity.WARNING}


def _seen(result: CheckResult, series: Series | None, run: RunReport) -> tuple[list[datetime], str]:
    """When the metric's problem showed (each time), and how often, in words."""
    collection = run.collection
    if result.metric in INCIDENT_METRICS and collection is not None:
        found = collection.incidents_of(INCIDENT_METRICS[result.metric])
        times = sorted([i.first_seen for i in found] + [i.last_seen for i in found])
        return times, f"{len(found)} incident(s) over the audit"
    if series is None:
        return [], f"{result.shown_value} over the audit" if result.value is not None else "-"
    times, count, ticks = series.seen()  # every tick's, not the chart's downsampled points
    if series.cumulative:  # a counter: the snapshots in which it counted something
        return times, f"{result.shown_value} in {count} of {ticks} snapshots"
    return times, f"{count} of {ticks} snapshots beyond the limit"


def _check_issue(
    name: str,
    result: CheckResult,
    specs: Mapping[str, MetricSpec],
    series: Series | None,
    run: RunReport,
) -> AuditIssue:
    times, frequency = _seen(result, series, run)
    first, last = (times[0], times[-1]) if times else (None, None)
    evidence = list(result.evidence)
    if first is not None and last is not None and series is not None:
        evidence.append(f"snapshot minutes {first:%H:%M}–{last:%H:%M} UTC")
    if result.metric in SECTION_OF:
        evidence.append(f"analysis_db.txt: section {SECTION_OF[result.metric]}")
    return AuditIssue(
        title=f"{result.title or result.metric}: {result.shown_value or 'no value'}",
        severity=severity_of(result, specs),
        frequency=frequency,
        first_seen=first,
        last_seen=last,
        evidence=tuple(evidence),
        test=name,
    )


def key_findings(run: RunReport) -> list[tuple[str, str]]:
    """(tag, text), one per metric: failing and warning ones by severity, CRITICAL incidents,
    then near misses and metrics without data (LOW)."""
    specs = run.data.metrics if run.data else {}
    found: list[tuple[str, str]] = []
    low: list[tuple[str, str]] = []
    for finding in run.findings:
        worst = next(c for c in finding.checks if c.verdict is finding.verdict)
        text = f"{finding.title}: {finding.value}"
        if finding.verdict in (Verdict.FAIL, Verdict.WARN):
            found.append((severity_of(worst, specs), text))
        elif finding.verdict is Verdict.NO_DATA:
            low.append(("LOW", f"{finding.title}: no data ({worst.message.split(': ')[-1]})"))
        elif finding.near_miss:
            low.append(("LOW", f"{text}, within 10 % of its limit"))
    collection = run.collection
    for incident in collection.incidents_of(Severity.CRITICAL) if collection else []:
        found.append(("CRITICAL", f"CRITICAL incident: {incident.message}"))
    order = list(PRIORITY)
    return sorted(found, key=lambda f: order.index(f[0])) + low
