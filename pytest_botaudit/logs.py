"""Streaming reader and analyzer of the bot's logs (both formats, tracebacks, rotation)."""

from __future__ import annotations

import gzip
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import IO, Any, cast

from .profile import Profile

_LEVELS = "DEBUG|INFO|WARNING|ERROR|CRITICAL"
_HEADER = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d{1,6})?)"
    rf"(?: - (?P<name1>\S+) - (?P<level1>{_LEVELS}) - | \[(?P<level2>{_LEVELS})\] (?P<name2>\S+): )"
)
_EXCEPTION_LINE = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Timeout|Exit|Interrupt))\b"
)
_ECHO = re.compile(r"^([a-z][a-z0-9_]*): ")
_RETCODE = re.compile(r'"retCode"\s*:\s*(?P<code>-?\d+)')
SAMPLES_PER_KIND = 20


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
        """The exception class of a traceback (its last ``Type: message`` line)."""
        for line in reversed(self.lines):
            match = _EXCEPTION_LINE.match(line)
            if match:
                return match.group("type")
        return None


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


def _open(path: Path) -> IO[bytes]:
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
        match = _HEADER.match(line)
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
        with _open(path) as handle:
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


@dataclass(frozen=True, slots=True)
class LogSample:
    where: str
    timestamp: datetime
    level: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "timestamp": self.timestamp.isoformat(),
            "level": self.level,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class LogAnalysis:
    """What the log says over a window: category counts, samples, WebSocket health, errors."""

    since: datetime | None
    until: datetime | None
    records: int
    out_of_window: int
    read: Mapping[str, Any]
    categories: Mapping[str, int]
    samples: Mapping[str, tuple[LogSample, ...]]
    ws_reconnects: int
    ws_longest_disconnect_s: float
    ws_uptime_percent: float | None
    levels: Mapping[str, int]
    error_types: Mapping[str, int]
    error_modules: Mapping[str, int]
    exchange_codes: Mapping[str, int]
    symbols: Mapping[str, Mapping[str, int]]
    latencies_ms: Mapping[str, Mapping[str, float]]
    slow_operations: int
    echoed_events: Mapping[str, int] = field(default_factory=dict)

    def count(self, category: str) -> int:
        return self.categories.get(category, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "window": [
                self.since.isoformat() if self.since else None,
                self.until.isoformat() if self.until else None,
            ],
            "records": self.records,
            "out_of_window": self.out_of_window,
            "read": dict(self.read),
            "categories": dict(self.categories),
            "websocket": {
                "reconnects": self.ws_reconnects,
                "longest_disconnect_s": self.ws_longest_disconnect_s,
                "uptime_percent": self.ws_uptime_percent,
            },
            "levels": dict(self.levels),
            "error_types": dict(self.error_types),
            "error_modules": dict(self.error_modules),
            "exchange_codes": dict(self.exchange_codes),
            "symbols": {k: dict(v) for k, v in self.symbols.items()},
            "latencies_ms": {k: dict(v) for k, v in self.latencies_ms.items()},
            "slow_operations": self.slow_operations,
            "echoed_events": dict(self.echoed_events),
            "samples": {k: [s.to_json() for s in v] for k, v in self.samples.items()},
        }


