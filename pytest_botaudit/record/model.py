"""The run record's data: snapshots, gaps, incidents and what a whole collection holds."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the digest is built from Snapshot; a result only holds one
    from .digest import RunDigest

# Gauges describe the state at the tick; counters count what happened in the tick's window.
GAUGES = ("positions_total", "unprotected_positions", "aged_positions")


def expected_ticks(duration: float, interval: float) -> int:
    """How many ticks a run of ``duration`` takes every ``interval``: computed here only."""
    return max(1, math.floor(duration / interval + 1e-9))


def tick_of(moment: datetime, since: datetime, interval: float) -> int:
    """The tick whose window [since + (k-1)·interval, since + k·interval) holds ``moment``
    (a moment on a window's edge is the tick that starts there, at 0.1 s too, where the
    division alone puts 0.3 s at 2.9999...)."""
    return math.floor((moment - since).total_seconds() / interval + 1e-9) + 1


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One tick: gauges at ``taken_at`` and counters over ``[window_start, window_end)``."""

    tick: int
    window_start: datetime
    window_end: datetime
    taken_at: datetime
    gauges: Mapping[str, float]
    counters: Mapping[str, float]
    by_exchange: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    # what only a live audit sees at the tick: round_trip_ms, db_connections, and with
    # --audit-bot-pid the bot's bot_cpu_percent and bot_rss_mb
    observed: Mapping[str, float] = field(default_factory=dict)
    # the positions without a stop-loss at the tick: SYMBOL@exchange from the database, SYMBOL
    # alone where only the bot's log says so
    unprotected: tuple[str, ...] = ()
    # why a followed log could not be read over the tick ("" when it could): the tick's log
    # counts are missing then, not zero (the database was sampled all the same)
    log_gap: str = ""

    def value(self, metric: str) -> float | None:
        if metric in self.gauges:
            return self.gauges[metric]
        return self.counters.get(metric)

    def to_json(self) -> dict[str, Any]:
        return {
            "timestamp": self.taken_at.isoformat(),
            "tick": self.tick,
            "window": [self.window_start.isoformat(), self.window_end.isoformat()],
            "gauges": dict(self.gauges),
            "counters": dict(self.counters),
            "by_exchange": {k: dict(v) for k, v in self.by_exchange.items()},
            **({"observed": dict(self.observed)} if self.observed else {}),
            **({"unprotected": list(self.unprotected)} if self.unprotected else {}),
            **({"log_gap": self.log_gap} if self.log_gap else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        start, end = data["window"]
        return cls(
            tick=int(data["tick"]),
            window_start=aware(start),
            window_end=aware(end),
            taken_at=aware(data["timestamp"]),
            gauges={k: float(v) for k, v in data["gauges"].items()},
            counters={k: float(v) for k, v in data["counters"].items()},
            by_exchange={
                ex: {k: float(v) for k, v in vals.items()}
                for ex, vals in data.get("by_exchange", {}).items()
            },
            observed={k: float(v) for k, v in data.get("observed", {}).items()},
            unprotected=tuple(str(v) for v in data.get("unprotected", ())),
            log_gap=str(data.get("log_gap", "")),
        )


@dataclass(frozen=True, slots=True)
class Gap:
    """A tick that produced no snapshot, and why (never recorded as zeros)."""

    tick: int
    window_start: datetime
    window_end: datetime
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "gap": True,
            "tick": self.tick,
            "window": [self.window_start.isoformat(), self.window_end.isoformat()],
            "reason": self.reason,
        }


def aware(text: str) -> datetime:
    """An ISO time; a naive one is UTC (the legacy monitor wrote naive UTC-ish times)."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Severity(enum.Enum):
    CRITICAL = "CRITICAL"
    WARNING = "WARNING"
    INFO = "INFO"


@dataclass(frozen=True, slots=True)
class Incident:
    """One alert condition that held over consecutive ticks, reported once."""

    rule_id: str
    severity: Severity
    message: str
    first_seen: datetime
    last_seen: datetime
    count: int
    peak: float
    open: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "severity": self.severity.value,
            "message": self.message,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "count": self.count,
            "peak": self.peak,
            "open": self.open,
        }


class StopReason(enum.Enum):
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    ABORTED_ON_CRITICAL = "aborted on critical"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """A killed live audit, as its snapshot file recorded it."""

    path: Path
    started_at: datetime
    snapshots: tuple[Snapshot, ...]
    gaps: tuple[Gap, ...]
    note: str = ""  # e.g. the lock of the killed audit, taken over


@dataclass(frozen=True, slots=True)
class CollectionResult:
    """Everything a run collected, complete or not. What the checks and reports read of its
    snapshots is in ``digest`` (record.digest), fed as they were taken; ``snapshots`` may be
    the snapshot file read back on demand (window mode keeps none in memory)."""

    started_at: datetime
    ended_at: datetime
    interval: float
    duration: float
    snapshots: Sequence[Snapshot]
    gaps: tuple[Gap, ...]
    incidents: tuple[Incident, ...]
    stop_reason: StopReason
    error: str | None
    missing_event_types: Mapping[str, tuple[str, ...]]
    missing_columns: tuple[str, ...]
    snapshot_path: Path
    summary_path: Path | None = None
    digest: RunDigest | None = field(default=None, compare=False, repr=False)

    @property
    def expected_ticks(self) -> int:
        return expected_ticks(self.duration, self.interval)

    @property
    def taken(self) -> int:
        """How many snapshots the run holds."""
        return self.digest.count if self.digest is not None else len(self.snapshots)

    def total(self, metric: str) -> float:
        if self.digest is not None:
            return self.digest.total(metric)
        return sum(s.counters.get(metric, 0.0) for s in self.snapshots)

    def peak(self, metric: str) -> float:
        if self.digest is not None:
            return self.digest.peak(metric)
        return max((s.value(metric) or 0.0 for s in self.snapshots), default=0.0)

    def log_gaps(self) -> list[tuple[int, int, str]]:
        """The stretches of ticks whose log could not be read: first tick, last tick, why (a
        tick without a snapshot in between does not end a stretch; one with the log does)."""
        if self.digest is not None:
            return list(self.digest.log_gaps)
        stretches: list[tuple[int, int, str]] = []
        going = False
        for snapshot in self.snapshots:
            if not snapshot.log_gap:
                going = False
            elif going and stretches[-1][2] == snapshot.log_gap:
                stretches[-1] = (stretches[-1][0], snapshot.tick, snapshot.log_gap)
            else:
                stretches.append((snapshot.tick, snapshot.tick, snapshot.log_gap))
                going = True
        return stretches

    def without_log(self) -> int:
        """How many snapshots were taken while a log could not be read."""
        if self.digest is not None:
            return self.digest.without_log
        return sum(1 for snapshot in self.snapshots if snapshot.log_gap)

    def incidents_of(self, severity: Severity) -> list[Incident]:
        return [i for i in self.incidents if i.severity is severity]
