"""Analysis 3, trailing stop: activations, updates per position and per minute, excess."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from ..model import LogRecord
from .base import Groups, Shift, Span, top
from .tally import Tally


@dataclass(frozen=True, slots=True)
class TrailingResult:
    activations: int
    updates: int
    emergency_updates: int
    positions: int
    updates_per_position: float
    busiest: int  # updates of the busiest position (symbol)
    busiest_updates_per_minute: float | None
    updates_per_minute: float | None
    excessive_symbols: dict[str, int]
    per_symbol: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "activations": self.activations,
            "updates": self.updates,
            "emergency_updates": self.emergency_updates,
            "positions": self.positions,
            "updates_per_position": self.updates_per_position,
            "busiest_updates_per_minute": self.busiest_updates_per_minute,
            "excessive_symbols": dict(self.excessive_symbols),
        }


class Trailing:
    categories: ClassVar[frozenset[str]] = frozenset(
        {"ts_activated", "ts_updated", "ts_emergency_update"}
    )

    def __init__(self, excessive: int) -> None:
        self.excessive = excessive
        self.updates: Counter[str] = Counter()

    def feed(self, record: LogRecord, category: str, groups: Groups) -> None:
        symbol = groups.get("symbol")
        if symbol and category == "ts_updated":
            self.updates[symbol] += 1

    def merge(self, later: Trailing, shift: Shift) -> None:
        self.updates.update(later.updates)

    def retract(self, category: str, groups: Groups) -> None:
        """Its categories are never repeats."""

    def result(self, tally: Tally, span: Span) -> TrailingResult:
        updates = self.updates
        busiest = max(updates.values(), default=0)
        minutes = span.minutes
        return TrailingResult(
            activations=tally.count("ts_activated"),
            updates=tally.count("ts_updated"),
            emergency_updates=tally.count("ts_emergency_update"),
            positions=len(updates),
            updates_per_position=round(sum(updates.values()) / len(updates), 3) if updates else 0.0,
            busiest=busiest,
            busiest_updates_per_minute=round(busiest / max(1.0, minutes), 3)
            if updates and minutes
            else None,
            updates_per_minute=span.rate(tally.count("ts_updated")),
            excessive_symbols={s: n for s, n in updates.most_common() if n > self.excessive},
            per_symbol=top(updates),
        )
