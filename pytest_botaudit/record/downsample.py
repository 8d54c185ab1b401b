"""A metric's series downsampled as it is fed, for a chart: every tick up to SERIES_BUCKETS of
them; beyond, per bucket of ticks its first and last, the lowest and highest of the line and of
each exchange's line, and the first and last tick of the bucket where the metric's warning sign
holds or its good indicator is missed. Every point kept is a real tick with its exact values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

SERIES_BUCKETS = 300  # a chart's buckets of ticks: ~4 points each, ~1,200 a line (~1 a pixel)


class Limit(Protocol):
    def holds(self, value: float) -> bool: ...


class Limits(Protocol):
    """A metric's thresholds as the catalogue has them (judging.verdicts.MetricSpec)."""

    @property
    def good(self) -> Limit | None: ...

    @property
    def warning(self) -> Limit | None: ...


@dataclass(frozen=True, slots=True)
class Point:
    """One tick of a series: its index in the run, the moment, the line's value and each
    exchange's (an exchange not named: 0), and whether it breaches or misses."""

    index: int
    at: datetime
    value: float
    by_exchange: Mapping[str, float]
    breach: bool
    miss: bool


_NO_EXCHANGES: Mapping[str, float] = {}
# one tick of the open bucket, Point's fields: only the ticks a bucket keeps become Points
_Tick = tuple[int, datetime, float, Mapping[str, float], bool, bool]
OPEN_TICKS = 512  # a bucket's ticks held before it keeps only its chosen ones so far


class Line:
    """One metric's series, downsampled as it is fed (see the module's docstring)."""

    __slots__ = (
        "_bucket",
        "_by_exchange",
        "_open",
        "_running",
        "_totals",
        "_value",
        "_value_flags",
        "cumulative",
        "exchanges",
        "first_marked",
        "last_marked",
        "limits",
        "marked",
        "nonzero",
        "points",
        "width",
    )

    def __init__(self, width: int, cumulative: bool, limits: Limits | None) -> None:
        self.width = width
        self.cumulative = cumulative
        self.limits = limits
        self.points: list[Point] = []
        self.exchanges: set[str] = set()  # every exchange the metric was reported for
        self.nonzero: set[str] = set()  # ... at a value other than 0
        # the ticks at which a counter counted something, or a gauge breached or missed
        self.marked = 0
        self.first_marked: datetime | None = None
        self.last_marked: datetime | None = None
        self._bucket = -1
        self._open: list[_Tick] = []  # the open bucket's ticks
        self._running = 0.0
        self._by_exchange: dict[str, float] = {}
        self._totals: Mapping[str, float] = _NO_EXCHANGES  # a copy of _by_exchange
        self._value = math.nan  # the last value fed and its flags
        self._value_flags = (False, False)

    def _flags(self, value: float) -> tuple[bool, bool]:
        limits = self.limits
        if limits is None:
            return False, False
        warning, good = limits.warning, limits.good
        breach = warning is not None and warning.holds(value)
        miss = good is not None and not good.holds(value) and not breach
        return breach, miss

    def feed(
        self, index: int, at: datetime, value: float, by_exchange: Mapping[str, float] | None
    ) -> None:
        """``value`` the tick's own (a counter: what it counted; the line keeps the running
        total) and ``by_exchange`` each exchange's."""
        stepped = False
        if self.cumulative:
            before = self._running
            self._running = value = before + value
            stepped = value - before > 0
            running = self._by_exchange
            if by_exchange:
                changed = False
                for exchange, amount in by_exchange.items():
                    if amount or exchange not in running:
                        running[exchange] = running.get(exchange, 0.0) + amount
                        changed = True
                if changed:  # the ticks' totals so far, shared by the ticks until they move
                    self._totals = dict(running)
                self.exchanges.update(by_exchange)
            by_exchange = self._totals
        elif by_exchange:
            self.exchanges.update(by_exchange)
            self.nonzero.update(e for e, v in by_exchange.items() if v)
        if value == self._value:  # a gauge that stays, a counter that did not count
            breach, miss = self._value_flags
        else:
            breach, miss = self._value_flags = self._flags(value)
            self._value = value
        if stepped or (not self.cumulative and (breach or miss)):
            self.marked += 1
            self.first_marked = self.first_marked or at
            self.last_marked = at
        tick = (index, at, value, by_exchange or _NO_EXCHANGES, breach, miss)
        if self.width == 1:
            self.points.append(Point(*tick))
            return
        bucket = index // self.width
        if bucket != self._bucket:
            self.close()
            self._bucket = bucket
        self._open.append(tick)
        if len(self._open) > OPEN_TICKS:  # a long bucket: keep its chosen ticks so far
            self._open = _chosen(self._open)

    def fill_zeros(self, times: list[tuple[int, datetime]], count: int) -> None:
        """What the line was before its metric was first reported: 0 at each of ``times``
        (the edges of the buckets so far), over ``count`` ticks."""
        breach, miss = self._flags(0.0)
        if (breach or miss) and not self.cumulative and count:
            self.marked += count
            self.first_marked = times[0][1]
            self.last_marked = times[-1][1]
        for index, at in times:
            tick = (index, at, 0.0, _NO_EXCHANGES, breach, miss)
            if self.width == 1:
                self.points.append(Point(*tick))
                continue
            bucket = index // self.width
            if bucket != self._bucket:
                self.close()
                self._bucket = bucket
            self._open.append(tick)

    def close(self) -> None:
        if self._open:
            self.points += [Point(*tick) for tick in _chosen(self._open)]
            self._open = []

    def result(self) -> list[Point]:
        """The points so far (the open bucket's chosen ones too; feeding may go on)."""
        if not self._open:
            return list(self.points)
        return self.points + [Point(*tick) for tick in _chosen(self._open)]


def _chosen(ticks: list[_Tick]) -> list[_Tick]:
    """Of one bucket's ticks (in order): the first and last, the lowest and highest of the
    line and of each exchange's, the first and last breach and miss; in order, once each.
    Each is the first (or last) tick of the bucket where it holds, so choosing once when the
    bucket closes picks what choosing among the chosen ones of its first ticks would."""
    keep = {0, len(ticks) - 1}
    values = [t[2] for t in ticks]
    keep.add(values.index(min(values)))
    keep.add(values.index(max(values)))
    exchanges = {e for t in ticks for e in t[3]}
    for exchange in exchanges:
        line = [t[3].get(exchange, 0.0) for t in ticks]
        keep.add(line.index(min(line)))
        keep.add(line.index(max(line)))
    for flag in (4, 5):  # breach, miss
        flagged = [i for i, t in enumerate(ticks) if t[flag]]
        if flagged:
            keep.update((flagged[0], flagged[-1]))
    return [ticks[i] for i in sorted(keep)]
