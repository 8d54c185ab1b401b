"""An audit's data as the checks judge it: the collection, the log analysis of its window and
the database's whole-window figures, gathered once after collection."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config.profile import Profile
from ..database.analysis import DatabaseAnalysis
from ..database.connection import Target
from ..database.window import WindowStats, gather_window_stats
from ..logs.files import analyze_files
from ..logs.model import LogAnalysis
from ..record.model import CollectionResult
from .evidence import log_samples
from .measures import MEASURERS
from .sampling import sample_of
from .verdicts import CheckResult, Kind, Measurement, MetricSpec, judge

# metrics that judge the collection itself, meaningful even when the database lacks columns
COLLECTION_METRICS = frozenset({"snapshots_collected", "snapshot_gaps"})


@dataclass(frozen=True, slots=True)
class AuditData:
    """Everything the checks judge. ``measure(metric)`` looks the metric's measurer up in the
    registry (judging.measures); the worse of the live sources wins, none live means NO-DATA."""

    collection: CollectionResult
    log: LogAnalysis | None
    window: WindowStats
    profile: Profile
    metrics: Mapping[str, MetricSpec]
    log_error: str | None = None

    def check(self, metric: str, kind: Kind) -> CheckResult:
        return judge(self.metrics[metric], kind, self.measure(metric))

    def measure(self, metric: str) -> Measurement:
        measurer = MEASURERS[metric]
        if self.collection.missing_columns and metric not in COLLECTION_METRICS:
            missing = ", ".join(self.collection.missing_columns)
            return Measurement.no_data(f"the database lacks {missing}")
        measured = measurer(self)
        return replace(measured, sample=sample_of(self, metric, measured))

    @property
    def log_live(self) -> bool:
        return self.log is not None and self.log.records > 0

    def log_reason(self) -> str:
        if self.log_error:
            return self.log_error
        if self.log is None:
            return "no bot log given (--audit-log)"
        return "the bot log has no records in the audit window"

    def log_evidence(self, category: str | None) -> tuple[str, ...]:
        """A log-sourced figure's evidence: its samples, and first the stretches of ticks
        whose log could not be read (the figure may miss what was logged then)."""
        notes = tuple(
            f"the log was not readable at ticks {first}-{last} ({why}): what it logged then "
            "may be missing from this figure"
            for first, last, why in self.collection.log_gaps()
        )
        return (*notes, *log_samples(self.log, category))

    def log_gap(self, category: str | None) -> str | None:
        """Why the log is no source for ``category`` (None: it is). Its count is evidence only
        when the log has records in the window, the profile has patterns for it, and either a
        record of it is there or the window shows the log covers its topic (log.coverage):
        no mention of a topic the log does not show it logs is no evidence of its absence."""
        if not self.log_live or self.log is None:
            return self.log_reason()
        if category is None:
            return "the profile names no log category for it"
        if not self.profile.log_patterns.get(category):
            return (
                f"the profile has no pattern for log.patterns.{category} (the bot is not known "
                "to log it)"
            )
        if self.log.count(category):
            return None
        shown_by = self.profile.log_coverage.get(category)
        if shown_by is None:
            return (
                f"the bot log never mentions {category} in the window, and the profile does not "
                f"say that no mention is a real zero (log.coverage.{category})"
            )
        if shown_by == ("records",) or any(self.log.count(c) for c in shown_by):
            return None
        return (
            f"the bot log never mentions {category} in the window, nor what shows that it "
            f"logs it ({', '.join(shown_by)})"
        )


async def complete_audit(
    collection: CollectionResult,
    profile: Profile,
    metrics: Mapping[str, MetricSpec],
    dsn: Target | str | None,
    log_paths: Sequence[Path],
    use_database: bool = True,
) -> AuditData:
    """Everything the checks judge: the collection, the log over the collection's window and
    the database's whole-window figures."""
    since, until = collection.started_at, collection.ended_at

    async def read_log() -> tuple[LogAnalysis | None, str | None]:
        if not log_paths:
            return None, None
        try:
            found = await asyncio.to_thread(analyze_files, log_paths, profile, since, until)
        except OSError as exc:
            return None, f"cannot read the bot log: {exc}"
        return found, None

    async def read_database() -> WindowStats:
        if not use_database:
            return WindowStats(error="replay mode without --audit-dsn reads no database")
        return await gather_window_stats(dsn, profile, since, until)

    # the log read on a thread while the server runs the database's scans: the end of an audit
    # takes the longer of the two, not their sum
    try:
        async with asyncio.TaskGroup() as group:
            reading = group.create_task(read_log())
            querying = group.create_task(read_database())
    except BaseExceptionGroup as failed:  # the error itself, as the one it came from raised it
        raise failed.exceptions[0] from None
    (log_analysis, log_error), window = reading.result(), querying.result()
    if window.analysis is not None and log_analysis is not None:
        window = replace(window, analysis=with_log_note(window.analysis, log_analysis))
    return AuditData(collection, log_analysis, window, profile, metrics, log_error)


def with_log_note(analysis: DatabaseAnalysis, log: LogAnalysis) -> DatabaseAnalysis:
    """Section 9 from the log where the bot writes no WebSocket events (it mostly does not)."""
    websocket = analysis.section(9)
    if websocket.unavailable is None and any(t.rows for t in websocket.tables):
        return analysis
    ws = log.websocket
    note = (
        f"recorded only in the log: {ws.connects} connects, {ws.disconnects} disconnects, "
        f"{ws.reconnects} reconnects, "
        + (f"uptime {ws.uptime_percent:g} %" if ws.uptime_percent is not None else "uptime n/a")
        + f" over {ws.covers}"
    )
    sections = tuple(replace(s, note=note) if s.number == 9 else s for s in analysis.sections)
    return replace(analysis, sections=sections)
