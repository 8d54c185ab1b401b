"""Reading log files at the edge: rotated sets, gzip, byte ranges, and following a live log."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from pathlib import Path
from typing import IO, cast

from ..fileio import NotARegularFile, open_regular
from .gz import GzipContent, LogDamaged
from .model import MAX_LINE, LogRecord, ReadStats
from .scanner import Emit, FastPath, Scanner, ScanTotals

CHUNK = 2**20  # bytes read at a time: a block's arrays stay in the CPU's cache
# bytes a follower reads from one file at one poll: a log that grows faster is caught up at the
# next polls, and no poll reads without end
MAX_POLL_BYTES = 256 * CHUNK


def rotated_set(path: Path) -> list[Path]:
    """``bot.log`` with its rotated siblings ``bot.log.N`` … ``.1`` (.gz too), oldest first."""
    siblings: list[tuple[int, Path]] = []
    pattern = re.compile(re.escape(path.name) + r"\.(\d+)(?:\.gz)?$")
    if path.parent.is_dir():
        for candidate in path.parent.iterdir():
            match = pattern.match(candidate.name)
            if match:
                siblings.append((int(match.group(1)), candidate))
    ordered = [p for _, p in sorted(siblings, key=lambda item: -item[0])]
    return [*ordered, path] if path.exists() else ordered


def open_log(path: Path) -> IO[bytes]:
    """The log's content; only a regular file is read (NotARegularFile otherwise: a FIFO, a
    device or a directory in its place is refused at once, never waited on or read forever)."""
    if path.suffix == ".gz":
        return cast(IO[bytes], GzipContent(open_regular(path)))
    return open_regular(path)


def not_read(path: Path, problem: NotARegularFile) -> str:
    """The note a file that is not one leaves in the read statistics."""
    return f"{path}: not read: {str(problem).removeprefix(f'{path}: ')}"


class BlockSplitter:
    """Bytes in, blocks of whole lines out (each line ending in a newline). A line longer than
    ``max_line`` keeps its first ``max_line`` bytes and the rest is skipped up to its newline
    (counted), so no input grows memory; the cut line still ends where its newline was."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self.partial = bytearray()  # the unfinished last line, waiting for its newline
        self.truncated = 0
        self._skipping = False  # inside the unread rest of an over-long line

    def feed(self, chunk: bytes) -> bytes:
        head = b""
        if self._skipping:
            cut = chunk.find(b"\n")
            if cut < 0:
                return b""
            head = bytes(self.partial) + b"\n"
            self.partial.clear()
            self._skipping = False
            chunk = chunk[cut + 1 :]
        last = chunk.rfind(b"\n")
        if last < 0:
            self.partial += chunk
            self._cap()
            return head
        whole = memoryview(chunk)[: last + 1]
        block = b"".join((self.partial, whole)) if self.partial else bytes(whole)
        self.partial.clear()
        self.partial += chunk[last + 1 :]
        self._cap()
        if self._may_hold_a_long_line(block):
            block = self._cut(block)
        return head + block if head else block

    def flush(self) -> bytes:
        """The last line when the input ends without a newline (a cut one included)."""
        rest = bytes(self.partial)
        self.partial.clear()
        self._skipping = False
        return rest + b"\n" if rest else b""

    def _cap(self) -> None:
        if len(self.partial) > self.max_line:
            del self.partial[self.max_line :]
            self._skipping = True
            self.truncated += 1

    def _may_hold_a_long_line(self, block: bytes) -> bool:
        """False when every half-max_line stretch of the block has a newline: then no line in
        it is longer than max_line, and the lines need no look one by one (a few finds)."""
        half = max(1, self.max_line // 2)
        return any(block.find(b"\n", at, at + half) < 0 for at in range(0, len(block), half))

    def _cut(self, block: bytes) -> bytes:
        lines = block.split(b"\n")
        long = sum(1 for line in lines if len(line) > self.max_line)
        if not long:
            return block
        self.truncated += long
        return b"\n".join(line[: self.max_line] for line in lines)


def scan_file(
    path: Path,
    scanner: Scanner,
    emit: Emit,
    start: int = 0,
    end: int | None = None,
    block_size: int = CHUNK,
    max_line: int = MAX_LINE,
) -> ScanTotals:
    """Feed ``path`` (or its bytes [start, end), which must begin at a record) to the scanner
    in blocks of whole lines, in constant memory. A damaged .gz is read up to the damaged
    byte, which the totals report with its offset."""
    splitter = BlockSplitter(max_line)
    try:
        handle = open_log(path)
    except NotARegularFile as problem:
        scanner.stats.damaged.append(not_read(path, problem))
        return scanner.finish(emit)
    with handle:
        if start:
            handle.seek(start)
        remaining = None if end is None else end - start
        try:
            while remaining is None or remaining > 0:
                size = block_size if remaining is None else min(block_size, remaining)
                chunk = handle.read(size)
                if not chunk:
                    break
                if remaining is not None:
                    remaining -= len(chunk)
                scanner.feed(splitter.feed(chunk), emit)
        except LogDamaged as damage:
            scanner.stats.damaged.append(damage_note(path, damage, splitter))
    scanner.feed(splitter.flush(), emit)
    scanner.stats.truncated_lines += splitter.truncated
    return scanner.finish(emit)


def damage_note(path: Path, damage: LogDamaged, splitter: BlockSplitter | None = None) -> str:
    """What is damaged and where; the incomplete line the damage cut is dropped (every
    complete record before the damaged byte was read)."""
    cut = ""
    if splitter is not None and splitter.partial:
        cut = f", the line it cut ({len(splitter.partial):,} bytes) dropped"
        splitter.partial.clear()
    return (
        f"{path}: damaged {'at' if damage.located else 'before'} byte {damage.offset:,} "
        f"of the file ({damage.reason}); "
        f"read the {damage.content:,} bytes of content before it{cut}"
    )


def check_compressed(path: Path) -> str | None:
    """Read a compressed log through: None when whole, else what is damaged and where."""
    try:
        with open_log(path) as handle:
            while handle.read(CHUNK):
                pass
    except LogDamaged as damage:
        return damage_note(path, damage)
    except NotARegularFile as problem:
        return not_read(path, problem)
    return None


def read_records(
    paths: Iterable[Path],
    stats: ReadStats | None = None,
    zone: tzinfo | None = None,
    block_size: int = CHUNK,
) -> Iterator[LogRecord]:
    """Stream every record of the files in order; memory is bounded by the block size."""
    stats = stats if stats is not None else ReadStats()
    for path in paths:
        scanner = Scanner(str(path), zone)
        ready: list[LogRecord] = []
        splitter = BlockSplitter()
        try:
            handle = open_log(path)
        except NotARegularFile as problem:
            scanner.stats.damaged.append(not_read(path, problem))
            stats.add(scanner.stats)
            continue
        with handle:
            try:
                while chunk := handle.read(block_size):
                    scanner.feed(splitter.feed(chunk), ready.append)
                    yield from ready
                    ready.clear()
            except LogDamaged as damage:
                scanner.stats.damaged.append(damage_note(path, damage, splitter))
        scanner.feed(splitter.flush(), ready.append)
        scanner.stats.truncated_lines += splitter.truncated
        scanner.finish(ready.append)
        stats.add(scanner.stats)
        yield from ready


class _Tail:
    """One file being followed: its handle, inode, and the lines and records in progress."""

    def __init__(
        self, path: Path, handle: IO[bytes], inode: int, zone: tzinfo | None, fast: FastPath | None
    ) -> None:
        self.path = path
        self.handle = handle
        self.inode = inode
        self.splitter = BlockSplitter()
        self.scanner = Scanner(str(path), zone, fast)
        self.quiet = 0  # polls in a row that found nothing new

    def drain(self, records: list[LogRecord], limit: int | None = MAX_POLL_BYTES) -> bool:
        """Read what was appended, at most ``limit`` bytes (None: up to the size the file has
        now); True when there was something."""
        if limit is None:
            limit = max(0, os.fstat(self.handle.fileno()).st_size - self.handle.tell())
        grew = False
        while limit > 0 and (chunk := self.handle.read(min(CHUNK, limit))):
            grew = True
            limit -= len(chunk)
            self.scanner.feed(self.splitter.feed(chunk), records.append)
        self.quiet = 0 if grew else self.quiet + 1
        return grew

    def close(self, records: list[LogRecord], stats: ReadStats) -> None:
        self.handle.close()
        self.scanner.feed(self.splitter.flush(), records.append)
        self.scanner.stats.truncated_lines += self.splitter.truncated
        self.scanner.finish(records.append)
        stats.add(self.scanner.stats)


class LogFollower:
    """Reads what the bot appended since the last call, like ``tail -F``: after a rotation
    (``bot.log`` → ``bot.log.1``) the old file is still read while its writer keeps writing to
    it, files rotated in between two polls are read whole, then the new file from its start.
    With ``fast``, the bulk it names is counted unread, not returned (``bulk_of``). A path that
    is no regular file any more (a FIFO, a device, a directory) is not read: ``problem`` says
    why until it is a file again, which is then read from its start."""

    # polls with nothing new before a rotated-away file is closed
    RETIRE_AFTER = 3

    def __init__(
        self,
        path: Path,
        zone: tzinfo | None = None,
        from_start: bool = False,
        fast: FastPath | None = None,
    ) -> None:
        self.path = path
        self.zone = zone
        self.fast = fast
        self.stats = ReadStats()
        self._current: _Tail | None = None
        self._retired: list[_Tail] = []
        self._seen: set[int] = set()  # inodes already followed
        self.problem = ""  # why the path cannot be followed now ("" while it can)
        # a log that does not exist yet is read from its first line once it appears
        self._from_start = from_start or not path.exists()

    def poll(self) -> list[LogRecord]:
        """Complete records appended since the last poll (the newest may wait for the next)."""
        records: list[LogRecord] = []
        for tail in list(self._retired):  # older files first: their records come first
            tail.drain(records)
            if tail.quiet >= self.RETIRE_AFTER:
                tail.close(records, self.stats)
                self._retired.remove(tail)
        if self._current is None:
            self._current = self._open(self.path, self._from_start)
            if self._current is None:
                return records
        self._current.drain(records)
        try:
            current = self.path.stat()
        except FileNotFoundError:
            return records  # moved away and not recreated yet: the old file is still read
        if current.st_ino != self._current.inode or current.st_size < self._current.handle.tell():
            self._rotated(records, truncated=current.st_ino == self._current.inode)
        return records

    def release(self) -> list[LogRecord]:
        """The records still in progress, now (the audit's last tick: no more will follow)."""
        records: list[LogRecord] = []
        for tail in [*self._retired, *([self._current] if self._current else [])]:
            tail.scanner.release(records.append)
        return records

    def close(self) -> list[LogRecord]:
        """Stop following; returns the records still in progress."""
        records: list[LogRecord] = []
        for tail in [*self._retired, *([self._current] if self._current else [])]:
            tail.drain(records, limit=None)
            tail.close(records, self.stats)
        self._retired, self._current = [], None
        return records

    def _rotated(self, records: list[LogRecord], truncated: bool) -> None:
        """The path is a new file (or was truncated): keep reading the old one while it grows,
        read the files rotated in between whole, then follow the new one from its start."""
        old = self._current
        assert old is not None
        if truncated:
            old.close(records, self.stats)
        else:
            old.scanner.release(records.append)
            self._retired.append(old)
        siblings = [f for f in rotated_set(self.path) if f != self.path and f.suffix != ".gz"]
        for sibling in siblings:
            try:
                inode = sibling.stat().st_ino
            except FileNotFoundError:
                continue
            if inode not in self._seen:  # written and rotated away between two polls
                tail = self._open(sibling, from_start=True)
                if tail is not None:
                    tail.drain(records)
                    tail.scanner.release(records.append)
                    self._retired.append(tail)
        self._current = self._open(self.path, from_start=True)
        self._from_start = True  # a file that takes the path's place later: from its start
        if self._current is not None:
            self._current.drain(records)

    def _open(self, path: Path, from_start: bool) -> _Tail | None:
        try:
            handle = open_regular(path)
        except NotARegularFile as problem:
            if path == self.path:  # "" when it is merely missing (between rotation's steps)
                self.problem = str(problem) if os.path.lexists(path) else ""
            return None
        if path == self.path:
            self.problem = ""
        inode = os.fstat(handle.fileno()).st_ino
        if not from_start:
            handle.seek(0, 2)
        self._seen.add(inode)
        return _Tail(path, handle, inode, self.zone, self.fast)
