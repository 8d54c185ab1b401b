"""Live mode: the collector samples the bot's database every interval, tick-aligned, follows its
log, and keeps what it got whatever happens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..config.dsn import redact_dsn
from ..config.profile import Profile
from ..database.connection import DB_ERRORS, Target, describe_error
from ..errors import WriteFailed
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


@dataclass(slots=True)
class _Run:
    """A run while it is collected: what it holds so far and what reads it."""

    started: datetime
    began: float  # the monotonic clock's reading at `started`
    path: Path
    digest: RunDigest  # what the checks read of the snapshots so far (each one let go)
    gaps: list[Gap]
    followers: list[LogFollower]
    analyzer: LogAnalyzer
    memory: UnprotectedMemory
    carried: dict[str, int] = field(default_factory=dict)  # log counts of a gap, for later
    log_gap: str = ""  # why a followed log cannot be read now
    missing_types: dict[str, tuple[str, ...]] = field(default_factory=dict)
    missing_columns: tuple[str, ...] = ()


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
        on_log_gap: Callable[[int, str], None] | None = None,
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
        self.on_log_gap = on_log_gap  # a followed log stopped (or resumed) being readable
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
        run = self._new_run()
        error: BaseException | None = None
        write_failure: str | None = None
        restore = install_stop_signals(self.request_stop)
        try:
            with SnapshotWriter(run.path) as writer:
                try:
                    await self._collect(writer, run)
                except WriteFailed as exc:  # a full disk: stop, and judge what was collected
                    write_failure = str(exc)
                    self._stop_reason = StopReason.ERROR
                    log.error("collection stopped: %s", write_failure)
                    with contextlib.suppress(WriteFailed):  # the end record, if it still fits
                        writer.end(RunEnd(self.clock(), StopReason.ERROR, {}, write_failure))
        except WriteFailed as exc:  # the snapshot file could not even be opened
            write_failure = str(exc)
            self._stop_reason = StopReason.ERROR
        except Exception as exc:  # the loop's boundary: keep what was collected, then re-raise
            error = exc
            self._stop_reason = StopReason.ERROR
            log.exception("collector failed")
        finally:
            restore()
            for follower in run.followers:
                follower.close()
            await self.link.disconnect()
        failure = describe_error(error, self.dsn) if error else write_failure
        result = write_summary(self._result(run, self.clock(), failure), self.folder)
        if error is not None:
            raise error
        return result

    def _new_run(self) -> _Run:
        resumed = self.resume
        started = resumed.started_at if resumed else self.clock()
        kept = resumed.snapshots if resumed else ()  # fed to the digest (the new ones: each tick)
        # the bulk counts for no tick (price ticks, event echoes): the followers count it unread
        bulk = bulk_of(self.profile, keep=tick_categories(self.profile))
        return _Run(
            started=started,
            # the monotonic clock's reading at `started` (in the past when resuming)
            began=self.monotonic() - (self.clock() - started).total_seconds(),
            path=resumed.path if resumed else self.folder.snapshot_file(started),
            digest=RunDigest.of(started, kept, self.expected_ticks, self.limits),
            gaps=list(resumed.gaps) if resumed else [],
            followers=[
                LogFollower(p, self.profile.log_timezone, fast=bulk) for p in self.log_paths
            ],
            analyzer=LogAnalyzer(self.profile),
            memory=UnprotectedMemory(self.profile.log_unprotected_seconds),
        )

    async def _collect(self, writer: SnapshotWriter, run: _Run) -> None:
        first_tick = self._begin(writer, run.started, run.gaps)
        run.missing_columns = await self.link.missing_columns()
        for tick in range(first_tick, self.expected_ticks + 1):
            due = run.began + tick * self.interval + self.settle
            if await wait_until(self._stop, due - self.monotonic()):
                break
            await self._tick(writer, run, tick)
        if not run.missing_columns:
            # judged at the end: event types written during the audit count too
            run.missing_types = await self.link.missing_event_types()
        writer.end(RunEnd(self.clock(), self._stop_reason, run.missing_types))

    async def _tick(self, writer: SnapshotWriter, run: _Run, tick: int) -> None:
        window_start = run.started + timedelta(seconds=(tick - 1) * self.interval)
        window_end = run.started + timedelta(seconds=tick * self.interval)
        # records read while the database was away count at the next snapshot
        log_counts = follow_logs(
            run.followers, run.analyzer, run.carried, run.memory, tick == self.expected_ticks
        )
        item = await self._sample(
            tick, window_start, window_end, log_counts, run.memory.at(self.clock())
        )
        if isinstance(item, Gap):
            run.carried = log_counts
            run.gaps.append(item)
            self.tracker.gap()
        else:
            run.carried = {}
            item = replace(item, log_gap=self._log_gap(run, tick))
            run.digest.feed(item)
            self._observe(item)
        writer.tick(item)  # a tick that cannot be written is judged all the same
        if self.on_hour is not None and _hours(window_end - run.started) > _hours(
            window_start - run.started
        ):  # an hour of the audit is complete: what it holds so far
            self.on_hour(self._result(run, window_end))
        if self.on_tick is not None:
            done = (run.digest.count, len(run.gaps), len(self.tracker.open_incidents))
            elapsed = self.monotonic() - run.began
            self.on_tick(Progress(tick, self.expected_ticks, elapsed, self.duration, *done, item))

    def _log_gap(self, run: _Run, tick: int) -> str:
        """Why a followed log could not be read over this tick ("" when every one could): the
        database is sampled all the same, the log's counts of the tick are no zeros."""
        gap = "; ".join(f.problem for f in run.followers if f.problem)
        if gap != run.log_gap and self.on_log_gap is not None:
            self.on_log_gap(tick, gap)
        run.log_gap = gap
        return gap

    def _result(self, run: _Run, ended: datetime, error: str | None = None) -> CollectionResult:
        return CollectionResult(  # an hour's interim result shares the digest still being fed
            run.started, ended, self.interval, self.duration,
            RecordedSnapshots(run.path, run.digest.count),
            tuple(sorted(run.gaps, key=lambda g: g.tick)), tuple(self.tracker.incidents()),
            self._stop_reason, error, run.missing_types, run.missing_columns, run.path,
            digest=run.digest,
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
        for gap in missed_ticks(started, self.interval, range(last + 1, passed + 1)):
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


def missed_ticks(started: datetime, interval: float, ticks: range) -> list[Gap]:
    """The ticks whose time passed while no process was collecting, as gaps."""
    return [
        Gap(
            tick,
            started + timedelta(seconds=(tick - 1) * interval),
            started + timedelta(seconds=tick * interval),
            "no audit process was running (killed, then resumed)",
        )
        for tick in ticks
    ]


async def wait_until(stop: asyncio.Event, remaining: float) -> bool:
    """Sleep ``remaining`` seconds unless ``stop`` is set first; True when it is."""
    if remaining > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), remaining)
    return stop.is_set()


def _hours(elapsed: timedelta) -> int:
    return int(elapsed.total_seconds() // 3600)
