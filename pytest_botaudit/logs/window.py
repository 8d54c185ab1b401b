"""Log categories per sampling tick of a past window (window mode), by each record's own time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..config.profile import Profile
from .analyzer import LogAnalyzer
from .model import LogRecord
from .reader import rotated_set, scan_file
from .scanner import Scanner, bulk_of


def tick_categories(profile: Profile) -> set[str]:
    """The log categories a snapshot counts: those of the log-only counters."""
    return {c.log_category for c in profile.counters if c.log_category and not c.event_types}


def log_counts_per_tick(
    paths: Sequence[Path], profile: Profile, since: datetime, until: datetime, interval: float
) -> dict[int, dict[str, int]]:
    """For each tick k (window ``[since + (k-1)·interval, since + k·interval)``), how many
    records of each log-only counter's category the log holds."""
    wanted = tick_categories(profile)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not wanted or not paths:
        return counts
    analyzer = LogAnalyzer(profile, since, until)

    def count(record: LogRecord) -> None:
        categories = wanted.intersection(c for c, _ in analyzer.feed(record))
        if not categories:
            return
        tick = int((record.timestamp - since).total_seconds() / interval) + 1
        for category in categories:
            counts[tick][category] = counts[tick].get(category, 0) + 1

    # the bulk is counted unread (it counts for no category a snapshot wants: those categories
    # are read record by record, with their time)
    fast = bulk_of(profile, keep=wanted)
    for path in paths:
        for file in rotated_set(path):
            scan_file(file, Scanner(str(file), profile.log_timezone, fast, since, until), count)
    return counts
