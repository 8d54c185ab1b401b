"""Analysis 6, errors: exception types, modules, exchange error codes, and error shapes (the
message with its variable parts masked, so one kind of error is one line with a count)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...redaction import known as known_secrets
from ...redaction import scrub
from ..memo import Memo
from ..model import LogRecord, LogSample
from .base import Redact, Shift, sample_of
from .tally import Tally

MAX_SHAPES = 500
OTHER_SHAPE = "<other>"
# an exchange's error code in its payload: Bybit's "retCode" (or retCode=N unwrapped, or the
# stop-loss manager's "Bybit API error N: ..."), Binance's "code" (negative)
_EXCHANGE_CODE = re.compile(
    r'"retCode"\s*:\s*(?P<code>-?\d+)|\bretCode=(?P<unwrapped>-?\d+)'
    r'|"code"\s*:\s*(?P<binance>-\d+)|\bBybit API error (?P<manager>-?\d+):'
)
_SHAPE_MASKS = (
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"\b[A-Z0-9]{2,}(?:/USDT(?::USDT)?|USDT)\b"), "<sym>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{8,}(?:-[0-9a-f]{4,})*\b"), "<id>"),
    (re.compile(r"[-+]?\$?\d+(?:[.,]\d+)*"), "<n>"),
)


def shape_of(message: str) -> str:
    """An error message with its variable parts masked, so one kind of error is one line."""
    for pattern, mask in _SHAPE_MASKS:
        message = pattern.sub(mask, message)
    return message[:200]


@dataclass(slots=True)
class _Shape:
    count: int
    level: str
    first: str  # timestamps as the log writes them
    last: str
    sample: LogSample


@dataclass(frozen=True, slots=True)
class ErrorShape:
    shape: str
    count: int
    level: str
    first_seen: str
    last_seen: str
    sample: str  # file:line
    message: str = ""  # the sample's message, secrets hidden

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "count": self.count,
            "level": self.level,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "sample": self.sample,
            "message": self.message,
        }


class ShapeTable:
    """Messages grouped by shape (their variable parts masked): count, level, first and
    last seen, one sample. At most MAX_SHAPES shapes; the rest count as ``<other>``."""

    __slots__ = ("_memo", "_secrets", "redact", "shapes")

    def __init__(self, redact: Redact) -> None:
        self.redact = redact
        self.shapes: dict[str, _Shape] = {}
        self._memo: Memo[str, str] = Memo()  # message -> its shape
        self._secrets = known_secrets()  # the secrets the memo's shapes hide

    def shape(self, message: str) -> str:
        # the patterns' secrets are hidden when a shape is shown; a secret the audit knows is
        # hidden first (masking its digits would leave the rest of it for all to see)
        secrets = known_secrets()
        if secrets is not self._secrets:  # the audit learned (or forgot) a secret since
            self._memo.clear()
            self._secrets = secrets
        shape = self._memo.get(message)
        if shape is None:
            shape = self._memo.keep(message, shape_of(scrub(message)))
        return shape

    def feed(self, record: LogRecord) -> None:
        shape = self.shape(record.message)
        known = self.shapes.get(shape)
        if known is not None:
            known.count += 1
            known.last = record.stamp
            return
        if len(self.shapes) >= MAX_SHAPES:
            shape = OTHER_SHAPE
            if shape in self.shapes:
                self.shapes[shape].count += 1
                self.shapes[shape].last = record.stamp
                return
        stamp = record.stamp
        self.shapes[shape] = _Shape(1, record.level, stamp, stamp, sample_of(record, self.redact))

    def merge(self, later: ShapeTable, shift: Shift) -> None:
        for shape, theirs in later.shapes.items():
            known = self.shapes.get(shape)
            if known is not None:
                known.count += theirs.count
                known.last = theirs.last
                continue
            if len(self.shapes) >= MAX_SHAPES and shape != OTHER_SHAPE:
                other = self.shapes.get(OTHER_SHAPE)
                if other is not None:
                    other.count += theirs.count
                    other.last = theirs.last
                    continue
                shape = OTHER_SHAPE
            self.shapes[shape] = _Shape(
                theirs.count, theirs.level, theirs.first, theirs.last, shift(theirs.sample)
            )

    def result(self, timestamp: Callable[[str], str]) -> tuple[ErrorShape, ...]:
        """``timestamp`` turns the log's own time text into an ISO time."""
        return tuple(
            ErrorShape(
                self.redact(shape),
                s.count,
                s.level,
                timestamp(s.first),
                timestamp(s.last),
                s.sample.where,
                s.sample.message,
            )
            for shape, s in sorted(self.shapes.items(), key=lambda kv: (-kv[1].count, kv[0]))
        )


@dataclass(frozen=True, slots=True)
class ErrorsResult:
    types: dict[str, int]
    modules: dict[str, int]
    exchange_codes: dict[str, int]
    shapes: tuple[ErrorShape, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "types": dict(self.types),
            "exchange_codes": dict(self.exchange_codes),
            "modules": dict(self.modules),
            "shapes": [s.to_json() for s in self.shapes],
        }


class Errors:
    """Fed every ERROR and CRITICAL record, traceback included."""

    def __init__(self, redact: Redact) -> None:
        self.redact = redact
        self.types: Counter[str] = Counter()
        self.modules: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()
        self.shapes = ShapeTable(redact)
        self._codes: Memo[str, str] = Memo()  # message -> its exchange code, "" for none

    def feed(self, record: LogRecord, tally: Tally) -> None:
        self.modules[record.logger] += 1
        kind = record.exception_type or "(no traceback)"
        self.types[kind] += 1
        message = record.message
        code = self._codes.get(message)
        if code is None:
            found = _EXCHANGE_CODE.search(message)
            code = self._codes.keep(message, next(g for g in found.groups() if g) if found else "")
        if code:
            self.codes[code] += 1
        tally.sample(f"error:{kind}", record)
        self.shapes.feed(record)

    def merge(self, later: Errors, shift: Shift) -> None:
        self.types.update(later.types)
        self.modules.update(later.modules)
        self.codes.update(later.codes)
        self.shapes.merge(later.shapes, shift)

    def result(self, timestamp: Callable[[str], str]) -> ErrorsResult:
        """``timestamp`` turns the log's own time text into an ISO time."""
        return ErrorsResult(
            dict(self.types.most_common()),
            dict(self.modules.most_common()),
            dict(self.codes.most_common()),
            self.shapes.result(timestamp),
        )
