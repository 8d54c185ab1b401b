"""Evidence lines: where in the run a metric was breached, and the log lines that show it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..logs.model import LogAnalysis
from ..record.model import Snapshot

EVIDENCE_LIMIT = 10


def minute(stamp: datetime) -> str:
    return stamp.strftime("%H:%M:%S")


def capped(lines: Sequence[str], what: str = "more") -> tuple[str, ...]:
    head = tuple(lines[:EVIDENCE_LIMIT])
    if len(lines) > EVIDENCE_LIMIT:
        head += (f"... and {len(lines) - EVIDENCE_LIMIT} {what}",)
    return head


def ticks_over_zero(snapshots: Sequence[Snapshot], metric: str) -> tuple[str, ...]:
    """Where the metric was above zero: runs of consecutive ticks with the same value."""
    runs: list[list[Snapshot]] = []
    for snapshot in snapshots:
        value = snapshot.value(metric) or 0
        if value <= 0:
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and last.tick == snapshot.tick - 1 and last.value(metric) == value:
            runs[-1].append(snapshot)
        else:
            runs.append([snapshot])
    hits = []
    for run in runs:
        first, end = run[0], run[-1]
        value = first.value(metric) or 0
        if first is end:
            hits.append(f"tick {first.tick} at {minute(first.taken_at)}: {value:g}")
        else:
            hits.append(
                f"ticks {first.tick}-{end.tick} ({minute(first.taken_at)}-"
                f"{minute(end.taken_at)}): {value:g}"
            )
    return capped(hits, "more runs")


def log_samples(log: LogAnalysis | None, category: str | None) -> tuple[str, ...]:
    if log is None or category is None:
        return ()
    shown = tuple(f"{s.where}: {s.message}" for s in log.samples.get(category, ())[:EVIDENCE_LIMIT])
    more = log.count(category) - len(shown)
    return (*shown, f"... and {more} more log lines") if more > 0 else shown
