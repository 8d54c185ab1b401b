"""Positions the bot's own log proves unprotected: its protection check names each symbol it
finds without a stop-loss, every few minutes while it lasts. A symbol counts from such a record
for the profile's ``log.unprotected_seconds``, unless a later record sets its stop-loss."""

from __future__ import annotations

from datetime import datetime, timedelta

from .analyses.base import Groups

MISSING = "sl_missing"
# categories whose record with a symbol puts that symbol's stop-loss back in place
SETTING = frozenset({"sl_set"})


class UnprotectedMemory:
    """Fed the records of the stop-loss categories in time order; ``at(moment)`` is the set
    of symbols the log proves unprotected then."""

    def __init__(self, seconds: float) -> None:
        self.memory = timedelta(seconds=seconds)
        self._missing: dict[str, datetime] = {}  # symbol -> its last record without stop-loss

    def feed(self, category: str, groups: Groups, moment: datetime) -> None:
        symbol = groups.get("symbol")
        if not symbol:
            return
        if category == MISSING:
            self._missing[symbol] = moment
        elif category in SETTING and self._missing.get(symbol, moment) < moment:
            del self._missing[symbol]

    def at(self, moment: datetime) -> frozenset[str]:
        cutoff = moment - self.memory
        stale = [s for s, seen in self._missing.items() if seen <= cutoff]
        for symbol in stale:
            del self._missing[symbol]
        return frozenset(s for s, seen in self._missing.items() if seen <= moment)
