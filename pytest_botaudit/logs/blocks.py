"""The bulk of a block found at once: each line is compared with the bulk shapes the scanner has
met (as 8-byte words, numpy over all the block's lines), so a price tick or an event echo costs
no Python of its own. A line of no known shape is left to the scanner's line-by-line grammar."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

from .grammar import ECHO_WORD, STAMP

# a bulk timestamp (grammar's STAMP bytes) with the space after it: three 8-byte words (0
# stands for an ASCII digit)
_STAMP_SHAPE = b"0000-00-00 00:00:00,000 "
_STAMP_WORDS = len(_STAMP_SHAPE) // 8
MAX_SHAPES = 8  # each shape costs a few array operations per block
# an event word with this many echoes in one block gets a shape of its own (at most
# MAX_WORD_SHAPES): its lines are then counted with the block, not read one by one for their word
WORD_SHAPE_LINES = 256
MAX_WORD_SHAPES = 2
_HIGH = np.uint64(0x8080808080808080)
_FULL = np.uint64(2**64 - 1)

Words = npt.NDArray[np.uint64]
Flags = npt.NDArray[np.bool_]


def _word(data: bytes) -> int:
    return int.from_bytes(data.ljust(8, b"\0"), "little")


def _stamp_test(offset: int) -> tuple[np.uint64, np.uint64]:
    """XOR with the shape makes a digit 0..9 and a separator 0; adding 0x76 (0x7F) then sets
    the high bit of any other byte, and ``| y`` catches the bytes that were high already (so a
    carry into the next byte never hides a bad one)."""
    shape = _STAMP_SHAPE[offset : offset + 8]
    flip = _word(shape)
    add = _word(bytes(0x76 if char == ord("0") else 0x7F for char in shape))
    return np.uint64(flip), np.uint64(add)


_STAMP_TESTS = [_stamp_test(8 * n) for n in range(_STAMP_WORDS)]


@dataclass(frozen=True, slots=True)
class Shape:
    """A bulk line's bytes after its timestamp, as far as the fast path reads them:
    `` - <logger> - <LEVEL> - <prefix>`` for a high-volume category, or
    `` - <echo logger> - <LEVEL> - `` for an event echo (whose word is then read per line).
    ``slot`` is the fast path's group for such a line. An event word frequent enough gets a
    shape of its own, its echo head followed by ``<word>: ``: its lines are counted unread."""

    head: bytes
    slot: int
    echo: bool
    word: bytes | None = None  # an echo's event word when the head ends with it (and ": ")


@dataclass(slots=True)
class BlockSplit:
    """What a block holds: its lines, the ones left to the grammar (index, start, end), and
    the bulk lines counted per shape, inside the window or out of it."""

    lines: int
    rest: list[int]
    starts: list[int]
    ends: list[int]
    stamped: list[bool]  # per line left: may start with a bulk timestamp
    counts: list[int]  # per shape, bulk lines inside the window
    out_of_window: int  # bulk lines outside it
    words: list[bytes]  # the event words of the echoes inside the window
    first: tuple[int, bytes] | None  # (line index, stamp) of the first bulk line inside
    last: tuple[int, bytes] | None


class ShapeTable:
    """The bulk shapes met so far, with the words each compares: a line's words are read 8
    bytes at a time from its start (the stamp's, then the heads' from their second byte)."""

    def __init__(self) -> None:
        self.shapes: list[Shape] = []
        self._count = _STAMP_WORDS  # words read per line
        # per word after the stamp's: (shape, its bytes, the mask of the bytes that count)
        self._words: list[list[tuple[int, np.uint64, np.uint64]]] = []

    def __len__(self) -> int:
        return len(self.shapes)

    @property
    def learned(self) -> int:
        """The shapes the scanner taught (the event words' own shapes left out)."""
        return sum(1 for shape in self.shapes if shape.word is None)

    @property
    def full(self) -> bool:
        """MAX_SHAPES shapes were learned: no more are kept."""
        return self.learned >= MAX_SHAPES

    def learn(self, head: bytes, slot: int, echo: bool) -> None:
        """Keep the shape of a bulk line the grammar counted (``head``: its bytes after the
        stamp)."""
        self.add(Shape(head, slot, echo))

    def add(self, shape: Shape) -> None:
        self.shapes.append(shape)
        heads = [known.head[1:] for known in self.shapes]  # the space is the stamp's
        count = max((len(head) + 7) // 8 for head in heads)
        self._words = []
        for j in range(count):
            entries = []
            for k, head in enumerate(heads):
                piece = head[8 * j : 8 * j + 8]
                if piece:
                    mask = (1 << (8 * len(piece))) - 1
                    entries.append((k, np.uint64(_word(piece)), np.uint64(mask)))
            self._words.append(entries)
        self._count = _STAMP_WORDS + count

    def split(self, block: bytes, since: bytes, until: bytes) -> BlockSplit:
        """``block``: whole lines, each ending in a newline. ``since``/``until``: the window
        as the log writes timestamps (empty: open)."""
        data = np.frombuffer(block, np.uint8)
        ends = np.flatnonzero(data == 10)
        lines = len(ends)
        starts = np.empty(lines, np.int64)
        starts[:1] = 0
        starts[1:] = ends[:-1] + 1
        aligned = len(block) // 8
        # a line is compared only when every word read lies inside the block
        limit = 8 * (aligned - self._count) - 1
        usable = int(np.searchsorted(starts, limit, side="right")) if limit >= 0 else 0
        slot = np.full(lines, -1, np.int16)
        stamped = np.ones(lines, np.bool_)
        counts = [0] * len(self.shapes)
        words: list[bytes] = []
        out = 0
        first = last = None
        if usable:
            # the 8 bytes from every offset of the block, and from there ``count`` words on:
            # one gather gives each line's words, wherever in a word it starts
            every: Words = np.ndarray((len(block) - 7,), "<u8", block, 0, (1,))
            rows = as_strided(every, (len(every) - 8 * (self._count - 1), self._count), (1, 8))
            line_words = rows[starts[:usable]]
            stamps = [line_words[:, n] for n in range(_STAMP_WORDS)]
            bad = np.zeros(usable, np.uint64)
            for (flip, add), word in zip(_STAMP_TESTS, stamps, strict=True):
                flipped = word ^ flip
                bad |= flipped
                flipped += add
                bad |= flipped
            differ: list[Words | None] = [None] * len(self.shapes)
            for n, entries in enumerate(self._words, start=_STAMP_WORDS):
                word = line_words[:, n]
                for k, bits, mask in entries:
                    off = word ^ bits
                    if mask != _FULL:
                        off &= mask
                    seen = differ[k]
                    if seen is None:
                        differ[k] = off
                    else:
                        seen |= off
            ok = (bad & _HIGH) == 0
            stamped[:usable] = ok
            head = slot[:usable]
            for k, differs in enumerate(differ):
                assert differs is not None  # every shape has a first word
                head[ok & (differs == 0)] = k
            echoes, words, frequent = self._echo_words(block, starts, slot)
            bulk = head >= 0
            if since or until:
                inside = bulk & _within(stamps, since, until)
                out = int(np.count_nonzero(bulk)) - int(np.count_nonzero(inside))
                if echoes:
                    kept = inside[echoes].tolist()
                    words = [word for word, keep in zip(words, kept, strict=True) if keep]
            else:
                inside = bulk
            counts = np.bincount(head[inside], minlength=len(self.shapes)).tolist()
            if inside.any():
                first_at = int(np.argmax(inside))
                last_at = usable - 1 - int(np.argmax(inside[::-1]))
                first = (first_at, _stamp_at(block, int(starts[first_at])))
                last = (last_at, _stamp_at(block, int(starts[last_at])))
            for shape in frequent:  # for the blocks that follow (this one is counted)
                if len(self.shapes) - self.learned < MAX_WORD_SHAPES:
                    self.add(shape)
        rest = np.flatnonzero(slot < 0)
        return BlockSplit(
            lines,
            rest.tolist(),
            starts[rest].tolist(),
            ends[rest].tolist(),
            stamped[rest].tolist(),
            counts,
            out,
            words,
            first,
            last,
        )

    def _echo_words(
        self, block: bytes, starts: npt.NDArray[np.int64], slot: npt.NDArray[np.int16]
    ) -> tuple[list[int], list[bytes], list[Shape]]:
        """An echo shape needs its event word after it: the echo lines and their words, and
        the shapes of the words frequent in the block. A line without one is no echo of that
        shape and goes back to the grammar (which may still count it as bulk)."""
        match = ECHO_WORD.match
        lines: list[int] = []
        words: list[bytes] = []
        frequent: list[Shape] = []
        for k, shape in enumerate(self.shapes):
            if not shape.echo or shape.word is not None:
                continue
            where = np.flatnonzero(slot == k)
            skip = STAMP + len(shape.head)
            mark = len(words)
            for i, start in zip(where.tolist(), starts[where].tolist(), strict=True):
                found = match(block, start + skip)
                if found is None:
                    slot[i] = -1
                else:
                    lines.append(i)
                    words.append(found[1])
            if len(words) - mark >= WORD_SHAPE_LINES:
                for word, count in Counter(words[mark:]).most_common(MAX_WORD_SHAPES):
                    if count >= WORD_SHAPE_LINES:
                        frequent.append(Shape(shape.head + word + b": ", shape.slot, True, word))
        return lines, words, frequent


def _stamp_at(block: bytes, start: int) -> bytes:
    return block[start : start + STAMP]


def _key(stamp: bytes) -> tuple[int, int, int]:
    """A window's edge as the stamp words compare: big-endian, with the space after it."""
    text = stamp + b" "
    first, second, third = (int.from_bytes(text[o : o + 8], "big") for o in (0, 8, 16))
    return first, second, third


def _before(stamps: list[Words], key: tuple[int, int, int]) -> Flags:
    """Which timestamps sort before ``key`` as text: the three words compared big-endian
    (every bulk line has the same space after its timestamp)."""
    a, b, c = (word.byteswap() for word in stamps)
    ka, kb, kc = (np.uint64(part) for part in key)
    result: Flags = (a < ka) | ((a == ka) & ((b < kb) | ((b == kb) & (c < kc))))
    return result


def _within(stamps: list[Words], since: bytes, until: bytes) -> Flags:
    inside = np.ones(len(stamps[0]), np.bool_)
    if since:
        inside &= ~_before(stamps, _key(since))
    if until:
        inside &= _before(stamps, _key(until))
    return inside
