"""Plain-text rendering of a log analysis (``botaudit logs`` without --json)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .loganalysis import LogAnalysis


def _top(counts: Mapping[str, int], limit: int = 5) -> str:
    items = sorted(counts.items(), key=lambda kv: -kv[1])[:limit]
    return ", ".join(f"{k} ({v})" for k, v in items) or "none"


def _latency(stats: Mapping[str, float]) -> str:
    if not stats:
        return "no timed updates"
    return (
        f"avg {stats['avg']:g} ms, p95 {stats['p95']:g} ms, p99 {stats['p99']:g} ms, "
        f"max {stats['max']:g} ms over {stats['samples']:g}"
    )


def _rate(value: Any) -> str:
    return "n/a" if value is None else f"{value:g}/min"


def render_log_report(analysis: LogAnalysis) -> str:
    c = analysis.count
    read = analysis.read
    ts = analysis.trailing_stop
    rates = analysis.rates_per_minute
    lines = [
        "BOT LOG ANALYSIS",
        "=" * 72,
        f"files: {', '.join(read.get('files', []))}",
        f"lines {read.get('lines', 0)}: records {read.get('records', 0)}, continuation "
        f"{read.get('continuation_lines', 0)}, unparsable {read.get('unparsable_lines', 0)} "
        f"(undecodable {read.get('undecodable_lines', 0)}); in the window {analysis.records}, "
        f"outside {analysis.out_of_window}",
        "",
        "1. POSITION LIFECYCLE",
        f"   opened {c('position_opened')}, closed {c('position_closed')}, "
        f"rate {_rate(rates.get('position_opened'))}",
        f"   top symbols: {_top(analysis.symbols.get('position_opened', {}))}",
        "",
        "2. STOP-LOSS",
        f"   set {c('sl_set')}, updated {c('sl_updated') + c('sl_updated_timed')} "
        f"({_rate(rates.get('sl_updates'))}), failed {c('sl_update_failed')}, "
        f"triggered {c('sl_triggered')}",
        f"   missing: {c('sl_missing')} reports, symbols "
        f"{_top(analysis.symbols.get('sl_missing', {}))}",
        f"   update latency: {_latency(analysis.latencies_ms.get('sl_updated_timed', {}))}",
        "",
        "3. TRAILING STOP",
        f"   activations {ts.get('activations', 0)}, updates {ts.get('updates', 0)} "
        f"({_rate(rates.get('ts_updates'))}), emergency updates {ts.get('emergency_updates', 0)}",
        f"   per position {ts.get('updates_per_position', 0):g}, busiest "
        f"{_rate(ts.get('busiest_updates_per_minute'))}, excessive: "
        f"{_top(ts.get('excessive_symbols', {}))}",
        "",
        "4. WEBSOCKET HEALTH",
        f"   connects {c('ws_connected')}, disconnects {c('ws_disconnected')}, reconnects "
        f"{analysis.ws_reconnects} (attempts {c('ws_reconnect_attempt')}), errors {c('ws_error')}",
        f"   longest disconnection {analysis.ws_longest_disconnect_s:g} s, uptime "
        + (
            f"{analysis.ws_uptime_percent:g} %"
            if analysis.ws_uptime_percent is not None
            else "unknown"
        ),
        "",
        "5. EXCHANGE DISTRIBUTION",
    ]
    lines += [
        f"   {exchange}: {v['entries']} entries, {v['errors']} errors"
        for exchange, v in analysis.exchanges.items()
    ] or ["   no exchange named"]
    lines += [
        "",
        "6. ERRORS",
        f"   by level: {_top(analysis.levels, 5)}",
        f"   types: {_top(analysis.error_types, 8)}",
        f"   exchange codes: {_top(analysis.exchange_codes, 8)}",
        f"   modules: {_top(analysis.error_modules, 8)}",
        "   shapes (variable parts masked):",
    ]
    lines += [
        f"     {s['count']:>6} x {s['level']:8} {s['shape']}  (first {s['first_seen']}, "
        f"last {s['last_seen']}, e.g. {s['sample']})"
        for s in analysis.error_shapes[:10]
    ] or ["     none"]
    lines += [
        "",
        "7. TIMING",
        f"   timeouts {c('timeout')}, rate limits {c('rate_limit')}, slow operations "
        f"{analysis.slow_operations}",
    ]
    for kind in ("timeout", "rate_limit"):
        lines += [f"   e.g. {s.where}: {s.message}" for s in analysis.samples.get(kind, ())[:2]]
    lines += [
        "",
        f"   emergency closes {c('emergency_close')}, zombie reports "
        f"{c('zombies_found')}, aged-position warnings {c('aged_position')}",
    ]
    return "\n".join(lines)
