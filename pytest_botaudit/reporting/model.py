"""The report model: an audit's results and figures computed once at the end of the session,
which the terminal, pytest-html, ``audit_report.md``, the summary JSON and JUnit only render."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..collection.alerts import rule_metrics
from ..judging.audit import AuditData
from ..judging.preflight import PreflightResult
from ..judging.verdicts import CheckResult, Kind, MetricSpec, Verdict
from ..record.folder import RunFolder
from ..record.model import CollectionResult, Incident, StopReason
from .hourly import HourRow
from .series import Series

Result = CheckResult | PreflightResult
# the layout of the JUnit properties and the summary JSON's verdicts; compare reads it
FORMAT_VERSION = "2"
NOT_RUN = "NOT RUN"  # the overall state of an audit that could not judge the bot
OVERALL_COLOURS = {"GREEN": "#1a7f37", "YELLOW": "#9a6700", "RED": "#cf222e", NOT_RUN: "#57606a"}
VERDICT_COLOURS = {
    Verdict.PASS: "#1a7f37",
    Verdict.WARN: "#9a6700",
    Verdict.FAIL: "#cf222e",
    Verdict.NO_DATA: "#6e40c9",
}
# worst first: a metric's finding takes the worst verdict of its checks
VERDICT_ORDER = (Verdict.FAIL, Verdict.NO_DATA, Verdict.WARN, Verdict.PASS)


class AuditStatus(enum.Enum):
    """Whether the audit ran at all: CI tells "the bot is RED" from "no audit happened"."""

    COMPLETED = "completed"
    PREFLIGHT_FAILED = "preflight_failed"
    PREFLIGHT_ONLY = "preflight_only"  # only pre-flight checks were selected: all it judged
    INTERRUPTED = "interrupted"
    ABORTED = "aborted"
    ERROR = "error"


def audit_status(
    collection: CollectionResult | None,
    error: str | None,
    preflight_failed: bool,
    judging: bool = True,
) -> AuditStatus:
    if preflight_failed:
        return AuditStatus.PREFLIGHT_FAILED
    if not judging and collection is None and error is None:
        return AuditStatus.PREFLIGHT_ONLY
    if error is not None or collection is None:
        return AuditStatus.ERROR
    return {
        StopReason.COMPLETED: AuditStatus.COMPLETED,
        StopReason.INTERRUPTED: AuditStatus.INTERRUPTED,
        StopReason.ABORTED_ON_CRITICAL: AuditStatus.ABORTED,
        StopReason.ERROR: AuditStatus.ERROR,
    }[collection.stop_reason]


# the states in which no verdict about the bot exists
NOT_JUDGED = frozenset({AuditStatus.PREFLIGHT_FAILED, AuditStatus.ERROR})


def overall(results: Sequence[Result]) -> str:
    """GREEN: all pass; YELLOW: warnings or missing data; RED: any failure."""
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return "RED"
    if verdicts & {Verdict.WARN, Verdict.NO_DATA}:
        return "YELLOW"
    return "GREEN"


# pytest's outcomes of a test case, in the order its summary line names them
CASE_OUTCOMES = {"failed": "failed", "passed": "passed", "skipped": "skipped", "error": "errors"}


def cases_text(cases: Mapping[str, int]) -> str:
    """``35 test cases: 8 failed, 25 passed, 1 skipped`` (pytest's own words and order)."""
    total = sum(cases.values())
    parts = ", ".join(f"{cases[k]} {word}" for k, word in CASE_OUTCOMES.items() if cases.get(k))
    return f"{total} test case{'s' if total != 1 else ''}: {parts or 'none'}"


def verdict_counts(rows: Sequence[ReportRow]) -> tuple[tuple[Verdict, int], ...]:
    """How many rows have each verdict, in the order of the Verdict enum."""
    verdicts = [row.result.verdict for row in rows]
    return tuple((v, verdicts.count(v)) for v in Verdict)


def thresholds_text(result: CheckResult) -> str:
    good = f"good {result.good_threshold}" if result.good_threshold else ""
    warning = f"warning {result.warning_threshold}" if result.warning_threshold else ""
    return ", ".join(x for x in (good, warning) if x)


def thresholds_digest(metrics: Mapping[str, MetricSpec]) -> str:
    """The thresholds a run was judged by, as 12 hex digits: equal digests, equal limits."""
    table = {
        m.metric_id: [str(m.good or ""), str(m.warning or ""), m.critical]
        for m in sorted(metrics.values(), key=lambda m: m.metric_id)
    }
    return hashlib.sha256(json.dumps(table).encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Identity:
    """Which audit this is: the header of every report and the JUnit suite properties."""

    run_id: str
    mode: str
    window_start: datetime | None
    window_end: datetime | None
    duration: float
    interval: float
    dsn: str  # redacted
    profile: str
    profile_hash: str
    thresholds_hash: str
    logs: tuple[str, ...]
    bot_version: str | None
    ticks_expected: int
    ticks_taken: int
    gaps: int
    status: AuditStatus
    plugin_version: str = __version__

    def properties(self) -> list[tuple[str, str]]:
        """The suite-level JUnit properties (overall verdict and counts are added by the model)."""
        return [
            ("botaudit_format", FORMAT_VERSION),
            ("run_id", self.run_id),
            ("audit_status", self.status.value),
            ("mode", self.mode),
            ("window_start", self.window_start.isoformat() if self.window_start else ""),
            ("window_end", self.window_end.isoformat() if self.window_end else ""),
            ("duration_seconds", f"{self.duration:g}"),
            ("interval_seconds", f"{self.interval:g}"),
            ("ticks_expected", str(self.ticks_expected)),
            ("ticks_taken", str(self.ticks_taken)),
            ("gap_ticks", str(self.gaps)),
            ("profile", self.profile),
            ("profile_hash", self.profile_hash),
            ("thresholds_hash", self.thresholds_hash),
            ("plugin_version", self.plugin_version),
            ("bot_version", self.bot_version or ""),
            ("dsn", self.dsn),
        ]


@dataclass(frozen=True, slots=True)
class ReportRow:
    name: str  # the check's test name
    result: Result

    @property
    def measured(self) -> str:
        result = self.result
        if not isinstance(result, CheckResult) or result.value is None:
            return "-"
        return result.shown_value

    def to_json(self) -> dict[str, Any]:
        """The check's verdict as the summary JSON carries it (its JUnit properties' twin)."""
        data: dict[str, Any] = {"name": self.name, **dict(self.result.properties())}
        if isinstance(self.result, CheckResult):
            data["value"] = self.result.value
            data["margin"] = self.result.margin
            data["near_miss"] = self.result.near_miss
        return data


@dataclass(frozen=True, slots=True)
class Finding:
    """One metric: its good indicator and warning sign side by side, judged by the worse, with
    the alert incidents its rules opened (a CRITICAL incident is part of its metric's finding,
    never a finding of its own)."""

    metric: str
    title: str
    checks: tuple[CheckResult, ...]
    names: tuple[str, ...]
    critical: bool = False  # a critical metric: its FAIL blocks a deployment
    incidents: tuple[Incident, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return min((c.verdict for c in self.checks), key=VERDICT_ORDER.index)

    @property
    def severity(self) -> str | None:
        """CRITICAL / HIGH (a FAIL), MEDIUM (a WARN); None for PASS and NO-DATA."""
        if self.verdict is Verdict.FAIL:
            return "CRITICAL" if self.critical else "HIGH"
        return "MEDIUM" if self.verdict is Verdict.WARN else None

    @property
    def value(self) -> str:
        return next((c.shown_value for c in self.checks if c.value is not None), "-")

    @property
    def thresholds(self) -> str:
        return thresholds_text(self.checks[0])

    @property
    def margin(self) -> float | None:
        """The smaller safe-side margin of the metric's checks (negative: a limit crossed)."""
        margins = [c.margin for c in self.checks if c.margin is not None]
        return min(margins) if margins else None

    @property
    def near_miss(self) -> bool:
        """Within 10 % of a limit on its safe side: said of a PASS or a WARN only."""
        return self.verdict in (Verdict.PASS, Verdict.WARN) and any(
            c.near_miss for c in self.checks
        )

    @property
    def deciding(self) -> CheckResult:
        """The check that decided the verdict."""
        return next(c for c in self.checks if c.verdict is self.verdict)

    @property
    def reason(self) -> str:
        return self.deciding.message


def findings(
    rows: Sequence[ReportRow],
    metrics: Mapping[str, MetricSpec] | None = None,
    incidents: Mapping[str, Sequence[Incident]] | None = None,
) -> list[Finding]:
    """The judged metrics in catalogue order of first appearance, each with its incidents."""
    grouped: dict[str, list[tuple[str, CheckResult]]] = {}
    for row in rows:
        if isinstance(row.result, CheckResult):
            grouped.setdefault(row.result.metric, []).append((row.name, row.result))
    specs = metrics or {}
    return [
        Finding(
            metric,
            pairs[0][1].title or metric,
            tuple(sorted((r for _, r in pairs), key=lambda r: r.kind is not Kind.GOOD_INDICATOR)),
            tuple(n for n, _ in pairs),
            critical=bool(spec and spec.critical),
            incidents=tuple((incidents or {}).get(metric, ())),
        )
        for metric, pairs in grouped.items()
        for spec in [specs.get(metric)]
    ]


@dataclass(frozen=True, slots=True)
class RunReport:
    """One audited run: its identity, its checks' results and the data they judged."""

    identity: Identity
    rows: tuple[ReportRow, ...]
    folder: RunFolder | None
    data: AuditData | None
    error: str | None
    collection_seconds: float | None
    series: tuple[Series, ...] = ()  # every per-tick metric, for charts and issues
    hours: tuple[HourRow, ...] = ()  # the hourly observations
    comparison: Any = None  # reruns.compare.Comparison against --audit-baseline, if given
    cases: Mapping[str, int] = field(default_factory=dict)  # pytest outcome -> test cases

    @property
    def judged(self) -> bool:
        """False when the audit never judged the bot (pre-flight failed, nothing collected)."""
        return self.identity.status not in NOT_JUDGED or self.data is not None

    @property
    def overall(self) -> str:
        if not self.judged:
            return NOT_RUN
        return overall([row.result for row in self.rows])

    @property
    def counts(self) -> tuple[tuple[Verdict, int], ...]:
        return verdict_counts(self.rows)

    @property
    def findings(self) -> list[Finding]:
        data = self.data
        collection = data.collection if data else None
        by_metric: dict[str, list[Incident]] = {}
        if collection is not None:
            rules = rule_metrics()
            for incident in collection.incidents:
                metric = rules.get(incident.rule_id, (incident.rule_id, ""))[0]
                by_metric.setdefault(metric, []).append(incident)
        return findings(self.rows, data.metrics if data else None, by_metric)

    @property
    def collection(self) -> CollectionResult | None:
        return self.data.collection if self.data else None

    def properties(self) -> list[tuple[str, str]]:
        """Every suite-level property: identity, overall verdict and the count of each verdict."""
        counts = [(f"count_{v.value.lower().replace('-', '_')}", str(n)) for v, n in self.counts]
        return [*self.identity.properties(), ("overall", self.overall), *counts]

    def verdicts_json(self) -> dict[str, Any]:
        """What the summary JSON adds: status, identity, every verdict and the overall colour."""
        return {
            "botaudit_format": FORMAT_VERSION,
            "run_id": self.identity.run_id,
            "audit_status": self.identity.status.value,
            "identity": dict(self.identity.properties()),
            "overall": self.overall,
            "counts": {v.value: n for v, n in self.counts},
            "test_cases": {k: self.cases.get(k, 0) for k in CASE_OUTCOMES},
            "verdicts": [row.to_json() for row in self.rows],
        }


@dataclass(frozen=True, slots=True)
class ReportModel:
    """Every run of the session (one, unless ``--audit-run all`` replays several)."""

    runs: tuple[RunReport, ...]
    notified: tuple[int, int] | None = None  # notifications (sent, failed)
    gate: tuple[str, ...] | None = None  # --audit-fail-on-regression: why it failed, if it did

    @property
    def rows(self) -> tuple[ReportRow, ...]:
        return tuple(row for run in self.runs for row in run.rows)

    @property
    def overall(self) -> str:
        """The worst run's: NOT RUN when any run could not judge the bot."""
        if any(not run.judged for run in self.runs):
            return NOT_RUN
        return overall([row.result for row in self.rows])

    @property
    def counts(self) -> tuple[tuple[Verdict, int], ...]:
        return verdict_counts(self.rows)

    @property
    def collection_seconds(self) -> float | None:
        seconds = [r.collection_seconds for r in self.runs if r.collection_seconds is not None]
        return sum(seconds) if seconds else None

    @property
    def audit_error(self) -> str | None:
        return next((r.error for r in self.runs if r.error), None)

    @property
    def summary_path(self) -> Path | None:
        collection = self.runs[0].collection if self.runs else None
        return collection.summary_path if collection else None

    @property
    def snapshot_path(self) -> Path | None:
        collection = self.runs[0].collection if self.runs else None
        return collection.snapshot_path if collection else None
