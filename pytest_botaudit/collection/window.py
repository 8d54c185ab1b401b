"""Window mode: the snapshots a live run would have taken over a past period, rebuilt from the
tables and the log in a few queries, without waiting (the CI-gate case)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..config.profile import Profile
from ..database.connection import Target, connect, describe_error
from ..database.queries import AuditDatabase, WindowRows
from ..errors import BotAuditError, DatabaseUnavailable
from ..logs.window import log_counts_per_tick
from ..record.folder import RunFolder
from ..record.jsonl import RunEnd, RunHeader, SnapshotWriter
from ..record.model import CollectionResult, StopReason, expected_ticks
from ..record.summary import write_summary
from .alerts import AlertRule, seed_rules
from .replay import rebuilt_run
from .signals import install_stop_signals
from .snapshots import build_snapshot, with_log_counts


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
    log_counts: dict[int, dict[str, int]] = {}
    try:
        rows, present = await _window_rows(dsn, profile, since, end, interval, ticks)
        log_counts = await asyncio.to_thread(
            log_counts_per_tick, log_paths, profile, since, end, interval
        )
    except asyncio.CancelledError:
        task.uncancel()
        stop = StopReason.INTERRUPTED
    finally:
        restore()
    per_tick: dict[int, list[Any]] = defaultdict(list)
    for row in [*rows.counts, *rows.gauges] if rows else []:
        per_tick[row["tick"]].append(row)
    snapshots = []
    for tick in range(1, ticks + 1 if rows else 1):
        window_start = since + timedelta(seconds=(tick - 1) * interval)
        window_end = window_start + timedelta(seconds=interval)
        snapshot = build_snapshot(
            per_tick[tick], profile, tick, window_start, window_end, window_end
        )
        snapshots.append(with_log_counts(snapshot, profile, log_counts.get(tick, {})))
    missing = profile.unseen(present) if rows else {}
    folder = RunFolder(out_dir)
    path = folder.snapshot_file(since)
    with SnapshotWriter(path) as writer:
        writer.header(RunHeader(since, interval, ticks * interval, profile.source, mode="window"))
        for snapshot in snapshots:
            writer.tick(snapshot)
        writer.end(RunEnd(end, stop, missing))
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
    return write_summary(result, folder)


async def _window_rows(
    dsn: Target | str | None,
    profile: Profile,
    since: datetime,
    end: datetime,
    interval: float,
    ticks: int,
) -> tuple[WindowRows, set[str]]:
    """The period's per-tick counts and gauges, and which of the profile's event types occur."""
    try:
        session = await connect(dsn)
    except DatabaseUnavailable as exc:
        raise BotAuditError(f"window mode needs the database: {exc}") from None
    try:
        database = AuditDatabase(session, profile)
        missing_columns = tuple(await database.missing_columns())
        if missing_columns:
            raise BotAuditError(f"the database lacks {', '.join(missing_columns)}")
        moments = [since + timedelta(seconds=k * interval) for k in range(1, ticks + 1)]
        rows = await database.window_rows(since, end, interval, moments)
        present = await database.event_types_present(profile.all_event_types)
    except (OSError, TimeoutError) as exc:
        raise BotAuditError(describe_error(exc, dsn)) from None
    finally:
        await session.close()
    return rows, present
