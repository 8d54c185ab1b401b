"""The count and samples of every log category: what checks and evidence read by category.

A record counts once, or by the number its pattern's ``count`` group carries (``Total found:
3`` is three zombie orders). A category the profile gives a repeat window counts what the bot
logs several times, once: a record with the same key (the pattern's ``key`` group, else its
``symbol``, else the whole message) within that many seconds of the last one is part of the same
occurrence when it is another message (another logger, another pattern, or other words around
the key) than those already in it: one exchange error logged by the rate limiter, its caller and
the caller's caller is one error, while the same message twice (a burst of failed calls) is
two."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from ..grammar import stamp_seconds
from ..memo import Memo
from ..model import LogRecord, LogSample
from .base import Groups, Redact, Shift, sample_of

SAMPLES_PER_KIND = 20


def occurrences(groups: Groups) -> int:
    """How many occurrences one record reports: its ``count`` group, else 1."""
    text = groups.get("count")
    if text and text.isdigit():
        return int(text)
    return 1


_NUMBER = re.compile(r"\d+")
Message = tuple[str, int, str]  # a record's logger, pattern and words without its key


class _Repeats:
    """The keys of one category seen within its window: the last time of each, and the
    first occurrences of this part that may repeat the part before it (a merge joins them)."""

    __slots__ = ("first", "last", "merged", "start", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.start: float | None = None
        # key -> the time of its last record and the messages (logger, pattern, words) of its
        # occurrence so far
        self.last: dict[str, tuple[float, set[Message]]] = {}
        # key -> (time, message, occurrences counted, where its sample is, its groups): the
        # part's first record of each key within one window of its start, the only ones a part
        # before can repeat
        self.first: dict[str, tuple[float, Message, int, str | None, Groups]] = {}
        self.merged = 0  # records folded into an earlier one

    def seen(self, key: str, moment: float, message: Message) -> bool:
        """True when the record is another message of an occurrence within the window (it is
        then not counted)."""
        if self.start is None:
            self.start = moment
        previous = self.last.get(key)
        if previous is not None:
            at, messages = previous
            if (moment - at) <= self.window and message not in messages:
                messages.add(message)
                self.last[key] = (moment, messages)
                self.merged += 1
                return True
        self.last[key] = (moment, {message})
        if len(self.last) > 4096:  # only keys of the last window can still repeat
            self.last = {k: v for k, v in self.last.items() if (moment - v[0]) <= self.window}
        return False

    def opened(
        self,
        key: str,
        moment: float,
        message: Message,
        counted: int,
        sample: str | None,
        groups: Groups,
    ) -> None:
        """A counted occurrence: remembered when a part before could still repeat it."""
        assert self.start is not None
        near_start = (moment - self.start) <= self.window
        if near_start and key not in self.first:
            self.first[key] = (moment, message, counted, sample, dict(groups))


class Tally:
    __slots__ = ("_words", "categories", "redact", "repeat_windows", "repeats", "samples")

    def __init__(self, redact: Redact, repeat_windows: Mapping[str, float] | None = None) -> None:
        self.redact = redact
        self.repeat_windows = dict(repeat_windows or {})
        self.categories: Counter[str] = Counter()
        self.samples: dict[str, list[LogSample]] = {}
        self.repeats: dict[str, _Repeats] = {}
        # (message, key) -> its words around the key, numbers masked (errors repeat verbatim)
        self._words: Memo[tuple[str, str], str] = Memo()

    def feed(
        self, record: LogRecord, category: str, groups: Groups | None = None, which: int = 0
    ) -> int:
        """Account for one record of ``category`` (matched by the profile's pattern number
        ``which``); returns the occurrences it adds (0 for another message of an occurrence
        already counted)."""
        groups = groups or {}
        counted = occurrences(groups)
        window = self.repeat_windows.get(category)
        if window is not None:
            repeats = self.repeats.get(category)
            if repeats is None:
                repeats = self.repeats[category] = _Repeats(window)
            key = groups.get("key") or groups.get("symbol") or record.message
            moment = stamp_seconds(record.stamp)
            # one message: its logger, its pattern and its words around the key, numbers
            # masked (the bot's Bybit stop-loss failure is two lines of one logger that one
            # pattern matches; the next opening of a symbol is the same words, another one)
            text = record.message
            words = self._words.get((text, key))
            if words is None:
                words = self._words.keep((text, key), _NUMBER.sub("N", text.replace(key, "\0", 1)))
            message = (record.logger, which, words)
            if repeats.seen(key, moment, message):
                return 0
            sampled = self.sample(category, record)
            where = record.where if sampled else None
            repeats.opened(key, moment, message, counted, where, groups)
        else:
            self.sample(category, record)
        self.categories[category] += counted
        return counted

    def bulk(self, category: str, count: int) -> None:
        """Records counted unread by the scanner's fast path (no samples)."""
        self.categories[category] += count

    def sample(self, kind: str, record: LogRecord) -> bool:
        """Keep the record as evidence while the kind has room; True when kept. A part keeps
        twice the samples it shows: a merge may drop those that repeat the part before."""
        bucket = self.samples.get(kind)
        if bucket is None:
            bucket = self.samples[kind] = []
        if len(bucket) < 2 * SAMPLES_PER_KIND:
            bucket.append(sample_of(record, self.redact))
            return True
        return False

    def count(self, category: str) -> int:
        return self.categories.get(category, 0)

    def merged(self, category: str) -> int:
        """Records of ``category`` folded into an earlier occurrence."""
        repeats = self.repeats.get(category)
        return repeats.merged if repeats else 0

    def merge(self, later: Tally, shift: Shift) -> list[tuple[str, Groups]]:
        """Add the tally of the part that follows; returns the occurrences it counted that
        repeat one of this part (category and groups: the analyses take them back)."""
        retracted: list[tuple[str, Groups]] = []
        for category, theirs in later.repeats.items():
            ours = self.repeats.get(category)
            if ours is None:
                self.repeats[category] = theirs
                continue
            dropped: set[str] = set()
            joined: set[str] = set()  # keys whose occurrence runs on from our part into theirs
            for key, (moment, message, counted, sample, groups) in theirs.first.items():
                previous = ours.last.get(key)
                if (
                    previous is not None
                    and (moment - previous[0]) <= ours.window
                    and message not in previous[1]
                ):
                    later.categories[category] -= counted  # another message of our occurrence
                    ours.merged += 1
                    joined.add(key)
                    retracted.append((category, groups))
                    if sample is not None:
                        dropped.add(sample)
            if dropped:
                later.samples[category] = [
                    s for s in later.samples.get(category, []) if s.where not in dropped
                ]
            ours.merged += theirs.merged
            for key, (moment, messages) in theirs.last.items():
                if key in joined:
                    messages = messages | ours.last[key][1]
                ours.last[key] = (moment, messages)
        self.categories.update(later.categories)
        for kind, samples in later.samples.items():
            bucket = self.samples.setdefault(kind, [])
            bucket.extend(shift(s) for s in samples[: 2 * SAMPLES_PER_KIND - len(bucket)])
        return retracted

    def result(self) -> tuple[dict[str, int], dict[str, tuple[LogSample, ...]]]:
        counts = {k: v for k, v in self.categories.items() if v}
        return counts, {k: tuple(v[:SAMPLES_PER_KIND]) for k, v in self.samples.items() if v}
