"""The statistics at a glance of ``audit_report.md``: each figure with its source and window, so
two figures of one fact that differ say why (the ticks' openings beside section 1's, the API
errors check beside the error events and the ERROR lines of the log)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..database.analysis import DatabaseAnalysis
from ..judging.audit import AuditData
from ..record.model import Severity
from ..timefmt import span


def _section_total(analysis: DatabaseAnalysis | None, number: int, table: str) -> Any:
    """The 'all exchanges' row of a per-exchange table, or None."""
    if analysis is None:
        return None
    try:
        found = analysis.section(number).table(table)
    except StopIteration:
        return None
    if found.unavailable:
        return None
    rows = found.records()
    return next((r for r in rows if r.get("exchange") == "all exchanges"), None)


def _types(data: AuditData, counter: str) -> str:
    spec = data.profile.counter(counter)
    if spec is None:
        return counter
    sources = []
    if spec.event_types:
        shown = ", ".join(spec.event_types[:2])
        more = len(spec.event_types) - 2
        sources.append(f"events {shown}" + (f" (+{more} more)" if more > 0 else ""))
    if spec.positions:
        sources.append(f"positions rows ({spec.positions})")
    if spec.log_category:
        sources.append(f"log {spec.log_category}")
    return ", ".join(sources)


def glance_rows(data: AuditData | None) -> list[Sequence[object]]:
    """(figure, value, source and window) rows; a figure without its source shows '-'."""
    if data is None:
        return [("(not collected)", "-", "-")]
    collection = data.collection
    window = span(collection.started_at, collection.ended_at)
    analysis = data.window.analysis
    log = data.log
    total = _section_total(analysis, 1, "01_positions_by_exchange")
    rows: list[Sequence[object]] = [
        (
            "Positions opened",
            f"{collection.total('new_positions_opened'):g}",
            f"the ticks: {_types(data, 'new_positions_opened')}, opened_at in {window}",
        ),
        (
            "Positions opened (section 1)",
            "-" if total is None else total["opened"],
            "the database analysis: positions.opened_at in the same window",
        ),
        (
            "Positions closed",
            f"{collection.total('positions_closed'):g}",
            f"the ticks: {_types(data, 'positions_closed')} in {window}",
        ),
        (
            "API errors (the API errors check)",
            f"{collection.total('api_errors'):g}",
            f"the ticks: {_types(data, 'api_errors')}",
        ),
        (
            "CRITICAL alerts (incidents)",
            len(collection.incidents_of(Severity.CRITICAL)),
            "the collector's alert rules, judged at each tick",
        ),
    ]
    if log is not None:
        rows += [
            (
                "Positions opened (log)",
                log.count("position_opened"),
                "the bot's log: opening lines in the window (one per open)",
            ),
            (
                "Errors logged (ERROR + CRITICAL lines)",
                log.levels.get("ERROR", 0) + log.levels.get("CRITICAL", 0),
                "the bot's log: every ERROR and CRITICAL record in the window, any topic",
            ),
            (
                "WebSocket uptime",
                f"{log.ws_uptime_percent:g} % over {log.websocket.covers}"
                if log.ws_uptime_percent is not None
                else "n/a",
                "the bot's log: its streams' disconnects and reconnects",
            ),
        ]
    return rows
