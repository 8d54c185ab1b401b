"""Analysis 1, position lifecycle: positions opened and closed, top symbols, opening rate."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from ..model import LogRecord
from .base import Groups, Shift, Span, top
from .tally import Tally


@dataclass(frozen=True, slots=True)
class LifecycleResult:
    opened: int
    closed: int
    top_symbols: dict[str, int]
    opened_per_minute: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "closed": self.closed,
            "top_symbols": dict(self.top_symbols),
            "opened_per_minute": self.opened_per_minute,
        }


class Lifecycle:
    categories: ClassVar[frozenset[str]] = frozenset({"position_opened", "position_closed"})

    def __init__(self) -> None:
        self.opened_symbols: Counter[str] = Counter()

    def feed(self, record: LogRecord, category: str, groups: Groups) -> None:
        symbol = groups.get("symbol")
        if symbol and category == "position_opened":
            self.opened_symbols[symbol] += 1

    def merge(self, later: Lifecycle, shift: Shift) -> None:
        self.opened_symbols.update(later.opened_symbols)

    def retract(self, category: str, groups: Groups) -> None:
        symbol = groups.get("symbol")
        if symbol and category == "position_opened" and self.opened_symbols[symbol] > 0:
            self.opened_symbols[symbol] -= 1
            if not self.opened_symbols[symbol]:
                del self.opened_symbols[symbol]

    def result(self, tally: Tally, span: Span) -> LifecycleResult:
        opened = tally.count("position_opened")
        return LifecycleResult(
            opened, tally.count("position_closed"), top(self.opened_symbols), span.rate(opened)
        )
