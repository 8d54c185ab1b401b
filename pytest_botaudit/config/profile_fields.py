"""The profile file's fields, each read with a pointed error naming its key and the file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ProfileError
from .values import is_number

# How long a position may be open before its stop-loss without being "unprotected". The
# contract's bot places the stop-loss right after the fill (an exchange round trip) and writes
# its events in batches every 5 s, so a healthy open is protected within seconds; 30 s is six
# batches of margin, far below the minutes after which the bot itself warns ("has no stop
# loss (Ns)"). A tick between an open and its stop-loss must not cry wolf.
DEFAULT_SL_GRACE_SECONDS = 30.0
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


# Secrets an exchange error or a traceback may carry (API keys, signatures, listen keys, long
# hex or base64 tokens): hidden in every log sample and error shape before any output. A
# named group "secret" hides just that part; otherwise the whole match is hidden.
DEFAULT_REDACT = (
    r"(?i)\b(?:api[_-]?key|x-mbx-apikey|signature|listen[_-]?key|secret|passphrase)"
    r"[\"']?\s*[:=]\s*[\"']?(?P<secret>[^\"'&\s,;}]+)",
    r"\b[0-9a-fA-F]{32,}\b",
    r"\b[A-Za-z0-9+/_-]{40,}={0,2}",
)
REDACTED = "***"


def redaction(where: Where, log: Mapping[str, Any]) -> tuple[re.Pattern[str], ...]:
    raw = log.get("redact")
    texts = DEFAULT_REDACT if raw is None else where.strings(log, "redact", "log")
    try:
        return tuple(re.compile(text) for text in texts)
    except re.error as exc:
        raise where.fail("log.redact", f"bad regular expression ({exc})") from None


def redact(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """``text`` with every secret the patterns find replaced by ``***``."""
    for pattern in patterns:
        if "secret" in pattern.groupindex:
            text = pattern.sub(
                lambda m: m.group(0)[: m.start("secret") - m.start()] + REDACTED, text
            )
        else:
            text = pattern.sub(REDACTED, text)
    return text


# the bot contract's event lists of the database analysis (a profile's [analysis] table
# replaces any of them)
DEFAULT_ANALYSIS_TYPES: dict[str, tuple[str, ...]] = {
    "high_rate": ("position_updated",),
    "error": (
        "exchange_error",
        "error_occurred",
        "database_error",
        "position_error",
        "stop_loss_error",
        "stop_loss_set_failed",
        "trailing_stop_sl_update_failed",
        "position_creation_failed",
        "signal_execution_failed",
        "health_check_failed",
    ),
    "alert": (
        "emergency_close_all_triggered",
        "emergency_stop_placed",
        "risk_limits_exceeded",
        "positions_without_sl_detected",
        "zombie_alert_triggered",
    ),
    "zombie": (
        "zombie_orders_detected",
        "zombie_order_cancelled",
        "zombie_cleanup_completed",
        "zombie_alert_triggered",
        "aggressive_cleanup_triggered",
    ),
    "sync": (
        "synchronization_started",
        "synchronization_completed",
        "phantom_position_detected",
        "phantom_position_closed",
        "missing_position_added",
        "missing_position_added_with_synthetic_id",
        "quantity_mismatch_detected",
        "quantity_updated",
        "position_verified",
        "sync_started",
        "sync_completed",
    ),
}


def analysis_lists(where: Where, data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    table = where.table(data, "analysis", required=False)
    unknown = set(table) - {f"{name}_event_types" for name in DEFAULT_ANALYSIS_TYPES}
    if unknown:
        raise where.fail(f"analysis.{sorted(unknown)[0]}", "unknown key")
    return {
        name: where.strings(table, f"{name}_event_types", "analysis")
        if f"{name}_event_types" in table
        else default
        for name, default in DEFAULT_ANALYSIS_TYPES.items()
    }


def grace(where: Where, positions: Mapping[str, Any]) -> float:
    value = positions.get("sl_grace_seconds", DEFAULT_SL_GRACE_SECONDS)
    if not is_number(value) or value < 0:
        raise where.fail(
            "positions.sl_grace_seconds", f"expected seconds (0 or more), got {value!r}"
        )
    return float(value)


def high_volume(
    where: Where, log: Mapping[str, Any], patterns: Mapping[str, tuple[re.Pattern[str], ...]]
) -> dict[str, tuple[str, ...]]:
    """Category -> the literal prefixes its '^literal' patterns stand for."""
    prefixes: dict[str, tuple[str, ...]] = {}
    for category in where.strings(log, "high_volume", "log"):
        if category not in patterns:
            raise where.fail("log.high_volume", f"no log.patterns.{category} in the profile")
        literal = []
        for pattern in patterns[category]:
            prefix = literal_prefix(pattern.pattern)
            if prefix is None:
                raise where.fail(
                    f"log.patterns.{category}",
                    "a high-volume category needs plain "
                    f"'^prefix' patterns, got {pattern.pattern!r}",
                )
            literal.append(prefix)
        prefixes[category] = tuple(literal)
    return prefixes


_REGEX_META = frozenset(".^$*+?{}[]|()")


def literal_prefix(text: str) -> str | None:
    """The literal text of a '^literal' pattern (escaped punctuation allowed), else None."""
    if not text.startswith("^"):
        return None
    out: list[str] = []
    position = 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1 : position + 2]
            if not following or following.isalnum():
                return None
            out.append(following)
            position += 2
            continue
        if char in _REGEX_META:
            return None
        out.append(char)
        position += 1
    return "".join(out)


def exchange_pattern(where: Where, log: Mapping[str, Any]) -> re.Pattern[str] | None:
    text = log.get("exchange_pattern")
    if text is None:
        return None
    try:
        pattern = re.compile(str(text))
    except re.error as exc:
        raise where.fail("log.exchange_pattern", f"bad regular expression ({exc})") from None
    if "exchange" not in pattern.groupindex:
        raise where.fail("log.exchange_pattern", "needs a named group (?P<exchange>...)")
    return pattern


def log_zone(where: Where, name: object) -> tzinfo | None:
    """None means local time, which is what Python logging's asctime uses."""
    if name == "local":
        return None
    if not isinstance(name, str):
        raise where.fail("log.timezone", f"expected 'local', 'UTC' or a zone name, got {name!r}")
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.fail("log.timezone", f"unknown time zone {name!r}") from None


