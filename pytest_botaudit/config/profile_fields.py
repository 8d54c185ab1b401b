"""The profile file's fields, each read with a pointed error naming its key and the file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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


# the bot contract's event lists of the database analysis (a profile's [analysis] table
# replaces any of them)
DEFAULT_ANALYSIS_TYPES: dict[str, tuple[str, ...]] = {
    "high_rate": ("position_updated",),
    # section 2's stop-loss kinds beside the placements (positions.stop_loss_event_types)
    "sl_triggered": ("stop_loss_triggered",),
    "sl_error": ("stop_loss_error", "stop_loss_set_failed"),
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


# conflicting changes of one position (analysis section 10): first type, then second
DEFAULT_RACE_PAIRS = (
    ("position_closed", "position_closed"),
    ("position_closed", "stop_loss_placed"),
    ("position_closed", "trailing_stop_updated"),
    ("position_closed", "trailing_stop_sl_updated"),
    ("trailing_stop_sl_updated", "trailing_stop_sl_updated"),
    ("position_created", "position_created"),
)


def race_pairs(where: Where, data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    table = where.table(data, "analysis", required=False)
    raw = table.get("race_pairs")
    if raw is None:
        return DEFAULT_RACE_PAIRS
    if not isinstance(raw, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(t, str) for t in p) for p in raw
    ):
        raise where.fail(
            "analysis.race_pairs", f"expected pairs of event types [[a, b], ...], got {raw!r}"
        )
    return tuple((a, b) for a, b in raw)


def analysis_lists(where: Where, data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    table = where.table(data, "analysis", required=False)
    unknown = set(table) - {f"{name}_event_types" for name in DEFAULT_ANALYSIS_TYPES}
    unknown.discard("race_pairs")
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


@dataclass(frozen=True, slots=True)
class ForceCloseRule:
    """One way the bot closes a position by force, as its row shows it: the status it
    writes, its exit_reason (SQL LIKE), which column holds the moment, and that column's zone
    on this path when the bot's own code writes it there (``None``: the column's zone)."""

    path: str
    status: str
    exit_reason: str
    at: str  # "opened_at" or "closed_at"
    zone: str | None = None


_TIMESTAMP_COLUMNS = frozenset({"opened_at", "closed_at"})


def zone_name(where: Where, key: str, value: object) -> str:
    """``database`` or a zone the machine knows (checked here, used by PostgreSQL)."""
    if value == "database":
        return "database"
    if not isinstance(value, str):
        raise where.fail(key, f"expected 'database' or a zone name, got {value!r}")
    if value.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise where.fail(key, f"unknown time zone {value!r}") from None
    return value


def naive_zones(where: Where, data: Mapping[str, Any]) -> dict[str, str]:
    table = where.table(data, "timezones", required=False)
    zones: dict[str, str] = {}
    for column, value in table.items():
        key = f"timezones.{column}"
        table_name, _, name = str(column).partition(".")
        if table_name not in ("positions", "events") or not name:
            raise where.fail(key, 'expected a key such as "positions.opened_at"')
        zones[str(column)] = zone_name(where, key, value)
    return zones


def force_close_rules(where: Where, positions: Mapping[str, Any]) -> tuple[ForceCloseRule, ...]:
    raw = positions.get("force_closed", [])
    if not isinstance(raw, list):
        raise where.fail("positions.force_closed", "expected an array of tables")
    rules = []
    for index, item in enumerate(raw):
        key = f"positions.force_closed[{index}]"
        if not isinstance(item, Mapping):
            raise where.fail(key, "expected a table { path, status, exit_reason, at }")
        texts = {}
        for field_name in ("path", "status", "exit_reason"):
            value = item.get(field_name)
            if not isinstance(value, str) or not value:
                raise where.fail(f"{key}.{field_name}", f"expected text, got {value!r}")
            texts[field_name] = value
        at = item.get("at", "closed_at")
        if at not in _TIMESTAMP_COLUMNS:
            raise where.fail(f"{key}.at", f"expected 'opened_at' or 'closed_at', got {at!r}")
        zone = item.get("zone")
        rules.append(
            ForceCloseRule(
                texts["path"],
                texts["status"],
                texts["exit_reason"],
                str(at),
                None if zone is None else zone_name(where, f"{key}.zone", zone),
            )
        )
    return tuple(rules)


def optional_text(where: Where, data: Mapping[str, Any], key: str, parent: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise where.fail(f"{parent}.{key}", f"expected text, got {value!r}")
    return value


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
