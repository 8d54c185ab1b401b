"""Analysis 2, stop-loss: set, updated, failed, triggered, missing (with the symbols), rates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from ..model import LogRecord
from .base import Groups, Shift, Span, top
from .tally import Tally


@dataclass(frozen=True, slots=True)
class StopLossResult:
    set: int
    updated: int
    update_failed: int
    set_failed: int
    triggered: int
    missing: int
    missing_symbols: dict[str, int]
    missing_positions: int  # distinct symbols reported without a stop-loss
    updates_per_minute: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "set": self.set,
            "updated": self.updated,
            "update_failed": self.update_failed,
            "set_failed": self.set_failed,
            "triggered": self.triggered,
            "missing": self.missing,
            "missing_symbols": dict(self.missing_symbols),
            "updates_per_minute": self.updates_per_minute,
        }


class StopLoss:
    categories: ClassVar[frozenset[str]] = frozenset(
        {
            "sl_set",
            "sl_updated",
            "sl_updated_timed",
            "sl_update_failed",
            "sl_set_failed",
            "sl_triggered",
            "sl_missing",
        }
    )

    def __init__(self) -> None:
        self.missing_symbols: Counter[str] = Counter()

    def feed(self, record: LogRecord, category: str, groups: Groups) -> None:
        symbol = groups.get("symbol")
        if symbol and category == "sl_missing":
            self.missing_symbols[symbol] += 1

    def merge(self, later: StopLoss, shift: Shift) -> None:
        self.missing_symbols.update(later.missing_symbols)

    def retract(self, category: str, groups: Groups) -> None:
        symbol = groups.get("symbol")
        if symbol and category == "sl_missing" and self.missing_symbols[symbol] > 0:
            self.missing_symbols[symbol] -= 1
            if not self.missing_symbols[symbol]:
                del self.missing_symbols[symbol]

    def result(self, tally: Tally, span: Span) -> StopLossResult:
        updated = tally.count("sl_updated") + tally.count("sl_updated_timed")
        return StopLossResult(
            set=tally.count("sl_set"),
            updated=updated,
            update_failed=tally.count("sl_update_failed"),
            set_failed=tally.count("sl_set_failed"),
            triggered=tally.count("sl_triggered"),
            missing=tally.count("sl_missing"),
            missing_symbols=top(self.missing_symbols),
            missing_positions=len(self.missing_symbols),
            updates_per_minute=span.rate(updated),
        )