def compile_patterns(
    where: Where, data: Mapping[str, Any]
) -> dict[str, tuple[re.Pattern[str], ...]]:
    log = where.table(data, "log", required=False)
    raw = where.table(log, "patterns", "log", required=False) if log else {}
    compiled: dict[str, tuple[re.Pattern[str], ...]] = {}
    for category in raw:
        items = where.strings(raw, category, "log.patterns")
        try:
            compiled[category] = tuple(re.compile(p) for p in items)
        except re.error as exc:
            raise ProfileError(
                f"profile {where.source}: log.patterns.{category}: bad regular expression "
                f"{exc.pattern!r} ({exc})"
            ) from None
    return compiled


@dataclass(frozen=True, slots=True)
class Where:
    source: str

    def fail(self, key: str, message: str) -> ProfileError:
        return ProfileError(f"profile {self.source}: {key}: {message}")

    def table(
        self, data: Mapping[str, Any], key: str, parent: str = "", required: bool = True
    ) -> Mapping[str, Any]:
        name = f"{parent}.{key}" if parent else key
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(name, "missing table")
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(name, f"expected a table, got {value!r}")
        return value

    def number(self, data: Mapping[str, Any], key: str, parent: str, default: float) -> float:
        value = data.get(key, default)
        if not is_number(value) or value <= 0:
            raise self.fail(f"{parent}.{key}", f"expected a positive number, got {value!r}")
        return float(value)

    def identifier(self, data: Mapping[str, Any], key: str, parent: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not _IDENTIFIER.match(value):
            raise self.fail(f"{parent}.{key}", f"expected an SQL identifier, got {value!r}")
        return value

    def strings(
        self, data: Mapping[str, Any], key: str, parent: str, allow_empty: bool = True
    ) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{parent}.{key}", f"expected a list of strings, got {value!r}")
        if not value and not allow_empty:
            raise self.fail(f"{parent}.{key}", "must not be empty")
        return tuple(value)

    def category(
        self, data: Mapping[str, Any], parent: str, patterns: Mapping[str, Any]
    ) -> str | None:
        value = data.get("log_category")
        if value is None:
            return None
        if value not in patterns:
            raise self.fail(f"{parent}.log_category", f"no log.patterns.{value} in the profile")
        return str(value)
