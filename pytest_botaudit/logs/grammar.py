"""The grammar of a bot log line, defined once: both Python-logging header formats, the canonical
timestamp, and the byte patterns of the fast path are all compiled from these pieces."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, tzinfo

from .memo import Memo

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# levels whose records are echoes or high-volume lines that the fast path may count unread
QUIET_LEVELS = ("INFO", "DEBUG", "WARNING")
_LEVEL = "|".join(LEVELS)
# A valid calendar date and time only (ASCII digits, years 1800-2999, each month's days; of
# the impossible dates only 29 February of a common year passes: see valid_stamp), so a line
# with a broken timestamp is no record and can never break parsing later.
_DATE = (
    r"(?:1[89]|2[0-9])[0-9]{2}-"
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-9]))"
)
# the first character of every header: its year's (1800-2999)
HEADER_STARTS = ("1", "2")
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_TIMESTAMP = rf"{_DATE}[ T]{_TIME}(?:[,.][0-9]{{1,6}})?"
# what logging's asctime writes: the form every timestamp is normalised to
_CANONICAL_TIMESTAMP = rf"{_DATE} {_TIME},[0-9]{{3}}"
# the bulk (price ticks, event echoes) is counted, never parsed: its timestamp is only compared
# as text with the window's, so the plain shape is enough there and keeps the fast path fast
_BULK_TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
STAMP = 23  # bytes of a bulk timestamp
# a message that starts with an event word: `position_updated: {...}` (core.event_logger)
_WORD = r"[a-z][a-z0-9_]*"

# `%(asctime)s - %(name)s - %(levelname)s - ` or `%(asctime)s [%(levelname)s] %(name)s: `
HEADER = re.compile(
    rf"(?P<ts>{_TIMESTAMP})"
    rf"(?: - (?P<name1>\S+) - (?P<level1>{_LEVEL}) - | \[(?P<level2>{_LEVEL})\] (?P<name2>\S+): )"
)
# the first format with a canonical timestamp, on bytes: groups stamp, logger, level, word
CANONICAL = re.compile(
    rf"({_CANONICAL_TIMESTAMP}) - (\S+) - ({_LEVEL}) - (?:({_WORD}): )?".encode()
)
WORD = re.compile(rf"^({_WORD}): ")
# the event word of an echo where it starts: the fast path's echo group, on bytes
ECHO_WORD = re.compile(rf"({_WORD}): ".encode())
# (a bare ``Exception: ...`` too: the bot raises Exception(message), core/stop_loss_manager.py)
_EXCEPTION_LINE = re.compile(
    r"^(?P<type>(?:[A-Za-z_][\w.]*)?(?:Error|Exception|Timeout|Exit|Interrupt))\b"
)


def fast_path(
    echo_logger: str | None, prefixes: Iterable[tuple[str, str]]
) -> tuple[re.Pattern[bytes], list[tuple[str, str]]]:
    """The bytes pattern that recognises the bulk of a log without decoding it: an event echo
    of ``echo_logger``, or a ``(category, literal prefix)`` message, at a quiet level. One
    group per (slot): ``match.lastindex`` names the slot; the list says what each slot is,
    ``("", level)`` for an echo (its group holds the event word)."""
    slots: list[tuple[str, str]] = []
    echo = b""
    if echo_logger:
        slots += [("", level) for level in QUIET_LEVELS]
        echo = (
            re.escape(echo_logger.encode())
            + b" - (?:"
            + b"|".join(
                level.encode() + b" - (" + _WORD.encode() + b"): " for level in QUIET_LEVELS
            )
            + b")|"
        )
    combos = bulk_combos(prefixes)
    slots += [(category, level) for category, level, _ in combos]
    alternatives = b"|".join(
        b"(" + level.encode() + b" - " + re.escape(prefix.encode()) + b")"
        for _, level, prefix in combos
    )
    pattern = re.compile(
        b"("
        + _BULK_TIMESTAMP.encode()
        + b") - (?:"
        + echo
        + (rb"\S+ - (?:" + alternatives + b")" if combos else rb"(?!)")
        + b")"
    )
    return pattern, slots


def bulk_combos(prefixes: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """The fast path's ``(category, level, prefix)`` alternatives, in the order it tries them
    (the first that matches a line is its slot)."""
    return [(category, level, prefix) for category, prefix in prefixes for level in QUIET_LEVELS]


def canonical_timestamp(text: str) -> str:
    """``2025-10-15T02:40:20.5`` as asctime writes it: ``2025-10-15 02:40:20,500``."""
    if len(text) == 23 and text[10] == " " and text[19] == ",":
        return text
    head, _, fraction = text.replace("T", " ").replace(".", ",").partition(",")
    return f"{head},{(fraction + '000')[:3]}"


def timestamp_text(stamp: datetime, zone: tzinfo | None) -> str:
    """A moment as the log writes it (local or profile zone), so windows compare as text."""
    local = stamp.astimezone(zone) if zone else stamp.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"


def valid_stamp(text: str) -> bool:
    """The one impossible date the grammar lets through: 29 February of a common year."""
    if text[5:10] != "02-29":
        return True
    year = int(text[:4])
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# the seconds of a minute (``2025-10-15 02:40``) on the log's own clock: records come in order,
# so most ask for the minute the one before asked for
_minutes: Memo[str, float] = Memo()


def _minute(text: str) -> float:
    seconds = _minutes.get(text)
    if seconds is None:
        day = date.fromisoformat(text[:10]).toordinal()
        seconds = _minutes.keep(
            text, day * 86400.0 + int(text[11:13]) * 3600 + int(text[14:16]) * 60
        )
    return seconds


def stamp_seconds(stamp: str) -> float:
    """A canonical stamp (``2025-10-15 02:40:20,500``) as seconds on the log's own clock: for
    differences of a few seconds (which records are one occurrence), without a zone. (Whole
    seconds add up exactly, so the minute's sum from the cache gives the same float.)"""
    return _minute(stamp[:16]) + int(stamp[17:19]) + int(stamp[20:23]) / 1000


def parse_timestamp(text: str, zone: tzinfo | None, fold: int = 0) -> datetime:
    """The moment a log time stands for; ``fold`` 1: the second pass of a local time shown
    twice (localtime.py tells which pass a record is in)."""
    value = datetime.fromisoformat(text.replace(",", "."))
    if fold:
        value = value.replace(fold=1)
    if zone is None:  # the bot's asctime is local time of the machine that wrote the log
        return value.astimezone(UTC)
    return value.replace(tzinfo=zone).astimezone(UTC)


def exception_type(lines: Sequence[str]) -> str | None:
    """The exception class of a traceback: its last ``Type: message`` line."""
    for line in reversed(lines):
        match = _EXCEPTION_LINE.match(line)
        if match:
            return match.group("type")
    return None
