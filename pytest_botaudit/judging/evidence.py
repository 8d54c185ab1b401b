"""Evidence lines: where in the run a metric was breached, and the log lines that show it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..logs.model import LogAnalysis
from ..record.model import Snapshot
from ..timefmt import clock

EVIDENCE_LIMIT = 10


def minute(stamp: datetime) -> str:
    return clock(stamp)


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
        named = sorted({name for s in run for name in s.unprotected})
        which = f" ({', '.join(named)})" if metric == "unprotected_positions" and named else ""
        if first is end:
            hits.append(f"tick {first.tick} at {minute(first.taken_at)}: {value:g}{which}")
        else:
            hits.append(
                f"ticks {first.tick}-{end.tick} ({minute(first.taken_at)}-"
                f"{minute(end.taken_at)}): {value:g}{which}"
            )
    return capped(hits, "more runs")


def distinct_unprotected(snapshots: Sequence[Snapshot]) -> int:
    """How many positions went without a stop-loss at some tick: the database's SYMBOL@exchange
    and the log's SYMBOL, a log symbol the database already names counted once."""
    seen = {name for s in snapshots for name in s.unprotected}
    from_rows = {name for name in seen if "@" in name}
    symbols = {name.partition("@")[0] for name in from_rows}
    return len(from_rows) + len({name for name in seen - from_rows if name not in symbols})


def log_samples(log: LogAnalysis | None, category: str | None) -> tuple[str, ...]:
    if log is None or category is None:
        return ()
    shown = tuple(f"{s.where}: {s.message}" for s in log.samples.get(category, ())[:EVIDENCE_LIMIT])
    more = log.count(category) - len(shown)
    return (*shown, f"... and {more} more log lines") if more > 0 else shown
