"""Hourly observations (the seed's hand-filled ``hourly_observations.md``), from the run: hour h
is [start + (h-1) h, start + h h), the last one possibly partial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..record.model import CollectionResult, Incident, Snapshot
from ..timefmt import span

HOUR = dt.timedelta(hours=1)
NOT_RECORDED = "not recorded"


@dataclass(frozen=True, slots=True)
class HourRow:
    hour: int
    starts: dt.datetime
    ends: dt.datetime
    snapshots: int
    gaps: int
    active_peak: float
    active_by_exchange: dict[str, float]  # at the hour's last snapshot
    average_open: float | None
    opened: float
    closed: float
    ts_activated: float
    unprotected_peak: float
    aged_peak: float
    api_errors: float
    ws_reconnects: float
    emergency_closes: float
    zombies_cleaned: float
    events: float  # rows the bot wrote to the events table in the hour
    anomalies: tuple[str, ...]
    observed: dict[str, tuple[float, float]]  # live only: name -> (average, maximum)

    def seen(self, name: str, unit: str) -> str:
        if name not in self.observed:
            return NOT_RECORDED
        average, maximum = self.observed[name]
        return f"average {average:g}{unit}, max {maximum:g}{unit}"

    @property
    def responsive(self) -> str:
        if not self.snapshots:
            return "unknown (no snapshot)"
        return "yes" if self.events > 0 else "no events written"


def _sum(snapshots: Sequence[Snapshot], name: str) -> float:
    return sum(s.counters.get(name, 0.0) for s in snapshots)


def _peak(snapshots: Sequence[Snapshot], name: str) -> float:
    return max((s.gauges.get(name, 0.0) for s in snapshots), default=0.0)


def _overlaps(incident: Incident, starts: dt.datetime, ends: dt.datetime) -> bool:
    return incident.first_seen < ends and incident.last_seen >= starts


def hourly_rows(collection: CollectionResult, until: dt.datetime | None = None) -> list[HourRow]:
    """One row per hour of the run so far (``until``: the end of what was collected)."""
    start = collection.started_at
    end = until or collection.ended_at
    hours = max(1, int(((end - start) / HOUR) + 0.999999))
    rows = []
    for hour in range(1, hours + 1):
        starts, ends = start + (hour - 1) * HOUR, min(start + hour * HOUR, end)
        snaps = [s for s in collection.snapshots if starts < s.window_end <= ends]
        gaps = [g for g in collection.gaps if starts < g.window_end <= ends]
        last = snaps[-1] if snaps else None
        anomalies = tuple(
            f"{i.severity.value}: {i.message} ({span(i.first_seen, i.last_seen)})"
            for i in collection.incidents
            if _overlaps(i, starts, ends)
        )
        rows.append(
            HourRow(
                hour=hour,
                starts=starts,
                ends=ends,
                snapshots=len(snaps),
                gaps=len(gaps),
                active_peak=_peak(snaps, "positions_total"),
                active_by_exchange={
                    exchange: figures.get("positions", 0.0)
                    for exchange, figures in (last.by_exchange if last else {}).items()
                    if "positions" in figures
                },
                average_open=(
                    round(sum(s.gauges.get("positions_total", 0.0) for s in snaps) / len(snaps), 2)
                    if snaps
                    else None
                ),
                opened=_sum(snaps, "new_positions_opened"),
                closed=_sum(snaps, "positions_closed"),
                ts_activated=_sum(snaps, "ts_activations"),
                unprotected_peak=_peak(snaps, "unprotected_positions"),
                aged_peak=_peak(snaps, "aged_positions"),
                api_errors=_sum(snaps, "api_errors"),
                ws_reconnects=_sum(snaps, "ws_reconnects"),
                emergency_closes=_sum(snaps, "emergency_closes"),
                zombies_cleaned=_sum(snaps, "zombie_orders"),
                events=sum(sum(s.counters.values()) for s in snaps),
                anomalies=anomalies,
                observed=_observed(snaps),
            )
        )
    return rows


def _observed(snapshots: Sequence[Snapshot]) -> dict[str, tuple[float, float]]:
    values: dict[str, list[float]] = {}
    for snapshot in snapshots:
        for name, value in snapshot.observed.items():
            values.setdefault(name, []).append(value)
    return {name: (round(sum(v) / len(v), 2), round(max(v), 2)) for name, v in values.items()}


def render_hourly(rows: Sequence[HourRow], *, interim: bool = False) -> str:
    """The seed's template, filled: one block per hour."""
    lines = ["# Hourly observations", ""]
    if interim:
        lines += [
            "> **Interim**: the audit is still running; this file is rewritten every hour.",
            "",
        ]
    for row in rows:
        exchanges = ", ".join(f"{k} {v:g}" for k, v in sorted(row.active_by_exchange.items()))
        lines += [
            f"## Hour {row.hour}: {span(row.starts, row.ends)}",
            "",
            f"- Active positions: {row.active_peak:g} at most"
            + (f" ({exchanges} at the hour's end)" if exchanges else ""),
            f"- Average open positions: "
            f"{'n/a' if row.average_open is None else f'{row.average_open:g}'}",
            f"- Opened: {row.opened:g}, closed: {row.closed:g}, trailing stops activated: "
            f"{row.ts_activated:g}",
            f"- Unprotected positions (peak): {row.unprotected_peak:g}; aged (peak): "
            f"{row.aged_peak:g}",
            f"- API errors: {row.api_errors:g}; WebSocket reconnects: {row.ws_reconnects:g}; "
            f"emergency closes: {row.emergency_closes:g}; zombie orders cleaned: "
            f"{row.zombies_cleaned:g}",
            f"- Bot responsive: {row.responsive} ({row.events:g} events written)",
            f"- Database: {row.snapshots} snapshots, "
            + (f"{row.gaps} gaps" if row.gaps else "no gaps")
            + f"; tick round trip {row.seen('round_trip_ms', ' ms')}",
            f"- Database connections: {row.seen('db_connections', '')}",
            "- Bot process: "
            + (
                f"CPU {row.seen('bot_cpu_percent', ' %')}; memory {row.seen('bot_rss_mb', ' MB')}"
                if "bot_cpu_percent" in row.observed
                else f"{NOT_RECORDED} (--audit-bot-pid names it)"
            ),
            "- Anomalies: " + ("; ".join(row.anomalies) if row.anomalies else "none"),
            "",
        ]
    return "\n".join(lines)
