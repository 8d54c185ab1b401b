"""The count and samples of every log category: what checks and evidence read by category."""

from __future__ import annotations

from collections import Counter

from ..model import LogRecord, LogSample
from .base import Redact, Shift, sample_of

SAMPLES_PER_KIND = 20


class Tally:
    __slots__ = ("categories", "redact", "samples")

    def __init__(self, redact: Redact) -> None:
        self.redact = redact
        self.categories: Counter[str] = Counter()
        self.samples: dict[str, list[LogSample]] = {}

    def feed(self, record: LogRecord, category: str) -> None:
        self.categories[category] += 1
        self.sample(category, record)

    def bulk(self, category: str, count: int) -> None:
        """Records counted unread by the scanner's fast path (no samples)."""
        self.categories[category] += count

    def sample(self, kind: str, record: LogRecord) -> None:
        bucket = self.samples.get(kind)
        if bucket is None:
            bucket = self.samples[kind] = []
        if len(bucket) < SAMPLES_PER_KIND:
            bucket.append(sample_of(record, self.redact))

    def count(self, category: str) -> int:
        return self.categories.get(category, 0)

    def merge(self, later: Tally, shift: Shift) -> None:
        self.categories.update(later.categories)
        for kind, samples in later.samples.items():
            bucket = self.samples.setdefault(kind, [])
            bucket.extend(shift(s) for s in samples[: SAMPLES_PER_KIND - len(bucket)])

    def result(self) -> tuple[dict[str, int], dict[str, tuple[LogSample, ...]]]:
        return dict(self.categories), {k: tuple(v) for k, v in self.samples.items()}
