"""Whole-window figures the database gives at the end of an audit (the room for the database
analysis): latencies, trailing-stop updates per position, positions still unprotected, and
the event types written in the window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..config.profile import Profile
from ..errors import DatabaseUnavailable
from .analysis import DatabaseAnalysis, run_analysis
from .connection import Reconnect, Target, connect
from .queries import (
    AuditDatabase,
    EventTypeCount,
    LatencyStats,
    TrailingUpdates,
    UnprotectedPosition,
)


@dataclass(frozen=True, slots=True)
class WindowStats:
    latencies: Mapping[str, LatencyStats] = field(default_factory=dict)
    ts_updates: tuple[TrailingUpdates, ...] = ()
    unprotected_now: tuple[UnprotectedPosition, ...] = ()
    analysis: DatabaseAnalysis | None = None
    error: str | None = None
    event_types: tuple[EventTypeCount, ...] = ()  # every type written in the window


async def gather_window_stats(
    dsn: Target | str | None, profile: Profile, since: datetime, until: datetime
) -> WindowStats:
    try:
        session = await connect(dsn, reconnect=Reconnect())  # a restart mid-analysis
    except DatabaseUnavailable as exc:
        return WindowStats(error=str(exc))
    try:
        database = await AuditDatabase.open(session, profile)
        latencies = {
            spec.name: await database.latency(since, until, spec.event_types, spec.json_key)
            for spec in profile.latencies
        }
        ts_updates = (
            await database.ts_updates(since, until) if profile.ts_update_event_types else []
        )
        unprotected = await database.unprotected_positions()
        event_types = await database.event_types(since, until)
        analysis = await run_analysis(session, profile, since, until, database.zones)
        return WindowStats(
            latencies,
            tuple(ts_updates),
            tuple(unprotected),
            analysis,
            event_types=tuple(event_types),
        )
    finally:
        await session.close()
