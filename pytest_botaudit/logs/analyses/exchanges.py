"""Analysis 5, exchange distribution: records and errors that name each exchange."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ExchangeCounts:
    entries: int
    errors: int

    def to_json(self) -> dict[str, Any]:
        return {"entries": self.entries, "errors": self.errors}


class Exchanges:
    """Fed by the exchange a record names (the profile's exchange pattern), not by category."""

    def __init__(self) -> None:
        self.entries: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def entry(self, exchange: str) -> None:
        self.entries[exchange] += 1

    def error(self, exchange: str) -> None:
        self.errors[exchange] += 1

    def merge(self, later: Exchanges) -> None:
        self.entries.update(later.entries)
        self.errors.update(later.errors)

    def result(self) -> dict[str, ExchangeCounts]:
        return {
            exchange: ExchangeCounts(self.entries[exchange], self.errors[exchange])
            for exchange in sorted(set(self.entries) | set(self.errors))
        }
