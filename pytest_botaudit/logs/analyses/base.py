"""What every log analysis shares: the accumulator protocol, the span it is judged over, the
latency histogram, and samples."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol, Self

from ..model import LogRecord, LogSample

if TYPE_CHECKING:
    from .tally import Tally

Shift = Callable[[LogSample], LogSample]
Groups = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Span:
    """The stretch of time an analysis covers: the window, or the log's first to last record."""

    start: datetime | None
    end: datetime | None

    @property
    def minutes(self) -> float | None:
        if self.start and self.end and self.end > self.start:
            return (self.end - self.start).total_seconds() / 60
        return None

    def rate(self, count: float) -> float | None:
        minutes = self.minutes
        return round(count / minutes, 3) if minutes else None


class Analysis(Protocol):
    """An accumulator: ``feed`` one categorized record, ``merge`` the accumulator of the part of
    the log that follows, ``result`` once at the end. ``categories`` are the profile's log
    categories it is fed (its roles: a profile must define them)."""

    categories: ClassVar[frozenset[str]]

    def feed(self, record: LogRecord, category: str, groups: Groups) -> None: ...

    def merge(self, later: Self, shift: Shift) -> None: ...

    def retract(self, category: str, groups: Groups) -> None:
        """Take back an occurrence a merge found to repeat one of the part before."""

    def result(self, tally: Tally, span: Span) -> object: ...


Redact = Callable[[str], str]


def sample_of(record: LogRecord, redact: Redact) -> LogSample:
    """A record kept as evidence, its secrets hidden (it may reach any output)."""
    return LogSample(
        record.path, record.line_no, record.timestamp, record.level, redact(record.message)
    )


def top(counts: Counter[str], limit: int = 10) -> dict[str, int]:
    return dict(counts.most_common(limit))


class Histogram:
    """Latencies in 2 % wide logarithmic buckets: constant memory, exact count, sum and max,
    quantiles within 2 %, and exact merging of parts."""

    __slots__ = ("buckets", "count", "max", "sum_us")
    _BASE = math.log(1.02)

    def __init__(self) -> None:
        self.buckets: Counter[int] = Counter()
        self.count = 0
        self.sum_us = 0  # integer microseconds: sums of parts add up exactly
        self.max = 0.0

    def add(self, value: float) -> None:
        self.buckets[self._bucket(value)] += 1
        self.count += 1
        self.sum_us += round(value * 1000)
        self.max = max(self.max, value)

    def _bucket(self, value: float) -> int:
        return -1 if value <= 0 else math.floor(math.log(value) / self._BASE)

    def merge(self, other: Histogram) -> None:
        self.buckets.update(other.buckets)
        self.count += other.count
        self.sum_us += other.sum_us
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> float:
        rank = math.ceil(q * self.count)
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= rank:
                upper = 0.0 if bucket < 0 else math.exp((bucket + 1) * self._BASE)
                return round(min(upper, self.max), 3)
        return self.max

    def stats(self) -> dict[str, float]:
        return {
            "samples": float(self.count),
            "avg": round(self.sum_us / self.count / 1000, 3),
            "p95": self.quantile(0.95),
            "p99": self.quantile(0.99),
            "max": self.max,
        }
