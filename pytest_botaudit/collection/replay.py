"""Replay mode: a recorded run re-judged (ours or the legacy bot_monitor.py's), and the state a
killed live audit resumes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from ..errors import ConfigError
from ..record.folder import RunFolder
from ..record.jsonl import read_run
from ..record.legacy import LEGACY_BLIND
from ..record.model import CollectionResult, Gap, ResumePoint, Snapshot, StopReason
from .alerts import AlertRule, IncidentTracker, seed_rules


def replay(
    path: Path, rule_overrides: Mapping[str, float] | None = None, persist: int = 1
) -> CollectionResult:
    """A recorded run as a CollectionResult, its incidents recomputed from the snapshots."""
    if not path.is_file():
        raise ConfigError(f"--audit-snapshots: no such file '{path}'")
    run = read_run(path)
    if not run.snapshots:
        raise ConfigError(f"--audit-snapshots: '{path}' holds no snapshots")
    first = min(s.window_start for s in run.snapshots)
    last = max(s.window_end for s in run.snapshots)
    header = run.header
    interval = header.interval if header else 60.0
    planned = header.duration if header and header.duration else (last - first).total_seconds()
    missing = (
        dict(LEGACY_BLIND)
        if run.legacy
        else dict(run.ended.missing_event_types if run.ended else {})
    )
    return rebuilt_run(
        header.started_at if header else first,
        last,
        interval,
        planned,
        run.snapshots,
        run.gaps,
        seed_rules(rule_overrides),
        persist,
        missing,
        path,
    )


def rebuilt_run(
    started: datetime,
    ended: datetime,
    interval: float,
    duration: float,
    snapshots: Sequence[Snapshot],
    gaps: Sequence[Gap],
    rules: Sequence[AlertRule],
    persist: int,
    missing_event_types: Mapping[str, tuple[str, ...]],
    path: Path,
    stop_reason: StopReason = StopReason.COMPLETED,
) -> CollectionResult:
    """A completed run from ticks recorded or rebuilt (replay, window mode): its incidents are
    recomputed from the snapshots, exactly as the live collector would have opened them."""
    tracker = IncidentTracker(rules, persist).replay([*snapshots, *gaps])
    return CollectionResult(
        started_at=started,
        ended_at=ended,
        interval=interval,
        duration=duration,
        snapshots=tuple(snapshots),
        gaps=tuple(gaps),
        incidents=tuple(tracker.incidents()),
        stop_reason=stop_reason,
        error=None,
        missing_event_types=missing_event_types,
        missing_columns=(),
        snapshot_path=path,
    )


def find_resumable(out_dir: Path, interval: float, duration: float) -> ResumePoint:
    """The newest unfinished live audit in ``out_dir``; its settings must be the same."""
    files = RunFolder(out_dir).snapshot_files()
    if not files:
        raise ConfigError(f"--audit-resume: no monitoring_snapshots_*.jsonl in '{out_dir}'")
    path = files[-1]
    run = read_run(path)
    if run.legacy or run.header is None:
        raise ConfigError(f"--audit-resume: '{path}' holds no audit of this tool")
    if run.ended is not None:
        raise ConfigError(
            f"--audit-resume: the audit in '{path}' already ended "
            f"({run.ended.stop_reason.value}); start a new one"
        )
    recorded = (run.header.interval, run.header.duration)
    if recorded != (interval, duration):
        raise ConfigError(
            f"--audit-resume: '{path}' was recorded with interval {recorded[0]:g}s and duration "
            f"{recorded[1]:g}s, not {interval:g}s and {duration:g}s"
        )
    return ResumePoint(path, run.header.started_at, tuple(run.snapshots), tuple(run.gaps))
