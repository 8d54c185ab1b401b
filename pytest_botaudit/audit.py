"""An audit's collected data (snapshots, log, database window) and each metric's measurement."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .alerts import Severity
from .checks import CheckResult, Kind, Measurement, MetricSpec, judge
from .collector import CollectionResult
from .db import AuditDatabase, connect
from .errors import DatabaseUnavailable
from .loganalysis import LogAnalysis, analyze_files
from .metrics import Snapshot
from .profile import Profile

EVIDENCE_LIMIT = 10


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Whole-window figures the database gives at the end of the audit (room for the
    14-section analysis)."""

    latencies: dict[str, dict[str, float | None]] = field(default_factory=dict)
    ts_updates: tuple[dict[str, Any], ...] = ()
    unprotected_now: tuple[dict[str, Any], ...] = ()
    error: str | None = None


async def gather_window_stats(
    dsn: str | None, profile: Profile, since: datetime, until: datetime
) -> WindowStats:
    try:
        connection = await connect(dsn)
    except DatabaseUnavailable as exc:
        return WindowStats(error=str(exc))
    try:
        database = AuditDatabase(connection, profile)
        latencies = {
            spec.name: await database.latency(since, until, spec.event_types, spec.json_key)
            for spec in profile.latencies
        }
        ts_updates = (
            await database.ts_updates(since, until) if profile.ts_update_event_types else []
        )
        unprotected = await database.unprotected_positions()
        return WindowStats(latencies, tuple(ts_updates), tuple(unprotected))
    finally:
        await connection.close()


