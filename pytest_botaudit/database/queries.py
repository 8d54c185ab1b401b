"""The audit's queries over the bot's tables: sql/ files rendered once from the profile, run on a
read-only session, returning dataclasses."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from ..config.profile import OPTIONAL_TABLES, Profile
from ..config.specs import QuerySpec
from ..config.values import LATENCY_BATCH_SECONDS
from ..errors import QueryRefused, ReadOnlyViolation
from .connection import ReadOnlySession
from .querysafety import query_refusal
from .sqlfiles import query
from .variables import sql_variables
from .zones import ColumnZones


@dataclass(frozen=True, slots=True)
class ServerInfo:
    version: str
    in_recovery: bool
    read_only: bool
    round_trip_ms: float


@dataclass(frozen=True, slots=True)
class Clock:
    """The server's now() and the newest times the bot wrote (None: no row yet)."""

    server_now: datetime
    newest_event: datetime | None
    newest_opened: datetime | None


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Latency (ms) of the events that carry a duration, over a window."""

    samples: int
    avg_ms: float | None
    p95_ms: float | None
    max_ms: float | None
    sd_ms: float | None = None  # sample standard deviation (None under two samples)
    p50_ms: float | None = None
    batches: int = 0  # time batches of LATENCY_BATCH_SECONDS holding samples
    batch_mean_ms: float | None = None  # the mean and spread of the batches' means
    batch_sd_ms: float | None = None


@dataclass(frozen=True, slots=True)
class TrailingUpdates:
    """Trailing-stop updates of one position (symbol + exchange) over a window."""

    symbol: str
    exchange: str
    updates: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True, slots=True)
class EventTypeCount:
    """One event type written in a window: how often, and when first."""

    event_type: str
    events: int
    first_at: datetime


@dataclass(frozen=True, slots=True)
class UnprotectedPosition:
    id: int
    symbol: str
    exchange: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class WindowPosition:
    """A position open at some moment of a past period, as window mode rebuilds its ticks:
    ``ended_at`` its close or force-close (``forced_path`` says which rule), ``protected_at``
    its first stop-loss event."""

    id: int
    symbol: str
    exchange: str
    status: str
    opened_at: datetime
    ended_at: datetime | None
    forced_path: str | None
    protected_at: datetime | None
    has_stop_loss: bool


@dataclass(frozen=True, slots=True)
class QueryVetting:
    """Pre-flight's word on one profile query: refused (why), or not parsed (the error)."""

    name: str
    refusal: str | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.refusal:
            return f"query {self.name}: refused: {self.refusal}"
        if self.error:
            return f"query {self.name}: does not parse (the schema check fails it): {self.error}"
        return f"query {self.name}: one SELECT, only readers called"


def _first_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


