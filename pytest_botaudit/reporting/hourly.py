"""Hourly observations (the seed's hand-filled ``hourly_observations.md``), from the run: hour h
is [start + (h-1) h, start + h h), the last one possibly partial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..record.digest import HourFacts, digest_of
from ..record.model import CollectionResult, Incident
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


def _overlaps(incident: Incident, starts: dt.datetime, ends: dt.datetime) -> bool:
    return incident.first_seen < ends and incident.last_seen >= starts


def hourly_rows(collection: CollectionResult, until: dt.datetime | None = None) -> list[HourRow]:
    """One row per hour of the run so far (``until``: the end of what was collected), from the
    run's digest (each hour's snapshots summed as they were taken)."""
    start = collection.started_at
    end = until or collection.ended_at
    hours = max(1, int(((end - start) / HOUR) + 0.999999))
    digest = digest_of(collection)
    rows = []
    for hour in range(1, hours + 1):
        starts, ends = start + (hour - 1) * HOUR, min(start + hour * HOUR, end)
        facts = digest.hours.get(hour) or HourFacts()
        gaps = [g for g in collection.gaps if starts < g.window_end <= ends]
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
                snapshots=facts.snapshots,
                gaps=len(gaps),
                active_peak=facts.peak("positions_total"),
                active_by_exchange={
                    exchange: figures.get("positions", 0.0)
                    for exchange, figures in facts.last_by_exchange.items()
                    if "positions" in figures
                },
                average_open=(
                    round(facts.positions / facts.snapshots, 2) if facts.snapshots else None
                ),
                opened=facts.total("new_positions_opened"),
                closed=facts.total("positions_closed"),
                ts_activated=facts.total("ts_activations"),
                unprotected_peak=facts.peak("unprotected_positions"),
                aged_peak=facts.peak("aged_positions"),
                api_errors=facts.total("api_errors"),
                ws_reconnects=facts.total("ws_reconnects"),
                emergency_closes=facts.total("emergency_closes"),
                zombies_cleaned=facts.total("zombie_orders"),
                events=facts.events,
                anomalies=anomalies,
                observed={
                    name: (round(total / count, 2), round(peak, 2))
                    for name, (total, count, peak) in facts.observed.items()
                },
            )
        )
    return rows


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
