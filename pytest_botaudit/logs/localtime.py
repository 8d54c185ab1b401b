"""The hour a log written in local time shows twice: on a fall-back (the end of summer time) the
clock goes back, and the same local times stand for two moments an offset apart. They are told
apart by order, as the log was written: in one file the first pass is the earlier offset, and
a jump back into the repeated hour starts the second pass."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from .grammar import parse_timestamp, stamp_seconds, timestamp_text

# a record earlier than the latest one of the repeated hour by more than this starts its second
# pass (records of several threads come a little out of order, never by half a minute)
BACK_SECONDS = 30.0
FIXED_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Universal", "Zulu"})
_STEP = timedelta(minutes=15)  # no zone changes its offset twice within a quarter of an hour


def _offset(moment: datetime, zone: tzinfo | None) -> timedelta:
    """The zone's offset at a UTC moment (``zone`` None: this machine's local time)."""
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    offset = local.utcoffset()
    assert offset is not None
    return offset


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f",{moment.microsecond // 1000:03d}"


@lru_cache(maxsize=512)
def repeated_span(day: str, zone: tzinfo | None) -> tuple[str, str] | None:
    """The local times that occur twice on ``day`` (``YYYY-MM-DD``), as the log writes them:
    ``[first, end)``; None on the days of a year without a fall-back (all but one, or none)."""
    midnight = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    moment = midnight - timedelta(hours=30)  # a local day lies within ±14 h of its UTC day
    before = _offset(moment, zone)
    while moment < midnight + timedelta(hours=30):
        after = _offset(moment + _STEP, zone)
        if after < before:  # the clock went back in this quarter: find the second it did
            low, high = 0, int(_STEP.total_seconds())
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(moment + timedelta(seconds=middle), zone) == before:
                    low = middle
                else:
                    high = middle
            change = moment + timedelta(seconds=high)  # the first moment of the new offset
            first = (change + after).replace(tzinfo=None)
            end = (change + before).replace(tzinfo=None)
            if _text(first)[:10] <= day <= _text(end - timedelta(microseconds=1))[:10]:
                return _text(first), _text(end)
        before = after
        moment += _STEP
    return None


class Folds:
    """Which pass of a repeated hour each record of one file is in (its ``fold``), in the
    order the file gives them."""

    __slots__ = ("_day", "_high", "_second", "_span", "zone")

    def __init__(self, zone: tzinfo | None) -> None:
        self.zone = zone
        self._day = ""
        self._span: tuple[str, str] | None = None
        self._high: float | None = None  # the latest local time of the first pass so far
        self._second = False

    def fold(self, stamp: str) -> int | None:
        """None when ``stamp`` (canonical) names one moment; else 0 for the first pass of the
        repeated hour (the earlier offset), 1 for the second."""
        day = stamp[:10]
        if day != self._day:
            span = repeated_span(day, self.zone)
            if span != self._span:  # another repeated hour: its passes start afresh
                self._span, self._high, self._second = span, None, False
            self._day = day
        span = self._span
        if span is None or not span[0] <= stamp < span[1]:
            return None
        seconds = stamp_seconds(stamp)
        if not self._second and self._high is not None and seconds < self._high - BACK_SECONDS:
            self._second = True
        if self._second:
            return 1
        self._high = seconds if self._high is None else max(self._high, seconds)
        return 0


def ambiguous(stamp: str, zone: tzinfo | None) -> bool:
    """A local time (canonical) that names two moments in ``zone``."""
    span = repeated_span(stamp[:10], zone)
    return span is not None and span[0] <= stamp < span[1]


class LogWindow:
    """An audit window as one file of a log in local time is held against it: a record by the
    text of its time, compared with the edges' as the log writes them, and a local time shown
    twice by the moment its pass stands for."""

    __slots__ = (
        "edge_repeated",
        "fixed",
        "folds",
        "since",
        "since_b",
        "since_text",
        "until",
        "until_b",
        "until_text",
        "windowed",
        "zone",
    )

    def __init__(self, zone: tzinfo | None, since: datetime | None, until: datetime | None):
        self.zone = zone
        self.since, self.until = since, until
        self.since_text = timestamp_text(since, zone) if since else ""
        self.until_text = timestamp_text(until, zone) if until else ""
        self.since_b, self.until_b = self.since_text.encode(), self.until_text.encode()
        self.windowed = bool(since or until)
        self.folds = Folds(zone)
        # a zone of one offset (UTC, a fixed one; the machine's, None, without summer time)
        # repeats no hour: no record needs its fold
        self.fixed = (
            (zone is None and not time.daylight)
            or isinstance(zone, timezone)
            or str(zone) in FIXED_NAMES
        )
        # an edge inside a repeated hour: its text does not say which pass it is in, so a line
        # compared by its text alone would be judged wrong there
        self.edge_repeated = any(
            ambiguous(edge, zone) for edge in (self.since_text, self.until_text) if edge
        )

    def fold(self, stamp: str) -> int | None:
        """The pass of a repeated hour a record's time is in, None when it has one."""
        return None if self.fixed else self.folds.fold(stamp)

    def outside(self, stamp: str, fold: int | None) -> bool:
        """Before ``since`` or at or after ``until``."""
        if fold is None:
            since, until = self.since_text, self.until_text
            return bool((since and stamp < since) or (until and stamp >= until))
        moment = parse_timestamp(stamp, self.zone, fold)
        return bool((self.since and moment < self.since) or (self.until and moment >= self.until))
