"""What every log analysis shares: the accumulator protocol, the span it is judged over, the
latency histogram and batch means, and samples."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar, Protocol, Self

from ...config.values import LATENCY_BATCH_SECONDS
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
    """Latencies in 2 % wide logarithmic buckets: constant memory, exact count, sum, sum of
    squares and max, quantiles within 2 %, and exact merging of parts."""

    __slots__ = ("buckets", "count", "max", "sum_sq_us", "sum_us")
    _BASE = math.log(1.02)

    def __init__(self) -> None:
        self.buckets: Counter[int] = Counter()
        self.count = 0
        self.sum_us = 0  # integer microseconds: sums of parts add up exactly
        self.sum_sq_us = 0  # their squares, for the standard deviation (also exact)
        self.max = 0.0

    def add(self, value: float) -> None:
        self.buckets[self._bucket(value)] += 1
        self.count += 1
        micros = round(value * 1000)
        self.sum_us += micros
        self.sum_sq_us += micros * micros
        self.max = max(self.max, value)

    def _bucket(self, value: float) -> int:
        return -1 if value <= 0 else math.floor(math.log(value) / self._BASE)

    def merge(self, other: Histogram) -> None:
        self.buckets.update(other.buckets)
        self.count += other.count
        self.sum_us += other.sum_us
        self.sum_sq_us += other.sum_sq_us
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

    def sd(self) -> float | None:
        """The sample standard deviation (ms), exact from the integer sums; None under two."""
        n = self.count
        if n < 2:
            return None
        spread = n * self.sum_sq_us - self.sum_us * self.sum_us  # n(n-1) times the variance
        return round(math.sqrt(max(spread, 0) / (n * (n - 1))) / 1000, 3)

    def stats(self) -> dict[str, float]:
        sd = self.sd()
        return {
            "samples": float(self.count),
            "avg": round(self.sum_us / self.count / 1000, 3),
            **({"sd": sd} if sd is not None else {}),
            "p50": self.quantile(0.5),
            "p95": self.quantile(0.95),
            "p99": self.quantile(0.99),
            "max": self.max,
        }


Run = list[int]  # [batch key, samples, sum in integer microseconds]


class BatchMeans:
    """The means of a latency's time batches (LATENCY_BATCH_SECONDS each): how many, their
    mean and standard deviation. Constant memory: the first and the last batch stay open (a
    part of the log that follows may continue them), the ones between are folded into exact
    rational sums, so merged parts equal one pass."""

    __slots__ = ("count", "head", "sum", "sum_sq", "tail")

    def __init__(self) -> None:
        self.head: Run | None = None
        self.tail: Run | None = None  # None while there is one batch only
        self.count = 0  # the folded batches between head and tail
        self.sum = Fraction(0)  # of their means
        self.sum_sq = Fraction(0)

    def add(self, seconds: float, value: float) -> None:
        """A sample at ``seconds`` on the log's own clock (grammar.stamp_seconds)."""
        key = math.floor(seconds / LATENCY_BATCH_SECONDS)
        last = self.tail or self.head
        if last is not None and last[0] == key:  # the batch in progress (most samples)
            last[1] += 1
            last[2] += round(value * 1000)
            return
        self._follow([key, 1, round(value * 1000)])

    def _follow(self, run: Run) -> None:
        last = self.tail or self.head
        if last is None:
            self.head = run
        elif last[0] == run[0]:
            last[1] += run[1]
            last[2] += run[2]
        elif self.tail is None:
            self.tail = run
        else:
            self._fold(self.tail)
            self.tail = run

    def _fold(self, run: Run) -> None:
        mean = Fraction(run[2], run[1])
        self.count += 1
        self.sum += mean
        self.sum_sq += mean * mean

    def merge(self, later: BatchMeans) -> None:
        if later.head is None:
            return
        self._follow(list(later.head))
        if later.tail is None:
            return
        if self.tail is not None:  # closed: later's batches follow it
            self._fold(self.tail)
        self.count += later.count
        self.sum += later.sum
        self.sum_sq += later.sum_sq
        self.tail = list(later.tail)

    def stats(self) -> dict[str, float]:
        """``batches``, and from two batches on ``batch_mean`` and ``batch_sd`` (ms)."""
        count, total, squares = self.count, self.sum, self.sum_sq
        for run in (self.head, self.tail):
            if run is not None:
                mean = Fraction(run[2], run[1])
                count, total, squares = count + 1, total + mean, squares + mean * mean
        if count < 2:
            return {"batches": float(count)}
        variance = (squares - total * total / count) / (count - 1)
        return {
            "batches": float(count),
            "batch_mean": round(float(total / count) / 1000, 3),
            "batch_sd": round(math.sqrt(max(float(variance), 0.0)) / 1000, 3),
        }
