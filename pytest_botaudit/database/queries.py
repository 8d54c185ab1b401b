"""The audit's queries over the bot's tables: sql/ files rendered once from the profile, run on a
read-only session, returning dataclasses."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from ..config.profile import Profile
from ..config.values import LATENCY_BATCH_SECONDS
from ..errors import ReadOnlyViolation
from .connection import ReadOnlySession
from .sqlfiles import query


@dataclass(frozen=True, slots=True)
class ServerInfo:
    version: str
    in_recovery: bool
    read_only: bool
    round_trip_ms: float


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
    opened_at: str


@dataclass(frozen=True, slots=True)
class WindowRows:
    """Window mode's raw material: per-tick event counts and per-tick position gauges."""

    counts: tuple[asyncpg.Record, ...]
    gauges: tuple[asyncpg.Record, ...]


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


class AuditDatabase:
    """The queries of an audit, rendered once from the profile and run on one session."""

    def __init__(self, session: ReadOnlySession, profile: Profile) -> None:
        self.session = session
        self.profile = profile
        names = profile.sql_names()
        self._tick = query("tick.sql", names)
        self._vocabulary = query("vocabulary.sql", names)
        self._latency = query("latency.sql", names)
        self._event_types = query("event_types.sql", names)
        self._ts_updates = query("ts_updates.sql", names)
        self._unprotected = query("unprotected_positions.sql", names)
        self._columns = query("columns.sql", names)
        self._privileges = query("privileges.sql", names)
        self._window_counts = query("window_counts.sql", names)
        self._window_gauges = query("window_gauges.sql", names)

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
        return await self.session.fetch(
            self._tick,
            window_start,
            window_end,
            list(self.profile.open_statuses),
            aged_cutoff,
            grace_cutoff,
        )

    async def profile_queries(
        self, window_start: datetime, window_end: datetime
    ) -> dict[str, float]:
        """The profile's own per-tick metrics, by name."""
        values: dict[str, float] = {}
        for spec in self.profile.queries:
            args = (window_start, window_end)[: spec.parameters]
            values[spec.name] = float(await self.session.fetchval(spec.sql, *args) or 0)
        return values

    async def failing_profile_queries(self) -> list[tuple[str, str]]:
        """Each profile query run once over the last minute: ``(name, error)`` of those that
        fail (a syntax error, a missing table, an attempt to write)."""
        end = datetime.now(UTC)
        failing: list[tuple[str, str]] = []
        for spec in self.profile.queries:
            args = (end - timedelta(minutes=1), end)[: spec.parameters]
            try:
                await self.session.fetchval(spec.sql, *args)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, ReadOnlyViolation) as exc:
                failing.append((spec.name, f"{type(exc).__name__}: {exc}".splitlines()[0]))
        return failing

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
        rows = await self.session.fetch(
            self._unprotected,
            list(self.profile.open_statuses),
            limit,
            self.profile.sl_grace_seconds,
        )
        return [
            UnprotectedPosition(int(r["id"]), r["symbol"], r["exchange"], r["opened_at"])
            for r in rows
        ]

    async def window_rows(
        self, since: datetime, end: datetime, interval: float, moments: Sequence[datetime]
    ) -> WindowRows:
        """sql/window_counts.sql and sql/window_gauges.sql over a past period, in one
        read-only transaction."""
        profile = self.profile
        statuses = list(dict.fromkeys([*profile.open_statuses, *profile.closed_statuses]))
        async with self.session.transaction():
            counts = await self.session.fetch(self._window_counts, since, end, interval)
            gauges = await self.session.fetch(
                self._window_gauges,
                list(moments),
                statuses,
                list(profile.stop_loss_event_types),
                profile.max_age_hours * 3600,
                profile.sl_grace_seconds,
            )
        return WindowRows(tuple(counts), tuple(gauges))

    async def columns(self) -> dict[str, dict[str, str]]:
        tables = list(self.profile.tables.values())
        rows = await self.session.fetch(self._columns, self.profile.schema, tables)
        found: dict[str, dict[str, str]] = {}
        for row in rows:
            found.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
        return found

    async def write_privileges(self) -> list[str]:
        """``schema.table: PRIVILEGE`` for every way the session's role could change a table."""
        tables = list(self.profile.tables.values())
        rows = await self.session.fetch(self._privileges, self.profile.schema, tables)
        return [f"{self.profile.schema}.{r['table_name']}: {r['privilege']}" for r in rows]

    async def missing_columns(self) -> list[str]:
        """``schema.table.column`` names the profile needs but the database lacks."""
        present = await self.columns()
        missing: list[str] = []
        for key, columns in self.profile.columns.items():
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
