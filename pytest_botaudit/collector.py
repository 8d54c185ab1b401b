"""The collector: samples the bot's database every interval, tick-aligned, and keeps what it got."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from .alerts import AlertRule, Incident, IncidentTracker, Severity, seed_rules
from .artifacts import SnapshotWriter, snapshot_file, summary_file, write_json
from .db import AuditDatabase, connect, describe_error
from .errors import DatabaseUnavailable
from .loganalysis import LogAnalyzer
from .logs import LogFollower
from .metrics import Gap, Snapshot, with_log_counts
from .profile import Profile
from .settings import format_duration, redact_dsn

log = logging.getLogger(__name__)

# What a lost or broken connection looks like; anything else is a bug and is re-raised.
_DB_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    DatabaseUnavailable,
)


class StopReason(enum.Enum):
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    ABORTED_ON_CRITICAL = "aborted on critical"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """A killed live audit, as its snapshot file recorded it."""

    path: Path
    started_at: datetime
    snapshots: tuple[Snapshot, ...]
    gaps: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class Progress:
    """What the terminal shows after each tick."""

    tick: int
    expected: int
    elapsed: float
    total: float
    snapshots: int
    gaps: int
    open_incidents: int
    last: Snapshot | Gap


@dataclass(frozen=True, slots=True)
class CollectionResult:
    """Everything a run collected, complete or not."""

    started_at: datetime
    ended_at: datetime
    interval: float
    duration: float
    expected_ticks: int
    snapshots: tuple[Snapshot, ...]
    gaps: tuple[Gap, ...]
    incidents: tuple[Incident, ...]
    stop_reason: StopReason
    error: str | None
    missing_event_types: dict[str, tuple[str, ...]]
    missing_columns: tuple[str, ...]
    snapshot_path: Path
    summary_path: Path | None = None

    def total(self, metric: str) -> float:
        return sum(s.counters.get(metric, 0.0) for s in self.snapshots)

    def peak(self, metric: str) -> float:
        return max((s.value(metric) or 0.0 for s in self.snapshots), default=0.0)

    def incidents_of(self, severity: Severity) -> list[Incident]:
        return [i for i in self.incidents if i.severity is severity]


class Collector:
    """Samples every ``interval`` for ``duration``; tick k covers [start+(k-1)i, start+ki).

    Lifecycle: ``await run()`` returns a CollectionResult when the duration is over, when
    ``request_stop()`` is called (SIGINT/SIGTERM do that while it runs in the main thread), or
    on the first CRITICAL incident with ``abort_on_critical``. Database failures become gaps
    and the collector reconnects; any other error is kept in the result and re-raised after
    the artifacts are written.
    """

    def __init__(
        self,
        dsn: str | None,
        profile: Profile,
        duration: float,
        interval: float,
        out_dir: Path,
        *,
        log_paths: Sequence[Path] = (),
        rules: Sequence[AlertRule] | None = None,
        persist: int = 1,
        abort_on_critical: bool = False,
        settle: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        on_tick: Callable[[Progress], None] | None = None,
        on_incident: Callable[[Incident], None] | None = None,
        resume: ResumePoint | None = None,
    ) -> None:
        self.dsn = dsn
        self.profile = profile
        self.duration = duration
        self.interval = interval
        self.out_dir = out_dir
        self.log_paths = tuple(log_paths)
        self.tracker = IncidentTracker(rules if rules is not None else seed_rules(), persist)
        self.abort_on_critical = abort_on_critical
        # Wait a little after each tick boundary: the bot stamps rows at transaction start and
        # commits in batches, so a row of the closing window may land a moment later.
        self.settle = settle if settle is not None else min(2.0, interval * 0.1)
        self.clock = clock
        self.monotonic = monotonic
        self.on_tick = on_tick
        self.on_incident = on_incident
        self.resume = resume
        self.expected_ticks = max(1, int(duration / interval + 1e-9))
        self._stop = asyncio.Event()
        self._stop_reason = StopReason.COMPLETED
        self._connection: asyncpg.Connection | None = None
        self._database: AuditDatabase | None = None
        self._reconnect_at = 0.0
        self._backoff = interval
        self._last_failure = "not connected"

    def request_stop(self, reason: StopReason = StopReason.INTERRUPTED) -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    async def run(self) -> CollectionResult:
        resumed = self.resume
        started = resumed.started_at if resumed else self.clock()
        # the monotonic clock's reading at `started` (in the past when resuming)
        began = self.monotonic() - (self.clock() - started).total_seconds()
        snapshots: list[Snapshot] = list(resumed.snapshots) if resumed else []
        gaps: list[Gap] = list(resumed.gaps) if resumed else []
        error: BaseException | None = None
        missing_types: dict[str, tuple[str, ...]] = {}
        missing_columns: tuple[str, ...] = ()
        path = resumed.path if resumed else snapshot_file(self.out_dir, started)
        followers = [LogFollower(p, self.profile.log_timezone) for p in self.log_paths]
        log_analyzer = LogAnalyzer(self.profile)
        restore = self._install_signal_handlers()
        try:
            with SnapshotWriter(path) as writer:
                first_tick = self._begin(writer, started, snapshots, gaps)
                if await self._ensure_connection():
                    missing_columns = await self._missing_columns()
                for tick in range(first_tick, self.expected_ticks + 1):
                    due = began + tick * self.interval + self.settle
                    if await self._wait_until(due):
                        break
                    window_start = started + timedelta(seconds=(tick - 1) * self.interval)
                    window_end = started + timedelta(seconds=tick * self.interval)
                    log_counts = self._follow_logs(followers, log_analyzer)
                    item = await self._sample(tick, window_start, window_end, log_counts)
                    writer.write(item)
                    if isinstance(item, Gap):
                        gaps.append(item)
                        self.tracker.gap()
                    else:
                        snapshots.append(item)
                        self._observe(item)
                    if self.on_tick is not None:
                        self.on_tick(
                            Progress(
                                tick,
                                self.expected_ticks,
                                self.monotonic() - began,
                                self.duration,
                                len(snapshots),
                                len(gaps),
                                len(self.tracker.open_incidents),
                                item,
                            )
                        )
                if not missing_columns and await self._ensure_connection(now=True):
                    # judged at the end: event types written during the audit count too
                    missing_types = await self._missing_event_types()
                writer.write(
                    {
                        "audit_end": {
                            "ended_at": self.clock().isoformat(),
                            "stop_reason": self._stop_reason.value,
                            "missing_event_types": {k: list(v) for k, v in missing_types.items()},
                        }
                    }
                )
        except Exception as exc:  # the loop's boundary: keep what was collected, then re-raise
            error = exc
            self._stop_reason = StopReason.ERROR
            log.exception("collector failed")
        finally:
            restore()
            for follower in followers:
                follower.close()
            await self._disconnect()
        result = CollectionResult(
            started_at=started,
            ended_at=self.clock(),
            interval=self.interval,
            duration=self.duration,
            expected_ticks=self.expected_ticks,
            snapshots=tuple(snapshots),
            gaps=tuple(sorted(gaps, key=lambda g: g.tick)),
            incidents=tuple(self.tracker.incidents()),
            stop_reason=self._stop_reason,
            error=describe_error(error, self.dsn) if error else None,
            missing_event_types=missing_types,
            missing_columns=missing_columns,
            snapshot_path=path,
        )
        result = write_summary(result, self.out_dir)
        if error is not None:
            raise error
        return result

    # -- the loop's parts ----------------------------------------------------------------

    def _begin(
        self, writer: SnapshotWriter, started: datetime, snapshots: list[Snapshot], gaps: list[Gap]
    ) -> int:
        """Write the run's header (or the resume marker) and return the first tick to take.
        When resuming, the incidents are rebuilt from what was recorded, and every tick whose
        time passed while no process was collecting becomes a gap."""
        if self.resume is None:
            writer.write(
                {
                    "audit": {
                        "started_at": started.isoformat(),
                        "interval": self.interval,
                        "duration": self.duration,
                        "profile": self.profile.source,
                        "dsn": redact_dsn(self.dsn) if self.dsn else None,
                    }
                }
            )
            return 1
        recorded: list[Snapshot | Gap] = [*snapshots, *gaps]
        self.tracker.replay(recorded)
        last = max((x.tick for x in recorded), default=0)
        elapsed = (self.clock() - started).total_seconds()
        passed = min(self.expected_ticks, int(elapsed / self.interval))
        writer.write({"resumed": {"at": self.clock().isoformat(), "after_tick": last}})
        for tick in range(last + 1, passed + 1):
            gap = Gap(
                tick,
                started + timedelta(seconds=(tick - 1) * self.interval),
                started + timedelta(seconds=tick * self.interval),
                "no audit process was running (killed, then resumed)",
            )
            writer.write(gap)
            gaps.append(gap)
            self.tracker.gap()
        return max(last, passed) + 1

    async def _wait_until(self, due: float) -> bool:
        """Sleep until ``due`` on the monotonic clock; True when a stop was requested."""
        remaining = due - self.monotonic()
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), remaining)
        return self._stop.is_set()

    async def _sample(
        self, tick: int, window_start: datetime, window_end: datetime, log_counts: dict[str, int]
    ) -> Snapshot | Gap:
        if not await self._ensure_connection():
            return Gap(tick, window_start, window_end, self._last_failure)
        assert self._database is not None
        try:
            snapshot = await asyncio.wait_for(
                self._database.tick(tick, window_start, window_end, self.clock()),
                timeout=max(1.0, self.interval * 0.8),
            )
        except _DB_ERRORS as exc:
            self._last_failure = describe_error(exc, self.dsn).removeprefix("cannot connect to ")
            await self._disconnect()
            return Gap(tick, window_start, window_end, f"query failed: {self._last_failure}")
        return with_log_counts(snapshot, self.profile, log_counts)

    def _follow_logs(self, followers: list[LogFollower], analyzer: LogAnalyzer) -> dict[str, int]:
        counts: dict[str, int] = {}
        for follower in followers:
            for record in follower.poll():
                for category in analyzer.feed(record):
                    counts[category] = counts.get(category, 0) + 1
        return counts

    def _observe(self, snapshot: Snapshot) -> None:
        for incident in self.tracker.observe(snapshot):
            if self.on_incident is not None:
                self.on_incident(incident)
            if self.abort_on_critical and incident.severity is Severity.CRITICAL:
                self.request_stop(StopReason.ABORTED_ON_CRITICAL)

    async def _missing_columns(self) -> tuple[str, ...]:
        """The profile's tables and columns the database lacks, checked before the first tick."""
        assert self._database is not None
        try:
            return tuple(await self._database.missing_columns())
        except _DB_ERRORS as exc:
            self._last_failure = describe_error(exc, self.dsn)
            await self._disconnect()
            return ()

    async def _missing_event_types(self) -> dict[str, tuple[str, ...]]:
        """Metrics none of whose event types was ever written: their zeros mean nothing."""
        assert self._database is not None
        try:
            present = await self._database.event_types_present(self.profile.all_event_types)
        except _DB_ERRORS as exc:
            self._last_failure = describe_error(exc, self.dsn)
            return {}
        return self.profile.unseen(present)

    async def _ensure_connection(self, now: bool = False) -> bool:
        """Connected, or reconnected unless still backing off (``now`` ignores the backoff)."""
        if self._database is not None:
            return True
        moment = self.monotonic()
        if moment < self._reconnect_at and not now:
            return False
        try:
            self._connection = await connect(
                self.dsn, connect_timeout=max(1.0, min(10.0, self.interval))
            )
        except DatabaseUnavailable as exc:
            self._last_failure = f"database unavailable: {exc}"
            # back off: retry after one interval, doubling up to a minute
            self._reconnect_at = moment + self._backoff
            self._backoff = min(60.0, self._backoff * 2)
            return False
        self._backoff = self.interval
        self._database = AuditDatabase(self._connection, self.profile)
        return True

    async def _disconnect(self) -> None:
        connection, self._connection, self._database = self._connection, None, None
        if connection is not None:
            try:
                await asyncio.wait_for(connection.close(), timeout=2.0)
            except (*_DB_ERRORS, asyncio.CancelledError):
                connection.terminate()

    def _install_signal_handlers(self) -> Callable[[], None]:
        """Ctrl+C or SIGTERM ends collection gracefully (checks still run); a second Ctrl+C
        gets Python's default behaviour back."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        loop = asyncio.get_running_loop()
        installed: list[int] = []

        def on_signal(signum: int) -> None:
            log.warning("signal %s: stopping the collection, keeping what was collected", signum)
            self.request_stop(StopReason.INTERRUPTED)
            loop.remove_signal_handler(signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, on_signal, signum)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

        def restore() -> None:
            for signum in installed:
                loop.remove_signal_handler(signum)

        return restore


def summary(result: CollectionResult) -> dict[str, Any]:
    """The seed's summary fields, plus incidents, gaps and what the profile could not see."""
    incidents = list(result.incidents)
    by_severity = {s: sum(1 for i in incidents if i.severity is s) for s in Severity}
    return {
        "monitoring_duration_minutes": round(
            (result.ended_at - result.started_at).total_seconds() / 60, 2
        ),
        "monitoring_start": result.started_at.isoformat(),
        "monitoring_end": result.ended_at.isoformat(),
        "interval_seconds": result.interval,
        "planned_duration": format_duration(result.duration),
        "stop_reason": result.stop_reason.value,
        "error": result.error,
        "snapshots_expected": result.expected_ticks,
        "snapshots_collected": len(result.snapshots),
        "total_alerts": len(incidents),
        "critical_alerts": by_severity[Severity.CRITICAL],
        "warning_alerts": by_severity[Severity.WARNING],
        "info_alerts": by_severity[Severity.INFO],
        "metrics_summary": {
            "total_positions_opened": result.total("new_positions_opened"),
            "total_positions_closed": result.total("positions_closed"),
            "total_ts_activations": result.total("ts_activations"),
            "total_sl_updates": result.total("sl_updates_with_ts"),
            "total_zombies": result.total("zombies_cleaned"),
            "total_errors": result.total("api_errors"),
            "total_emergency_closes": result.total("emergency_closes"),
            "total_ws_reconnects": result.total("ws_reconnects"),
            "peak_unprotected_positions": result.peak("unprotected_positions"),
            "peak_aged_positions": result.peak("aged_positions"),
        },
        "alerts": [
            {
                "severity": i.severity.value,
                "message": i.message,
                "timestamp": i.first_seen.isoformat(),
            }
            for i in incidents
        ],
        "incidents": [i.to_json() for i in incidents],
        "gaps": [g.to_json() for g in result.gaps],
        "missing_event_types": {k: list(v) for k, v in result.missing_event_types.items()},
        "missing_columns": list(result.missing_columns),
        "snapshot_file": str(result.snapshot_path),
    }


def write_summary(result: CollectionResult, out_dir: Path) -> CollectionResult:
    path = write_json(summary_file(out_dir, result.ended_at), summary(result))
    return replace(result, summary_path=path)
