"""Snapshots and gaps: what one sampling tick measured, and how it is stored as JSON lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .profile import Profile

# Gauges describe the state at the tick; counters count what happened in the tick's window.
GAUGES = ("positions_total", "unprotected_positions", "aged_positions")
UNKNOWN_EXCHANGE = "unknown"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One tick: gauges at ``taken_at`` and counters over ``[window_start, window_end)``."""

    tick: int
    window_start: datetime
    window_end: datetime
    taken_at: datetime
    gauges: Mapping[str, float]
    counters: Mapping[str, float]
    by_exchange: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def value(self, metric: str) -> float | None:
        if metric in self.gauges:
            return self.gauges[metric]
        return self.counters.get(metric)

    def to_json(self) -> dict[str, Any]:
        return {
            "timestamp": self.taken_at.isoformat(),
            "tick": self.tick,
            "window": [self.window_start.isoformat(), self.window_end.isoformat()],
            "gauges": dict(self.gauges),
            "counters": dict(self.counters),
            "by_exchange": {k: dict(v) for k, v in self.by_exchange.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        start, end = data["window"]
        return cls(
            tick=int(data["tick"]),
            window_start=aware(start),
            window_end=aware(end),
            taken_at=aware(data["timestamp"]),
            gauges={k: float(v) for k, v in data["gauges"].items()},
            counters={k: float(v) for k, v in data["counters"].items()},
            by_exchange={
                ex: {k: float(v) for k, v in vals.items()}
                for ex, vals in data.get("by_exchange", {}).items()
            },
        )


@dataclass(frozen=True, slots=True)
class Gap:
    """A tick that produced no snapshot, and why (never recorded as zeros)."""

    tick: int
    window_start: datetime
    window_end: datetime
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "gap": True,
            "tick": self.tick,
            "window": [self.window_start.isoformat(), self.window_end.isoformat()],
            "reason": self.reason,
        }


def aware(text: str) -> datetime:
    """An ISO time; a naive one is UTC (the legacy monitor wrote naive UTC-ish times)."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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
    return Snapshot(
        snapshot.tick,
        snapshot.window_start,
        snapshot.window_end,
        snapshot.taken_at,
        snapshot.gauges,
        counters,
        snapshot.by_exchange,
    )