async def complete_audit(
    collection: CollectionResult,
    profile: Profile,
    metrics: dict[str, MetricSpec],
    dsn: str | None,
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


def _minute(stamp: datetime) -> str:
    return stamp.strftime("%H:%M:%S")


@dataclass(frozen=True, slots=True)
class AuditData:
    """Everything the checks judge. ``measure(metric)`` is the single place that decides which
    sources feed a metric; the worse of the live sources wins, none live means NO-DATA."""

    collection: CollectionResult
    log: LogAnalysis | None
    window: WindowStats
    profile: Profile
    metrics: dict[str, MetricSpec]
    log_error: str | None = None

    def check(self, metric: str, kind: Kind) -> CheckResult:
        return judge(self.metrics[metric], kind, self.measure(metric))

    def measure(self, metric: str) -> Measurement:
        measurer: Callable[[], Measurement] | None = getattr(self, "_m_" + metric, None)
        if measurer is None:
            return Measurement.no_data(f"no data source measures '{metric}'")
        if self.collection.missing_columns and metric not in (
            "snapshots_collected",
            "snapshot_gaps",
        ):
            missing = ", ".join(self.collection.missing_columns)
            return Measurement.no_data(f"the database lacks {missing}")
        return measurer()

    # -- helpers --------------------------------------------------------------------------------

    @property
    def log_live(self) -> bool:
        return self.log is not None and self.log.records > 0

    def _log_reason(self) -> str:
        if self.log_error:
            return self.log_error
        if self.log is None:
            return "no bot log given (--audit-log)"
        return "the bot log has no records in the audit window"

    def _db_live(self, counter: str) -> bool:
        return counter not in self.collection.missing_event_types and bool(
            self.collection.snapshots
        )

    def _db_reason(self, counter: str) -> str:
        types = self.collection.missing_event_types.get(counter)
        if types:
            table = f"{self.profile.schema}.{self.profile.tables['events']}"
            return f"event types {list(types)} never occur in {table}"
        return "no snapshots were collected"

    def _ticks_over_zero(self, metric: str) -> tuple[str, ...]:
        """Where the metric was above zero: runs of consecutive ticks with the same value."""
        runs: list[list[Snapshot]] = []
        for snapshot in self.collection.snapshots:
            value = snapshot.value(metric) or 0
            if value <= 0:
                continue
            last = runs[-1][-1] if runs else None
            if last is not None and last.tick == snapshot.tick - 1 and last.value(metric) == value:
                runs[-1].append(snapshot)
            else:
                runs.append([snapshot])
        hits = []
        for run in runs:
            first, end = run[0], run[-1]
            value = first.value(metric) or 0
            if first is end:
                hits.append(f"tick {first.tick} at {_minute(first.taken_at)}: {value:g}")
            else:
                hits.append(
                    f"ticks {first.tick}-{end.tick} ({_minute(first.taken_at)}-"
                    f"{_minute(end.taken_at)}): {value:g}"
                )
        return tuple(hits[:EVIDENCE_LIMIT]) + (
            (f"... and {len(hits) - EVIDENCE_LIMIT} more runs",)
            if len(hits) > EVIDENCE_LIMIT
            else ()
        )

    def _log_samples(self, category: str) -> tuple[str, ...]:
        if self.log is None:
            return ()
        return tuple(
            f"{s.where}: {s.message}" for s in self.log.samples.get(category, ())[:EVIDENCE_LIMIT]
        )

    def _worst(
        self, sources: list[tuple[str, float, tuple[str, ...]]], reasons: list[str]
    ) -> Measurement:
        if not sources:
            return Measurement.no_data("; ".join(reasons))
        name, value, _ = max(sources, key=lambda s: s[1])
        evidence = tuple(e for _, _, ev in sources for e in ev)
        detail = ", ".join(f"{n}: {v:g}" for n, v, _ in sources)
        return Measurement(value, evidence, detail if len(sources) > 1 else f"from {name}")

    def _counter_and_log(
        self, counter: str, log_value: Callable[[LogAnalysis], float], log_category: str
    ) -> Measurement:
        sources: list[tuple[str, float, tuple[str, ...]]] = []
        reasons: list[str] = []
        if self._db_live(counter):
            sources.append(
                ("database", self.collection.total(counter), self._ticks_over_zero(counter))
            )
        else:
            reasons.append(self._db_reason(counter))
        if self.log_live and self.log is not None:
            sources.append(("log", log_value(self.log), self._log_samples(log_category)))
        else:
            reasons.append(self._log_reason())
        return self._worst(sources, reasons)

    # -- measurements (one per metric id) --------------------------------------------------------

    def _m_snapshots_collected(self) -> Measurement:
        got, expected = len(self.collection.snapshots), self.collection.expected_ticks
        evidence = tuple(
            f"gap at tick {g.tick} ({_minute(g.window_start)}-{_minute(g.window_end)}): {g.reason}"
            for g in self.collection.gaps
        )
        if self.collection.error:
            evidence += (f"collector error: {self.collection.error}",)
        detail = f"{got} of {expected} snapshots, stopped: {self.collection.stop_reason.value}"
        return Measurement(round(100.0 * got / expected, 2), evidence[:EVIDENCE_LIMIT], detail)

    def _m_snapshot_gaps(self) -> Measurement:
        gaps = self.collection.gaps
        evidence = tuple(
            f"tick {g.tick} ({_minute(g.window_start)}-{_minute(g.window_end)}): {g.reason}"
            for g in gaps
        )
        return Measurement(float(len(gaps)), evidence[:EVIDENCE_LIMIT])

    def _incidents(self, severity: Severity) -> Measurement:
        found = self.collection.incidents_of(severity)
        evidence = tuple(
            f"{i.message} (first {_minute(i.first_seen)}, last "
            f"{_minute(i.last_seen)}, {i.count} ticks, peak {i.peak:g})"
            for i in found
        )
        return Measurement(
            float(len(found)),
            evidence[:EVIDENCE_LIMIT],
            f"{len(self.collection.snapshots)} snapshots judged",
        )

    def _m_critical_alerts(self) -> Measurement:
        return self._incidents(Severity.CRITICAL)

    def _m_warning_alerts(self) -> Measurement:
        return self._incidents(Severity.WARNING)

    def _m_unprotected_positions(self) -> Measurement:
        if not self.collection.snapshots:
            return Measurement.no_data("no snapshots were collected")
        evidence = self._ticks_over_zero("unprotected_positions")
        evidence += tuple(
            f"still unprotected at the end: #{r['id']} {r['symbol']} "
            f"({r['exchange']}) opened {r['opened_at']}"
            for r in self.window.unprotected_now
        )
        sources = [("database", self.collection.peak("unprotected_positions"), evidence)]
        if self.log_live and self.log is not None:
            symbols = len(self.log.symbols.get("sl_missing", {}))
            sources.append(("log", float(symbols), self._log_samples("sl_missing")))
        return self._worst(sources, [])

    def _m_emergency_closes(self) -> Measurement:
        return self._counter_and_log(
            "emergency_closes", lambda log: float(log.count("emergency_close")), "emergency_close"
        )

    def _m_aged_positions(self) -> Measurement:
        if not self.collection.snapshots:
            return Measurement.no_data("no snapshots were collected")
        return Measurement(
            self.collection.peak("aged_positions"),
            self._ticks_over_zero("aged_positions"),
            f"peak over {len(self.collection.snapshots)} snapshots, older than "
            f"{self.profile.max_age_hours:g} h",
        )

    def _latency(self, name: str) -> Measurement:
        stats = self.window.latencies.get(name)
        spec = self.profile.latency(name)
        if stats and stats.get("samples") and stats.get("avg_ms") is not None:
            return Measurement(
                round(float(stats["avg_ms"] or 0), 2),
                (
                    f"p95 {stats['p95_ms']:g} ms, max {stats['max_ms']:g} ms over "
                    f"{stats['samples']:g} events",
                ),
                "from the database",
            )
        if spec and spec.log_category and self.log is not None:
            log_stats = self.log.latencies_ms.get(spec.log_category)
            if log_stats:
                return Measurement(
                    log_stats["avg"],
                    self._log_samples(spec.log_category),
                    f"from the log: p95 {log_stats['p95']:g} ms over "
                    f"{log_stats['samples']:g} records",
                )
        reason = self.window.error or (
            f"no events of {list(spec.event_types) if spec else []} with "
            f"{spec.json_key if spec else 'a duration'} in the window"
        )
        return Measurement.no_data(reason)

    def _m_api_response_ms(self) -> Measurement:
        return self._latency("api_response_ms")

    def _m_sl_update_latency_ms(self) -> Measurement:
        return self._latency("sl_update_latency_ms")

    def _m_timeouts(self) -> Measurement:
        if not self.log_live or self.log is None:
            return Measurement.no_data(self._log_reason())
        return Measurement(
            float(self.log.count("timeout")), self._log_samples("timeout"), "from the log"
        )

    def _m_ws_reconnects(self) -> Measurement:
        if not self.log_live or self.log is None:
            return Measurement.no_data(self._log_reason())
        uptime = self.log.ws_uptime_percent
        detail = f"from the log; longest disconnection {self.log.ws_longest_disconnect_s:g} s"
        if uptime is not None:
            detail += f", uptime {uptime:g} %"
        return Measurement(
            float(self.log.ws_reconnects), self._log_samples("ws_disconnected"), detail
        )

    def _m_api_errors(self) -> Measurement:
        return self._counter_and_log(
            "api_errors", lambda log: float(log.count("api_error")), "api_error"
        )

    def _m_zombie_orders(self) -> Measurement:
        return self._counter_and_log(
            "zombies_cleaned", lambda log: float(log.count("zombies_found")), "zombies_found"
        )

    def _m_ts_updates_per_position(self) -> Measurement:
        rows = self.window.ts_updates
        if rows:
            evidence = tuple(
                f"{r['symbol']} ({r['exchange']}): {r['updates']} updates, "
                f"{_minute(r['first_at'])}-{_minute(r['last_at'])}"
                for r in rows[:EVIDENCE_LIMIT]
            )
            return Measurement(float(rows[0]["updates"]), evidence, "from the database")
        if self.log_live and self.log is not None and self.log.symbols.get("ts_updated"):
            busiest = max(self.log.symbols["ts_updated"].values())
            return Measurement(float(busiest), self._log_samples("ts_updated"), "from the log")
        types = list(self.profile.ts_update_event_types)
        return Measurement.no_data(
            self.window.error or f"no trailing-stop updates ({types}) in the window"
        )

    def _m_ts_updates_per_minute(self) -> Measurement:
        """The busiest position's updates over the audit window, at least one minute long (a
        short run must not turn two updates into a rate of hundreds)."""
        busiest = self._m_ts_updates_per_position()
        if busiest.value is None:
            return busiest
        span = (self.collection.ended_at - self.collection.started_at).total_seconds()
        minutes = max(1.0, span / 60)
        return Measurement(
            round(busiest.value / minutes, 3),
            busiest.evidence[:3],
            f"{busiest.value:g} updates over {minutes:g} min",
        )

    def _m_slow_operations(self) -> Measurement:
        if not self.log_live or self.log is None:
            return Measurement.no_data(self._log_reason())
        slow = [
            f"{cat}: max {stats['max']:g} ms"
            for cat, stats in self.log.latencies_ms.items()
            if stats["max"] > 1000
        ]
        return Measurement(float(self.log.slow_operations), tuple(slow), "from the log")
