"""The 14-section database analysis of an audit window (the seed's post_test_analysis.sql):
the SELECTs of sql/analysis/, the very files psql runs through sql/post_test_analysis.sql,
each run read-only with the window as $1 and $2 and the profile's names and settings."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import asyncpg

from ..config.profile import Profile
from ..errors import ReadOnlyViolation
from .connection import ReadOnlySession
from .pool import run_spread
from .queries import AuditDatabase
from .sqlfiles import load_sql, render
from .variables import sql_variables
from .zones import ColumnZones


@dataclass(frozen=True, slots=True)
class SectionSpec:
    number: int
    title: str
    files: tuple[str, ...]  # under sql/analysis/, one table each


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        1,
        "Positions summary",
        ("01_positions_by_exchange", "01b_positions_by_status", "01c_closed_by_force"),
    ),
    SectionSpec(
        2,
        "Stop-loss",
        ("02_stop_loss_by_exchange", "02b_unprotected_positions", "02c_initial_sl_latency"),
    ),
    SectionSpec(3, "Trailing stops", ("03_trailing_stop", "03b_trailing_by_symbol")),
    SectionSpec(4, "Errors and issues", ("04_errors",)),
    SectionSpec(5, "Performance", ("05_latency_by_event_type", "05b_transaction_latency")),
    SectionSpec(6, "Aged positions", ("06_aged_buckets", "06b_aged_detail")),
    SectionSpec(7, "Zombie orders", ("07_zombie_orders",)),
    SectionSpec(8, "PnL", ("08_pnl_by_exchange", "08b_best_and_worst_trades")),
    SectionSpec(9, "WebSocket events", ("09_websocket",)),
    SectionSpec(10, "Race conditions", ("10_race_conditions",)),
    SectionSpec(11, "Hourly distribution", ("11_hourly",)),
    SectionSpec(12, "Critical events timeline", ("12_critical_timeline",)),
    SectionSpec(13, "Lifecycle of sample positions", ("13_position_lifecycle",)),
    SectionSpec(
        14,
        "Data integrity and database health",
        ("14_table_health", "14b_connections", "14c_synchronization"),
    ),
)
# what makes a table "not available" on this database, rather than an error of the audit
_UNAVAILABLE = (asyncpg.PostgresError, asyncpg.InterfaceError, ReadOnlyViolation)


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    unavailable: str | None = None
    seconds: float = 0.0

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, slots=True)
class Section:
    number: int
    title: str
    tables: tuple[Table, ...]
    note: str | None = None  # e.g. what the log says where the database records nothing

    @property
    def unavailable(self) -> str | None:
        reasons = [t.unavailable for t in self.tables if t.unavailable]
        return "; ".join(reasons) if len(reasons) == len(self.tables) else None

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"number": self.number, "title": self.title}
        if self.unavailable:
            data["unavailable"] = self.unavailable
            return data
        data["tables"] = {t.name: [_json_row(r) for r in t.records()] for t in self.tables}
        missing = {t.name: t.unavailable for t in self.tables if t.unavailable}
        if missing:
            data["unavailable_tables"] = missing
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class DatabaseAnalysis:
    since: dt.datetime
    until: dt.datetime
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, number: int) -> Section:
        return next(s for s in self.sections if s.number == number)

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.sections]


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()
        return value

    return {key: plain(value) for key, value in row.items()}


def analysis_names(profile: Profile, zones: ColumnZones | None = None) -> dict[str, str]:
    """The psql variables of sql/analysis/, from the profile (post_test_analysis.sql sets the
    same ones to the contract's values)."""
    return sql_variables(profile, zones or ColumnZones())


def analysis_sql(
    name: str,
    profile: Profile,
    since: dt.datetime,
    until: dt.datetime,
    zones: ColumnZones | None = None,
) -> tuple[str, tuple[dt.datetime, ...]]:
    """One file of sql/analysis/ for asyncpg: the window's ends become parameters (only those
    it uses: a prepared statement needs the type of each), the other variables literals."""
    text = load_sql(f"analysis/{name}.sql")
    args: list[dt.datetime] = []
    for variable, moment in ((":'since'", since), (":'until'", until)):
        if variable in text:
            args.append(moment)
            text = text.replace(variable, f"${len(args)}")
    return render(text, analysis_names(profile, zones)), tuple(args)


def _redacted(value: object, profile: Profile) -> object:
    return profile.redact(value) if isinstance(value, str) else value


async def analysis_table(
    session: ReadOnlySession,
    name: str,
    profile: Profile,
    since: dt.datetime,
    until: dt.datetime,
    zones: ColumnZones,
) -> Table:
    """One file of sql/analysis/ over [since, until); "not available" (a missing table or
    column, no permission, the statement timeout) rather than zeros."""
    started = time.perf_counter()
    try:
        sql, args = analysis_sql(name, profile, since, until, zones)
        rows = await session.fetch(sql, *args)
    except _UNAVAILABLE as exc:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return Table(name, unavailable=reason)
    columns = tuple(rows[0].keys()) if rows else ()
    return Table(
        name,
        columns,
        # the bot's texts (error messages, event data) are evidence, and carry secrets as its
        # log does: the same redaction
        tuple(tuple(_redacted(v, profile) for v in row.values()) for row in rows),
        seconds=time.perf_counter() - started,
    )


def analysis_jobs(
    profile: Profile, since: dt.datetime, until: dt.datetime, zones: ColumnZones
) -> list[Callable[[ReadOnlySession], Awaitable[Table]]]:
    """Every table of every section as a job for any session (database.pool), in order."""
    return [
        partial(analysis_table, name=name, profile=profile, since=since, until=until, zones=zones)
        for spec in SECTIONS
        for name in spec.files
    ]


def assemble(since: dt.datetime, until: dt.datetime, tables: Sequence[Table]) -> DatabaseAnalysis:
    """The sections of ``tables``, given in the order of analysis_jobs."""
    found = iter(tables)
    sections = tuple(
        Section(spec.number, spec.title, tuple(next(found) for _ in spec.files))
        for spec in SECTIONS
    )
    return DatabaseAnalysis(since, until, sections)


async def run_analysis(
    session: ReadOnlySession | Sequence[ReadOnlySession],
    profile: Profile,
    since: dt.datetime,
    until: dt.datetime,
    zones: ColumnZones | None = None,
) -> DatabaseAnalysis:
    """Every section over [since, until), its tables spread over the ``session`` (or sessions)
    given; a table that cannot run here is "not available", never zeros. ``zones`` (of the
    database's naive columns) is read from the database when not given."""
    sessions = [session] if isinstance(session, ReadOnlySession) else list(session)
    if zones is None:
        zones = (await AuditDatabase.open(sessions[0], profile)).zones
    tables = await run_spread(sessions, analysis_jobs(profile, since, until, zones))
    return assemble(since, until, tables)
