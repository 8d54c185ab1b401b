"""The seven log analyses: a fast, constant-memory, mergeable analyzer and its parallel driver."""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .logs import (
    HEADER,
    LogRecord,
    ReadStats,
    exception_type,
    open_log,
    parse_timestamp,
    rotated_set,
)
from .profile import Profile

SAMPLES_PER_KIND = 20
MAX_SHAPES = 500
MAX_CONTINUATION = 200  # lines kept per record; a longer traceback is counted, not stored
MAX_KNOWN_MESSAGES = 10_000  # categorized messages remembered (repeats skip the patterns)
CHUNK = 8 * 2**20
_ECHO = re.compile(r"^([a-z][a-z0-9_]*): ")
_RETCODE = re.compile(r'"retCode"\s*:\s*(?P<code>-?\d+)')
_SHAPE_MASKS = (
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"\b[A-Z0-9]{2,}(?:/USDT(?::USDT)?|USDT)\b"), "<sym>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{8,}(?:-[0-9a-f]{4,})*\b"), "<id>"),
    (re.compile(r"[-+]?\$?\d+(?:[.,]\d+)*"), "<n>"),
)


_META = frozenset(".^$*+?{}[]|()\\")


def required_literal(pattern: re.Pattern[str]) -> str | None:
    """A substring every match of ``pattern`` contains (the longest we can prove), or None.
    Testing ``literal in message`` first is ~10x cheaper than a regex search that fails."""
    text = pattern.pattern
    if pattern.flags & re.VERBOSE:
        return None
    runs: list[str] = []
    current: list[str] = []
    depth = 0
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1 : position + 2]
            if following and not following.isalnum() and depth == 0:
                current.append(following)
            else:  # \d, \s, \b ...: a class, not a literal
                runs.append("".join(current))
                current = []
            position += 2
            continue
        if char in "([":
            runs.append("".join(current))
            current = []
            depth += 1
            # a whole bracket expression or group is skipped
            closing = "]" if char == "[" else ")"
            nesting = 1
            position += 1
            while position < len(text) and nesting:
                if text[position] == "\\":
                    position += 2
                    continue
                if text[position] == char and char == "(":
                    nesting += 1
                elif text[position] == closing:
                    nesting -= 1
                position += 1
            depth -= 1
            if position < len(text) and text[position] in "?*{":
                position += 1
            continue
        if char == "|":  # a top-level alternative: no literal is required
            return None
        if char in "?*{":
            if current:
                current.pop()  # the quantified character is optional
            runs.append("".join(current))
            current = []
            if char == "{":
                position = text.find("}", position) + 1 or len(text)
                continue
        elif char == "+" or char in _META:
            runs.append("".join(current))
            current = []
        else:
            current.append(char)
        position += 1
    runs.append("".join(current))
    best = max(runs, key=len)
    return best if len(best) >= 3 else None


_ALTERNATIVES = re.compile(
    r"^(?:\(\?i\))?(?:\\b)?(?:\((?:\?:)?[\w\\.]+\)\?)?"  # (?i) \b and an optional literal group
    r"\((?:\?:|\?P<\w+>)(?P<body>[^()\[\]?*+{}^$]+)\)(?:\\b)?$"
)


