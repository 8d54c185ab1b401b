"""Pre-flight checks of the audited bot as it really is: the zone its naive timestamps are read
in, its clock against the server's, and its words against the profile's patterns."""

from __future__ import annotations

from pathlib import Path

from ..config.profile import Profile
from ..database.connection import Target
from ..database.queries import AuditDatabase
from ..escape import for_terminal
from ..vocabulary.check import STRICT_LEVELS, check_vocabulary
from ..vocabulary.source import SourceError, read_source
from .preflight import PreflightResult, inspect
from .verdicts import Verdict

# a newest row stamped further ahead of the server's clock than this is not clock skew
AHEAD_SECONDS = 60.0


async def timestamps_and_clock(dsn: Target | str | None, profile: Profile) -> PreflightResult:
    """Names the zone the audit reads naive columns in; WARNs where the bot's two writers of
    such a column (DEFAULT now() in the server's zone, Python's utcnow() in UTC) disagree,
    and where the newest rows are stamped ahead of the server's clock."""

    async def look(database: AuditDatabase) -> PreflightResult:
        zones = database.zones
        clock = await database.clock()
        evidence = [f"the server's TimeZone: {zones.server_zone}", zones.describe()]
        problems = []
        if zones.naive and zones.server_zone.upper() not in ("UTC", "ETC/UTC", "GMT", "UCT"):
            columns = ", ".join(f"positions.{k}" for k in zones.naive)
            problems.append(
                f"{columns} hold(s) wall-clock time without a zone: the bot's DEFAULT NOW() "
                f"writes {zones.server_zone}, its Python utcnow() writes UTC (the profile's "
                "force-close rules name where); check [timezones] of the profile"
            )
        for what, newest in (("events", clock.newest_event), ("positions", clock.newest_opened)):
            if newest is None:
                continue
            ahead = (newest - clock.server_now).total_seconds()
            evidence.append(f"newest {what} row: {newest.isoformat()} ({ahead:+.0f} s)")
            if ahead > AHEAD_SECONDS:
                problems.append(
                    f"the newest {what} row is stamped {ahead / 3600:.1f} h ahead of the "
                    "server's clock: a window would miss it (a zone that disagrees?)"
                )
        if problems:
            return PreflightResult(
                "timestamps", Verdict.WARN, "WARN: " + "; ".join(problems), tuple(evidence)
            )
        return PreflightResult(
            "timestamps",
            Verdict.PASS,
            f"PASS: {zones.describe()}; the newest rows are not ahead of the server's clock",
            tuple(evidence),
        )

    return await inspect(dsn, profile, "timestamps", look)


def bot_vocabulary(source: Path, profile: Profile, entry: str = "main.py") -> PreflightResult:
    """The profile held against the bot's source (``botaudit vocabulary``): a WARN names every
    ERROR/CRITICAL template no pattern classifies, and the patterns no template matches."""
    try:
        report = check_vocabulary([read_source(source, entry)], profile)[0]
    except SourceError as exc:
        return PreflightResult("vocabulary", Verdict.WARN, f"WARN: {exc} (--audit-bot-source)")
    unclassified = report.unclassified(STRICT_LEVELS)
    evidence = tuple(
        for_terminal(f"{t.template.where} {t.template.level}: {t.template.text}")
        for t in unclassified
    ) + tuple(f"pattern matching no template: {c}: {p}" for c, p in report.stale_patterns)
    if unclassified or report.stale_patterns:
        return PreflightResult(
            "vocabulary",
            Verdict.WARN,
            f"WARN: the profile does not know {len(unclassified)} ERROR/CRITICAL template(s) "
            f"of the bot at {source}, and {len(report.stale_patterns)} of its patterns match "
            "no template: a fault in those words would count as nothing (botaudit vocabulary)",
            evidence,
        )
    return PreflightResult(
        "vocabulary",
        Verdict.PASS,
        f"PASS: every ERROR/CRITICAL template of the bot at {source} is classified "
        f"({len(report.templates)} log calls, {len(report.source.event_types)} event types)",
    )
