"""How each metric of the catalogue is measured: one function per metric, tied to its id by the
MEASURERS table (a test checks the table and the catalogue name the same metrics)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from ..record.digest import digest_of
from ..record.model import Severity
from .evidence import (
    EVIDENCE_LIMIT,
    capped,
    distinct_unprotected,
    minute,
    ticks_over_zero,
)
from .verdicts import Measurement

if TYPE_CHECKING:
    from .audit import AuditData

Source = tuple[str, float, tuple[str, ...]]  # (where from, value, evidence)


def _worst(sources: list[Source], reasons: list[str]) -> Measurement:
    if not sources:
        return Measurement.no_data("; ".join(reasons))
    name, value, _ = max(sources, key=lambda s: s[1])
    evidence = tuple(e for _, _, ev in sources for e in ev)
    detail = ", ".join(f"{n}: {v:g}" for n, v, _ in sources)
    return Measurement(value, evidence, detail if len(sources) > 1 else f"from {name}")


def _db_source(audit: AuditData, counter: str) -> Source | str:
    """The database's total of a counter, or why it has none (its event types never occur)."""
    collection = audit.collection
    types = collection.missing_event_types.get(counter)
    if types:
        table = f"{audit.profile.schema}.{audit.profile.tables['events']}"
        return f"event types {list(types)} never occur in {table}"
    if not collection.taken:
        return "no snapshots were collected"
    return ("database", collection.total(counter), ticks_over_zero(digest_of(collection), counter))


def _log_category(audit: AuditData, counter: str) -> str | None:
    spec = audit.profile.counter(counter)
    return spec.log_category if spec else None


def _counter_and_log(audit: AuditData, counter: str) -> Measurement:
    """A counter of the profile judged on both its sources: the events it counts in the
    database and the records of its log category."""
    sources: list[Source] = []
    reasons: list[str] = []
    database = _db_source(audit, counter)
    if isinstance(database, str):
        reasons.append(database)
    else:
        sources.append(database)
    category = _log_category(audit, counter)
    gap = audit.log_gap(category)
    if gap is None and audit.log is not None and category is not None:
        sources.append(("log", float(audit.log.count(category)), audit.log_evidence(category)))
    else:
        reasons.append(gap or audit.log_reason())
    return _worst(sources, reasons)


def snapshots_collected(audit: AuditData) -> Measurement:
    collection = audit.collection
    got, expected = collection.taken, collection.expected_ticks
    evidence = tuple(
        f"gap at tick {g.tick} ({minute(g.window_start)}-{minute(g.window_end)}): {g.reason}"
        for g in collection.gaps
    )
    if collection.error:
        evidence += (f"collector error: {collection.error}",)
    detail = f"{got} of {expected} snapshots, stopped: {collection.stop_reason.value}"
    return Measurement(round(100.0 * got / expected, 2), capped(evidence), detail)


def snapshot_gaps(audit: AuditData) -> Measurement:
    gaps = audit.collection.gaps
    evidence = tuple(
        f"tick {g.tick} ({minute(g.window_start)}-{minute(g.window_end)}): {g.reason}" for g in gaps
    )
    return Measurement(float(len(gaps)), capped(evidence))


def _incidents(audit: AuditData, severity: Severity) -> Measurement:
    """Incidents are judged on snapshots: none judged, none could have opened."""
    if not audit.collection.taken:
        return Measurement.no_data("no snapshot was judged (none collected)")
    found = audit.collection.incidents_of(severity)
    evidence = tuple(
        f"{i.message} (first {minute(i.first_seen)}, last "
        f"{minute(i.last_seen)}, {i.count} tick{'' if i.count == 1 else 's'}, peak {i.peak:g})"
        for i in found
    )
    return Measurement(
        float(len(found)),
        capped(evidence),
        f"{audit.collection.taken} snapshots judged",
    )


def critical_alerts(audit: AuditData) -> Measurement:
    return _incidents(audit, Severity.CRITICAL)


def warning_alerts(audit: AuditData) -> Measurement:
    return _incidents(audit, Severity.WARNING)