def required_alternatives(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """For a pattern that is one group of literal alternatives (``\\b(?P<x>a|b|c)\\b``): the
    alternatives, one of which every match contains."""
    shape = _ALTERNATIVES.match(pattern.pattern)
    if shape is None:
        return None
    options = [re.sub(r"\\(.)", r"\1", option) for option in shape.group("body").split("|")]
    if any(len(option) < 3 or "\\" in option for option in options):
        return None
    return tuple(options)


def shape_of(message: str) -> str:
    """An error message with its variable parts masked, so one kind of error is one line."""
    for pattern, mask in _SHAPE_MASKS:
        message = pattern.sub(mask, message)
    return message[:200]


class Histogram:
    """Latencies in 2 % wide logarithmic buckets: constant memory, exact count, sum and max,
    quantiles within 2 %, and exact merging of parts."""

    __slots__ = ("buckets", "count", "max", "sum_us")
    _BASE = math.log(1.02)

    def __init__(self) -> None:
        self.buckets: Counter[int] = Counter()
        self.count = 0
        self.sum_us = 0  # integer microseconds: sums of parts add up exactly
        self.max = 0.0

    def add(self, value: float) -> None:
        self.buckets[self._bucket(value)] += 1
        self.count += 1
        self.sum_us += round(value * 1000)
        self.max = max(self.max, value)

    def _bucket(self, value: float) -> int:
        return -1 if value <= 0 else math.floor(math.log(value) / self._BASE)

    def merge(self, other: Histogram) -> None:
        self.buckets.update(other.buckets)
        self.count += other.count
        self.sum_us += other.sum_us
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> float:
        rank = math.ceil(q * self.count)
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= rank:
                upper = 0.0 if bucket < 0 else math.exp((bucket + 1) * self._BASE)
                return round(min(upper, self.max), 3)
        return self.max

    def stats(self) -> dict[str, float]:
        return {
            "samples": float(self.count),
            "avg": round(self.sum_us / self.count / 1000, 3),
            "p95": self.quantile(0.95),
            "p99": self.quantile(0.99),
            "max": self.max,
        }


@dataclass(slots=True)
class _Stream:
    """One WebSocket stream's health in one part of a log. ``first`` is the stream's first
    event in the part, which a merge needs to continue the state of the part before."""

    first: tuple[str, datetime] | None = None
    first_outage: float | None = None  # the episode opened by a first "d", once it closed
    down_since: datetime | None = None
    downtime: float = 0.0
    longest: float = 0.0
    reconnects: int = 0

    def event(self, kind: str, stamp: datetime) -> None:
        if self.first is None:
            self.first = (kind, stamp)
        if kind == "d":
            if self.down_since is None:
                self.down_since = stamp
                self.reconnects += 1
            return
        if self.down_since is not None:
            outage = (stamp - self.down_since).total_seconds()
            if (
                self.first[0] == "d"
                and self.first_outage is None
                and self.down_since == self.first[1]
            ):
                self.first_outage = outage
            self.downtime += outage
            self.longest = max(self.longest, outage)
            self.down_since = None

    def merge(self, later: _Stream) -> None:
        """Continue this stream's state with the part that follows it."""
        if later.first is None:
            return
        kind, stamp = later.first
        if self.down_since is not None:
            if kind == "c":  # the later part's first connect closes our open episode
                outage = (stamp - self.down_since).total_seconds()
                self.downtime += outage
                self.longest = max(self.longest, outage)
            else:  # already down: the later part's first disconnect is no new episode
                later.reconnects -= 1
                head = (stamp - self.down_since).total_seconds()
                if later.first_outage is not None:
                    later.downtime += head
                    later.longest = max(later.longest, later.first_outage + head)
                elif later.down_since == stamp:
                    later.down_since = self.down_since
        self.first = self.first or later.first
        self.down_since = later.down_since
        self.downtime += later.downtime
        self.longest = max(self.longest, later.longest)
        self.reconnects += later.reconnects


@dataclass(frozen=True, slots=True)
class LogSample:
    path: str
    line_no: int
    timestamp: datetime
    level: str
    message: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line_no}"

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "timestamp": self.timestamp.isoformat(),
            "level": self.level,
            "message": self.message,
        }


@dataclass(slots=True)
class _Shape:
    count: int
    level: str
    first: str
    last: str
    sample: LogSample


@dataclass(frozen=True, slots=True)
class LogAnalysis:
    """What the log says over a window: the seven analyses, error shapes and read stats."""

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
    exchanges: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    error_shapes: tuple[Mapping[str, Any], ...] = ()
    rates_per_minute: Mapping[str, float] = field(default_factory=dict)
    trailing_stop: Mapping[str, Any] = field(default_factory=dict)

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
            "position_lifecycle": {
                "opened": self.count("position_opened"),
                "closed": self.count("position_closed"),
                "top_symbols": dict(self.symbols.get("position_opened", {})),
                "opened_per_minute": self.rates_per_minute.get("position_opened"),
            },
            "stop_loss": {
                "set": self.count("sl_set"),
                "updated": self.count("sl_updated") + self.count("sl_updated_timed"),
                "update_failed": self.count("sl_update_failed"),
                "triggered": self.count("sl_triggered"),
                "missing": self.count("sl_missing"),
                "missing_symbols": dict(self.symbols.get("sl_missing", {})),
                "updates_per_minute": self.rates_per_minute.get("sl_updates"),
                "update_latency_ms": dict(self.latencies_ms.get("sl_updated_timed", {})),
            },
            "trailing_stop": dict(self.trailing_stop),
            "websocket": {
                "connects": self.count("ws_connected"),
                "disconnects": self.count("ws_disconnected"),
                "reconnect_attempts": self.count("ws_reconnect_attempt"),
                "reconnects": self.ws_reconnects,
                "longest_disconnect_s": self.ws_longest_disconnect_s,
                "uptime_percent": self.ws_uptime_percent,
            },
            "exchanges": {k: dict(v) for k, v in self.exchanges.items()},
            "errors": {
                "levels": dict(self.levels),
                "types": dict(self.error_types),
                "exchange_codes": dict(self.exchange_codes),
                "modules": dict(self.error_modules),
                "shapes": [dict(s) for s in self.error_shapes],
            },
            "timing": {
                "timeouts": self.count("timeout"),
                "rate_limits": self.count("rate_limit"),
                "slow_operations": self.slow_operations,
                "latencies_ms": {k: dict(v) for k, v in self.latencies_ms.items()},
            },
            "echoed_events": dict(self.echoed_events),
            "samples": {k: [s.to_json() for s in v] for k, v in self.samples.items()},
        }


