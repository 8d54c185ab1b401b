"""Read-only asyncpg access to the audited database, through typed wrappers over sql/ files."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from .errors import DatabaseUnavailable
from .metrics import Snapshot, build_snapshot
from .profile import Profile
from .settings import redact_dsn, secrets_of
from .sqlfiles import query

# Every session is read-only at the server: the plugin cannot write to the bot's database even
# by mistake. TimeZone=UTC makes `timestamp without time zone` columns compare as UTC.
SERVER_SETTINGS = {
    "default_transaction_read_only": "on",
    "application_name": "pytest-botaudit",
    "TimeZone": "UTC",
}
CONNECT_TIMEOUT = 10.0


async def connect(dsn: str | None, connect_timeout: float = CONNECT_TIMEOUT) -> asyncpg.Connection:
    """A read-only connection; asyncpg fills what the DSN leaves out from libpq's PG* variables."""
    try:
        return await asyncpg.connect(
            dsn or None, timeout=connect_timeout, server_settings=SERVER_SETTINGS
        )
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        ValueError,
    ) as exc:
        raise DatabaseUnavailable(describe_error(exc, dsn)) from None


def describe_error(exc: BaseException, dsn: str | None) -> str:
    """One line naming the failure, scrubbed of any password in the DSN."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    for secret in secrets_of(dsn):
        text = text.replace(secret, "***")
    target = redact_dsn(dsn) if dsn else "the PG* environment"
    return f"cannot connect to {target}: {text}"


@dataclass(frozen=True, slots=True)
class ServerInfo:
    version: str
    in_recovery: bool
    read_only: bool
    round_trip_ms: float


class AuditDatabase:
    """The queries of an audit, rendered once from the profile and run on one connection."""

    def __init__(self, connection: asyncpg.Connection, profile: Profile) -> None:
        self.connection = connection
        self.profile = profile
        names = profile.sql_names()
        self._tick = query("tick.sql", names)
        self._vocabulary = query("vocabulary.sql", names)
        self._latency = query("latency.sql", names)
        self._ts_updates = query("ts_updates.sql", names)
        self._unprotected = query("unprotected_positions.sql", names)
        self._columns = query("columns.sql", names)

    async def server_info(self) -> ServerInfo:
        started = time.perf_counter()
        row = await self.connection.fetchrow(
            "SELECT version() AS version, pg_is_in_recovery() AS in_recovery,"
            " current_setting('transaction_read_only') = 'on' AS read_only"
        )
        elapsed = (time.perf_counter() - started) * 1000
        return ServerInfo(row["version"], row["in_recovery"], row["read_only"], round(elapsed, 2))

    async def tick(
        self, tick: int, window_start: datetime, window_end: datetime, taken_at: datetime
    ) -> Snapshot:
        aged_cutoff = taken_at - timedelta(hours=self.profile.max_age_hours)
        rows = await self.connection.fetch(
            self._tick, window_start, window_end, list(self.profile.open_statuses), aged_cutoff
        )
        snapshot = build_snapshot(rows, self.profile, tick, window_start, window_end, taken_at)
        if not self.profile.queries:
            return snapshot
        counters, gauges = dict(snapshot.counters), dict(snapshot.gauges)
        for spec in self.profile.queries:
            args = (window_start, window_end)[: spec.parameters]
            value = await self.connection.fetchval(spec.sql, *args)
            (counters if spec.kind == "counter" else gauges)[spec.name] = float(value or 0)
        return replace(snapshot, counters=counters, gauges=gauges)

    async def event_types_present(self, event_types: Sequence[str]) -> set[str]:
        rows = await self.connection.fetch(self._vocabulary, list(event_types))
        return {r["event_type"] for r in rows}

    async def latency(
        self, since: datetime, until: datetime, event_types: Sequence[str], json_key: str
    ) -> dict[str, float | None]:
        row = await self.connection.fetchrow(
            self._latency, since, until, list(event_types), json_key
        )
        return {k: (float(v) if v is not None else None) for k, v in dict(row).items()}

    async def ts_updates(
        self, since: datetime, until: datetime, limit: int = 20
    ) -> list[dict[str, Any]]:
        rows = await self.connection.fetch(
            self._ts_updates, since, until, list(self.profile.ts_update_event_types), limit
        )
        return [dict(r) for r in rows]

    async def unprotected_positions(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = await self.connection.fetch(
            self._unprotected, list(self.profile.open_statuses), limit
        )
        return [dict(r) for r in rows]

    async def columns(self) -> dict[str, dict[str, str]]:
        tables = list(self.profile.tables.values())
        rows = await self.connection.fetch(self._columns, self.profile.schema, tables)
        found: dict[str, dict[str, str]] = {}
        for row in rows:
            found.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
        return found

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
