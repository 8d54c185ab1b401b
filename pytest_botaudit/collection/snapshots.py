"""Folding one tick's query rows and log counts into a Snapshot, as the profile names them."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..config.profile import Profile
from ..database.queries import AuditDatabase
from ..record.model import GAUGES, Snapshot

UNKNOWN_EXCHANGE = "unknown"
# the row kinds of sql/tick.sql that count positions rows (a counter's `positions` source)
POSITION_KINDS = frozenset({"opened", "closed", "force_closed"})
_ZEROS = itertools.repeat(0.0)  # the default of each type a tick did not count


def build_snapshot(
    rows: Iterable[Mapping[str, Any]],
    profile: Profile,
    tick: int,
    window_start: datetime,
    window_end: datetime,
    taken_at: datetime,
) -> Snapshot:
    """Fold the rows of sql/tick.sql into gauges, profile counters and per-exchange figures."""
    return TickFolding(profile).fold(rows, tick, window_start, window_end, taken_at)


class TickFolding:
    """How the profile folds a tick's rows: which counters each event type and positions
    source feeds, worked out once for a run's ticks (window mode folds tens of thousands)."""

    def __init__(self, profile: Profile) -> None:
        self.counters = profile.counters
        self.of_type: dict[str, list[str]] = {}
        self.of_source: dict[str, list[str]] = {}
        for counter in profile.counters:
            for event_type in counter.event_types:
                self.of_type.setdefault(event_type, []).append(counter.name)
            if counter.positions:
                self.of_source.setdefault(counter.positions, []).append(counter.name)
        # the counters only the log counts (merge_log sets them)
        self.log_only = tuple(
            (c.name, c.log_category)
            for c in profile.counters
            if c.log_category and not c.event_types and not c.positions
        )

    def merge_log(
        self,
        counters: dict[str, float],
        gauges: dict[str, float],
        unprotected: list[str],
        counts: Mapping[str, int],
        log_unprotected: Iterable[str] = (),
    ) -> list[str]:
        """What the log says of a tick's window, into its figures: the log-only counters (no
        event types, a log category), and the symbols the bot's log proves unprotected,
        counted with the database's unless the database already names them. Returns the
        tick's unprotected positions (``unprotected``, sorted, and the log's)."""
        for name, category in self.log_only:
            counters[name] = float(counts.get(category, 0))
        known = {entry.partition("@")[0] for entry in unprotected}
        extra = sorted(set(log_unprotected) - known)
        if not extra:
            return unprotected
        gauges["unprotected_positions"] = gauges.get("unprotected_positions", 0.0) + len(extra)
        return sorted((*unprotected, *extra))

    def fold(
        self,
        rows: Iterable[Mapping[str, Any]],
        tick: int,
        window_start: datetime,
        window_end: datetime,
        taken_at: datetime,
        log_counts: Mapping[str, int] | None = None,
        log_unprotected: Iterable[str] = (),
    ) -> Snapshot:
        """The tick's snapshot; with ``log_counts``, what the log says of it merged in."""
        gauges = dict.fromkeys(GAUGES, 0.0)
        per_type: dict[str, float] = {}
        per_source: dict[str, float] = {}
        by_exchange: dict[str, dict[str, float]] = {}
        unprotected: list[str] = []
        of_type, of_source = self.of_type, self.of_source
        for row in rows:
            exchange = row["exchange"] or UNKNOWN_EXCHANGE
            figures = by_exchange.setdefault(exchange, {})
            kind = row["kind"]
            total = row["total"]
            if kind == "positions":
                gauges["positions_total"] += total
                gauges["unprotected_positions"] += row["unprotected"]
                gauges["aged_positions"] += row["aged"]
                figures["positions"] = figures.get("positions", 0.0) + total
                unprotected += [f"{symbol}@{exchange}" for symbol in row["symbols"] or ()]
                continue
            if kind in POSITION_KINDS:
                per_source[kind] = per_source.get(kind, 0.0) + total
                names = of_source.get(kind, ())
            else:
                event_type = row["event_type"]
                per_type[event_type] = per_type.get(event_type, 0.0) + total
                names = of_type.get(event_type, ())
            for name in names:
                figures[name] = figures.get(name, 0.0) + total
        counters = {
            c.name: float(
                sum(map(per_type.get, c.event_types, _ZEROS))
                + (per_source.get(c.positions, 0.0) if c.positions else 0.0)
            )
            for c in self.counters
        }
        unprotected.sort()
        if log_counts is not None:
            unprotected = self.merge_log(counters, gauges, unprotected, log_counts, log_unprotected)
        return Snapshot(
            tick,
            window_start,
            window_end,
            taken_at,
            gauges,
            counters,
            by_exchange,
            unprotected=tuple(unprotected),
        )


def with_log(
    snapshot: Snapshot,
    profile: Profile,
    counts: Mapping[str, int],
    unprotected: Iterable[str] = (),
) -> Snapshot:
    """The snapshot with what the log says of its window (TickFolding.merge_log)."""
    counters, gauges = dict(snapshot.counters), dict(snapshot.gauges)
    listed = TickFolding(profile).merge_log(
        counters, gauges, list(snapshot.unprotected), counts, unprotected
    )
    return replace(snapshot, counters=counters, gauges=gauges, unprotected=tuple(listed))


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
