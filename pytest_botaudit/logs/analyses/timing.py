"""Analysis 7, timing: timeouts, rate limits, and every duration a message carries (its ``ms``
group) as a latency histogram, with the operations slower than the profile's limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..grammar import stamp_seconds
from ..model import LogRecord
from .base import BatchMeans, Groups, Histogram, Shift, Span
from .tally import Tally


@dataclass(frozen=True, slots=True)
class TimingResult:
    timeouts: int
    rate_limits: int
    slow_operations: int
    latencies_ms: dict[str, dict[str, float]]

    def to_json(self) -> dict[str, Any]:
        return {
            "timeouts": self.timeouts,
            "rate_limits": self.rate_limits,
            "slow_operations": self.slow_operations,
            "latencies_ms": {k: dict(v) for k, v in self.latencies_ms.items()},
        }


class Timing:
    """Fed every categorized record that carries a duration, whatever its category."""

    categories: ClassVar[frozenset[str]] = frozenset({"timeout", "rate_limit"})

    def __init__(self, slow_ms: float) -> None:
        self.slow_ms = slow_ms
        self.latencies: dict[str, Histogram] = {}
        self.batches: dict[str, BatchMeans] = {}  # what compare tests a latency on
        self.slow_operations = 0

    def feed(self, record: LogRecord, category: str, groups: Groups) -> None:
        millis = groups.get("ms")
        if not millis:
            return
        value = float(millis)
        histogram = self.latencies.get(category)
        if histogram is None:
            histogram = self.latencies[category] = Histogram()
        histogram.add(value)
        batches = self.batches.get(category)
        if batches is None:  # (setdefault would build one, two Fractions, for every record)
            batches = self.batches[category] = BatchMeans()
        batches.add(stamp_seconds(record.stamp), value)
        if value > self.slow_ms:
            self.slow_operations += 1

    def merge(self, later: Timing, shift: Shift) -> None:
        for category, histogram in later.latencies.items():
            self.latencies.setdefault(category, Histogram()).merge(histogram)
        for category, batches in later.batches.items():
            self.batches.setdefault(category, BatchMeans()).merge(batches)
        self.slow_operations += later.slow_operations

    def retract(self, category: str, groups: Groups) -> None:
        """Its categories are never repeats."""

    def result(self, tally: Tally, span: Span) -> TimingResult:
        return TimingResult(
            timeouts=tally.count("timeout"),
            rate_limits=tally.count("rate_limit"),
            slow_operations=self.slow_operations,
            latencies_ms={
                k: h.stats() | self.batches[k].stats() for k, h in self.latencies.items()
            },
        )
