"""Replay mode: a recorded run re-judged (ours or the legacy bot_monitor.py's), and the state a
killed live audit resumes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..errors import ConfigError, RecordError
from ..record.digest import RunDigest
from ..record.downsample import Limits
from ..record.folder import LATEST, AuditDir, RunFolder
from ..record.jsonl import RecordedRun, read_run, read_runs
from ..record.legacy import LEGACY_BLIND
from ..record.lock import held_by, stale_holder
from ..record.model import (
    CollectionResult,
    Gap,
    ResumePoint,
    Snapshot,
    StopReason,
    expected_ticks,
)
from .alerts import AlertRule, IncidentTracker, seed_rules

ALL_RUNS = "all"
UNENDED = (
    "the run's snapshot file has no end record: its audit was killed, or could not write it "
    "(a full disk)"
)


def recorded_runs(path: Path, run: str | None = None) -> list[RecordedRun]:
    """The runs of a snapshot file to judge: its only one, or the ones ``--audit-run`` names
    (an id, ``latest`` or ``all``). A file of several runs is never judged as one."""
    if not path.is_file():
        raise ConfigError(f"--audit-snapshots: no such file '{path}'")
    runs = [r for r in read_runs(path) if r.snapshots]
    if not runs:
        raise ConfigError(f"--audit-snapshots: '{path}' holds no snapshots")
    listing = "; ".join(r.describe() for r in runs)
    if run is None:
        if len(runs) == 1:
            return runs
        raise ConfigError(
            f"--audit-snapshots: '{path}' holds {len(runs)} audits; name one with "
            f"--audit-run ID|latest|all: {listing}"
        )
    if run == ALL_RUNS:
        return runs
    if run == LATEST:
        return runs[-1:]
    chosen = [r for r in runs if r.run_id == run]
    if not chosen:
        raise ConfigError(f"--audit-run: no run '{run}' in '{path}' (it holds: {listing})")
    return chosen


def replay(
    path: Path,
    rule_overrides: Mapping[str, float] | None = None,
    persist: int = 1,
    run: RecordedRun | None = None,
    limits: Mapping[str, Limits] | None = None,
) -> CollectionResult:
    """A recorded run as a CollectionResult, its incidents recomputed from the snapshots
    (the file's only run unless ``run`` is given)."""
    if run is None:
        run = recorded_runs(path)[0]
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
    # how the run ended, as it recorded it: one of ours without an end was killed, or could
    # not write it (a full disk): never "completed"; a legacy file records no ends at all
    if run.legacy:
        stop, error = StopReason.COMPLETED, None
    elif run.ended is None:
        stop, error = StopReason.ERROR, UNENDED
    else:
        stop, error = run.ended.stop_reason, run.ended.error
    result = rebuilt_run(
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
        stop,
        limits=limits,
    )
    return replace(result, error=error)


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
    limits: Mapping[str, Limits] | None = None,
) -> CollectionResult:
    """A completed run from recorded ticks (replay): its incidents are recomputed from the
    snapshots, exactly as the live collector would have opened them, and its digest fed."""
    tracker = IncidentTracker(rules, persist).replay([*snapshots, *gaps])
    planned = max(len(snapshots), expected_ticks(duration, interval))
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
        digest=RunDigest.of(started, snapshots, planned, limits),
    )


def find_resumable(
    out_dir: Path, interval: float, duration: float, run: str | None = None
) -> ResumePoint:
    """The named run of ``out_dir`` (``--audit-run``), or by default its newest unfinished
    live audit; its settings must be the same."""
    audits = AuditDir(out_dir)
    if run is not None:
        folder = audits.named(run)
        if not folder.snapshot_files():
            raise ConfigError(f"--audit-run: run '{folder.run_id}' holds no snapshot file")
    else:
        unfinished = [f for f in audits.runs() if f.snapshot_files() and _unfinished(f)]
        if not unfinished:
            raise ConfigError(f"--audit-resume: no unfinished audit in '{out_dir}'")
        folder = unfinished[-1]
    holder = held_by(folder.path)
    if holder is not None:  # resuming a run still being written would write its ticks twice
        raise ConfigError(
            f"--audit-resume: run {folder.run_id} is still being collected by "
            f"{holder.describe()}: one writer per run; resume it once that audit has stopped"
        )
    path = folder.snapshot_files()[-1]
    recorded = read_run(path)
    if recorded.legacy or recorded.header is None:
        raise ConfigError(f"--audit-resume: '{path}' holds no audit of this tool")
    if recorded.ended is not None:
        raise ConfigError(
            f"--audit-resume: the audit {folder.run_id} already ended "
            f"({recorded.ended.stop_reason.value}); start a new one"
        )
    kept = (recorded.header.interval, recorded.header.duration)
    if kept != (interval, duration):
        raise ConfigError(
            f"--audit-resume: run {folder.run_id} was recorded with interval {kept[0]:g}s and "
            f"duration {kept[1]:g}s, not {interval:g}s and {duration:g}s"
        )
    stale = stale_holder(folder.path)
    return ResumePoint(
        path,
        recorded.header.started_at,
        tuple(recorded.snapshots),
        tuple(recorded.gaps),
        f"took over the lock of {stale.describe()}, which is no longer running" if stale else "",
    )


def _unfinished(folder: RunFolder) -> bool:
    try:
        recorded = read_run(folder.snapshot_files()[-1])
    except RecordError:
        return False
    return recorded.header is not None and not recorded.legacy and recorded.ended is None
