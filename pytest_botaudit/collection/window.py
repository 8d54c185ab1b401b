"""Window mode: the snapshots a live run would have taken over a past period, rebuilt from the
tables and the log in a few queries, without waiting (the CI-gate case)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from ..config.profile import Profile
from ..database.connection import DB_ERRORS, Reconnect, Target, connect, describe_error
from ..database.queries import AuditDatabase, WindowPosition
from ..errors import BotAuditError, DatabaseUnavailable, WriteFailed
from ..logs.window import LogTicks, log_ticks
from ..record.digest import RunDigest
from ..record.downsample import Limits
from ..record.folder import RunFolder
from ..record.jsonl import RecordedSnapshots, RunEnd, RunHeader, SnapshotWriter
from ..record.model import CollectionResult, Snapshot, StopReason, expected_ticks, tick_of
from ..record.summary import failed, write_summary
from .alerts import AlertRule, IncidentTracker, seed_rules
from .signals import install_stop_signals
from .snapshots import TickFolding

_NO_COUNTS: Mapping[str, int] = {}


async def reconstruct(
    dsn: Target | str | None,
    profile: Profile,
    since: datetime,
    until: datetime,
    interval: float,
    out_dir: Path,
    *,
    log_paths: Sequence[Path] = (),
    rules: Sequence[AlertRule] | None = None,
    persist: int = 1,
    limits: Mapping[str, Limits] | None = None,
) -> CollectionResult:
    """The period's ticks, each built as the database hands over its rows, written to the
    snapshot file and fed to the run's digest and incidents, then let go: memory stays flat
    whatever the number of ticks. ``limits``: the thresholds the digest's series mark."""
    ticks = expected_ticks((until - since).total_seconds(), interval)
    end = since + timedelta(seconds=ticks * interval)
    task = asyncio.current_task()
    assert task is not None

    # Ctrl+C or SIGTERM, as in live mode: stop, and judge (and record) what was rebuilt so far
    def interrupt(reason: StopReason) -> None:
        task.cancel()

    folder = RunFolder(out_dir)
    path = folder.snapshot_file(since)
    tracker = IncidentTracker(rules if rules is not None else seed_rules(), persist)
    digest = RunDigest(since, ticks, limits)
    stop = StopReason.COMPLETED
    missing: dict[str, tuple[str, ...]] = {}
    header = RunHeader(since, interval, ticks * interval, profile.source, mode="window")
    restore = install_stop_signals(interrupt)
    # the file appears with its header once the database answered (a refused audit leaves none)
    with SnapshotWriter(path) as writer:
        lines = _Lines(writer, header)
        try:
            async with _window_database(dsn, profile) as database:
                present = await database.event_types_present(profile.all_event_types)
                logged = await asyncio.to_thread(
                    log_ticks, log_paths, profile, since, end, interval
                )
                done = 0  # the ticks taken: a lost connection's new snapshot goes on after them

                async def rebuild() -> None:
                    nonlocal done
                    async with database.session.transaction():
                        positions = await database.window_positions(since, end)
                        # closed before the transaction ends, also on an error: its next
                        # batch may be on its way
                        async with contextlib.aclosing(
                            database.window_counts(since, end, interval, ticks)
                        ) as counts:
                            lines.start()
                            async for snapshot in _snapshots(
                                counts, positions, logged, profile, since, interval, ticks
                            ):
                                if snapshot.tick <= done:
                                    continue
                                lines.tick(snapshot)
                                digest.feed(snapshot)
                                tracker.observe(snapshot)
                                done = snapshot.tick

                # a server restarting meanwhile: the two queries of one snapshot of the tables
                # run again together on a fresh connection
                await database.session.retried(rebuild)
                missing = profile.unseen(present)
        except asyncio.CancelledError:
            task.uncancel()
            stop = StopReason.INTERRUPTED
        except BaseException as exc:
            if lines.started:  # the ticks so far stay, marked as a run that failed
                lines.end(RunEnd(end, StopReason.ERROR, {}))
            if isinstance(exc, DB_ERRORS) and not isinstance(exc, BotAuditError):
                raise BotAuditError(describe_error(exc, dsn)) from None
            raise
        finally:
            restore()
        lines.end(RunEnd(end, stop, missing))
    result = CollectionResult(
        started_at=since,
        ended_at=end,
        interval=interval,
        duration=ticks * interval,
        snapshots=RecordedSnapshots(path, digest.count),
        gaps=(),
        incidents=tuple(tracker.incidents()),
        stop_reason=stop,
        error=None,
        missing_event_types=missing,
        missing_columns=(),
        snapshot_path=path,
        digest=digest,
    )
    if lines.failure is not None:  # a full disk: what was rebuilt is judged all the same
        result = failed(result, lines.failure)
    return write_summary(result, folder)


