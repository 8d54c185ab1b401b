"""The byte scanner: physical lines in, complete records out, in constant memory. The bulk of a
log (event echoes, high-volume messages) is counted by a bytes pattern without being decoded;
every other line is parsed by the grammar. The audit window is applied here, once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from .grammar import (
    CANONICAL,
    HEADER,
    WORD,
    canonical_timestamp,
    fast_path,
    timestamp_text,
    valid_stamp,
)
from .model import MAX_CONTINUATION, LogRecord, ReadStats

Emit = Callable[[LogRecord], object]


@dataclass(frozen=True, slots=True)
class FastPath:
    """What may be counted unread: echoes of ``echo_logger`` and ``(category, prefix)`` lines."""

    echo_logger: str | None
    prefixes: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class ScanTotals:
    """What a scan counted besides the records it emitted."""

    stats: ReadStats
    records: int  # in the window, emitted or counted in bulk
    out_of_window: int
    bulk: Counter[tuple[str, str]]  # (category or "" for an echo, level) -> records
    echoes: Counter[str]  # event word -> echoed records
    first: str  # first and last in-window timestamps, as the log writes them
    last: str
    lines: int  # physical lines of the part (the next part's line numbers follow on)


class Scanner:
    """Scans one file (or a byte range of it that starts at a record). ``feed`` takes a block
    of whole lines, ``finish`` flushes the record in progress and returns the totals."""

    def __init__(
        self,
        name: str,
        zone: tzinfo | None,
        fast: FastPath | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> None:
        self.name = name
        self.zone = zone
        self.stats = ReadStats(files=[name])
        self._since = timestamp_text(since, zone) if since else ""
        self._until = timestamp_text(until, zone) if until else ""
        self._since_b = self._since.encode()
        self._until_b = self._until.encode()
        self._fast: re.Pattern[bytes] | None = None
        self._slots: list[tuple[str, str]] = []
        if fast is not None:
            self._fast, self._slots = fast_path(fast.echo_logger, fast.prefixes)
        self._echo_slots = sum(1 for category, _ in self._slots if not category)
        self._hits = [0] * (len(self._slots) + 2)
        self._echoes: Counter[bytes] = Counter()
        self._pending: LogRecord | None = None
        self._seen = False  # a record header was met: later odd lines continue a record
        self._line_no = 0
        self._records = 0
        self._out = 0
        self._first = b""
        self._last = b""

    def feed(self, lines: list[bytes], emit: Emit) -> None:
        fast = self._fast.match if self._fast is not None else None
        canonical = CANONICAL.match
        since, until = self._since, self._until
        since_b, until_b = self._since_b, self._until_b
        windowed = bool(since or until)
        hits, echoes, echo_end = self._hits, self._echoes, 2 + self._echo_slots
        pending = self._pending
        seen = self._seen
        first, last = self._first, self._last
        line_no = self._line_no
        name, zone = self.name, self.zone
        headers = records = out = continuation = unparsable = undecodable = fast_out = 0
        hits_before = sum(hits)  # the bulk's records are counted from the hits, once a block
        for raw in lines:
            line_no += 1
            if fast is not None:
                match = fast(raw)
                if match is not None:  # the bulk: counted, never decoded
                    if pending is not None:
                        emit(pending)
                        pending = None
                    if windowed:
                        stamp_b = match[1]
                        if (since_b and stamp_b < since_b) or (until_b and stamp_b >= until_b):
                            fast_out += 1
                            continue
                        first = first or stamp_b
                        last = stamp_b
                    index = match.lastindex or 0
                    hits[index] += 1
                    if index < echo_end:
                        echoes[match[index]] += 1
                    continue
            match = canonical(raw)
            if match is not None and (match[1][5:10] != b"02-29" or valid_stamp(match[1].decode())):
                stamp_b, logger_b, level_b, word_b = match.groups()
                body = raw[match.end(3) + 3 :]
                try:
                    message = body.decode()
                except UnicodeDecodeError:
                    undecodable += 1
                    message = body.decode("utf-8", "replace")
                message = message.rstrip("\r")
                stamp = stamp_b.decode()
                logger = logger_b.decode("utf-8", "replace")
                level = level_b.decode()
                word = word_b.decode() if word_b else None
            else:
                try:
                    line = raw.decode()
                except UnicodeDecodeError:
                    undecodable += 1
                    line = raw.decode("utf-8", "replace")
                line = line.rstrip("\r")
                generic = HEADER.match(line)
                if generic is not None and not valid_stamp(generic["ts"]):
                    generic = None  # 29 February of a common year: no record
                if generic is None:
                    if pending is not None:
                        continuation += 1
                        if len(pending.lines) < MAX_CONTINUATION:
                            pending.lines.append(line)
                    elif seen or fast_out or sum(hits) != hits_before:  # after a record
                        continuation += 1
                    else:
                        unparsable += 1
                    continue
                stamp = canonical_timestamp(generic["ts"])
                logger = generic["name1"] or generic["name2"]
                level = generic["level1"] or generic["level2"]
                message = line[generic.end() :]
                leading = WORD.match(message)
                word = leading[1] if leading else None
            headers += 1
            seen = True
            if pending is not None:
                emit(pending)
                pending = None
            if windowed:
                if (since and stamp < since) or (until and stamp >= until):
                    out += 1
                    continue
                stamp_b = stamp.encode()
                first = first or stamp_b
                last = stamp_b
            records += 1
            pending = LogRecord(name, line_no, stamp, logger, level, message, word, zone)
        headers += sum(hits) - hits_before + fast_out
        out += fast_out
        seen = seen or headers > 0
        if not windowed and headers:
            first, last = self._edges(lines, first, last)
        self._pending, self._seen = pending, seen
        self._first, self._last = first, last
        self._line_no = line_no
        self._records += records
        self._out += out
        stats = self.stats
        stats.lines += len(lines)
        stats.records += headers
        stats.continuation_lines += continuation
        stats.unparsable_lines += unparsable
        stats.undecodable_lines += undecodable

    def release(self, emit: Emit) -> None:
        """Emit the record in progress now (its file was rotated away: newer records follow)."""
        if self._pending is not None:
            emit(self._pending)
            self._pending = None

    def finish(self, emit: Emit) -> ScanTotals:
        self.release(emit)
        bulk: Counter[tuple[str, str]] = Counter()
        for index, slot in enumerate(self._slots, start=2):
            if self._hits[index]:
                bulk[slot] += self._hits[index]
        return ScanTotals(
            stats=self.stats,
            records=self._records + sum(bulk.values()),
            out_of_window=self._out,
            bulk=bulk,
            echoes=Counter({word.decode(): n for word, n in self._echoes.items()}),
            first=self._first.decode(),
            last=self._last.decode(),
            lines=self._line_no,
        )

    def _edges(self, lines: Iterable[bytes], first: bytes, last: bytes) -> tuple[bytes, bytes]:
        """Without a window, the first (if not known yet) and last record timestamps of a block
        are read from its ends, so the bulk is never looked at line by line."""
        ordered = list(lines)
        if not first:
            first = next((s for s in map(_stamp_of, ordered) if s), b"")
        return first, next((s for s in map(_stamp_of, reversed(ordered)) if s), last)


def _stamp_of(raw: bytes) -> bytes:
    match = CANONICAL.match(raw)
    if match is not None:
        return bytes(match[1])
    generic = HEADER.match(raw.decode("utf-8", "replace"))
    return canonical_timestamp(generic["ts"]).encode() if generic else b""
