"""Analysis 4, WebSocket health: connects, disconnects, reconnect episodes, longest outage and
uptime per stream, exact across parts of a log read in parallel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from ...timefmt import span
from ..model import LogRecord
from .base import Groups, Shift, Span
from .tally import Tally


@dataclass(frozen=True, slots=True)
class WebSocketResult:
    connects: int
    disconnects: int
    reconnect_attempts: int
    errors: int
    reconnects: int
    longest_disconnect_s: float
    uptime_percent: float | None
    streams: int
    start: datetime | None  # the stretch of time the uptime covers
    end: datetime | None

    @property
    def covers(self) -> str:
        if self.start is None or self.end is None:
            return "no records"
        return span(self.start, self.end)

    def to_json(self) -> dict[str, Any]:
        return {
            "connects": self.connects,
            "disconnects": self.disconnects,
            "reconnect_attempts": self.reconnect_attempts,
            "reconnects": self.reconnects,
            "longest_disconnect_s": self.longest_disconnect_s,
            "uptime_percent": self.uptime_percent,
            "uptime_window": [
                self.start.isoformat() if self.start else None,
                self.end.isoformat() if self.end else None,
            ],
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

    def event(self, kind: str, stamp: datetime) -> bool:
        """Feed a connect ("c") or disconnect ("d"); True when it starts an outage."""
        if self.first is None:
            self.first = (kind, stamp)
        if kind == "d":
            if self.down_since is None:
                self.down_since = stamp
                self.reconnects += 1
                return True
            return False
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
        return False

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


class WebSocket:
    categories: ClassVar[frozenset[str]] = frozenset(
        {"ws_connected", "ws_disconnected", "ws_reconnect_attempt", "ws_error"}
    )

    def __init__(self, streams_of_loggers: Mapping[str, str] | None = None) -> None:
        self.streams: dict[str, _Stream] = {}
        # a record whose text names no stream reports on its logger's (profile log.streams)
        self.streams_of_loggers = dict(streams_of_loggers or {})
        self.outages_started = 0  # reconnects so far: disconnects of a stream that was up

    def feed(self, record: LogRecord, category: str, groups: Groups) -> None:
        if category in ("ws_connected", "ws_disconnected"):
            stream = (
                groups.get("stream") or self.streams_of_loggers.get(record.logger) or record.logger
            )
            started = self.streams.setdefault(stream, _Stream()).event(
                "c" if category == "ws_connected" else "d", record.timestamp
            )
            self.outages_started += started

    def merge(self, later: WebSocket, shift: Shift) -> None:
        for stream, state in later.streams.items():
            self.streams.setdefault(stream, _Stream()).merge(state)

    def retract(self, category: str, groups: Groups) -> None:
        """Its categories are never repeats."""

    def result(self, tally: Tally, span: Span) -> WebSocketResult:
        downtime = longest = 0.0
        reconnects = 0
        end = span.end
        for stream in self.streams.values():
            downtime += stream.downtime
            longest = max(longest, stream.longest)
            reconnects += stream.reconnects
            if stream.down_since is not None and end is not None:  # still down at the end
                open_for = max(0.0, (end - stream.down_since).total_seconds())
                downtime += open_for
                longest = max(longest, open_for)
        minutes = span.minutes
        uptime = None
        if minutes and self.streams:
            uptime = round(max(0.0, 100.0 * (1 - downtime / (minutes * 60 * len(self.streams)))), 3)
        return WebSocketResult(
            connects=tally.count("ws_connected"),
            disconnects=tally.count("ws_disconnected"),
            reconnect_attempts=tally.count("ws_reconnect_attempt"),
            errors=tally.count("ws_error"),
            reconnects=reconnects,
            longest_disconnect_s=round(longest, 3),
            uptime_percent=uptime,
            streams=len(self.streams),
            start=span.start,
            end=span.end,
        )
