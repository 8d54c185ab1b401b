"""Plain-text rendering of a log analysis (``botaudit logs`` without --json)."""

from __future__ import annotations

from collections.abc import Mapping

from ..logs.model import LogAnalysis


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


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}/min"


def render_log_report(analysis: LogAnalysis) -> str:
    c = analysis.count
    read = analysis.read
    life, sl, ts, ws = (
        analysis.lifecycle,
        analysis.stop_loss,
        analysis.trailing_stop,
        analysis.websocket,
    )
    lines = [
        "BOT LOG ANALYSIS",
        "=" * 72,
        f"files: {', '.join(read.files)}",
        f"lines {read.lines}: records {read.records}, continuation "
        f"{read.continuation_lines}, unparsable {read.unparsable_lines} "
        f"(undecodable {read.undecodable_lines}), truncated {read.truncated_lines}; in the "
        f"window {analysis.records}, outside {analysis.out_of_window}",
        *(f"DAMAGED: {note}" for note in read.damaged),
        "",
        "1. POSITION LIFECYCLE",
        f"   opened {life.opened}, closed {life.closed}, rate {_rate(life.opened_per_minute)}",
        f"   top symbols: {_top(life.top_symbols)}",
        "",
        "2. STOP-LOSS",
        f"   set {sl.set}, updated {sl.updated} ({_rate(sl.updates_per_minute)}), failed "
        f"{sl.set_failed + sl.update_failed} (to set {sl.set_failed}, to update "
        f"{sl.update_failed}), triggered {sl.triggered}",
        f"   missing: {sl.missing} reports, symbols {_top(sl.missing_symbols)}",
        f"   update latency: {_latency(analysis.latencies_ms.get('sl_updated_timed', {}))}",
        "",
        "3. TRAILING STOP",
        f"   activations {ts.activations}, updates {ts.updates} "
        f"({_rate(ts.updates_per_minute)}), emergency updates {ts.emergency_updates}",
        f"   per position {ts.updates_per_position:g}, busiest "
        f"{_rate(ts.busiest_updates_per_minute)}, excessive: {_top(ts.excessive_symbols)}",
        "",
        "4. WEBSOCKET HEALTH",
        f"   connects {ws.connects}, disconnects {ws.disconnects}, reconnects "
        f"{ws.reconnects} (attempts {ws.reconnect_attempts}), errors {ws.errors}",
        f"   longest disconnection {ws.longest_disconnect_s:g} s, uptime "
        + (f"{ws.uptime_percent:g} %" if ws.uptime_percent is not None else "unknown")
        + f" over {ws.covers}",
        "",
        "5. EXCHANGE DISTRIBUTION",
    ]
    lines += [
        f"   {exchange}: {v.entries} entries, {v.errors} errors"
        for exchange, v in analysis.exchanges.items()
    ] or ["   no exchange named"]
    errors = analysis.errors
    lines += [
        "",
        "6. ERRORS",
        f"   by level: {_top(analysis.levels, 5)}",
        f"   types: {_top(errors.types, 8)}",
        f"   exchange codes: {_top(errors.exchange_codes, 8)}",
        f"   modules: {_top(errors.modules, 8)}",
        "   shapes (variable parts masked):",
    ]
    lines += [
        f"     {s.count:>6} x {s.level:8} {s.shape}  (first {s.first_seen}, "
        f"last {s.last_seen}, e.g. {s.sample})"
        for s in errors.shapes[:10]
    ] or ["     none"]
    timing = analysis.timing
    lines += [
        "",
        "7. TIMING",
        f"   timeouts {timing.timeouts}, rate limits {timing.rate_limits}, slow operations "
        f"{timing.slow_operations}",
    ]
    for kind in ("timeout", "rate_limit"):
        lines += [f"   e.g. {s.where}: {s.message}" for s in analysis.samples.get(kind, ())[:2]]
    lines += [
        "",
        f"   emergency closes {c('emergency_close')}, zombie reports "
        f"{c('zombies_found')}, aged-position warnings {c('aged_position')}",
    ]
    return "\n".join(lines)