def unprotected_positions(audit: AuditData) -> Measurement:
    """The positions that went without a stop-loss at some tick (the database's and those
    the bot's own log names), or that the analysis finds unprotected between two ticks."""
    if not audit.collection.taken:
        return Measurement.no_data("no snapshots were collected")
    digest = digest_of(audit.collection)
    evidence = ticks_over_zero(digest, "unprotected_positions")
    rows = _analysis_rows(audit, 2, "02b_unprotected_positions")
    evidence += tuple(  # each position and how long (database analysis, section 2)
        f"#{r['id']} {r['symbol']} ({r['exchange']}) without stop-loss for "
        f"{float(str(r['unprotected_seconds'])):.0f} s: opened {_clock(r['opened_at'])}, "
        + (
            f"first stop-loss {_clock(r['first_stop_loss'])}"
            if r["first_stop_loss"]
            else "none by the end"
        )
        for r in rows[:EVIDENCE_LIMIT]
    )
    evidence += tuple(
        f"still unprotected at the end: #{p.id} {p.symbol} ({p.exchange}) opened "
        f"{_clock(p.opened_at)}"
        for p in audit.window.unprotected_now
    )
    # recorded runs of older versions name no positions: their peak is what they know
    ticks = distinct_unprotected(digest) or audit.collection.peak("unprotected_positions")
    sources: list[Source] = [("database", float(max(ticks, len(rows))), evidence)]
    if audit.log_live and audit.log is not None:
        sources.append(
            (
                "log",
                float(audit.log.stop_loss.missing_positions),
                audit.log_evidence("sl_missing"),
            )
        )
    return _worst(sources, [])


def emergency_closes(audit: AuditData) -> Measurement:
    """Every force close: the bot's event, a row a force-close path wrote (the profile's
    rules: a rollback after a failed stop-loss, a startup recovery), the bot's log lines."""
    measured = _counter_and_log(audit, "emergency_closes")
    paths = tuple(
        f"#{r['id']} {r['symbol']} ({r['exchange']}) closed by force at "
        f"{_clock(r['closed_at'])}: {r['path']} (exit_reason {str(r['exit_reason'])!r}; "
        "analysis section 1)"
        for r in _analysis_rows(audit, 1, "01c_closed_by_force")[:EVIDENCE_LIMIT]
    )
    return replace(measured, evidence=paths + measured.evidence)


def _clock(value: object) -> str:
    return minute(value) if isinstance(value, datetime) else str(value)


def _analysis_rows(audit: AuditData, number: int, table: str) -> list[dict[str, object]]:
    """Rows of one table of the database analysis ([] where it did not run)."""
    analysis = audit.window.analysis
    if analysis is None:
        return []
    found = analysis.section(number).table(table)
    return found.records() if found.unavailable is None else []


def aged_positions(audit: AuditData) -> Measurement:
    taken = audit.collection.taken
    if not taken:
        return Measurement.no_data("no snapshots were collected")
    buckets = ", ".join(
        f"{r['bucket']}: {r['positions']}" for r in _analysis_rows(audit, 6, "06_aged_buckets")
    )
    return Measurement(
        audit.collection.peak("aged_positions"),
        ticks_over_zero(digest_of(audit.collection), "aged_positions")
        + ((f"open at the end, by age (analysis section 6): {buckets}",) if buckets else ()),
        f"peak over {taken} snapshots, older than {audit.profile.max_age_hours:g} h",
    )


def _latency(audit: AuditData, name: str) -> Measurement:
    stats = audit.window.latencies.get(name)
    spec = audit.profile.latency(name)
    if stats and stats.samples and stats.avg_ms is not None:
        types = set(spec.event_types) if spec else set()
        per_type = tuple(
            f"{r['event_type']}: avg {r['avg_ms']} ms, p50 {r['p50_ms']}, p99 {r['p99_ms']}, "
            f"max {r['max_ms']} over {r['samples']} (analysis section 5)"
            for r in _analysis_rows(audit, 5, "05_latency_by_event_type")
            if r["event_type"] in types
        )
        return Measurement(
            round(stats.avg_ms, 2),
            (
                f"p95 {stats.p95_ms or 0:g} ms, max {stats.max_ms or 0:g} ms over "
                f"{stats.samples:g} events",
                *per_type,
            ),
            "from the database",
        )
    if spec and spec.log_category and audit.log is not None:
        log_stats = audit.log.latencies_ms.get(spec.log_category)
        if log_stats:
            return Measurement(
                log_stats["avg"],
                audit.log_evidence(spec.log_category),
                f"from the log: p95 {log_stats['p95']:g} ms over {log_stats['samples']:g} records",
            )
    reason = audit.window.error or (
        f"no events of {list(spec.event_types) if spec else []} with "
        f"{spec.json_key if spec else 'a duration'} in the window"
    )
    return Measurement.no_data(reason)


