"""Folding one tick's query rows and log counts into a Snapshot, as the profile names them."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..config.profile import Profile
from ..database.queries import AuditDatabase
from ..record.model import GAUGES, Snapshot

UNKNOWN_EXCHANGE = "unknown"


def build_snapshot(
    rows: Iterable[Mapping[str, Any]],
    profile: Profile,
    tick: int,
    window_start: datetime,
    window_end: datetime,
    taken_at: datetime,
) -> Snapshot:
    """Fold the rows of sql/tick.sql into gauges, profile counters and per-exchange figures."""
    gauges = dict.fromkeys(GAUGES, 0.0)
    per_type: dict[str, float] = {}
    by_exchange: dict[str, dict[str, float]] = {}
    counter_of_type: dict[str, list[str]] = {}
    for counter in profile.counters:
        for event_type in counter.event_types:
            counter_of_type.setdefault(event_type, []).append(counter.name)
    for row in rows:
        exchange = row["exchange"] or UNKNOWN_EXCHANGE
        figures = by_exchange.setdefault(exchange, {})
        if row["kind"] == "positions":
            gauges["positions_total"] += row["total"]
            gauges["unprotected_positions"] += row["unprotected"]
            gauges["aged_positions"] += row["aged"]
            figures["positions"] = figures.get("positions", 0.0) + row["total"]
            continue
        per_type[row["event_type"]] = per_type.get(row["event_type"], 0.0) + row["total"]
        for name in counter_of_type.get(row["event_type"], ()):
            figures[name] = figures.get(name, 0.0) + row["total"]
    counters = {
        c.name: float(sum(per_type.get(t, 0.0) for t in c.event_types)) for c in profile.counters
    }
    return Snapshot(tick, window_start, window_end, taken_at, gauges, counters, by_exchange)


def with_log_counts(snapshot: Snapshot, profile: Profile, counts: Mapping[str, int]) -> Snapshot:
    """The snapshot with its log-only counters (no event types, a log category) filled in."""
    counters = dict(snapshot.counters)
    for counter in profile.counters:
        if counter.log_category and not counter.event_types:
            counters[counter.name] = float(counts.get(counter.log_category, 0))
    return replace(snapshot, counters=counters)


async def take_snapshot(
    database: AuditDatabase,
    tick: int,
    window_start: datetime,
    window_end: datetime,
    taken_at: datetime,
) -> Snapshot:
    """One tick's snapshot: sql/tick.sql plus the profile's own queries, one transaction."""
    started = time.perf_counter()
    async with database.session.transaction():
        rows = await database.tick_rows(window_start, window_end, taken_at)
        round_trip = time.perf_counter() - started
        extra = await database.profile_queries(window_start, window_end)
        connections = await database.connections()
    snapshot = build_snapshot(rows, database.profile, tick, window_start, window_end, taken_at)
    observed = {"round_trip_ms": round(round_trip * 1000, 2), "db_connections": connections}
    counters, gauges = dict(snapshot.counters), dict(snapshot.gauges)
    for spec in database.profile.queries:
        (counters if spec.kind == "counter" else gauges)[spec.name] = extra[spec.name]
    return replace(snapshot, counters=counters, gauges=gauges, observed=observed)
