"""Window mode: the snapshots a live run would have taken over a past period, rebuilt from the
tables and the log in a few queries, without waiting (the CI-gate case)."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..config.profile import Profile
from ..database.connection import DB_ERRORS, Reconnect, Target, connect, describe_error
from ..database.queries import AuditDatabase, WindowPosition, WindowRows
from ..errors import BotAuditError, DatabaseUnavailable, WriteFailed
from ..logs.window import LogTicks, log_ticks
from ..record.folder import RunFolder
from ..record.jsonl import RunEnd, RunHeader, SnapshotWriter
from ..record.model import CollectionResult, StopReason, expected_ticks
from ..record.summary import failed, write_summary
from .alerts import AlertRule, seed_rules
from .replay import rebuilt_run
from .signals import install_stop_signals
from .snapshots import build_snapshot, with_log


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
) -> CollectionResult:
    ticks = expected_ticks((until - since).total_seconds(), interval)
    end = since + timedelta(seconds=ticks * interval)
    task = asyncio.current_task()
    assert task is not None

    # Ctrl+C or SIGTERM, as in live mode: stop, and judge (and record) what was rebuilt so far
    def interrupt(reason: StopReason) -> None:
        task.cancel()

    restore = install_stop_signals(interrupt)
    stop = StopReason.COMPLETED
    rows: WindowRows | None = None
    present: set[str] = set()
    logged = LogTicks()
    try:
        rows, present = await _window_rows(dsn, profile, since, end, interval)
        logged = await asyncio.to_thread(log_ticks, log_paths, profile, since, end, interval)
    except asyncio.CancelledError:
        task.uncancel()
        stop = StopReason.INTERRUPTED
    finally:
        restore()
    per_tick: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows.counts if rows else []:
        per_tick[row["tick"]].append(row)
    if rows:
        for tick, position_rows in position_ticks(rows.positions, profile, since, interval, ticks):
            per_tick[tick] += position_rows
    snapshots = []
    for tick in range(1, ticks + 1 if rows else 1):
        window_start = since + timedelta(seconds=(tick - 1) * interval)
        window_end = window_start + timedelta(seconds=interval)
        snapshot = build_snapshot(
            per_tick[tick], profile, tick, window_start, window_end, window_end
        )
        snapshots.append(
            with_log(
                snapshot,
                profile,
                logged.counts.get(tick, {}),
                logged.unprotected.get(tick, frozenset()),
            )
        )
    missing = profile.unseen(present) if rows else {}
    folder = RunFolder(out_dir)
    path = folder.snapshot_file(since)
    failure: str | None = None
    try:
        with SnapshotWriter(path) as writer:
            writer.header(
                RunHeader(since, interval, ticks * interval, profile.source, mode="window")
            )
            for snapshot in snapshots:
                writer.tick(snapshot)
            writer.end(RunEnd(end, stop, missing))
    except WriteFailed as exc:  # a full disk: what was rebuilt is judged all the same
        failure = str(exc)
    result = rebuilt_run(
        since,
        end,
        interval,
        ticks * interval,
        snapshots,
        (),
        rules if rules is not None else seed_rules(),
        persist,
        missing,
        path,
        stop,
    )
    if failure is not None:
        result = failed(result, failure)
    return write_summary(result, folder)


def _tick_at_or_after(moment: datetime, since: datetime, interval: float) -> int:
    """The first tick k whose moment (since + k·interval) is at or after ``moment``."""
    return max(1, math.ceil((moment - since).total_seconds() / interval - 1e-9))


def _tick_before(moment: datetime, since: datetime, interval: float) -> int:
    """The last tick k whose moment is strictly before ``moment``."""
    return math.ceil((moment - since).total_seconds() / interval - 1e-9) - 1


def _window_of(moment: datetime, since: datetime, interval: float) -> int:
    """The tick whose window [since + (k-1)·interval, since + k·interval) holds ``moment``."""
    return math.floor((moment - since).total_seconds() / interval + 1e-9) + 1


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
            k = _window_of(p.opened_at, since, interval)
            if 1 <= k <= ticks:
                moves[k].setdefault(("opened", p.exchange, None), []).append(p.symbol)
        if end is not None and end >= since:
            k = _window_of(end, since, interval)
            if 1 <= k <= ticks:
                if p.status in closed_statuses:
                    moves[k].setdefault(("closed", p.exchange, None), []).append(p.symbol)
                if p.forced_path:
                    key = ("force_closed", p.exchange, p.forced_path)
                    moves[k].setdefault(key, []).append(p.symbol)
    active: dict[str, dict[str, set[str]]] = {
        m: defaultdict(set) for m in ("open", "aged", "unprotected")
    }
    for tick in range(1, ticks + 1):
        for measure, exchange, sign, entry in changes.get(tick, ()):
            members = active[measure][exchange]
            if sign > 0:
                members.add(entry)
            else:
                members.discard(entry)
        rows: list[Mapping[str, Any]] = []
        for exchange, members in active["open"].items():
            if not members:
                continue
            unprotected = active["unprotected"][exchange]
            rows.append(
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


async def _window_rows(
    dsn: Target | str | None,
    profile: Profile,
    since: datetime,
    end: datetime,
    interval: float,
) -> tuple[WindowRows, set[str]]:
    """The period's per-tick counts and gauges, and which of the profile's event types occur."""
    try:  # a server restarting meanwhile: each query runs again on a fresh connection
        session = await connect(dsn, reconnect=Reconnect())
    except DatabaseUnavailable as exc:
        raise BotAuditError(f"window mode needs the database: {exc}") from None
    try:
        database = await AuditDatabase.open(session, profile)
        missing_columns = tuple(await database.missing_columns())
        if missing_columns:
            raise BotAuditError(f"the database lacks {', '.join(missing_columns)}")
        # the two queries of one snapshot of the tables, retried together
        rows = await session.retried(lambda: database.window_rows(since, end, interval))
        present = await database.event_types_present(profile.all_event_types)
    except DB_ERRORS as exc:
        raise BotAuditError(describe_error(exc, dsn)) from None
    finally:
        await session.close()
    return rows, present
