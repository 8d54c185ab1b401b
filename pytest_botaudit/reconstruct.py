"""Window mode: the snapshots a live run would have taken over a past period, rebuilt from the
tables and the log in a few queries, without waiting (the CI-gate case)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .alerts import AlertRule, IncidentTracker, seed_rules
from .artifacts import SnapshotWriter, snapshot_file
from .collector import CollectionResult, StopReason, write_summary
from .db import AuditDatabase, connect, describe_error
from .errors import BotAuditError, DatabaseUnavailable
from .loganalysis import LogAnalyzer
from .logs import read_records, rotated_set
from .metrics import build_snapshot, with_log_counts
from .profile import Profile
from .sqlfiles import query


def tick_count(since: datetime, until: datetime, interval: float) -> int:
    return max(1, int((until - since).total_seconds() / interval + 1e-9))


async def reconstruct(
    dsn: str | None,
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
    ticks = tick_count(since, until, interval)
    end = since + timedelta(seconds=ticks * interval)
    try:
        connection = await connect(dsn)
    except DatabaseUnavailable as exc:
        raise BotAuditError(f"window mode needs the database: {exc}") from None
    try:
        database = AuditDatabase(connection, profile)
        missing_columns = tuple(await database.missing_columns())
        if missing_columns:
            raise BotAuditError(f"the database lacks {', '.join(missing_columns)}")
        names = profile.sql_names()
        counts = await connection.fetch(query("window_counts.sql", names), since, end, interval)
        moments = [since + timedelta(seconds=k * interval) for k in range(1, ticks + 1)]
        statuses = list(dict.fromkeys([*profile.open_statuses, *profile.closed_statuses]))
        gauges = await connection.fetch(
            query("window_gauges.sql", names),
            moments,
            statuses,
            list(profile.stop_loss_event_types),
            profile.max_age_hours * 3600,
        )
        present = await database.event_types_present(profile.all_event_types)
    except (OSError, TimeoutError) as exc:
        raise BotAuditError(describe_error(exc, dsn)) from None
    finally:
        await connection.close()
    log_counts = await asyncio.to_thread(_log_counts, log_paths, profile, since, end, interval)
    per_tick: dict[int, list[Any]] = defaultdict(list)
    for row in [*counts, *gauges]:
        per_tick[row["tick"]].append(row)
    snapshots = []
    for tick in range(1, ticks + 1):
        window_start = since + timedelta(seconds=(tick - 1) * interval)
        window_end = window_start + timedelta(seconds=interval)
        snapshot = build_snapshot(
            per_tick[tick], profile, tick, window_start, window_end, window_end
        )
        snapshots.append(with_log_counts(snapshot, profile, log_counts.get(tick, {})))
    tracker = IncidentTracker(rules if rules is not None else seed_rules(), persist)
    tracker.replay(snapshots)
    missing = profile.unseen(present)
    path = snapshot_file(out_dir, since)
    with SnapshotWriter(path) as writer:
        writer.write(
            {
                "audit": {
                    "started_at": since.isoformat(),
                    "interval": interval,
                    "duration": ticks * interval,
                    "profile": profile.source,
                    "mode": "window",
                }
            }
        )
        for snapshot in snapshots:
            writer.write(snapshot)
        writer.write(
            {
                "audit_end": {
                    "ended_at": end.isoformat(),
                    "stop_reason": "completed",
                    "missing_event_types": {k: list(v) for k, v in missing.items()},
                }
            }
        )
    result = CollectionResult(
        started_at=since,
        ended_at=end,
        interval=interval,
        duration=ticks * interval,
        expected_ticks=ticks,
        snapshots=tuple(snapshots),
        gaps=(),
        incidents=tuple(tracker.incidents()),
        stop_reason=StopReason.COMPLETED,
        error=None,
        missing_event_types=missing,
        missing_columns=(),
        snapshot_path=path,
    )
    return write_summary(result, out_dir)


def _log_counts(
    paths: Sequence[Path], profile: Profile, since: datetime, until: datetime, interval: float
) -> dict[int, dict[str, int]]:
    """Log categories per tick, by each record's own timestamp."""
    wanted = {c.log_category for c in profile.counters if c.log_category and not c.event_types}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not wanted or not paths:
        return counts
    analyzer = LogAnalyzer(profile, since, until)
    files = [f for p in paths for f in rotated_set(p)]
    for record in read_records(files, zone=profile.log_timezone):
        categories = wanted.intersection(analyzer.feed(record))
        if not categories:
            continue
        tick = int((record.timestamp - since).total_seconds() / interval) + 1
        for category in categories:
            counts[tick][category] = counts[tick].get(category, 0) + 1
    return counts