class _Lines:
    """The window's lines of the snapshot file: its header once, then each line; after a write
    that failed (a full disk) no more, the reason kept."""

    def __init__(self, writer: SnapshotWriter, header: RunHeader) -> None:
        self.writer = writer
        self.header = header
        self.started = False  # the header was written (or tried)
        self.failure: str | None = None

    def start(self) -> None:
        if not self.started:
            self.started = True
            self._write(self.writer.header, self.header)

    def tick(self, snapshot: Snapshot) -> None:
        self._write(self.writer.tick, snapshot)

    def end(self, end: RunEnd) -> None:
        self.start()
        self._write(self.writer.end, end)

    def _write(self, line: Callable[[Any], None], record: Any) -> None:
        if self.failure is None:
            try:
                line(record)
            except WriteFailed as exc:
                self.failure = str(exc)


async def _snapshots(
    counts: AsyncIterator[list[asyncpg.Record]],
    positions: Sequence[WindowPosition],
    logged: LogTicks,
    profile: Profile,
    since: datetime,
    interval: float,
    ticks: int,
) -> AsyncIterator[Snapshot]:
    """Each tick of the period in order: its events' rows (sql/window_counts.sql, streamed in
    tick order) and its positions' rows (position_ticks) folded as a live tick folds hers."""
    folding = TickFolding(profile)
    moved = position_ticks(positions, profile, since, interval, ticks)
    next_moved = next(moved, None)
    batch: list[asyncpg.Record] = []
    at = 0  # the next row of the batch
    exhausted = False
    for tick in range(1, ticks + 1):
        rows: list[Mapping[str, Any]] = []
        while True:
            if at == len(batch):
                if exhausted:
                    break
                batch, at = await anext(counts, []), 0
                if not batch:
                    exhausted = True
                    break
            row = batch[at]
            if row["tick"] > tick:
                break
            if row["tick"] < tick:  # the plan read the series out of order: never judged so
                raise BotAuditError(
                    f"sql/window_counts.sql handed over tick {row['tick']} after tick {tick}"
                )
            rows.append(row)
            at += 1
        if next_moved is not None and next_moved[0] == tick:
            rows += next_moved[1]
            next_moved = next(moved, None)
        window_start = since + timedelta(seconds=(tick - 1) * interval)
        window_end = window_start + timedelta(seconds=interval)
        yield folding.fold(
            rows,
            tick,
            window_start,
            window_end,
            window_end,
            logged.counts.get(tick, _NO_COUNTS),
            logged.unprotected.get(tick, ()),
        )


def _tick_at_or_after(moment: datetime, since: datetime, interval: float) -> int:
    """The first tick k whose moment (since + k·interval) is at or after ``moment``."""
    return max(1, math.ceil((moment - since).total_seconds() / interval - 1e-9))


def _tick_before(moment: datetime, since: datetime, interval: float) -> int:
    """The last tick k whose moment is strictly before ``moment``."""
    return math.ceil((moment - since).total_seconds() / interval - 1e-9) - 1


