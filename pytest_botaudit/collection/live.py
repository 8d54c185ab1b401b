"""Live mode: the collector samples the bot's database every interval, tick-aligned, follows its
log, and keeps what it got whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..config.dsn import redact_dsn
from ..config.profile import Profile
from ..database.connection import DB_ERRORS, Target, describe_error
from ..logs.analyzer import LogAnalyzer
from ..logs.reader import LogFollower
from ..logs.scanner import bulk_of
from ..logs.unprotected import UnprotectedMemory
from ..logs.window import tick_categories
from ..record.digest import RunDigest
from ..record.downsample import Limits
from ..record.folder import RunFolder
from ..record.jsonl import RecordedSnapshots, RunEnd, RunHeader, SnapshotWriter
from ..record.model import (
    CollectionResult,
    Gap,
    Incident,
    ResumePoint,
    Severity,
    Snapshot,
    StopReason,
    expected_ticks,
)
from ..record.summary import write_summary
from .alerts import AlertRule, IncidentTracker, seed_rules
from .botprocess import BotProcess
from .follow import follow_logs
from .link import DatabaseLink
from .signals import install_stop_signals
from .snapshots import take_snapshot, with_log

log = logging.getLogger(__name__)


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
        dsn: Target | str | None,
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
        on_resolved: Callable[[Incident], None] | None = None,
        on_hour: Callable[[CollectionResult], None] | None = None,
        bot_pid: int | None = None,
        resume: ResumePoint | None = None,
        limits: Mapping[str, Limits] | None = None,
    ) -> None:
        self.dsn = dsn
        self.limits = limits
        self.target = Target.of(dsn)
        self.profile = profile
        self.duration = duration
        self.interval = interval
        self.folder = RunFolder(out_dir)
        self.log_paths = tuple(log_paths)
        self.tracker = IncidentTracker(rules if rules is not None else seed_rules(), persist)
        self.abort_on_critical = abort_on_critical
        # Wait after each tick boundary: the bot stamps a row when it logs the event and
        # inserts it in a batch up to write_delay_seconds later (profile [events]), so a row of
        # the closing window may land then; never more than half an interval.
        self.settle = (
            settle if settle is not None else min(profile.write_delay_seconds + 1.0, interval * 0.5)
        )
        self.clock = clock
        self.monotonic = monotonic
        self.on_tick = on_tick
        self.on_incident = on_incident
        self.on_resolved = on_resolved
        self.on_hour = on_hour
        self.bot = BotProcess(bot_pid) if bot_pid is not None else None
        self.resume = resume
        self.expected_ticks = expected_ticks(duration, interval)
        self.link = DatabaseLink(dsn, profile, interval, monotonic)
        self._stop = asyncio.Event()
        self._stop_reason = StopReason.COMPLETED

    def request_stop(self, reason: StopReason = StopReason.INTERRUPTED) -> None:
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    async def run(self) -> CollectionResult:
        resumed = self.resume
        started = resumed.started_at if resumed else self.clock()
        # the monotonic clock's reading at `started` (in the past when resuming)
        began = self.monotonic() - (self.clock() - started).total_seconds()
        # each snapshot is written, fed to the digest and let go (resumed: the recorded ones)
        digest = RunDigest.of(
            started, resumed.snapshots if resumed else (), self.expected_ticks, self.limits
        )
        gaps: list[Gap] = list(resumed.gaps) if resumed else []
        error: BaseException | None = None
        missing_types: dict[str, tuple[str, ...]] = {}
        missing_columns: tuple[str, ...] = ()
        path = resumed.path if resumed else self.folder.snapshot_file(started)
        # the bulk counts for no tick (price ticks, event echoes): the followers count it unread
        bulk = bulk_of(self.profile, keep=tick_categories(self.profile))
        followers = [LogFollower(p, self.profile.log_timezone, fast=bulk) for p in self.log_paths]
        log_analyzer = LogAnalyzer(self.profile)
        memory = UnprotectedMemory(self.profile.log_unprotected_seconds)
        carried: dict[str, int] = {}
        restore = install_stop_signals(self.request_stop)
        try:
            with SnapshotWriter(path) as writer:
                first_tick = self._begin(writer, started, gaps)
                missing_columns = await self.link.missing_columns()
                for tick in range(first_tick, self.expected_ticks + 1):
                    due = began + tick * self.interval + self.settle
                    if await wait_until(self._stop, due - self.monotonic()):
                        break
                    window_start = started + timedelta(seconds=(tick - 1) * self.interval)
                    window_end = started + timedelta(seconds=tick * self.interval)
                    # records read while the database was away count at the next snapshot
                    log_counts = follow_logs(
                        followers,
                        log_analyzer,
                        carried,
                        memory,
                        final=tick == self.expected_ticks,
                    )
                    item = await self._sample(
                        tick, window_start, window_end, log_counts, memory.at(self.clock())
                    )
                    writer.tick(item)
                    if isinstance(item, Gap):
                        carried = log_counts
                        gaps.append(item)
                        self.tracker.gap()
                    else:
                        carried = {}
                        digest.feed(item)
                        self._observe(item)
                    if self.on_hour is not None and _hours(window_end - started) > _hours(
                        window_start - started
                    ):  # an hour of the audit is complete: what it holds so far
                        self.on_hour(self._result(started, window_end, digest, gaps, path, {}, ()))
                    if self.on_tick is not None:
                        self.on_tick(
                            Progress(
                                tick,
                                self.expected_ticks,
                                self.monotonic() - began,
                                self.duration,
                                digest.count,
                                len(gaps),
                                len(self.tracker.open_incidents),
                                item,
                            )
                        )
                if not missing_columns:
                    # judged at the end: event types written during the audit count too
                    missing_types = await self.link.missing_event_types()
                writer.end(RunEnd(self.clock(), self._stop_reason, missing_types))
        except Exception as exc:  # the loop's boundary: keep what was collected, then re-raise
            error = exc
            self._stop_reason = StopReason.ERROR
            log.exception("collector failed")
        finally:
            restore()
            for follower in followers:
                follower.close()
            await self.link.disconnect()
        result = self._result(
            started, self.clock(), digest, gaps, path, missing_types, missing_columns, error
        )
        result = write_summary(result, self.folder)
        if error is not None:
            raise error
        return result

    def _result(
        self,
        started: datetime,
        ended: datetime,
        digest: RunDigest,
        gaps: list[Gap],
        path: Path,
        missing_types: dict[str, tuple[str, ...]],
        missing_columns: tuple[str, ...],
        error: BaseException | None = None,
    ) -> CollectionResult:
        """The run so far (an hour's interim result shares the digest still being fed)."""
        return CollectionResult(
            started, ended, self.interval, self.duration, RecordedSnapshots(path, digest.count),
            tuple(sorted(gaps, key=lambda g: g.tick)), tuple(self.tracker.incidents()),
            self._stop_reason, describe_error(error, self.dsn) if error else None,
            missing_types, missing_columns, path, digest=digest,
        )  # fmt: skip

    # -- the loop's parts ----------------------------------------------------------------

    def _begin(self, writer: SnapshotWriter, started: datetime, gaps: list[Gap]) -> int:
        """Write the run's header (or the resume marker) and return the first tick to take.
        When resuming, the incidents are rebuilt from what was recorded, and every tick whose
        time passed while no process was collecting becomes a gap."""
        if self.resume is None:
            writer.header(
                RunHeader(
                    started,
                    self.interval,
                    self.duration,
                    self.profile.source,
                    redact_dsn(self.target.dsn) if self.target.dsn else None,
                )
            )
            return 1
        recorded: list[Snapshot | Gap] = [*self.resume.snapshots, *gaps]
        self.tracker.replay(recorded)
        last = max((x.tick for x in recorded), default=0)
        elapsed = (self.clock() - started).total_seconds()
        passed = min(self.expected_ticks, int(elapsed / self.interval))
        writer.resumed(self.clock(), last)
        for tick in range(last + 1, passed + 1):
            gap = Gap(
                tick,
                started + timedelta(seconds=(tick - 1) * self.interval),
                started + timedelta(seconds=tick * self.interval),
                "no audit process was running (killed, then resumed)",
            )
            writer.tick(gap)
            gaps.append(gap)
            self.tracker.gap()
        return max(last, passed) + 1

    async def _sample(
        self,
        tick: int,
        window_start: datetime,
        window_end: datetime,
        log_counts: dict[str, int],
        log_unprotected: frozenset[str] = frozenset(),
    ) -> Snapshot | Gap:
        failure = ""
        for attempt in (1, 2):  # a dropped connection gets one fresh one before it is a gap
            database = await self.link.database(now=attempt == 2)
            if database is None:
                return Gap(tick, window_start, window_end, failure or self.link.last_failure)
            try:
                snapshot = await asyncio.wait_for(
                    take_snapshot(database, tick, window_start, window_end, self.clock()),
                    timeout=max(1.0, self.interval * 0.8),
                )
            except DB_ERRORS as exc:
                reason = describe_error(exc, self.dsn).removeprefix("cannot connect to ")
                failure = f"query failed: {reason}"
                self.link.last_failure = failure
                await self.link.disconnect()
                continue
            if self.bot is not None:
                snapshot = replace(snapshot, observed={**snapshot.observed, **self.bot.sample()})
            return with_log(snapshot, self.profile, log_counts, log_unprotected)
        return Gap(tick, window_start, window_end, failure)

    def _observe(self, snapshot: Snapshot) -> None:
        for incident in self.tracker.observe(snapshot):
            if self.on_incident is not None:
                self.on_incident(incident)
            if self.abort_on_critical and incident.severity is Severity.CRITICAL:
                self.request_stop(StopReason.ABORTED_ON_CRITICAL)
        resolved, self.tracker.resolved = self.tracker.resolved, []
        for incident in resolved:
            if self.on_resolved is not None:
                self.on_resolved(incident)


async def wait_until(stop: asyncio.Event, remaining: float) -> bool:
    """Sleep ``remaining`` seconds unless ``stop`` is set first; True when it is."""
    if remaining > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), remaining)
    return stop.is_set()


def _hours(elapsed: timedelta) -> int:
    return int(elapsed.total_seconds() // 3600)
