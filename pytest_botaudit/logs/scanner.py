"""The block scanner: blocks of whole lines in, complete records out, in constant memory. The
bulk of a log (event echoes, high-volume messages) is counted without being decoded: a bulk line
of a shape already met is found with the whole block at once (blocks.py), any other line is
read by the grammar, one by one, and teaches the scanner the bulk shapes it meets. The audit
window is applied here, once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, tzinfo

from ..config.profile import Profile
from .bulk import Bulk
from .bulk import FastPath as FastPath  # the scanner's interface: where readers find it
from .grammar import (
    CANONICAL,
    HEADER,
    HEADER_STARTS,
    STAMP,
    WORD,
    canonical_timestamp,
    valid_stamp,
)
from .localtime import LogWindow
from .model import MAX_CONTINUATION, LogRecord, ReadStats

Emit = Callable[[LogRecord], object]
# below this many bytes a block is read line by line (the arrays would cost more than they save)
MIN_VECTOR_BLOCK = 2048
_MAX_TRIED = 1024  # bulk heads looked at for a shape (a log of ever new loggers stays bounded)
_canonical = CANONICAL.match
_header = HEADER.match
_LEARN_LINES = 64  # lines of a block read one by one while no shape is known


def bulk_of(profile: Profile, keep: Collection[str] = ()) -> FastPath:
    """The profile's bulk: its event echoes and its high-volume categories, less the categories
    in ``keep`` (a reader that needs those records one by one, with their time)."""
    prefixes = tuple(
        (category, prefix)
        for category, literals in profile.log_high_volume.items()
        if category not in keep
        for prefix in literals
    )
    return FastPath(profile.log_echo_logger, prefixes)


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
        vector_from: int = MIN_VECTOR_BLOCK,
    ) -> None:
        from .blocks import ShapeTable  # numpy loads with the first scan, not with the plugin

        self.name = name
        self.vector_from = vector_from  # bytes from which a block's bulk is found all at once
        self.zone = zone
        self.stats = ReadStats(files=[name])
        window = self._window = LogWindow(zone, since, until)
        self._since_b, self._until_b = window.since_b, window.until_b
        self._windowed = window.windowed
        self._fold = None if window.fixed else window.fold  # a zone of one offset has no folds
        # an edge inside a repeated hour: no line is counted by its text alone (the bulk)
        self._grammar = Bulk.of(fast) if fast is not None and not window.edge_repeated else None
        self._echo_end = self._grammar.echo_end if self._grammar else 2
        slots = self._grammar.slots if self._grammar else []
        self._shapes = ShapeTable()
        self._tried: set[bytes] = set()
        self._hits = [0] * (len(slots) + 2)
        self._echoes: Counter[bytes] = Counter()
        self._pending: LogRecord | None = None
        self._seen = False  # a record header was met: later odd lines continue a record
        self._line_no = 0
        self._records = 0
        self._out = 0
        self._first = self._last = ""
        self._first_line = 0  # where they were read
        self._last_line = 0

    def feed(self, block: bytes, emit: Emit) -> None:
        """``block``: whole lines, each ending in a newline (the reader cuts a line longer
        than MAX_LINE before it gets here)."""
        if not block:
            return
        if len(block) >= self.vector_from and self._grammar is not None:
            if not len(self._shapes):  # its first lines may teach the shapes of the rest
                cut = 0
                for _ in range(_LEARN_LINES):
                    cut = block.find(b"\n", cut) + 1 or len(block)
                self._feed_lines(block[:cut], emit)
                block = block[cut:]
            if len(self._shapes) and len(block) >= self.vector_from:
                self._feed_shapes(block, emit)
                return
        self._feed_lines(block, emit)

    def _feed_lines(self, block: bytes, emit: Emit) -> None:
        line = self._line
        base = self._line_no
        if not block:
            return
        lines = block.split(b"\n")
        lines.pop()  # what follows the last newline: nothing
        for number, raw in enumerate(lines, start=base + 1):
            line(raw, number, emit)
        self._line_no = base + len(lines)
        self.stats.lines += len(lines)

    def _feed_shapes(self, block: bytes, emit: Emit) -> None:
        split = self._shapes.split(block, self._since_b, self._until_b)
        base = self._line_no
        line = self._line
        previous = -1
        for index, start, end, stamped in zip(
            split.rest, split.starts, split.ends, split.stamped, strict=True
        ):
            if index - previous > 1:  # bulk lines in between: they end the record in progress
                self._bulk(emit)
            line(block[start:end], base + index + 1, emit, stamped)
            previous = index
        if split.lines - 1 > previous:
            self._bulk(emit)
        bulk = split.lines - len(split.rest)
        self.stats.records += bulk
        self._out += split.out_of_window
        hits = self._hits
        for shape, count in zip(self._shapes.shapes, split.counts, strict=False):
            hits[shape.slot] += count
            if shape.word is not None and count:
                self._echoes[shape.word] += count
        self._echoes.update(split.words)
        if split.first is not None:
            number = base + split.first[0] + 1
            if not self._first or self._first_line > number:
                self._first, self._first_line = split.first[1].decode(), number
        if split.last is not None:
            number = base + split.last[0] + 1
            if number > self._last_line:
                self._last, self._last_line = split.last[1].decode(), number
        self._line_no = base + split.lines
        self.stats.lines += split.lines

    def _bulk(self, emit: Emit) -> None:
        """A bulk line was met: the record in progress is complete."""
        self._seen = True
        if self._pending is not None:
            emit(self._pending)
            self._pending = None

    def _line(self, raw: bytes, number: int, emit: Emit, stamped: bool = True) -> None:
        """One line by the grammar: a bulk line, a record header, or a continuation.
        ``stamped``: False when the line is known not to start with a bulk timestamp (then
        neither the fast path nor the canonical header can match it)."""
        stats = self.stats
        match = _canonical(raw) if stamped else None
        if match is not None and (raw[5:10] != b"02-29" or valid_stamp(match[1].decode())):
            parts = match.groups()
            grammar = self._grammar
            if grammar is not None:
                found = grammar.of_header(raw, match, parts)
                if found is not None:
                    self._counted(raw, number, emit, *found)
                    return
            stamp_b, logger_b, level_b, word_b = parts
            body = raw[match.end(3) + 3 :]
            try:
                message = body.decode()
            except UnicodeDecodeError:
                stats.undecodable_lines += 1
                message = body.decode("utf-8", "replace")
            message = message.rstrip("\r")
            stamp = stamp_b.decode()
            logger = logger_b.decode("utf-8", "replace")
            level = level_b.decode()
            word = word_b.decode() if word_b else None
        else:
            if stamped and self._grammar is not None:
                found = self._grammar.of_line(raw)
                if found is not None:  # a bulk line with a timestamp no record has
                    self._counted(raw, number, emit, *found)
                    return
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                stats.undecodable_lines += 1
                text = raw.decode("utf-8", "replace")
            text = text.rstrip("\r")
            # (a traceback's lines are told from a header by their first character)
            generic = _header(text) if text[:1] in HEADER_STARTS else None
            if generic is not None and not valid_stamp(generic["ts"]):
                generic = None  # 29 February of a common year: no record
            if generic is None:
                pending = self._pending
                if pending is not None:
                    stats.continuation_lines += 1
                    if len(pending.lines) < MAX_CONTINUATION:
                        pending.lines.append(text)
                elif self._seen:  # after a record
                    stats.continuation_lines += 1
                else:
                    stats.unparsable_lines += 1
                return
            stamp = canonical_timestamp(generic["ts"])
            logger = generic["name1"] or generic["name2"]
            level = generic["level1"] or generic["level2"]
            message = text[generic.end() :]
            leading = WORD.match(message)
            word = leading[1] if leading else None
        stats.records += 1
        self._seen = True
        if self._pending is not None:
            emit(self._pending)
            self._pending = None
        fold = self._fold(stamp) if self._fold is not None else None
        if self._windowed and self._window.outside(stamp, fold):
            self._out += 1
            return
        if not self._first:
            self._first, self._first_line = stamp, number
        self._last, self._last_line = stamp, number
        self._records += 1
        self._pending = LogRecord(
            self.name, number, stamp, logger, level, message, word, self.zone, fold or 0
        )

    def _counted(
        self,
        raw: bytes,
        number: int,
        emit: Emit,
        stamp: bytes,
        index: int,
        head: int,
        word: bytes | None,
    ) -> None:
        """A bulk line the grammar found: counted in its fast-path slot ``index``, never
        decoded; its head (up to byte ``head``) may become a shape."""
        self._bulk(emit)
        self.stats.records += 1
        self._learn(raw[STAMP:head], index)
        if self._windowed and (
            (self._since_b and stamp < self._since_b) or (self._until_b and stamp >= self._until_b)
        ):
            self._out += 1
            return
        text = stamp.decode()
        if not self._first:
            self._first, self._first_line = text, number
        self._last, self._last_line = text, number
        self._hits[index] += 1
        if word is not None:
            self._echoes[word] += 1

    def _learn(self, head: bytes, index: int) -> None:
        """Keep the shape of a bulk line the grammar counted, so the next blocks find its like
        all at once: only a shape that makes every line of it bulk of the same slot."""
        tried = self._tried
        if head in tried or len(tried) >= _MAX_TRIED or self._shapes.full:
            return
        tried.add(head)
        assert self._grammar is not None  # only bulk lines are learned from
        if self._grammar.decides(head, index):
            self._shapes.learn(head, index, index < self._echo_end)

    def release(self, emit: Emit) -> None:
        """Emit the record in progress now (its file was rotated away: newer records follow)."""
        if self._pending is not None:
            emit(self._pending)
            self._pending = None

    def finish(self, emit: Emit) -> ScanTotals:
        self.release(emit)
        bulk: Counter[tuple[str, str]] = Counter()
        for index, slot in enumerate(self._grammar.slots if self._grammar else [], start=2):
            if self._hits[index]:
                bulk[slot] += self._hits[index]
        return ScanTotals(
            stats=self.stats,
            records=self._records + sum(bulk.values()),
            out_of_window=self._out,
            bulk=bulk,
            echoes=Counter({word.decode(): n for word, n in self._echoes.items()}),
            first=self._first,
            last=self._last,
            lines=self._line_no,
        )
