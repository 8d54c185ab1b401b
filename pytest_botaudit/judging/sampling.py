"""What each metric's value was drawn from (its Sample), so a rerun can tell noise from change:
one entry per metric in SAMPLERS or in UNSAMPLED (a test checks both cover the catalogue).

Counts are events over the audit window; latencies are the summary of the very samples whose
mean the check judges (the database's, else the log's). A metric in UNSAMPLED has no noise
model (a peak, a share, a maximum over positions): compare judges it by its verdict alone."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from .sample import Sample, SampleKind
from .verdicts import Measurement

if TYPE_CHECKING:
    from .audit import AuditData

Sampler = Callable[["AuditData", Measurement], Sample | None]


def window_hours(audit: AuditData) -> float:
    collection = audit.collection
    return (collection.ended_at - collection.started_at).total_seconds() / 3600


def _count(audit: AuditData, measurement: Measurement) -> Sample | None:
    value = measurement.value
    hours = window_hours(audit)
    if value is None or hours <= 0 or value < 0 or not float(value).is_integer():
        return None
    return Sample.count(value, round(hours, 6))


def _latency(name: str) -> Sampler:
    def sample(audit: AuditData, measurement: Measurement) -> Sample | None:
        value = measurement.value
        if value is None:
            return None
        found = _database_latency(audit, name) or _log_latency(audit, name)
        # the sample must be the one the value is the mean of, else it would test another thing
        if found is None or found.mean is None or not math.isclose(found.mean, value, abs_tol=0.01):
            return None
        return found

    return sample


def _database_latency(audit: AuditData, name: str) -> Sample | None:
    stats = audit.window.latencies.get(name)
    if not stats or not stats.samples or stats.avg_ms is None:
        return None
    return Sample(
        SampleKind.LATENCY,
        float(stats.samples),
        mean=stats.avg_ms,
        sd=stats.sd_ms,
        p50=stats.p50_ms,
        p95=stats.p95_ms,
        max=stats.max_ms,
        source="database",
        batches=float(stats.batches),
        batch_mean=stats.batch_mean_ms,
        batch_sd=stats.batch_sd_ms,
    )


def _log_latency(audit: AuditData, name: str) -> Sample | None:
    spec = audit.profile.latency(name)
    if audit.log is None or spec is None or not spec.log_category:
        return None
    stats = audit.log.latencies_ms.get(spec.log_category)
    if not stats:
        return None
    return Sample(
        SampleKind.LATENCY,
        stats["samples"],
        mean=stats["avg"],
        sd=stats.get("sd"),
        p50=stats.get("p50"),
        p95=stats.get("p95"),
        max=stats.get("max"),
        source="log",
        batches=stats.get("batches"),
        batch_mean=stats.get("batch_mean"),
        batch_sd=stats.get("batch_sd"),
    )


SAMPLERS: dict[str, Sampler] = {
    "critical_alerts": _count,
    "warning_alerts": _count,
    "emergency_closes": _count,
    "timeouts": _count,
    "ws_reconnects": _count,
    "api_errors": _count,
    "zombie_orders": _count,
    "slow_operations": _count,
    "api_response_ms": _latency("api_response_ms"),
    "sl_update_latency_ms": _latency("sl_update_latency_ms"),
}
# why a metric has no noise model; compare shows it beside a change it judges by verdict alone
UNSAMPLED: dict[str, str] = {
    "snapshots_collected": "a share of the expected snapshots",
    "snapshot_gaps": "gap ticks, which depend on the interval",
    "unprotected_positions": "a peak over the ticks",
    "aged_positions": "a peak over the ticks",
    "ts_updates_per_position": "the busiest position's count, a maximum",
    "ts_updates_per_minute": "the busiest position's rate, a maximum",
}


def sample_of(audit: AuditData, metric: str, measurement: Measurement) -> Sample | None:
    sampler = SAMPLERS.get(metric)
    return sampler(audit, measurement) if sampler is not None else None