class AuditDatabase:
    """The queries of an audit, rendered once from the profile and run on one session."""

    def __init__(
        self, session: ReadOnlySession, profile: Profile, zones: ColumnZones | None = None
    ) -> None:
        self.session = session
        self.profile = profile
        self.zones = zones or ColumnZones(session.server_zone)
        names = sql_variables(profile, self.zones)
        self._tick = query("tick.sql", names)
        self._vocabulary = query("vocabulary.sql", names)
        self._latency = query("latency.sql", names)
        self._event_types = query("event_types.sql", names)
        self._ts_updates = query("ts_updates.sql", names)
        self._unprotected = query("unprotected_positions.sql", names)
        self._columns = query("columns.sql", names)
        self._privileges = query("privileges.sql", names)
        self._window_counts = query("window_counts.sql", names)
        self._window_positions = query("window_positions.sql", names)
        self._clock = query("clock.sql", names)
        self._vetted: set[str] = set()  # the profile queries found safe on this session

    @classmethod
    async def open(cls, session: ReadOnlySession, profile: Profile) -> AuditDatabase:
        """The audit's queries for this database: its naive timestamp columns read in the
        zone the profile (or, unnamed, the server) gives them."""
        probe = cls(session, profile)
        zones = ColumnZones.resolve(profile, session.server_zone, await probe.columns())
        return cls(session, profile, zones)

    async def server_info(self) -> ServerInfo:
        started = time.perf_counter()
        row = await self.session.fetchrow(
            "SELECT version() AS version, pg_is_in_recovery() AS in_recovery,"
            " current_setting('transaction_read_only') = 'on' AS read_only"
        )
        elapsed = (time.perf_counter() - started) * 1000
        assert row is not None
        return ServerInfo(row["version"], row["in_recovery"], row["read_only"], round(elapsed, 2))

    async def tick_rows(
        self, window_start: datetime, window_end: datetime, taken_at: datetime
    ) -> list[asyncpg.Record]:
        """sql/tick.sql: the gauges at ``taken_at`` and the event counts of the window."""
        aged_cutoff = taken_at - timedelta(hours=self.profile.max_age_hours)
        grace_cutoff = taken_at - timedelta(seconds=self.profile.sl_grace_seconds)
        # planned once for the whole audit: its plan (index ranges on the events' created_at,
        # position_id and symbol, one pass over positions) is the same for any window, and
        # planning it anew took longer than running it (0.6 ms of 2.3 at 10M events)
        async with self.session.transaction(), self.session.generic_plans():
            return await self.session.fetch(
                self._tick, window_start, window_end, aged_cutoff, grace_cutoff
            )

    async def profile_queries(
        self, window_start: datetime, window_end: datetime
    ) -> dict[str, float]:
        """The profile's own per-tick metrics, by name. Each query runs only once it was found
        safe on this session (database/querysafety.py): a refused one raises QueryRefused and
        the audit stops there, by name, without ever running it."""
        values: dict[str, float] = {}
        for spec in self.profile.queries:
            await self._vet(spec)
            args = (window_start, window_end)[: spec.parameters]
            values[spec.name] = float(await self.session.fetchval(spec.sql, *args) or 0)
        return values

    async def _vet(self, spec: QuerySpec) -> None:
        """Refuse ``spec`` unless it is one SELECT calling only readers; the server's error
        for one that does not parse."""
        if spec.name in self._vetted:
            return
        refusal = await query_refusal(self.session, spec.sql)
        if refusal is not None:
            raise QueryRefused(spec.name, refusal)
        self._vetted.add(spec.name)

    async def vet_profile_queries(self) -> list[QueryVetting]:
        """Pre-flight's look at every profile query, none of them run."""
        found: list[QueryVetting] = []
        for spec in self.profile.queries:
            try:
                await self._vet(spec)
            except QueryRefused as exc:
                found.append(QueryVetting(spec.name, refusal=exc.reason))
                continue
            except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                found.append(QueryVetting(spec.name, error=_first_line(exc)))
                continue
            found.append(QueryVetting(spec.name))
        return found

    async def failing_profile_queries(self) -> list[tuple[str, str]]:
        """Each safe profile query run once over the last minute: ``(name, error)`` of those
        that fail (a syntax error, a missing table, no permission). A refused query is never
        run: the pre-flight check of the queries names it."""
        end = datetime.now(UTC)
        failing: list[tuple[str, str]] = []
        for spec in self.profile.queries:
            args = (end - timedelta(minutes=1), end)[: spec.parameters]
            try:
                await self._vet(spec)
                await self.session.fetchval(spec.sql, *args)
            except QueryRefused:
                continue
            except (asyncpg.PostgresError, asyncpg.InterfaceError, ReadOnlyViolation) as exc:
                failing.append((spec.name, _first_line(exc)))
        return failing

    async def clock(self) -> Clock:
        row = await self.session.fetchrow(self._clock)
        assert row is not None
        return Clock(row["server_now"], row["newest_event"], row["newest_opened"])

    async def connections(self) -> float:
        """Sessions connected to this database now (the bot's pool, the audit, others)."""
        value = await self.session.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        )
        return float(value or 0)

    async def event_types_present(self, event_types: Sequence[str]) -> set[str]:
        rows = await self.session.fetch(self._vocabulary, list(event_types))
        return {r["event_type"] for r in rows}

    async def latency(
        self, since: datetime, until: datetime, event_types: Sequence[str], json_key: str
    ) -> LatencyStats:
        row = await self.session.fetchrow(
            self._latency, since, until, list(event_types), json_key, LATENCY_BATCH_SECONDS
        )
        assert row is not None
        return LatencyStats(
            int(row["samples"]),
            _float(row["avg_ms"]),
            _float(row["p95_ms"]),
            _float(row["max_ms"]),
            _float(row["sd_ms"]),
            _float(row["p50_ms"]),
            int(row["batches"]),
            _float(row["batch_mean_ms"]),
            _float(row["batch_sd_ms"]),
        )

    async def event_types(self, since: datetime, until: datetime) -> list[EventTypeCount]:
        rows = await self.session.fetch(self._event_types, since, until)
        return [EventTypeCount(r["event_type"], int(r["events"]), r["first_at"]) for r in rows]

    async def ts_updates(
        self, since: datetime, until: datetime, limit: int = 20
    ) -> list[TrailingUpdates]:
        rows = await self.session.fetch(
            self._ts_updates, since, until, list(self.profile.ts_update_event_types), limit
        )
        return [
            TrailingUpdates(
                r["symbol"], r["exchange"], int(r["updates"]), r["first_at"], r["last_at"]
            )
            for r in rows
        ]

    async def unprotected_positions(self, limit: int = 20) -> list[UnprotectedPosition]:
        grace_cutoff = datetime.now(UTC) - timedelta(seconds=self.profile.sl_grace_seconds)
        rows = await self.session.fetch(self._unprotected, limit, grace_cutoff)
        return [
            UnprotectedPosition(int(r["id"]), r["symbol"], r["exchange"], r["opened_at"])
            for r in rows
        ]

    async def window_positions(self, since: datetime, end: datetime) -> list[WindowPosition]:
        """sql/window_positions.sql: every position open at some moment of a past period."""
        rows = await self.session.fetch(self._window_positions, since, end)
        return [
            WindowPosition(
                int(r["id"]),
                r["symbol"],
                r["exchange"],
                r["status"],
                r["opened_at"],
                r["ended_at"],
                r["forced_path"],
                r["protected_at"],
                bool(r["has_stop_loss"]),
            )
            for r in rows
        ]

    def window_counts(
        self, since: datetime, end: datetime, interval: float, ticks: int
    ) -> AsyncGenerator[list[asyncpg.Record], None]:
        """sql/window_counts.sql over the ``ticks`` ticks of [since, end), its rows in tick
        order as they arrive, a batch at a time, the next one read meanwhile (inside the
        session's transaction(), with window_positions for the same snapshot of the tables)."""
        return self.session.stream(self._window_counts, since, end, interval, ticks)

    async def columns(self) -> dict[str, dict[str, str]]:
        tables = list(self.profile.tables.values())
        rows = await self.session.fetch(self._columns, self.profile.schema, tables)
        found: dict[str, dict[str, str]] = {}
        for row in rows:
            found.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
        return found

    async def role_powers(self) -> list[str]:
        """Every power of the session's role beyond reading, by name (sql/privileges.sql):
        ``SUPERUSER``, ``member of pg_execute_server_program``, ``CREATE on schema s``,
        ``schema.table: INSERT`` ..."""
        tables = list(self.profile.tables.values())
        rows = await self.session.fetch(self._privileges, self.profile.schema, tables)
        return [r["power"] for r in rows]

    async def missing_columns(self) -> list[str]:
        """``schema.table.column`` names the profile needs but the database lacks (the tables
        only the analysis reads, where the bot has them, are not needed)."""
        present = await self.columns()
        missing: list[str] = []
        for key, columns in self.profile.columns.items():
            if key in OPTIONAL_TABLES:
                continue
            table = self.profile.tables[key]
            if table not in present:
                missing.append(f"{self.profile.schema}.{table} (table)")
                continue
            missing += [
                f"{self.profile.schema}.{table}.{col}"
                for col in columns.values()
                if col not in present[table]
            ]
        return missing
