"""An audit's data as the checks judge it: the collection, the log analysis of its window and
the database's whole-window figures, gathered once after collection."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config.profile import Profile
from ..database.connection import Target
from ..database.window import WindowStats, gather_window_stats
from ..logs.files import analyze_files
from ..logs.model import LogAnalysis
from ..record.model import CollectionResult
from .measures import MEASURERS
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
        return measurer(self)

    @property
    def log_live(self) -> bool:
        return self.log is not None and self.log.records > 0

    def log_reason(self) -> str:
        if self.log_error:
            return self.log_error
        if self.log is None:
            return "no bot log given (--audit-log)"
        return "the bot log has no records in the audit window"


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
    log_analysis = None
    log_error = None
    if log_paths:
        try:
            log_analysis = await asyncio.to_thread(analyze_files, log_paths, profile, since, until)
        except OSError as exc:
            log_error = f"cannot read the bot log: {exc}"
    window = (
        await gather_window_stats(dsn, profile, since, until)
        if use_database
        else WindowStats(error="replay mode without --audit-dsn reads no database")
    )
    return AuditData(collection, log_analysis, window, profile, metrics, log_error)
