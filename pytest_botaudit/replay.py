"""Snapshot files read back: re-judging a recorded run (ours or the legacy bot_monitor.py's), and
the state a killed live audit resumes from."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from .alerts import IncidentTracker, seed_rules
from .collector import CollectionResult, ResumePoint, StopReason
from .errors import ConfigError
from .metrics import GAUGES, Gap, Snapshot, aware

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
    ("issues", "zombies"): "zombies_cleaned",
    ("issues", "emergency"): "emergency_closes",
    ("issues", "errors"): "api_errors",
    ("issues", "ws_reconnects"): "ws_reconnects",
}
# The first monitor counted event words the bot never writes (bot contract, section 2): these
# legacy columns are zero by construction and must not read as "no problem".
LEGACY_BLIND: dict[str, tuple[str, ...]] = {
    "zombies_cleaned": ("zombie_cleaned",),
    "emergency_closes": ("emergency_close",),
    "ws_reconnects": ("websocket_reconnect", "websocket_reconnected"),
}
# a pause this many intervals long between two legacy snapshots is a gap, not jitter
GAP_FACTOR = 1.5


@dataclass(slots=True)
class RecordedRun:
    """What a snapshot file holds for one audit (the last one in the file)."""

    header: dict[str, Any] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    ended: dict[str, Any] | None = None
    legacy: bool = False


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                # a killed audit may leave half a line behind: that tick was in flight
                continue
            if isinstance(data, dict):
                yield number, data


def read_run(path: Path) -> RecordedRun:
    """The last audit recorded in ``path`` (our JSON lines) or all of a legacy file."""
    run = RecordedRun()
    legacy: list[tuple[datetime, Mapping[str, Any]]] = []
    for _, data in _lines(path):
        if "audit" in data:
            run = RecordedRun(header=dict(data["audit"]))
        elif "audit_end" in data:
            run.ended = dict(data["audit_end"])
        elif data.get("gap"):
            start, end = data["window"]
            run.gaps.append(Gap(int(data["tick"]), aware(start), aware(end), data["reason"]))
        elif "gauges" in data:
            run.snapshots.append(Snapshot.from_json(data))
        elif "metrics" in data and "timestamp" in data:
            legacy.append((aware(data["timestamp"]), data["metrics"]))
    if legacy and not run.snapshots:
        return _legacy_run(legacy)
    return run


def _legacy_run(rows: list[tuple[datetime, Mapping[str, Any]]]) -> RecordedRun:
    """bot_monitor.py's minute snapshots: ticks are reconstructed from the timestamps, and a
    pause of more than 1.5 intervals (a restart, a crash) becomes gaps."""
    rows.sort(key=lambda row: row[0])
    steps = [(b - a).total_seconds() for (a, _), (b, _) in pairwise(rows)]
    interval = statistics.median(steps) if steps else 60.0
    interval = float(round(interval)) or 60.0
    run = RecordedRun(legacy=True)
    start = rows[0][0] - timedelta(seconds=interval)
    run.header = {"started_at": start.isoformat(), "interval": interval, "legacy": True}
    tick = 0
    previous_end = start
    for stamp, metrics in rows:
        missing = round((stamp - previous_end).total_seconds() / interval) - 1
        if (stamp - previous_end).total_seconds() > GAP_FACTOR * interval:
            for _ in range(max(1, missing)):
                tick += 1
                window_end = previous_end + timedelta(seconds=interval)
                run.gaps.append(
                    Gap(
                        tick,
                        previous_end,
                        window_end,
                        "no snapshot: the legacy monitor was not running",
                    )
                )
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
        run.snapshots.append(
            Snapshot(tick, previous_end, stamp, stamp, gauges, values, by_exchange)
        )
        previous_end = stamp
    # the legacy ticks follow its own irregular clock: the run is as long as they are
    run.header["duration"] = tick * interval
    return run


def replay(
    path: Path, rule_overrides: Mapping[str, float] | None = None, persist: int = 1
) -> CollectionResult:
    """A recorded run as a CollectionResult, its incidents recomputed from the snapshots."""
    if not path.is_file():
        raise ConfigError(f"--audit-snapshots: no such file '{path}'")
    run = read_run(path)
    if not run.snapshots:
        raise ConfigError(f"--audit-snapshots: '{path}' holds no snapshots")
    tracker = IncidentTracker(seed_rules(rule_overrides), persist)
    tracker.replay([*run.snapshots, *run.gaps])
    first = min(s.window_start for s in run.snapshots)
    last = max(s.window_end for s in run.snapshots)
    interval = float(run.header.get("interval", 60.0))
    planned = float(run.header.get("duration", (last - first).total_seconds()))
    missing = (
        {k: tuple(v) for k, v in LEGACY_BLIND.items()}
        if run.legacy
        else {k: tuple(v) for k, v in (run.ended or {}).get("missing_event_types", {}).items()}
    )
    return CollectionResult(
        started_at=aware(run.header["started_at"]) if "started_at" in run.header else first,
        ended_at=last,
        interval=interval,
        duration=planned,
        expected_ticks=max(1, round(planned / interval)),
        snapshots=tuple(run.snapshots),
        gaps=tuple(run.gaps),
        incidents=tuple(tracker.incidents()),
        stop_reason=StopReason.COMPLETED,
        error=None,
        missing_event_types=missing,
        missing_columns=(),
        snapshot_path=path,
    )


def find_resumable(out_dir: Path, interval: float, duration: float) -> ResumePoint:
    """The newest unfinished live audit in ``out_dir``; its settings must be the same."""
    files = sorted(out_dir.glob("monitoring_snapshots_*.jsonl"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise ConfigError(f"--audit-resume: no monitoring_snapshots_*.jsonl in '{out_dir}'")
    path = files[-1]
    run = read_run(path)
    if run.legacy or "started_at" not in run.header:
        raise ConfigError(f"--audit-resume: '{path}' holds no audit of this tool")
    if run.ended is not None:
        raise ConfigError(
            f"--audit-resume: the audit in '{path}' already ended "
            f"({run.ended.get('stop_reason')}); start a new one"
        )
    recorded = (float(run.header.get("interval", 0)), float(run.header.get("duration", 0)))
    if recorded != (interval, duration):
        raise ConfigError(
            f"--audit-resume: '{path}' was recorded with interval {recorded[0]:g}s and duration "
            f"{recorded[1]:g}s, not {interval:g}s and {duration:g}s"
        )
    return ResumePoint(path, aware(run.header["started_at"]), tuple(run.snapshots), tuple(run.gaps))
