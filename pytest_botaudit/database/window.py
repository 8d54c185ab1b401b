"""Whole-window figures the database gives at the end of an audit (the room for the database
analysis): latencies, trailing-stop updates per position, positions still unprotected, and
the event types written in the window."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..config.profile import Profile
from ..config.specs import LatencySpec
from ..errors import DatabaseUnavailable
from .analysis import DatabaseAnalysis, Table, analysis_jobs, assemble
from .connection import ReadOnlySession, Reconnect, Target, connect
from .pool import SESSIONS, more_sessions, run_spread
from .queries import (
    AuditDatabase,
    EventTypeCount,
    LatencyStats,
    TrailingUpdates,
    UnprotectedPosition,
)

Job = Callable[[ReadOnlySession], Awaitable[None]]


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
    """The figures, each its own statement, spread over up to pool.SESSIONS sessions."""
    try:
        session = await connect(dsn, reconnect=Reconnect())  # a restart mid-analysis
    except DatabaseUnavailable as exc:
        return WindowStats(error=str(exc))
    sessions = [session]
    try:
        zones = (await AuditDatabase.open(session, profile)).zones
        sessions += await more_sessions(dsn, SESSIONS - 1, reconnect=Reconnect())
        latencies: dict[str, LatencyStats] = {}
        found: dict[str, Any] = {"ts_updates": []}

        def figure(name: str, read: Callable[[AuditDatabase], Awaitable[Any]]) -> Job:
            async def job(on: ReadOnlySession) -> None:
                found[name] = await read(AuditDatabase(on, profile, zones))

            return job

        def latency(spec: LatencySpec) -> Job:
            async def job(on: ReadOnlySession) -> None:
                database = AuditDatabase(on, profile, zones)
                latencies[spec.name] = await database.latency(
                    since, until, spec.event_types, spec.json_key
                )

            return job

        figures = [latency(spec) for spec in profile.latencies]
        if profile.ts_update_event_types:
            figures.append(figure("ts_updates", lambda d: d.ts_updates(since, until)))
        figures.append(figure("unprotected", lambda d: d.unprotected_positions()))
        figures.append(figure("event_types", lambda d: d.event_types(since, until)))
        # the analysis's scans first: the short figures fill in at the end
        jobs: list[Callable[[ReadOnlySession], Awaitable[Table | None]]] = [
            *analysis_jobs(profile, since, until, zones),
            *figures,
        ]
        tables = [t for t in await run_spread(sessions, jobs) if t is not None]
        return WindowStats(
            {spec.name: latencies[spec.name] for spec in profile.latencies},
            tuple(found["ts_updates"]),
            tuple(found["unprotected"]),
            assemble(since, until, tables),
            event_types=tuple(found["event_types"]),
        )
    finally:
        for each in sessions:
            await each.close()