def position_ticks(
    positions: Sequence[WindowPosition],
    profile: Profile,
    since: datetime,
    interval: float,
    ticks: int,
) -> Iterator[tuple[int, list[Mapping[str, Any]]]]:
    """The rows sql/tick.sql would have returned about positions at each tick of the period,
    built from each position's intervals in one sweep (no work per tick and position)."""
    grace = timedelta(seconds=profile.sl_grace_seconds)
    max_age = timedelta(hours=profile.max_age_hours)
    opened_statuses = set(profile.opened_statuses)
    closed_statuses = set(profile.closed_statuses)
    # tick -> [(measure, exchange, +1/-1, symbol)] where a measure starts or stops
    changes: dict[int, list[tuple[str, str, int, str]]] = defaultdict(list)
    moves: dict[int, dict[tuple[str, str, str | None], list[str]]] = defaultdict(dict)

    def interval_of(
        measure: str, p: WindowPosition, start: datetime, stop: datetime | None
    ) -> None:
        first = _tick_at_or_after(start, since, interval)
        last = ticks if stop is None else min(ticks, _tick_before(stop, since, interval))
        if first <= last:
            entry = f"{p.symbol}@{p.exchange}"
            changes[first].append((measure, p.exchange, 1, entry))
            changes[last + 1].append((measure, p.exchange, -1, entry))

    for p in positions:
        end = p.ended_at
        interval_of("open", p, p.opened_at, end)
        interval_of("aged", p, p.opened_at + max_age + timedelta(microseconds=1), end)
        if p.protected_at is not None or p.has_stop_loss is not True:
            stop = end if p.protected_at is None else min(p.protected_at, end or p.protected_at)
            interval_of("unprotected", p, p.opened_at + grace + timedelta(microseconds=1), stop)
        if p.opened_at >= since and (p.status in opened_statuses or p.forced_path):
            k = tick_of(p.opened_at, since, interval)
            if 1 <= k <= ticks:
                moves[k].setdefault(("opened", p.exchange, None), []).append(p.symbol)
        if end is not None and end >= since:
            k = tick_of(end, since, interval)
            if 1 <= k <= ticks:
                if p.status in closed_statuses:
                    moves[k].setdefault(("closed", p.exchange, None), []).append(p.symbol)
                if p.forced_path:
                    key = ("force_closed", p.exchange, p.forced_path)
                    moves[k].setdefault(key, []).append(p.symbol)
    active: dict[str, dict[str, set[str]]] = {
        m: defaultdict(set) for m in ("open", "aged", "unprotected")
    }
    held: list[Mapping[str, Any]] = []  # the open positions' rows, until a measure changes
    for tick in range(1, ticks + 1):
        changed = changes.get(tick)
        if changed:
            for measure, exchange, sign, entry in changed:
                members = active[measure][exchange]
                if sign > 0:
                    members.add(entry)
                else:
                    members.discard(entry)
            held = []
            for exchange, members in active["open"].items():
                if not members:
                    continue
                unprotected = active["unprotected"][exchange]
                held.append(
                    {
                        "kind": "positions",
                        "exchange": exchange,
                        "event_type": None,
                        "total": len(members),
                        "unprotected": len(unprotected),
                        "aged": len(active["aged"][exchange]),
                        "symbols": sorted(e.partition("@")[0] for e in unprotected),
                    }
                )
        rows = list(held)
        for (kind, exchange, path), symbols in moves.get(tick, {}).items():
            rows.append(
                {
                    "kind": kind,
                    "exchange": exchange,
                    "event_type": path,
                    "total": len(symbols),
                    "unprotected": 0,
                    "aged": 0,
                    "symbols": sorted(symbols),
                }
            )
        if rows:
            yield tick, rows


@contextlib.asynccontextmanager
async def _window_database(
    dsn: Target | str | None, profile: Profile
) -> AsyncIterator[AuditDatabase]:
    """The audit's queries on a session of their own, once the tables have every column; a
    statement that loses its connection (a server restarting) runs again on a fresh one."""
    try:
        session = await connect(dsn, reconnect=Reconnect())
    except DatabaseUnavailable as exc:
        raise BotAuditError(f"window mode needs the database: {exc}") from None
    try:
        try:
            database = await AuditDatabase.open(session, profile)
            missing_columns = tuple(await database.missing_columns())
        except DB_ERRORS as exc:
            raise BotAuditError(describe_error(exc, dsn)) from None
        if missing_columns:
            raise BotAuditError(f"the database lacks {', '.join(missing_columns)}")
        yield database
    finally:
        await session.close()
