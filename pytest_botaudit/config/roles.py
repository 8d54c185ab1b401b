"""The names the audit relies on: the profile's counters, latencies and log categories that the
checks, the log analyses, the alert rules and the summary read by name. Every profile defines
each of them (a log category may be an empty list: the bot never logs it); a missing one is a
pointed error when the profile loads, never a silent zero."""

from __future__ import annotations

COUNTER_ROLES: dict[str, str] = {
    "new_positions_opened": "the summary and the positions_opened_rate alert",
    "positions_closed": "the summary",
    "price_updates": "the no_price_updates alert",
    "ts_activations": "the summary",
    "sl_updates_with_ts": "the summary",
    "api_errors": "the api_errors check and the api_error_rate alert",
    "emergency_closes": "the emergency_closes check and alert",
    "zombie_orders": "the zombie_orders check",
    "ws_reconnects": "the ws_reconnects check and alert",
    "timeouts": "the timeouts check",
}

LATENCY_ROLES: dict[str, str] = {
    "api_response_ms": "the api_response_ms check",
    "sl_update_latency_ms": "the sl_update_latency_ms check",
}

LOG_ROLES: dict[str, str] = {
    "position_opened": "the position lifecycle analysis",
    "position_closed": "the position lifecycle analysis",
    "sl_set": "the stop-loss analysis",
    "sl_updated": "the stop-loss analysis",
    "sl_updated_timed": "the stop-loss analysis and its update latency",
    "sl_update_failed": "the stop-loss analysis",
    "sl_set_failed": "the stop-loss analysis",
    "sl_triggered": "the stop-loss analysis",
    "sl_missing": "the stop-loss analysis and the unprotected_positions check",
    "ts_activated": "the trailing-stop analysis",
    "ts_updated": "the trailing-stop analysis and the ts_updates checks",
    "ts_emergency_update": "the trailing-stop analysis",
    "ws_connected": "the WebSocket analysis (uptime)",
    "ws_disconnected": "the WebSocket analysis and the ws_reconnects check",
    "ws_reconnect_attempt": "the WebSocket analysis",
    "ws_error": "the WebSocket analysis",
    "timeout": "the timing analysis",
    "rate_limit": "the timing analysis",
    "emergency_close": "the log report's emergency closes",
    "zombies_found": "the log report's zombie reports",
    "aged_position": "the log report's aged-position warnings",
}


def missing_roles(
    counters: set[str], latencies: set[str], categories: set[str]
) -> list[tuple[str, str]]:
    """``(profile key, who relies on it)`` for every role the profile leaves undefined. Log
    categories are required only of a profile that describes a log at all."""
    missing = [(f"counters.{n}", who) for n, who in COUNTER_ROLES.items() if n not in counters]
    missing += [(f"latencies.{n}", who) for n, who in LATENCY_ROLES.items() if n not in latencies]
    if categories:
        missing += [
            (f"log.patterns.{n}", who) for n, who in LOG_ROLES.items() if n not in categories
        ]
    return missing
