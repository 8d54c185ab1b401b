"""One way to collect an audit: live, window or replay behind ``collect()``, whatever the mode."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..config.profile import Profile
from ..config.settings import AuditSettings, Mode
from ..config.values import format_duration
from ..database.connection import Target
from ..errors import BotAuditError, ConfigError
from ..record.downsample import Limits
from ..record.folder import LATEST, AuditDir, RunFolder
from ..record.jsonl import RecordedRun
from ..record.model import CollectionResult, Incident
from ..record.summary import write_summary
from .alerts import seed_rules
from .live import Collector, Progress
from .replay import find_resumable, recorded_runs, replay
from .window import reconstruct


@dataclass(frozen=True, slots=True)
class Observers:
    """Who hears about the collection while it runs (the terminal, in a pytest session)."""

    say: Callable[[str], None] = lambda line: None
    on_tick: Callable[[Progress], None] | None = None
    on_incident: Callable[[Incident], None] | None = None
    on_resolved: Callable[[Incident], None] | None = None
    on_hour: Callable[[CollectionResult], None] | None = None


def target(settings: AuditSettings) -> Target:
    """Where the audit connects, with the limits every one of its sessions gets."""
    return Target(settings.dsn, settings.statement_timeout, settings.lock_timeout)


def replay_source(settings: AuditSettings) -> tuple[Path, list[RecordedRun]]:
    """The snapshot file a replay reads and the runs of it to judge: ``--audit-snapshots``
    (``--audit-run`` picks among its runs) or the run ``--audit-run`` names in ``--audit-out``."""
    if settings.snapshots is not None:
        return settings.snapshots, recorded_runs(settings.snapshots, settings.run)
    assert settings.run is not None
    folder = AuditDir(settings.out).named(settings.run, recorded=True)
    path = folder.snapshot_files()[-1]
    return path, recorded_runs(path, LATEST)


def _only_run(settings: AuditSettings) -> tuple[Path, RecordedRun]:
    path, runs = replay_source(settings)
    return path, runs[0]


def run_folder(settings: AuditSettings) -> RunFolder:
    """Where this session's run is written: the resumed run's folder, or a new one."""
    if settings.resume:
        resume = find_resumable(settings.out, settings.interval, settings.duration, settings.run)
        return RunFolder(resume.path.parent)
    return AuditDir(settings.out).new_run()


def collect(
    settings: AuditSettings,
    profile: Profile,
    rule_overrides: Mapping[str, float],
    observers: Observers | None = None,
    folder: RunFolder | None = None,
    recorded: tuple[Path, RecordedRun] | None = None,
    metrics: Mapping[str, Limits] | None = None,
) -> CollectionResult:
    """The run the checks judge: collected now (live), rebuilt (window) or read back (replay,
    of ``recorded`` -- the file and one run read from it -- or the only run there is), its
    files in ``folder`` (default: a new one); its chart series marked where ``metrics``'
    thresholds are crossed."""
    observers = observers or Observers()
    s = settings
    folder = folder or run_folder(s)
    if s.mode is Mode.REPLAY:
        path, chosen = recorded or _only_run(s)
        assert chosen.header is not None
        observers.say(
            f"botaudit: replaying run {chosen.run_id} of {path} (recorded every "
            f"{format_duration(chosen.header.interval)})"
        )
        collected = replay(path, rule_overrides, s.persist, chosen, metrics)
        result = write_summary(collected, folder)
    elif s.mode is Mode.WINDOW:
        assert s.since is not None
        until = s.until or datetime.now(UTC)
        observers.say(
            f"botaudit: judging the window {s.since.isoformat()} .. {until.isoformat()} "
            f"every {format_duration(s.interval)}"
        )
        result = asyncio.run(
            reconstruct(
                target(s),
                profile,
                s.since,
                until,
                s.interval,
                folder.path,
                log_paths=s.log,
                rules=seed_rules(rule_overrides),
                persist=s.persist,
                limits=metrics,
            )
        )
    else:
        result = _live(s, profile, rule_overrides, observers, folder, metrics)
    without_log = result.without_log()
    observers.say(
        f"botaudit: {result.taken}/{result.expected_ticks} snapshots "
        f"({result.stop_reason.value}), {len(result.gaps)} gaps"
        + (f", {without_log} ticks without the log" if without_log else "")
        + f"; summary {result.summary_path}"
    )
    return result


def _live(
    s: AuditSettings,
    profile: Profile,
    rule_overrides: Mapping[str, float],
    observers: Observers,
    folder: RunFolder,
    metrics: Mapping[str, Limits] | None,
) -> CollectionResult:
    resume = None
    if s.resume:
        try:
            resume = find_resumable(s.out, s.interval, s.duration, s.run)
        except ConfigError as exc:
            raise BotAuditError(str(exc)) from None
        observers.say(
            f"botaudit: resuming run {folder.run_id}, started {resume.started_at.isoformat()} "
            f"({len(resume.snapshots)} snapshots kept)"
        )
        if resume.note:
            observers.say(f"botaudit: run {folder.run_id}: {resume.note}")
    else:
        observers.say(
            f"botaudit: run {folder.run_id}: collecting for {format_duration(s.duration)} every "
            f"{format_duration(s.interval)} (Ctrl+C stops early and keeps the data)"
        )

    def on_log_gap(tick: int, gap: str) -> None:
        observers.say(
            f"botaudit: tick {tick}: the log cannot be read ({gap}): a gap in the log from "
            "here, each tick marked so; the database is still sampled"
            if gap
            else f"botaudit: tick {tick}: the log is read again"
        )

    collector = Collector(
        target(s),
        profile,
        s.duration,
        s.interval,
        folder.path,
        log_paths=s.log,
        rules=seed_rules(rule_overrides),
        persist=s.persist,
        abort_on_critical=s.abort_on_critical,
        on_tick=observers.on_tick,
        on_incident=observers.on_incident,
        on_resolved=observers.on_resolved,
        on_hour=observers.on_hour,
        on_log_gap=on_log_gap,
        bot_pid=s.bot_pid,
        resume=resume,
        limits=metrics,
    )
    try:
        return asyncio.run(collector.run())
    except Exception as exc:  # the collector wrote its artifacts before re-raising
        raise BotAuditError(f"collector failed: {exc}") from exc
