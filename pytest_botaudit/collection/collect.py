"""One way to collect an audit: live, window or replay behind ``collect()``, whatever the mode."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from ..config.profile import Profile
from ..config.settings import AuditSettings, Mode
from ..config.values import format_duration
from ..database.connection import Target
from ..errors import BotAuditError, ConfigError
from ..record.folder import RunFolder
from ..record.model import CollectionResult, Incident
from ..record.summary import write_summary
from .alerts import seed_rules
from .live import Collector, Progress
from .replay import find_resumable, replay
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


def collect(
    settings: AuditSettings,
    profile: Profile,
    rule_overrides: Mapping[str, float],
    observers: Observers | None = None,
) -> CollectionResult:
    """The run the checks judge: collected now (live), rebuilt (window) or read back (replay)."""
    observers = observers or Observers()
    s = settings
    if s.mode is Mode.REPLAY:
        assert s.snapshots is not None
        observers.say(f"botaudit: replaying {s.snapshots}")
        result = write_summary(replay(s.snapshots, rule_overrides, s.persist), RunFolder(s.out))
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
                s.out,
                log_paths=s.log,
                rules=seed_rules(rule_overrides),
                persist=s.persist,
            )
        )
    else:
        result = _live(s, profile, rule_overrides, observers)
    observers.say(
        f"botaudit: {len(result.snapshots)}/{result.expected_ticks} snapshots "
        f"({result.stop_reason.value}), {len(result.gaps)} gaps; summary {result.summary_path}"
    )
    return result


def _live(
    s: AuditSettings,
    profile: Profile,
    rule_overrides: Mapping[str, float],
    observers: Observers,
) -> CollectionResult:
    resume = None
    if s.resume:
        try:
            resume = find_resumable(s.out, s.interval, s.duration)
        except ConfigError as exc:
            raise BotAuditError(str(exc)) from None
        observers.say(
            f"botaudit: resuming the audit started {resume.started_at.isoformat()} from "
            f"{resume.path} ({len(resume.snapshots)} snapshots kept)"
        )
    else:
        observers.say(
            f"botaudit: collecting for {format_duration(s.duration)} every "
            f"{format_duration(s.interval)} (Ctrl+C stops early and keeps the data)"
        )
    collector = Collector(
        target(s),
        profile,
        s.duration,
        s.interval,
        s.out,
        log_paths=s.log,
        rules=seed_rules(rule_overrides),
        persist=s.persist,
        abort_on_critical=s.abort_on_critical,
        on_tick=observers.on_tick,
        on_incident=observers.on_incident,
        on_resolved=observers.on_resolved,
        on_hour=observers.on_hour,
        bot_pid=s.bot_pid,
        resume=resume,
    )
    try:
        return asyncio.run(collector.run())
    except Exception as exc:  # the collector wrote its artifacts before re-raising
        raise BotAuditError(f"collector failed: {exc}") from exc
