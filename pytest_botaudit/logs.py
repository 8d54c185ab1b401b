"""Streaming reader and analyzer of the bot's logs (both formats, tracebacks, rotation)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, cast

_LEVELS = "DEBUG|INFO|WARNING|ERROR|CRITICAL"
HEADER = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d{1,6})?)"
    rf"(?: - (?P<name1>\S+) - (?P<level1>{_LEVELS}) - | \[(?P<level2>{_LEVELS})\] (?P<name2>\S+): )"
)
_EXCEPTION_LINE = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Timeout|Exit|Interrupt))\b"
)


def exception_type(lines: Sequence[str]) -> str | None:
    """The exception class of a traceback: its last ``Type: message`` line."""
    for line in reversed(lines):
        match = _EXCEPTION_LINE.match(line)
        if match:
            return match.group("type")
    return None


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One logging record; ``lines`` holds its continuation lines (traceback, multi-line text)."""

    path: str
    line_no: int
    timestamp: datetime
    logger: str
    level: str
    message: str
    lines: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line_no}"

    @property
    def exception_type(self) -> str | None:
        return exception_type(self.lines)


@dataclass(slots=True)
class ReadStats:
    """Every physical line is either a record header, a continuation, or unparsable."""

    lines: int = 0
    records: int = 0
    continuation_lines: int = 0
    unparsable_lines: int = 0
    undecodable_lines: int = 0
    files: list[str] = field(default_factory=list)


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


def parse_timestamp(text: str, zone: tzinfo | None) -> datetime:
    value = datetime.fromisoformat(text.replace(",", "."))
    if zone is None:  # the bot's asctime is local time of the machine that wrote the log
        return value.astimezone(UTC)
    return value.replace(tzinfo=zone).astimezone(UTC)


class RecordParser:
    """Turns physical lines into records, one line at a time (shared by reader and follower).

    A record is complete once the next header arrives (continuation lines may follow it), so
    ``feed`` returns the *previous* record and ``flush`` the last one.
    """

    def __init__(self, name: str, stats: ReadStats, zone: tzinfo | None = None) -> None:
        self.name = name
        self.stats = stats
        self.zone = zone
        self.line_no = 0
        self._pending: LogRecord | None = None
        self._continuation: list[str] = []

    def feed(self, raw: bytes) -> LogRecord | None:
        self.line_no += 1
        self.stats.lines += 1
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.undecodable_lines += 1
            line = raw.decode("utf-8", "replace")
        line = line.rstrip("\r\n")
        match = HEADER.match(line)
        stamp = None
        if match:
            try:
                stamp = parse_timestamp(match.group("ts"), self.zone)
            except ValueError:
                stamp = None
        if stamp is None or match is None:
            if self._pending is not None:
                self.stats.continuation_lines += 1
                self._continuation.append(line)
            else:
                self.stats.unparsable_lines += 1
            return None
        done = self.flush()
        self.stats.records += 1
        self._pending = LogRecord(
            self.name,
            self.line_no,
            stamp,
            match.group("name1") or match.group("name2"),
            match.group("level1") or match.group("level2"),
            line[match.end() :],
        )
        return done

    def flush(self) -> LogRecord | None:
        """The record in progress, completed with its continuation lines."""
        record, self._pending = self._pending, None
        if record is not None and self._continuation:
            record = replace(record, lines=tuple(self._continuation))
        self._continuation = []
        return record


def read_records(
    paths: Iterable[Path], stats: ReadStats | None = None, zone: tzinfo | None = None
) -> Iterator[LogRecord]:
    """Stream records from files in order; memory is bounded by the longest record."""
    stats = stats if stats is not None else ReadStats()
    for path in paths:
        stats.files.append(str(path))
        parser = RecordParser(str(path), stats, zone)
        with open_log(path) as handle:
            for raw in handle:
                record = parser.feed(raw)
                if record is not None:
                    yield record
        last = parser.flush()
        if last is not None:
            yield last


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
        self._parser = RecordParser(str(path), self.stats, zone)
        # a log that does not exist yet is read from its first line once it appears
        self._from_start = from_start or not path.exists()

    def poll(self) -> list[LogRecord]:
        """Complete records appended since the last poll (the newest may wait for the next)."""
        records: list[LogRecord] = []
        if self._handle is None and not self._open():
            return records
        assert self._handle is not None
        records += self._drain()
        try:
            current = self.path.stat()
        except FileNotFoundError:
            return records
        if current.st_ino != self._inode or current.st_size < self._handle.tell():
            # rotated or truncated: the old file was read to its end just above
            self._handle.close()
            self._handle = None
            if self._partial:
                records += [r for r in [self._parser.feed(self._partial)] if r is not None]
                self._partial = b""
            records += [r for r in [self._parser.flush()] if r is not None]
            self._parser = RecordParser(str(self.path), self.stats, self.zone)
            self._from_start = True
            if self._open():
                records += self._drain()
        return records

    def close(self) -> list[LogRecord]:
        """Stop following; returns the record still in progress."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        last = self._parser.flush()
        return [last] if last is not None else []

    def _open(self) -> bool:
        try:
            self._handle = self.path.open("rb")
        except FileNotFoundError:
            return False
        self._inode = self.path.stat().st_ino
        if not self._from_start:
            self._handle.seek(0, 2)
        return True

    def _drain(self) -> list[LogRecord]:
        assert self._handle is not None
        chunk = self._handle.read()
        if not chunk:
            return []
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # an unfinished last line waits for its newline
        records = []
        for raw in lines:
            record = self._parser.feed(raw)
            if record is not None:
                records.append(record)
        return records