def api_response_ms(audit: AuditData) -> Measurement:
    return _latency(audit, "api_response_ms")


def sl_update_latency_ms(audit: AuditData) -> Measurement:
    return _latency(audit, "sl_update_latency_ms")


def timeouts(audit: AuditData) -> Measurement:
    log = audit.log
    category = _log_category(audit, "timeouts")
    gap = audit.log_gap(category)
    if gap is not None or log is None:
        return Measurement.no_data(gap or audit.log_reason())
    return Measurement(
        float(log.count(category or "")), audit.log_evidence(category), "from the log"
    )


def ws_reconnects(audit: AuditData) -> Measurement:
    log = audit.log
    gap = audit.log_gap(_log_category(audit, "ws_reconnects"))
    if gap is not None or log is None:
        return Measurement.no_data(gap or audit.log_reason())
    uptime = log.ws_uptime_percent
    detail = f"from the log; longest disconnection {log.ws_longest_disconnect_s:g} s"
    if uptime is not None:
        detail += f", uptime {uptime:g} % over {log.websocket.covers}"
    samples = audit.log_evidence(_log_category(audit, "ws_reconnects"))
    return Measurement(float(log.ws_reconnects), samples, detail)


def api_errors(audit: AuditData) -> Measurement:
    return _counter_and_log(audit, "api_errors")


def zombie_orders(audit: AuditData) -> Measurement:
    measured = _counter_and_log(audit, "zombie_orders")
    reasons = tuple(
        f"{r['exchange']}: {r['events']} x {r['event_type']} {r['reason']}".rstrip()
        + " (analysis section 7)"
        for r in _analysis_rows(audit, 7, "07_zombie_orders")
    )
    return replace(measured, evidence=measured.evidence + reasons[:EVIDENCE_LIMIT])


def ts_updates_per_position(audit: AuditData) -> Measurement:
    rows = audit.window.ts_updates
    if rows:
        evidence = tuple(
            f"{r.symbol} ({r.exchange}): {r.updates} updates, "
            f"{minute(r.first_at)}-{minute(r.last_at)}"
            for r in rows[:EVIDENCE_LIMIT]
        )
        return Measurement(float(rows[0].updates), evidence, "from the database")
    log = audit.log
    if audit.log_live and log is not None and log.trailing_stop.positions:
        busiest = float(log.trailing_stop.busiest)
        return Measurement(busiest, audit.log_evidence("ts_updated"), "from the log")
    types = list(audit.profile.ts_update_event_types)
    return Measurement.no_data(
        audit.window.error or f"no trailing-stop updates ({types}) in the window"
    )


def ts_updates_per_minute(audit: AuditData) -> Measurement:
    """The busiest position's updates over the audit window, at least one minute long (a
    short run must not turn two updates into a rate of hundreds)."""
    busiest = ts_updates_per_position(audit)
    if busiest.value is None:
        return busiest
    collection = audit.collection
    span = (collection.ended_at - collection.started_at).total_seconds()
    minutes = max(1.0, span / 60)
    return Measurement(
        round(busiest.value / minutes, 3),
        busiest.evidence[:3],
        f"{busiest.value:g} updates over {minutes:g} min",
    )


def slow_operations(audit: AuditData) -> Measurement:
    log = audit.log
    if not audit.log_live or log is None:
        return Measurement.no_data(audit.log_reason())
    slow = [
        f"{category}: max {stats['max']:g} ms"
        for category, stats in log.latencies_ms.items()
        if stats["max"] > audit.profile.log_slow_ms
    ]
    return Measurement(float(log.slow_operations), tuple(slow), "from the log")


MEASURERS: dict[str, Callable[[AuditData], Measurement]] = {
    "snapshots_collected": snapshots_collected,
    "snapshot_gaps": snapshot_gaps,
    "critical_alerts": critical_alerts,
    "warning_alerts": warning_alerts,
    "unprotected_positions": unprotected_positions,
    "emergency_closes": emergency_closes,
    "aged_positions": aged_positions,
    "api_response_ms": api_response_ms,
    "sl_update_latency_ms": sl_update_latency_ms,
    "timeouts": timeouts,
    "ws_reconnects": ws_reconnects,
    "api_errors": api_errors,
    "zombie_orders": zombie_orders,
    "ts_updates_per_position": ts_updates_per_position,
    "ts_updates_per_minute": ts_updates_per_minute,
    "slow_operations": slow_operations,
}
