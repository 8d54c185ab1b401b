"""Connections to the audited database: read-only sessions whose every statement runs in a
transaction the plugin opened read-only, and errors described without the password."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from ..config.dsn import redact_dsn, secrets_of
from ..errors import DatabaseUnavailable, ReadOnlyViolation

# Every session is read-only at the server: the plugin cannot write to the bot's database even
# by mistake. TimeZone=UTC makes `timestamp without time zone` columns compare as UTC.
SERVER_SETTINGS = {
    "default_transaction_read_only": "on",
    "application_name": "pytest-botaudit",
    "TimeZone": "UTC",
}
CONNECT_TIMEOUT = 10.0


# What a lost or broken connection looks like; anything else is a bug and is re-raised.
DB_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    DatabaseUnavailable,
    ReadOnlyViolation,
)


async def connect(dsn: str | None, connect_timeout: float = CONNECT_TIMEOUT) -> ReadOnlySession:
    """A read-only session; asyncpg fills what the DSN leaves out from libpq's PG* variables."""
    try:
        connection = await asyncpg.connect(
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
    return ReadOnlySession(connection)


def describe_error(exc: BaseException, dsn: str | None) -> str:
    """One line naming the failure, scrubbed of any password in the DSN."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    for secret in secrets_of(dsn):
        text = text.replace(secret, "***")
    target = redact_dsn(dsn) if dsn else "the PG* environment"
    return f"cannot connect to {target}: {text}"


class ReadOnlySession:
    """What the plugin, the checks and the profile's queries get instead of a raw connection:
    ``fetch``, ``fetchrow`` and ``fetchval``, each one prepared statement (never a script) run
    inside a transaction opened ``READ ONLY`` here. A session default can be switched off by
    whoever holds a raw connection (``SET default_transaction_read_only = off``); a
    transaction's mode cannot be changed once it ran a query, so no statement can write."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self._grouped = False

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[ReadOnlySession]:
        """Several statements in one read-only transaction (a tick's queries). Its snapshot is
        taken at once, so no statement inside can switch it to read-write, and a statement
        that ends it (``COMMIT``) stops the rest of the group."""
        if self._grouped:
            yield self
            return
        self._grouped = True
        try:
            async with self._connection.transaction(readonly=True):
                await self._connection.fetchval("SELECT 1")
                yield self
        finally:
            self._grouped = False

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self._statement():
            rows: list[asyncpg.Record] = await self._connection.fetch(sql, *args)
            return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self._statement():
            return await self._connection.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with self._statement():
            return await self._connection.fetchval(sql, *args)

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[None]:
        if not self._grouped:
            async with self._connection.transaction(readonly=True):
                yield
            return
        if not self._connection.is_in_transaction():
            raise ReadOnlyViolation("a statement ended the read-only transaction")
        yield

    def is_closed(self) -> bool:
        return bool(self._connection.is_closed())

    async def close(self) -> None:
        await self._connection.close()

    def terminate(self) -> None:
        self._connection.terminate()
