"""bot_monitor.py's snapshot format (the first audit tool), read as ticks and gaps of a run."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from .model import GAUGES, Gap, Snapshot

# bot_monitor.py's fields, as our metric names
LEGACY_FIELDS: dict[tuple[str, str], str] = {
    ("positions", "total"): "positions_total",
    ("positions", "unprotected"): "unprotected_positions",
    ("issues", "aged"): "aged_positions",
    ("activity", "new_opened"): "new_positions_opened",
    ("activity", "prices_updated"): "price_updates",
    ("activity", "ts_activated"): "ts_activations",
    ("activity", "sl_updates"): "sl_updates_with_ts",
    ("activity", "closed"): "positions_closed",
    ("issues", "zombies"): "zombie_orders",
    ("issues", "emergency"): "emergency_closes",
    ("issues", "errors"): "api_errors",
    ("issues", "ws_reconnects"): "ws_reconnects",
}
# The first monitor counted event words the bot never writes (bot contract, section 2): these
# legacy columns are zero by construction and must not read as "no problem".
LEGACY_BLIND: dict[str, tuple[str, ...]] = {
    "zombie_orders": ("zombie_cleaned",),
    "emergency_closes": ("emergency_close",),
    "ws_reconnects": ("websocket_reconnect", "websocket_reconnected"),
}
# a pause this many intervals long between two legacy snapshots is a gap, not jitter
GAP_FACTOR = 1.5
# ... and this long, a stopped monitor: the next snapshot starts another run
RUN_BREAK_FACTOR = 10
# a step shorter than this share of the interval is a restarted monitor's first snapshot
RESTART_FACTOR = 0.5


@dataclass(frozen=True, slots=True)
class LegacyRun:
    """A legacy file's minutes as ticks: its start, interval and length follow its own clock."""

    started_at: datetime
    interval: float
    duration: float
    snapshots: tuple[Snapshot, ...]
    gaps: tuple[Gap, ...]


Row = tuple[datetime, Mapping[str, Any]]


def legacy_runs(rows: Sequence[Row]) -> list[LegacyRun]:
    """A legacy file's runs. bot_monitor.py appends every run of a day to one file: a new run
    shows as a snapshot much sooner than the interval (a restarted monitor snapshots at once)
    or after a pause of ten intervals or more (a stopped one)."""
    rows = sorted(rows, key=lambda row: row[0])
    steps = [(b - a).total_seconds() for (a, _), (b, _) in pairwise(rows)]
    interval = float(round(statistics.median(steps))) if steps else 60.0
    interval = interval or 60.0
    runs: list[list[Row]] = [[rows[0]]] if rows else []
    for step, row in zip(steps, rows[1:], strict=True):
        if step < RESTART_FACTOR * interval or step >= RUN_BREAK_FACTOR * interval:
            runs.append([])
        runs[-1].append(row)
    return [legacy_run(run, interval) for run in runs]


def legacy_run(rows: Sequence[Row], interval: float | None = None) -> LegacyRun:
    """bot_monitor.py's minute snapshots: ticks are reconstructed from the timestamps, and a
    pause of more than 1.5 intervals (a stall, a crash) becomes gaps."""
    rows = sorted(rows, key=lambda row: row[0])
    if interval is None:
        steps = [(b - a).total_seconds() for (a, _), (b, _) in pairwise(rows)]
        interval = float(round(statistics.median(steps))) if steps else 60.0
        interval = interval or 60.0
    start = rows[0][0] - timedelta(seconds=interval)
    snapshots: list[Snapshot] = []
    gaps: list[Gap] = []
    tick = 0
    previous_end = start
    for stamp, metrics in rows:
        missing = round((stamp - previous_end).total_seconds() / interval) - 1
        if (stamp - previous_end).total_seconds() > GAP_FACTOR * interval:
            for _ in range(max(1, missing)):
                tick += 1
                window_end = previous_end + timedelta(seconds=interval)
                reason = "no snapshot: the legacy monitor was not running"
                gaps.append(Gap(tick, previous_end, window_end, reason))
                previous_end = window_end
        tick += 1
        values: dict[str, float] = {}
        for (group, name), metric in LEGACY_FIELDS.items():
            raw = metrics.get(group, {}).get(name)
            if raw is not None:
                values[metric] = float(raw)
        by_exchange = {
            name: {"positions": float(count)}
            for name, count in metrics.get("positions", {}).items()
            if name not in ("total", "unprotected")
        }
        gauges = {k: values.pop(k) for k in GAUGES if k in values}
        snapshots.append(Snapshot(tick, previous_end, stamp, stamp, gauges, values, by_exchange))
        previous_end = stamp
    # the legacy ticks follow its own irregular clock: the run is as long as they are
    return LegacyRun(start, interval, tick * interval, tuple(snapshots), tuple(gaps))
