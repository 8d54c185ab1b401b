"""Plain-text rendering of a log analysis (``botaudit logs`` without --json)."""

from __future__ import annotations

from collections.abc import Mapping

from .logs import LogAnalysis


def _top(counts: Mapping[str, int], limit: int = 5) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1])[:limit]
    return ", ".join(f"{k} ({v})" for k, v in items) or "none"


def render_log_report(analysis: LogAnalysis) -> str:
    c = analysis.count
    read = analysis.read
    minutes = None
    if analysis.since and analysis.until:
        minutes = (analysis.until - analysis.since).total_seconds() / 60
    lines = [
        "BOT LOG ANALYSIS",
        "=" * 60,
        f"files: {', '.join(read.get('files', []))}",
        f"lines {read.get('lines', 0)}, records {read.get('records', 0)}, continuation "
        f"{read.get('continuation_lines', 0)}, unparsable {read.get('unparsable_lines', 0)}, "
        f"undecodable {read.get('undecodable_lines', 0)}; in window {analysis.records}, "
        f"outside {analysis.out_of_window}",
        "",
        "1. POSITION LIFECYCLE",
        f"   opened {c('position_opened')}, closed {c('position_closed')}",
        f"   top symbols: {_top(analysis.symbols.get('position_opened', {}))}",
    ]
    if minutes:
        lines.append(f"   opening rate: {c('position_opened') / minutes:.2f} per minute")
    sl = analysis.latencies_ms.get("sl_updated_timed", {})
    lines += [
        "",
        "2. STOP-LOSS",
        f"   set {c('sl_set')}, updated {c('sl_updated') + c('sl_updated_timed')}, "
        f"failed {c('sl_update_failed')}, triggered {c('sl_triggered')}, "
        f"missing {c('sl_missing')}",
        "   update latency: "
        + (
            f"avg {sl['avg']:g} ms, p95 {sl['p95']:g} ms, max {sl['max']:g} ms"
            if sl
            else "no timed updates"
        ),
        "",
        "3. TRAILING STOP",
        f"   activations {c('ts_activated')}, updates {c('ts_updated')}, emergency updates "
        f"{c('ts_emergency_update')}",
        f"   busiest symbols: {_top(analysis.symbols.get('ts_updated', {}))}",
        "",
        "4. WEBSOCKET HEALTH",
        f"   connects {c('ws_connected')}, disconnects {c('ws_disconnected')}, reconnects "
        f"{analysis.ws_reconnects}, errors {c('ws_error')}",
        f"   longest disconnection {analysis.ws_longest_disconnect_s:g} s, uptime "
        + (
            f"{analysis.ws_uptime_percent:g} %"
            if analysis.ws_uptime_percent is not None
            else "unknown"
        ),
        "",
        "5. ERRORS",
        f"   by level: {_top(analysis.levels, 5)}",
        f"   types: {_top(analysis.error_types, 8)}",
        f"   exchange codes: {_top(analysis.exchange_codes, 8)}",
        f"   modules: {_top(analysis.error_modules, 8)}",
    ]
    for kind, samples in analysis.samples.items():
        if kind.startswith("error:"):
            lines += [f"   sample {s.where}: {s.message}" for s in samples[:2]]
    lines += [
        "",
        "6. TIMING",
        f"   timeouts {c('timeout')}, rate limits {c('rate_limit')}, slow operations (> 1 s) "
        f"{analysis.slow_operations}",
        "",
        "7. EMERGENCIES AND ZOMBIES",
        f"   emergency closes {c('emergency_close')}, zombie reports {c('zombies_found')}, "
        f"aged-position warnings {c('aged_position')}",
    ]
    return "\n".join(lines)
