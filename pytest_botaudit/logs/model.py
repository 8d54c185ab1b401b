"""What reading a log yields: records, read statistics, samples, and the analysis result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from .grammar import exception_type, parse_timestamp

if TYPE_CHECKING:
    from .analyses.errors import ErrorShape, ErrorsResult
    from .analyses.exchanges import ExchangeCounts
    from .analyses.lifecycle import LifecycleResult
    from .analyses.stoploss import StopLossResult
    from .analyses.timing import TimingResult
    from .analyses.trailing import TrailingResult
    from .analyses.websocket import WebSocketResult

MAX_LINE = 2**20  # bytes of one physical line that are read; memory stays bounded by it
MAX_CONTINUATION = 200  # lines kept per record; a longer traceback is counted, not stored


class LogRecord:
    """One logging record. ``stamp`` is its time as the log wrote it (normalised to asctime's
    form, in the log's zone); ``timestamp`` is that moment in UTC. ``lines`` holds its
    continuation lines (traceback, multi-line text), at most MAX_CONTINUATION."""

    __slots__ = (
        "_moment",
        "fold",
        "level",
        "line_no",
        "lines",
        "logger",
        "message",
        "path",
        "stamp",
        "word",
        "zone",
    )

    def __init__(
        self,
        path: str,
        line_no: int,
        stamp: str,
        logger: str,
        level: str,
        message: str,
        word: str | None,
        zone: tzinfo | None,
        fold: int = 0,
    ) -> None:
        self.path = path
        self.line_no = line_no
        self.stamp = stamp
        self.logger = logger
        self.level = level
        self.message = message
        self.word = word  # the leading `event_word: ` of the message, if any
        self.zone = zone
        self.fold = fold  # 1: the second pass of a local hour shown twice (a fall-back)
        self.lines: list[str] = []
        self._moment: datetime | None = None

    @property
    def timestamp(self) -> datetime:
        """The moment in UTC, parsed once (several analyses ask)."""
        if self._moment is None:
            self._moment = parse_timestamp(self.stamp, self.zone, self.fold)
        return self._moment

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line_no}"

    @property
    def exception_type(self) -> str | None:
        return exception_type(self.lines)

    def __repr__(self) -> str:
        return f"LogRecord({self.where} {self.stamp} {self.level} {self.logger}: {self.message!r})"


@dataclass(slots=True)
class ReadStats:
    """Every physical line is either a record header, a continuation, or unparsable."""

    lines: int = 0
    records: int = 0
    continuation_lines: int = 0
    unparsable_lines: int = 0
    undecodable_lines: int = 0
    truncated_lines: int = 0  # longer than MAX_LINE: the rest of the line was not read
    files: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # files read up to their damage

    def add(self, other: ReadStats) -> None:
        self.lines += other.lines
        self.records += other.records
        self.continuation_lines += other.continuation_lines
        self.unparsable_lines += other.unparsable_lines
        self.undecodable_lines += other.undecodable_lines
        self.truncated_lines += other.truncated_lines
        self.files += [f for f in other.files if f not in self.files]
        self.damaged += [d for d in other.damaged if d not in self.damaged]

    def frozen(self) -> ReadSummary:
        return ReadSummary(
            self.lines,
            self.records,
            self.continuation_lines,
            self.unparsable_lines,
            self.undecodable_lines,
            self.truncated_lines,
            tuple(self.files),
            tuple(self.damaged),
        )


@dataclass(frozen=True, slots=True)
class ReadSummary:
    """How the files of an analysis were read, line by line."""

    lines: int
    records: int
    continuation_lines: int
    unparsable_lines: int
    undecodable_lines: int
    truncated_lines: int
    files: tuple[str, ...]
    damaged: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "records": self.records,
            "continuation_lines": self.continuation_lines,
            "unparsable_lines": self.unparsable_lines,
            "undecodable_lines": self.undecodable_lines,
            "truncated_lines": self.truncated_lines,
            "files": list(self.files),
            "damaged": list(self.damaged),
        }


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


@dataclass(frozen=True, slots=True)
class LogAnalysis:
    """What the log says over a window: the seven analyses, error shapes and read stats."""

    since: datetime | None
    until: datetime | None
    records: int
    out_of_window: int
    read: ReadSummary
    levels: Mapping[str, int]
    echoed_events: Mapping[str, int]
    categories: Mapping[str, int]
    samples: Mapping[str, tuple[LogSample, ...]]
    lifecycle: LifecycleResult
    stop_loss: StopLossResult
    trailing_stop: TrailingResult
    websocket: WebSocketResult
    exchanges: Mapping[str, ExchangeCounts]
    errors: ErrorsResult
    timing: TimingResult
    # WARNING and above in shapes no pattern of the profile classifies (the bot's new words)
    unclassified: tuple[ErrorShape, ...] = ()
    # category -> records folded into an earlier occurrence (one error logged several times)
    merged_repeats: Mapping[str, int] = field(default_factory=dict)
    warning_shapes: tuple[ErrorShape, ...] = ()  # the WARNING records' shapes

    def count(self, category: str) -> int:
        return self.categories.get(category, 0)

    # the figures the checks read, by their names in the report

    @property
    def ws_reconnects(self) -> int:
        return self.websocket.reconnects

    @property
    def ws_longest_disconnect_s(self) -> float:
        return self.websocket.longest_disconnect_s

    @property
    def ws_uptime_percent(self) -> float | None:
        return self.websocket.uptime_percent

    @property
    def slow_operations(self) -> int:
        return self.timing.slow_operations

    @property
    def latencies_ms(self) -> Mapping[str, Mapping[str, float]]:
        return self.timing.latencies_ms

    @property
    def error_types(self) -> Mapping[str, int]:
        return self.errors.types

    @property
    def error_modules(self) -> Mapping[str, int]:
        return self.errors.modules

    @property
    def exchange_codes(self) -> Mapping[str, int]:
        return self.errors.exchange_codes

    def to_json(self) -> dict[str, Any]:
        return {
            "window": [
                self.since.isoformat() if self.since else None,
                self.until.isoformat() if self.until else None,
            ],
            "records": self.records,
            "out_of_window": self.out_of_window,
            "read": self.read.to_json(),
            "categories": dict(self.categories),
            "position_lifecycle": self.lifecycle.to_json(),
            "stop_loss": {
                **self.stop_loss.to_json(),
                "update_latency_ms": dict(self.latencies_ms.get("sl_updated_timed", {})),
            },
            "trailing_stop": self.trailing_stop.to_json(),
            "websocket": self.websocket.to_json(),
            "exchanges": {k: v.to_json() for k, v in self.exchanges.items()},
            "errors": {"levels": dict(self.levels), **self.errors.to_json()},
            "timing": self.timing.to_json(),
            "echoed_events": dict(self.echoed_events),
            "unclassified": [s.to_json() for s in self.unclassified],
            "merged_repeats": dict(self.merged_repeats),
            "samples": {k: [s.to_json() for s in v] for k, v in self.samples.items()},
        }