class LogAnalyzer:
    """Accumulates a LogAnalysis record by record, in constant memory per category."""

    def __init__(
        self,
        patterns: Mapping[str, tuple[re.Pattern[str], ...]],
        since: datetime | None = None,
        until: datetime | None = None,
        slow_ms: float = 1000.0,
        echo_logger: str | None = None,
    ) -> None:
        self.patterns = patterns
        self.echo_logger = echo_logger
        self.echoed_events: Counter[str] = Counter()
        self.since = since
        self.until = until
        self.slow_ms = slow_ms
        self.records = 0
        self.out_of_window = 0
        self.categories: Counter[str] = Counter()
        self.samples: dict[str, list[LogSample]] = {}
        self.levels: Counter[str] = Counter()
        self.error_types: Counter[str] = Counter()
        self.error_modules: Counter[str] = Counter()
        self.exchange_codes: Counter[str] = Counter()
        self.symbols: dict[str, Counter[str]] = {}
        self.latencies: dict[str, list[float]] = {}
        self.slow_operations = 0
        self._ws_down_since: dict[str, datetime] = {}
        self._ws_downtime = 0.0
        self._ws_longest = 0.0
        self._ws_reconnects = 0
        self._ws_streams: set[str] = set()
        self._first: datetime | None = None
        self._last: datetime | None = None

    def feed_all(self, records: Iterable[LogRecord]) -> LogAnalyzer:
        for record in records:
            self.feed(record)
        return self

    def feed(self, record: LogRecord) -> list[str]:
        """Account for one record; returns the categories it matched (empty if out of window)."""
        stamp = record.timestamp
        if (self.since and stamp < self.since) or (self.until and stamp >= self.until):
            self.out_of_window += 1
            return []
        self.records += 1
        self._first = self._first or stamp
        self._last = stamp
        self.levels[record.level] += 1
        matched: list[str] = []
        if record.logger == self.echo_logger:
            event_type = _ECHO.match(record.message)
            if event_type:
                self.echoed_events[event_type.group(1)] += 1
                return matched
        for category, patterns in self.patterns.items():
            for pattern in patterns:
                match = pattern.search(record.message)
                if match is None:
                    continue
                matched.append(category)
                self._count(category, record, match.groupdict())
                break
        if record.level in ("ERROR", "CRITICAL"):
            self.error_modules[record.logger] += 1
            kind = record.exception_type or "(no traceback)"
            self.error_types[kind] += 1
            retcode = _RETCODE.search(record.message)
            if retcode:
                self.exchange_codes[retcode.group("code")] += 1
            self._sample(f"error:{kind}", record)
        return matched

    def _count(self, category: str, record: LogRecord, groups: Mapping[str, str | None]) -> None:
        self.categories[category] += 1
        if category != "price_tick":
            self._sample(category, record)
        symbol = groups.get("symbol")
        if symbol:
            self.symbols.setdefault(category, Counter())[symbol] += 1
        millis = groups.get("ms")
        if millis:
            value = float(millis)
            self.latencies.setdefault(category, []).append(value)
            if value > self.slow_ms:
                self.slow_operations += 1
        stream = groups.get("stream") or record.logger
        if category == "ws_connected":
            self._ws_streams.add(stream)
            down = self._ws_down_since.pop(stream, None)
            if down is not None:
                outage = (record.timestamp - down).total_seconds()
                self._ws_downtime += outage
                self._ws_longest = max(self._ws_longest, outage)
        elif category == "ws_disconnected":
            self._ws_streams.add(stream)
            if stream not in self._ws_down_since:
                self._ws_down_since[stream] = record.timestamp
                self._ws_reconnects += 1

    def _sample(self, kind: str, record: LogRecord) -> None:
        bucket = self.samples.setdefault(kind, [])
        if len(bucket) < SAMPLES_PER_KIND:
            bucket.append(LogSample(record.where, record.timestamp, record.level, record.message))

    def result(self, stats: ReadStats | None = None) -> LogAnalysis:
        start = self.since or self._first
        end = self.until or self._last
        downtime = self._ws_downtime
        longest = self._ws_longest
        if end is not None:
            for down in self._ws_down_since.values():  # still disconnected at the window's end
                downtime += max(0.0, (end - down).total_seconds())
                longest = max(longest, (end - down).total_seconds())
        uptime: float | None = None
        if start and end and end > start and self._ws_streams:
            span = (end - start).total_seconds() * len(self._ws_streams)
            uptime = round(max(0.0, 100.0 * (1 - downtime / span)), 3)
        read = {}
        if stats is not None:
            read = {
                "lines": stats.lines,
                "records": stats.records,
                "continuation_lines": stats.continuation_lines,
                "unparsable_lines": stats.unparsable_lines,
                "undecodable_lines": stats.undecodable_lines,
                "files": list(stats.files),
            }
        return LogAnalysis(
            since=self.since,
            until=self.until,
            records=self.records,
            out_of_window=self.out_of_window,
            read=read,
            categories=dict(self.categories),
            samples={k: tuple(v) for k, v in self.samples.items()},
            ws_reconnects=self._ws_reconnects,
            ws_longest_disconnect_s=round(longest, 3),
            ws_uptime_percent=uptime,
            levels=dict(self.levels),
            error_types=dict(self.error_types.most_common()),
            error_modules=dict(self.error_modules.most_common()),
            exchange_codes=dict(self.exchange_codes.most_common()),
            symbols={k: dict(v.most_common(10)) for k, v in self.symbols.items()},
            latencies_ms={k: _latency_stats(v) for k, v in self.latencies.items()},
            slow_operations=self.slow_operations,
            echoed_events=dict(self.echoed_events.most_common()),
        )


def _latency_stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {
        "samples": float(len(ordered)),
        "avg": round(statistics.fmean(ordered), 3),
        "p95": p95,
        "max": ordered[-1],
    }


def analyze_files(
    paths: Iterable[Path],
    profile: Profile,
    since: datetime | None = None,
    until: datetime | None = None,
) -> LogAnalysis:
    """Analyse log files (each expanded to its rotated set) over ``[since, until)``."""
    stats = ReadStats()
    files = [p for path in paths for p in rotated_set(path)]
    analyzer = analyzer_for(profile, since, until)
    analyzer.feed_all(read_records(files, stats, profile.log_timezone))
    return analyzer.result(stats)


def analyzer_for(
    profile: Profile, since: datetime | None = None, until: datetime | None = None
) -> LogAnalyzer:
    return LogAnalyzer(profile.log_patterns, since, until, echo_logger=profile.log_echo_logger)