class LogAnalyzer:
    """Accumulates the analysis record by record. Two ways in: ``scan`` reads a file or a byte
    range of one at speed (blocks of bytes, timestamps compared as text, high-volume lines
    counted by prefix); ``feed`` takes parsed records (the live follower). ``merge`` adds the
    analyzer of the following part of the same log, exactly as if read in one pass."""

    def __init__(
        self, profile: Profile, since: datetime | None = None, until: datetime | None = None
    ) -> None:
        self.patterns = profile.log_patterns
        self.high_volume = profile.log_high_volume
        self.echo_logger = profile.log_echo_logger
        self.exchange_pattern = profile.log_exchange_pattern
        self.zone = profile.log_timezone
        self.slow_ms = profile.log_slow_ms
        self.excessive = profile.log_excessive_ts_updates
        self.since = since
        self.until = until
        self._first_bytes = b""  # first and last in-window timestamps, as the log writes them
        self._last_bytes = b""
        self._since_bytes = self._to_text(since).encode() if since else b""
        self._until_bytes = self._to_text(until).encode() if until else b""
        # Bytes patterns of the fast path: the canonical header (`asctime - name - LEVEL - `)
        # followed by a high-volume prefix (one group per prefix), or by an echoed event word.
        hv = [(c, p) for c, prefixes in self.high_volume.items() for p in prefixes]
        header = rb"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (\S+) - "
        # one group per (level, prefix): match.lastindex tells both, one list slot counts it
        combos = [
            (level, category, prefix)
            for category, prefix in hv
            for level in ("INFO", "DEBUG", "WARNING")
        ]
        alternatives = b"|".join(
            b"(" + level.encode() + b" - " + re.escape(prefix.encode()) + b")"
            for level, _, prefix in combos
        )
        # event echoes (`<event_type>: {...}` from the echo logger) take the fast path too:
        # groups 2..4 hold the event word, one group per level
        echo_levels = ("INFO", "DEBUG", "WARNING")
        echo = b""
        if self.echo_logger:
            echo = (
                re.escape(self.echo_logger.encode())
                + b" - (?:"
                + b"|".join(level.encode() + rb" - ([a-z][a-z0-9_]*): " for level in echo_levels)
                + b")|"
            )
        self._fast_bytes = re.compile(
            rb"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - (?:"
            + echo
            + (rb"\S+ - (?:" + alternatives + b")" if hv else rb"(?!)")
            + b")"
        )
        self._hv_start = 2 + (len(echo_levels) if echo else 0)  # the first prefix group
        self._fast_slots = [("", level) for level in echo_levels] if echo else []
        self._fast_slots += [(category, level) for level, category, _ in combos]
        self._header_bytes = re.compile(
            header + rb"(DEBUG|INFO|WARNING|ERROR|CRITICAL) - (?:([a-z][a-z0-9_]*): )?"
        )
        self._echo_bytes = self.echo_logger.encode() if self.echo_logger else None
        # (category, [(literal or None, pattern)]): the literal is tested before the pattern
        # Each pattern runs only if the literal it requires occurs in the message (lower-cased
        # for case-insensitive patterns): a substring test is ~10x cheaper than a failed search.
        self._flat: list[tuple[str, re.Pattern[str]]] = []
        self._always: set[int] = set()
        self._by_literal: dict[str, list[int]] = {}
        self._by_folded: dict[str, list[int]] = {}
        for category, patterns in self.patterns.items():
            for pattern in patterns:
                index = len(self._flat)
                self._flat.append((category, pattern))
                literal = required_literal(pattern)
                options = (literal,) if literal is not None else required_alternatives(pattern)
                if options is None:
                    self._always.add(index)
                    continue
                for option in options:
                    if pattern.flags & re.IGNORECASE:
                        self._by_folded.setdefault(option.lower(), []).append(index)
                    else:
                        self._by_literal.setdefault(option, []).append(index)
        # the exchange pattern joins the same index as pattern -1 (searched when it may match)
        exchange = self.exchange_pattern
        exchange_options = required_alternatives(exchange) if exchange is not None else None
        self._exchange_always = exchange is not None and exchange_options is None
        for option in exchange_options or ():
            self._by_folded.setdefault(option.lower(), []).append(-1)
        self._known: dict[str, tuple[list[tuple[str, dict[str, str | None]]], str | None]] = {}
        self.stats = ReadStats()
        self.lines_per_file: dict[str, int] = {}
        self._record_seen: set[str] = set()  # files with a record: later odd lines continue it
        self.records = 0
        self.out_of_window = 0
        self.categories: Counter[str] = Counter()
        self.samples: dict[str, list[LogSample]] = {}
        self.levels: Counter[str] = Counter()
        self.error_types: Counter[str] = Counter()
        self.error_modules: Counter[str] = Counter()
        self.exchange_codes: Counter[str] = Counter()
        self.echoed_events: Counter[str] = Counter()
        self.symbols: dict[str, Counter[str]] = {}
        self.latencies: dict[str, Histogram] = {}
        self.slow_operations = 0
        self.streams: dict[str, _Stream] = {}
        self.exchange_entries: Counter[str] = Counter()
        self.exchange_errors: Counter[str] = Counter()
        self.shapes: dict[str, _Shape] = {}

    # -- time --------------------------------------------------------------------------------

    def _to_text(self, stamp: datetime) -> str:
        """A moment as the log writes it (local or profile zone), so windows compare as text."""
        local = stamp.astimezone(self.zone) if self.zone else stamp.astimezone()
        return local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"

    @staticmethod
    def _normal(text: str) -> str:
        if len(text) == 23 and text[10] == " " and text[19] == ",":
            return text
        head, _, fraction = text.replace("T", " ").replace(".", ",").partition(",")
        return f"{head},{(fraction + '000')[:3]}"

    def _stamp(self, text: str) -> datetime:
        return parse_timestamp(text, self.zone)

    # -- the fast path -------------------------------------------------------------------------

    def scan(self, path: Path, start: int = 0, end: int | None = None) -> LogAnalyzer:
        """Read ``path`` (or its bytes [start, end), which must begin at a record) into this
        analyzer, in blocks, in constant memory."""
        name = str(path)
        if name not in self.stats.files:
            self.stats.files.append(name)
        state: list[Any] = [None]  # the error record in progress (its traceback follows)
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
                    self._scan_block(lines, name, state)
            if partial:
                self._scan_block([partial], name, state)
        self._finish_error(state)
        return self

    def _scan_block(self, lines: list[bytes], name: str, state: list[Any]) -> None:
        """Account for a block of whole lines, kept as bytes: a price tick is matched and
        counted without ever being decoded (decoding a line with an emoji is what costs)."""
        fast_match = self._fast_bytes.match
        hv_start = self._hv_start
        canonical = self._header_bytes.match
        since, until = self._since_bytes, self._until_bytes
        windowed = bool(since or until)
        echo_words: dict[bytes, int] = {}
        echo_logger = self._echo_bytes
        levels, categories, echoed = self.levels, self.categories, self.echoed_events
        line_no = self.lines_per_file.get(name, 0)
        hits = [0] * (len(self._fast_slots) + 2)  # per fast-path group index
        records = out_of_window = continuation = unparsable = undecodable = 0
        first, last = self._first_bytes, self._last_bytes
        seen = name in self._record_seen
        pending = state[0]
        for raw in lines:
            line_no += 1
            match = fast_match(raw)
            if match is not None:  # the bulk: price ticks and event echoes
                if pending is not None:
                    state[0] = pending
                    self._finish_error(state)
                    pending = None
                if windowed:  # without a window, first and last come from the block's edges
                    stamp = match[1]
                    if (since and stamp < since) or (until and stamp >= until):
                        out_of_window += 1
                        continue
                    if not first:
                        first = stamp
                    last = stamp
                index = match.lastindex or 0
                hits[index] += 1
                if index < hv_start:
                    word = match[index]
                    echo_words[word] = echo_words.get(word, 0) + 1
                continue
            match = canonical(raw)
            if match is not None:
                stamp, logger, level_bytes, word = match.groups()
                start = match.end(3) + 3
                text = None
            else:
                try:
                    line = raw.decode()
                except UnicodeDecodeError:
                    undecodable += 1
                    line = raw.decode("utf-8", "replace")
                generic = HEADER.match(line)
                if generic is None:
                    if pending is not None:
                        continuation += 1
                        if len(pending[6]) < MAX_CONTINUATION:
                            pending[6].append(line.rstrip("\r"))
                    elif seen or records or out_of_window or any(hits):
                        continuation += 1
                    else:
                        unparsable += 1
                    continue
                groups = generic.groups()
                text = self._normal(groups[0])
                stamp = text.encode()
                logger = (groups[1] or groups[4]).encode()
                level_bytes = (groups[2] or groups[3]).encode()
                word = None
                start = -1
                message_text = line[generic.end() :].rstrip("\r")
            if pending is not None:
                state[0] = pending
                self._finish_error(state)
                pending = None
            if (since and stamp < since) or (until and stamp >= until):
                out_of_window += 1
                continue
            records += 1
            level = level_bytes.decode()
            levels[level] += 1
            if not first:
                first = stamp
            last = stamp
            if word is not None and logger == echo_logger:
                echoed[word.decode()] += 1
                continue
            if start >= 0:
                try:
                    message_text = raw[start:].decode().rstrip("\r")
                except UnicodeDecodeError:
                    undecodable += 1
                    message_text = raw[start:].decode("utf-8", "replace").rstrip("\r")
                text = stamp.decode()
            assert text is not None
            logger_text = logger.decode("utf-8", "replace")
            self._account(name, line_no, text, logger_text, level, message_text)
            if level in ("ERROR", "CRITICAL"):
                pending = (name, line_no, text, logger_text, level, message_text, [])
        state[0] = pending
        for index, (category, level) in enumerate(self._fast_slots, start=2):  # group 1: time
            count = hits[index]
            if count:
                levels[level] += count
                records += count
                if category:
                    categories[category] += count
        for word, count in echo_words.items():
            echoed[word.decode()] += count
        if not windowed and (records or out_of_window):
            first, last = self._edges(lines, first)
        self._first_bytes, self._last_bytes = first, last
        if records or out_of_window:
            self._record_seen.add(name)
        self.lines_per_file[name] = line_no
        self.records += records
        self.out_of_window += out_of_window
        stats = self.stats
        stats.lines += len(lines)
        stats.records += records + out_of_window
        stats.continuation_lines += continuation
        stats.unparsable_lines += unparsable
        stats.undecodable_lines += undecodable

    def _edges(self, lines: list[bytes], first: bytes) -> tuple[bytes, bytes]:
        """The first (if not known yet) and last record timestamps of a block."""

        def stamp(raw: bytes) -> bytes | None:
            match = self._header_bytes.match(raw)
            if match is not None:
                return bytes(match[1])
            generic = HEADER.match(raw.decode("utf-8", "replace"))
            return self._normal(generic.group(1)).encode() if generic else None

        head = first or next((s for s in map(stamp, lines) if s is not None), b"")
        tail = next((s for s in map(stamp, reversed(lines)) if s is not None), b"")
        return head, tail

    def _finish_error(self, state: list[Any]) -> None:
        pending = state[0]
        state[0] = None
        if pending is None:
            return
        name, line_no, text, logger, level, message, lines = pending
        self._account_error(name, line_no, text, logger, level, message, lines)

    # -- the slow path (live follower, tests) ------------------------------------------------

    def feed(self, record: LogRecord) -> list[str]:
        """Account for one parsed record; returns the categories it matched."""
        stamp = record.timestamp
        if (self.since and stamp < self.since) or (self.until and stamp >= self.until):
            self.out_of_window += 1
            return []
        self.records += 1
        text = self._to_text(stamp)
        self._first_bytes = self._first_bytes or text.encode()
        self._last_bytes = text.encode()
        self.levels[record.level] += 1
        if record.logger == self.echo_logger:
            echo = _ECHO.match(record.message)
            if echo:
                self.echoed_events[echo.group(1)] += 1
                return []
        matched = self._account(
            record.path, record.line_no, text, record.logger, record.level, record.message
        )
        if record.level in ("ERROR", "CRITICAL"):
            self._account_error(
                record.path,
                record.line_no,
                text,
                record.logger,
                record.level,
                record.message,
                list(record.lines),
            )
        return matched

    # -- shared accounting ---------------------------------------------------------------------

    def _account(
        self, path: str, line_no: int, text: str, logger: str, level: str, message: str
    ) -> list[str]:
        found = self._known.get(message)
        if found is None:
            found = self._categorize(message)
            if len(self._known) >= MAX_KNOWN_MESSAGES:
                self._known.clear()  # bounded memory; the cache refills with what repeats
            self._known[message] = found
        matches, exchange = found
        for category, groups in matches:
            self._count(category, path, line_no, text, level, message, groups, logger)
        if exchange:
            self.exchange_entries[exchange] += 1
        return [category for category, _ in matches]

    def _categorize(
        self, message: str
    ) -> tuple[list[tuple[str, dict[str, str | None]]], str | None]:
        """The categories a message matches (first pattern per category, profile order) with
        their named groups, and the exchange it names. Many messages repeat verbatim, so the
        answer is cached per message."""
        matched: list[tuple[str, dict[str, str | None]]] = []
        candidates = set(self._always)
        by_literal = self._by_literal
        for literal in [x for x in by_literal if x in message]:
            candidates.update(by_literal[literal])
        if self._by_folded:
            lowered = message.lower()
            by_folded = self._by_folded
            for literal in [x for x in by_folded if x in lowered]:
                candidates.update(by_folded[literal])
        done: set[str] = set()
        for index in sorted(candidates):  # profile order, first matching pattern per category
            if index < 0:
                continue
            category, pattern = self._flat[index]
            if category in done:
                continue
            hit = pattern.search(message)
            if hit is None:
                continue
            done.add(category)
            matched.append((category, hit.groupdict()))
        exchange = None
        if self.exchange_pattern is not None and (self._exchange_always or -1 in candidates):
            named = self.exchange_pattern.search(message)
            if named:
                exchange = named.group("exchange").lower()
        return matched, exchange

    def _count(
        self,
        category: str,
        path: str,
        line_no: int,
        text: str,
        level: str,
        message: str,
        groups: Mapping[str, str | None],
        logger: str,
    ) -> None:
        self.categories[category] += 1
        self._sample(category, path, line_no, text, level, message)
        symbol = groups.get("symbol")
        if symbol:
            counts = self.symbols.get(category)
            if counts is None:
                counts = self.symbols[category] = Counter()
            counts[symbol] += 1
        millis = groups.get("ms")
        if millis:
            value = float(millis)
            histogram = self.latencies.get(category)
            if histogram is None:
                histogram = self.latencies[category] = Histogram()
            histogram.add(value)
            if value > self.slow_ms:
                self.slow_operations += 1
        if category in ("ws_connected", "ws_disconnected"):
            stream = groups.get("stream") or logger
            self.streams.setdefault(stream, _Stream()).event(
                "c" if category == "ws_connected" else "d", self._stamp(text)
            )

    def _account_error(
        self,
        path: str,
        line_no: int,
        text: str,
        logger: str,
        level: str,
        message: str,
        lines: Sequence[str],
    ) -> None:
        self.error_modules[logger] += 1
        kind = exception_type(lines) or "(no traceback)"
        self.error_types[kind] += 1
        retcode = _RETCODE.search(message)
        if retcode:
            self.exchange_codes[retcode.group("code")] += 1
        self._sample(f"error:{kind}", path, line_no, text, level, message)
        if self.exchange_pattern is not None:
            exchange = self.exchange_pattern.search(message)
            if exchange:
                self.exchange_errors[exchange.group("exchange").lower()] += 1
        shape = shape_of(message)
        known = self.shapes.get(shape)
        if known is not None:
            known.count += 1
            known.last = text
        elif len(self.shapes) < MAX_SHAPES:
            sample = LogSample(path, line_no, self._stamp(text), level, message)
            self.shapes[shape] = _Shape(1, level, text, text, sample)
        else:
            self.shapes.setdefault(
                "<other>",
                _Shape(
                    0,
                    level,
                    text,
                    text,
                    LogSample(path, line_no, self._stamp(text), level, message),
                ),
            ).count += 1

    def _sample(
        self, kind: str, path: str, line_no: int, text: str, level: str, message: str
    ) -> None:
        bucket = self.samples.get(kind)
        if bucket is None:
            bucket = self.samples[kind] = []
        if len(bucket) < SAMPLES_PER_KIND:
            bucket.append(LogSample(path, line_no, self._stamp(text), level, message))

    # -- merging parts ----------------------------------------------------------------------

    def merge(self, later: LogAnalyzer) -> LogAnalyzer:
        """Add the analyzer of the part of the log that follows this one."""
        offsets = dict(self.lines_per_file)

        def shifted(sample: LogSample) -> LogSample:
            offset = offsets.get(sample.path, 0)
            return LogSample(
                sample.path, sample.line_no + offset, sample.timestamp, sample.level, sample.message
            )

        for name in later.stats.files:
            if name not in self.stats.files:
                self.stats.files.append(name)
        self._record_seen |= later._record_seen
        for name, lines in later.lines_per_file.items():
            self.lines_per_file[name] = self.lines_per_file.get(name, 0) + lines
        for attribute in (
            "lines",
            "records",
            "continuation_lines",
            "unparsable_lines",
            "undecodable_lines",
        ):
            setattr(
                self.stats,
                attribute,
                getattr(self.stats, attribute) + getattr(later.stats, attribute),
            )
        self.records += later.records
        self.out_of_window += later.out_of_window
        self._first_bytes = self._first_bytes or later._first_bytes
        self._last_bytes = later._last_bytes or self._last_bytes
        for mine, theirs in (
            (self.categories, later.categories),
            (self.levels, later.levels),
            (self.error_types, later.error_types),
            (self.error_modules, later.error_modules),
            (self.exchange_codes, later.exchange_codes),
            (self.echoed_events, later.echoed_events),
            (self.exchange_entries, later.exchange_entries),
            (self.exchange_errors, later.exchange_errors),
        ):
            mine.update(theirs)
        for kind, samples in later.samples.items():
            bucket = self.samples.setdefault(kind, [])
            bucket.extend(shifted(s) for s in samples[: SAMPLES_PER_KIND - len(bucket)])
        for category, counts in later.symbols.items():
            self.symbols.setdefault(category, Counter()).update(counts)
        for category, histogram in later.latencies.items():
            self.latencies.setdefault(category, Histogram()).merge(histogram)
        self.slow_operations += later.slow_operations
        for stream, state in later.streams.items():
            self.streams.setdefault(stream, _Stream()).merge(state)
        for shape, other_shape in later.shapes.items():
            known = self.shapes.get(shape)
            if known is not None:
                known.count += other_shape.count
                known.last = other_shape.last
            elif len(self.shapes) < MAX_SHAPES or shape == "<other>":
                self.shapes[shape] = _Shape(
                    other_shape.count,
                    other_shape.level,
                    other_shape.first,
                    other_shape.last,
                    shifted(other_shape.sample),
                )
            else:
                self.shapes.setdefault(
                    "<other>",
                    _Shape(
                        0,
                        other_shape.level,
                        other_shape.first,
                        other_shape.last,
                        shifted(other_shape.sample),
                    ),
                )
                self.shapes["<other>"].count += other_shape.count
        return self

    # -- the result ------------------------------------------------------------------------------

    def result(self) -> LogAnalysis:
        first = self._stamp(self._first_bytes.decode()) if self._first_bytes else None
        last = self._stamp(self._last_bytes.decode()) if self._last_bytes else None
        start, end = self.since or first, self.until or last
        downtime = longest = 0.0
        reconnects = 0
        for stream in self.streams.values():
            downtime += stream.downtime
            longest = max(longest, stream.longest)
            reconnects += stream.reconnects
            if stream.down_since is not None and end is not None:  # still down at the end
                open_for = max(0.0, (end - stream.down_since).total_seconds())
                downtime += open_for
                longest = max(longest, open_for)
        minutes = (end - start).total_seconds() / 60 if start and end and end > start else None
        uptime = None
        if minutes and self.streams:
            uptime = round(max(0.0, 100.0 * (1 - downtime / (minutes * 60 * len(self.streams)))), 3)
        ts_updates = self.symbols.get("ts_updated", Counter())
        rates = {}
        if minutes:
            rates = {
                "position_opened": round(self.categories["position_opened"] / minutes, 3),
                "sl_updates": round(
                    (self.categories["sl_updated"] + self.categories["sl_updated_timed"]) / minutes,
                    3,
                ),
                "ts_updates": round(self.categories["ts_updated"] / minutes, 3),
            }
        trailing = {
            "activations": self.categories["ts_activated"],
            "updates": self.categories["ts_updated"],
            "emergency_updates": self.categories["ts_emergency_update"],
            "positions": len(ts_updates),
            "updates_per_position": round(sum(ts_updates.values()) / len(ts_updates), 3)
            if ts_updates
            else 0.0,
            "busiest_updates_per_minute": round(max(ts_updates.values()) / max(1.0, minutes), 3)
            if ts_updates and minutes
            else None,
            "excessive_symbols": {s: n for s, n in ts_updates.most_common() if n > self.excessive},
        }
        exchanges = {
            ex: {"entries": self.exchange_entries[ex], "errors": self.exchange_errors[ex]}
            for ex in sorted(set(self.exchange_entries) | set(self.exchange_errors))
        }
        shapes = tuple(
            {
                "shape": shape,
                "count": s.count,
                "level": s.level,
                "first_seen": self._stamp(s.first).isoformat(),
                "last_seen": self._stamp(s.last).isoformat(),
                "sample": s.sample.where,
            }
            for shape, s in sorted(self.shapes.items(), key=lambda kv: (-kv[1].count, kv[0]))
        )
        stats = self.stats
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
            ws_reconnects=reconnects,
            ws_longest_disconnect_s=round(longest, 3),
            ws_uptime_percent=uptime,
            levels=dict(self.levels),
            error_types=dict(self.error_types.most_common()),
            error_modules=dict(self.error_modules.most_common()),
            exchange_codes=dict(self.exchange_codes.most_common()),
            symbols={k: dict(v.most_common(10)) for k, v in self.symbols.items()},
            latencies_ms={k: h.stats() for k, h in self.latencies.items()},
            slow_operations=self.slow_operations,
            echoed_events=dict(self.echoed_events.most_common()),
            exchanges=exchanges,
            error_shapes=shapes,
            rates_per_minute=rates,
            trailing_stop=trailing,
        )


