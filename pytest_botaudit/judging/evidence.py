"""Evidence lines: where in the run a metric was breached, and the log lines that show it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..logs.model import LogAnalysis
from ..record.digest import KEPT_RUNS, RunDigest
from ..timefmt import clock

EVIDENCE_LIMIT = KEPT_RUNS  # the digest keeps as many runs above zero as evidence names


def minute(stamp: datetime) -> str:
    return clock(stamp)


def capped(lines: Sequence[str], what: str = "more") -> tuple[str, ...]:
    head = tuple(lines[:EVIDENCE_LIMIT])
    if len(lines) > EVIDENCE_LIMIT:
        head += (f"... and {len(lines) - EVIDENCE_LIMIT} {what}",)
    return head


def ticks_over_zero(digest: RunDigest, metric: str) -> tuple[str, ...]:
    """Where the metric was above zero: runs of consecutive ticks with the same value."""
    over = digest.over_zero(metric)
    hits = []
    for run in over.runs[:EVIDENCE_LIMIT]:
        named = sorted(run.names)
        which = f" ({', '.join(named)})" if metric == "unprotected_positions" and named else ""
        if run.first_tick == run.last_tick:
            hits.append(f"tick {run.first_tick} at {minute(run.first_at)}: {run.value:g}{which}")
        else:
            hits.append(
                f"ticks {run.first_tick}-{run.last_tick} ({minute(run.first_at)}-"
                f"{minute(run.last_at)}): {run.value:g}{which}"
            )
    if over.count > EVIDENCE_LIMIT:
        hits.append(f"... and {over.count - EVIDENCE_LIMIT} more runs")
    return tuple(hits)


def distinct_unprotected(digest: RunDigest) -> int:
    """How many positions went without a stop-loss at some tick: the database's SYMBOL@exchange
    and the log's SYMBOL, a log symbol the database already names counted once."""
    seen = digest.unprotected
    from_rows = {name for name in seen if "@" in name}
    symbols = {name.partition("@")[0] for name in from_rows}
    return len(from_rows) + len({name for name in seen - from_rows if name not in symbols})


def log_samples(log: LogAnalysis | None, category: str | None) -> tuple[str, ...]:
    if log is None or category is None:
        return ()
    shown = tuple(f"{s.where}: {s.message}" for s in log.samples.get(category, ())[:EVIDENCE_LIMIT])
    more = log.count(category) - len(shown)
    return (*shown, f"... and {more} more log lines") if more > 0 else shown
