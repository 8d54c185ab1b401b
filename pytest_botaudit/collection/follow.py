"""What the followed logs add at a tick: the counts of their categories since the last one,
and the stop-loss records that prove positions unprotected."""

from __future__ import annotations

from ..logs.analyzer import LogAnalyzer
from ..logs.reader import LogFollower
from ..logs.unprotected import MISSING, SETTING, UnprotectedMemory


def follow_logs(
    followers: list[LogFollower],
    analyzer: LogAnalyzer,
    carried: dict[str, int],
    memory: UnprotectedMemory | None = None,
    final: bool = False,
) -> dict[str, int]:
    """Log categories since the last tick (the stop-loss records also go to ``memory``); at
    the last tick the record still waiting for possible continuation lines counts too, so the
    ticks add up to the whole log."""
    counts = dict(carried)
    for follower in followers:
        records = follower.poll() + (follower.release() if final else [])
        for record in records:
            for category, occurrences, groups in analyzer.feed(record):
                counts[category] = counts.get(category, 0) + occurrences
                if memory is not None and (category == MISSING or category in SETTING):
                    memory.feed(category, groups, record.timestamp)
    return counts