def analyze_files(
    paths: Iterable[Path],
    profile: Profile,
    since: datetime | None = None,
    until: datetime | None = None,
) -> LogAnalysis:
    """One pass over log files, each expanded to its rotated set, over ``[since, until)``."""
    analyzer = LogAnalyzer(profile, since, until)
    for path in paths:
        for file in rotated_set(path):
            analyzer.scan(file)
    return analyzer.result()


def record_offsets(path: Path, parts: int) -> list[int]:
    """Byte offsets that split a plain file into ``parts`` ranges, each starting at a record
    header (so no record, traceback included, is cut in two)."""
    size = path.stat().st_size
    offsets = [0]
    with path.open("rb") as handle:
        for k in range(1, parts):
            handle.seek(max(offsets[-1], size * k // parts))
            if handle.tell():
                handle.readline()  # finish the line we landed in
            while True:
                position = handle.tell()
                line = handle.readline()
                if not line:
                    break
                if HEADER.match(line.decode("utf-8", "replace")):
                    if position > offsets[-1]:
                        offsets.append(position)
                    break
    return offsets


def _scan_part(
    profile: Profile,
    since: datetime | None,
    until: datetime | None,
    path: Path,
    start: int,
    end: int | None,
) -> LogAnalyzer:
    return LogAnalyzer(profile, since, until).scan(path, start, end)


def analyze_parallel(
    paths: Iterable[Path],
    profile: Profile,
    since: datetime | None = None,
    until: datetime | None = None,
    jobs: int | None = None,
) -> LogAnalysis:
    """The same analysis as ``analyze_files``, reading byte ranges on several processes."""
    jobs = jobs or os.cpu_count() or 1
    tasks: list[tuple[Path, int, int | None]] = []
    for path in paths:
        for file in rotated_set(path):
            if file.suffix == ".gz" or jobs == 1:
                tasks.append((file, 0, None))
                continue
            offsets = record_offsets(file, jobs)
            ends: list[int | None] = [*offsets[1:], None]
            tasks += [(file, start, end) for start, end in zip(offsets, ends, strict=True)]
    merged = LogAnalyzer(profile, since, until)
    if len(tasks) == 1 or jobs == 1:
        for file, start, end in tasks:
            merged.merge(_scan_part(profile, since, until, file, start, end))
        return merged.result()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(_scan_part, profile, since, until, file, start, end)
            for file, start, end in tasks
        ]
        for future in futures:
            merged.merge(future.result())
    return merged.result()
