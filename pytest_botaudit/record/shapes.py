"""``shapes.json`` of a run folder: every message shape of the log (ERROR, CRITICAL and WARNING,
with count, first and last seen and a redacted sample at file:line) and every event type the
database holds for the window. Written at the end of an audit, read by a later compare to say
what is new since the baseline. This module is the one that writes and reads it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..fileio import NotARegularFile, read_regular_bytes
from .folder import RunFolder
from .summary import write_json

FORMAT = 1
MAX_SHAPES_BYTES = 64 * 2**20  # a run's shapes are kilobytes: a bigger file is not one


@dataclass(frozen=True, slots=True)
class MessageShape:
    """One kind of log message: its text with numbers, symbols and ids masked."""

    shape: str
    level: str
    count: int
    first_seen: str  # ISO time
    last_seen: str
    where: str  # file:line of the sample
    sample: str  # the first such message, its secrets hidden

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "level": self.level,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "where": self.where,
            "sample": self.sample,
        }


@dataclass(frozen=True, slots=True)
class EventType:
    event_type: str
    count: int
    first_seen: str  # ISO time


@dataclass(frozen=True, slots=True)
class RunShapes:
    """What kinds of things one run wrote. ``log_read`` / ``database_read`` say whether each
    source was read at all (an empty list from a source that was not read means nothing)."""

    run_id: str
    log_read: bool
    database_read: bool
    shapes: tuple[MessageShape, ...] = ()
    event_types: tuple[EventType, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "botaudit_shapes": FORMAT,
            "run_id": self.run_id,
            "log_read": self.log_read,
            "database_read": self.database_read,
            "message_shapes": [s.to_json() for s in self.shapes],
            "event_types": [
                {"event_type": e.event_type, "count": e.count, "first_seen": e.first_seen}
                for e in self.event_types
            ],
        }


def write_shapes(folder: RunFolder, shapes: RunShapes) -> Path:
    return write_json(folder.shapes, shapes.to_json())


def read_shapes(folder: RunFolder) -> RunShapes | None:
    """The run's shapes; None when it has none (a run of an earlier version, or no data).
    A file that is not one raises ValueError naming the problem."""
    path = folder.shapes
    if not path.exists():
        return None
    try:
        data = json.loads(read_regular_bytes(path, MAX_SHAPES_BYTES))
    except (OSError, NotARegularFile, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"'{path}': not readable ({exc})") from None
    if not isinstance(data, Mapping) or data.get("botaudit_shapes") != FORMAT:
        raise ValueError(f"'{path}': not a shapes file of format {FORMAT}")
    try:
        return RunShapes(
            str(data["run_id"]),
            bool(data["log_read"]),
            bool(data["database_read"]),
            tuple(
                MessageShape(
                    str(s["shape"]),
                    str(s["level"]),
                    int(s["count"]),
                    str(s["first_seen"]),
                    str(s["last_seen"]),
                    str(s["where"]),
                    str(s["sample"]),
                )
                for s in data["message_shapes"]
            ),
            tuple(
                EventType(str(e["event_type"]), int(e["count"]), str(e["first_seen"]))
                for e in data["event_types"]
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"'{path}': an entry of the wrong shape ({type(exc).__name__}: {exc})"
        ) from None
