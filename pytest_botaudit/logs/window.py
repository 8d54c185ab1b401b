"""What the log says per sampling tick of a past window (window mode), by each record's own
time: the log-only counters' categories and the symbols it proves unprotected."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..config.profile import Profile
from ..record.model import tick_of
from .analyzer import LogAnalyzer
from .model import LogRecord
from .reader import rotated_set, scan_file
from .scanner import Scanner, bulk_of
from .unprotected import MISSING, SETTING, UnprotectedMemory


def counted_categories(profile: Profile) -> set[str]:
    """The categories a snapshot counts from the log: its log-only counters'."""
    return {
        c.log_category
        for c in profile.counters
        if c.log_category and not c.event_types and not c.positions
    }


def tick_categories(profile: Profile) -> set[str]:
    """The categories the ticks read record by record, with their time: the counted ones and
    the stop-loss ones that prove positions unprotected. The rest of the bulk (price ticks,
    event echoes) is counted unread."""
    return counted_categories(profile) | {MISSING} | SETTING


@dataclass(slots=True)
class LogTicks:
    counts: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    unprotected: dict[int, frozenset[str]] = field(default_factory=dict)


def log_ticks(
    paths: Sequence[Path], profile: Profile, since: datetime, until: datetime, interval: float
) -> LogTicks:
    """For each tick k (window ``[since + (k-1)·interval, since + k·interval)``): how many
    occurrences of each log-only counter's category the log holds, and which symbols its
    records prove unprotected at the tick's end."""
    ticks = LogTicks()
    wanted = counted_categories(profile)
    if not paths:
        return ticks
    analyzer = LogAnalyzer(profile, since, until)
    protection: list[tuple[datetime, str, dict[str, str | None]]] = []

    def count(record: LogRecord) -> None:
        for category, occurrences, groups in analyzer.feed(record):
            if category in wanted:
                tick = tick_of(record.timestamp, since, interval)
                ticks.counts[tick][category] = ticks.counts[tick].get(category, 0) + occurrences
            if category == MISSING or category in SETTING:
                protection.append((record.timestamp, category, dict(groups)))

    fast = bulk_of(profile, keep=tick_categories(profile))
    for path in paths:
        for file in rotated_set(path):
            scan_file(file, Scanner(str(file), profile.log_timezone, fast, since, until), count)
    if protection:
        memory = UnprotectedMemory(profile.log_unprotected_seconds)
        protection.sort(key=lambda item: item[0])
        position = 0
        total = int((until - since).total_seconds() / interval + 1e-9)
        for tick in range(1, total + 1):
            moment = since + timedelta(seconds=tick * interval)
            while position < len(protection) and protection[position][0] < moment:
                stamp, category, groups = protection[position]
                memory.feed(category, groups, stamp)
                position += 1
            found = memory.at(moment)
            if found:
                ticks.unprotected[tick] = found
    return ticks
