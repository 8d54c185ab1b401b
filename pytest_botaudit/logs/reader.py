"""Reading log files at the edge: rotated sets, gzip, byte ranges, and following a live log."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from datetime import tzinfo
from pathlib import Path
from typing import IO, cast

from .model import LogRecord, ReadStats
from .scanner import Emit, Scanner, ScanTotals

CHUNK = 8 * 2**20


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
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def scan_file(
    path: Path, scanner: Scanner, emit: Emit, start: int = 0, end: int | None = None
) -> ScanTotals:
    """Feed ``path`` (or its bytes [start, end), which must begin at a record) to the scanner
    in blocks of whole lines, in constant memory."""
    with open_log(path) as handle:
        if start:
            handle.seek(start)
        remaining = None if end is None else end - start
        partial = b""
        while remaining is None or remaining > 0:
            chunk = handle.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()  # the unfinished last line waits for the next chunk
            if lines:
                scanner.feed(lines, emit)
        if partial:
            scanner.feed([partial], emit)
    return scanner.finish(emit)


def read_records(
    paths: Iterable[Path], stats: ReadStats | None = None, zone: tzinfo | None = None
) -> Iterator[LogRecord]:
    """Stream every record of the files in order; memory is bounded by the longest record."""
    stats = stats if stats is not None else ReadStats()
    for path in paths:
        scanner = Scanner(str(path), zone)
        ready: list[LogRecord] = []
        with open_log(path) as handle:
            partial = b""
            while chunk := handle.read(CHUNK):
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()
                scanner.feed(lines, ready.append)
                yield from ready
                ready.clear()
            if partial:
                scanner.feed([partial], ready.append)
        scanner.finish(ready.append)
        stats.add(scanner.stats)
        yield from ready


class LogFollower:
    """Reads what the bot appended since the last call, surviving rotation (``bot.log`` →
    ``bot.log.1``): the old file is read to its end before the new one is opened."""

    def __init__(self, path: Path, zone: tzinfo | None = None, from_start: bool = False) -> None:
        self.path = path
        self.zone = zone
        self.stats = ReadStats()
        self._handle: IO[bytes] | None = None
        self._inode: int | None = None
        self._partial = b""
        self._scanner = Scanner(str(path), zone)
        # a log that does not exist yet is read from its first line once it appears
        self._from_start = from_start or not path.exists()

    def poll(self) -> list[LogRecord]:
        """Complete records appended since the last poll (the newest may wait for the next)."""
        records: list[LogRecord] = []
        if self._handle is None and not self._open():
            return records
        assert self._handle is not None
        self._drain(records)
        try:
            current = self.path.stat()
        except FileNotFoundError:
            return records
        if current.st_ino != self._inode or current.st_size < self._handle.tell():
            # rotated or truncated: the old file was read to its end just above
            self._handle.close()
            self._handle = None
            if self._partial:
                self._scanner.feed([self._partial], records.append)
                self._partial = b""
            self._finish_file(records)
            self._from_start = True
            if self._open():
                self._drain(records)
        return records

    def close(self) -> list[LogRecord]:
        """Stop following; returns the record still in progress."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        records: list[LogRecord] = []
        self._finish_file(records)
        return records

    def _finish_file(self, records: list[LogRecord]) -> None:
        self._scanner.finish(records.append)
        self.stats.add(self._scanner.stats)
        self._scanner = Scanner(str(self.path), self.zone)

    def _open(self) -> bool:
        try:
            self._handle = self.path.open("rb")
        except FileNotFoundError:
            return False
        self._inode = self.path.stat().st_ino
        if not self._from_start:
            self._handle.seek(0, 2)
        return True

    def _drain(self, records: list[LogRecord]) -> None:
        assert self._handle is not None
        chunk = self._handle.read()
        if not chunk:
            return
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()  # an unfinished last line waits for its newline
        self._scanner.feed(lines, records.append)
