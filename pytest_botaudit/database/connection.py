"""Connections to the audited database: read-only sessions whose every statement runs in a
transaction the plugin opened read-only, and errors described without the password."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg

from ..config.dsn import asyncpg_dsn, redact_dsn, secrets_of
from ..errors import DatabaseUnavailable, ReadOnlyViolation
from ..redaction import remember
from .passfile import passfile_password

# Every session is read-only at the server: the plugin cannot write to the bot's database even
# by mistake. The session's TimeZone is set to UTC once the server's own one has been read
# (the zone of the bot's naive columns, database/zones.py).
SERVER_SETTINGS = {
    "default_transaction_read_only": "on",
    "application_name": "pytest-botaudit",
    # the audit's queries are small and read one window: compiling them (JIT, chosen by the
    # cost estimates of a big table) would take longer than running them
    "jit": "off",
}
CONNECT_TIMEOUT = 10.0
T = TypeVar("T")
# for one transaction: print each statement's rewritten query tree to this client, on one line
_SHOW_TREES = (
    "SELECT set_config('debug_print_rewritten', 'on', true),"
    " set_config('debug_pretty_print', 'off', true),"
    " set_config('client_min_messages', 'log', true)"
)


# What a lost or broken connection looks like; anything else is a bug and is re-raised.
DB_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    DatabaseUnavailable,
    ReadOnlyViolation,
)


def connection_lost(exc: BaseException, connection: asyncpg.Connection | None = None) -> bool:
    """The error says the server went away (restarted, terminated the session, the network
    dropped): the same statement on a fresh connection may well succeed. A statement timeout,
    a missing table or a refused query is no such error."""
    if isinstance(
        exc,
        asyncpg.PostgresConnectionError  # class 08, "connection does not exist" among them
        | asyncpg.AdminShutdownError  # 57P01: pg_terminate_backend, a fast shutdown
        | asyncpg.CrashShutdownError  # 57P02
        | asyncpg.CannotConnectNowError  # 57P03: the server is starting up
        | ConnectionError
        | TimeoutError,
    ):
        return True
    if isinstance(exc, asyncpg.InterfaceError | OSError):
        return connection is None or connection.is_closed()
    return False


@dataclass(frozen=True, slots=True)
class Reconnect:
    """How often a session that lost its connection tries a fresh one, and how long it waits
    before each try (doubling from ``first`` up to ``cap``): with the defaults, a server that
    is back within about eight seconds costs nothing but the wait."""

    attempts: int = 6
    first: float = 0.25
    cap: float = 4.0

    def delays(self) -> list[float]:
        return [min(self.cap, self.first * 2**n) for n in range(self.attempts - 1)]


@dataclass(frozen=True, slots=True)
class Target:
    """Where the audit connects (``dsn`` None: libpq's PG* variables) and the limits each of
    its sessions gets, so a slow or blocked query on a busy database cannot stall the ticks."""

    dsn: str | None = None
    statement_timeout: float = 30.0
    lock_timeout: float = 5.0

    @classmethod
    def of(cls, target: Target | str | None) -> Target:
        return target if isinstance(target, Target) else cls(target)

    def server_settings(self) -> dict[str, str]:
        return {
            **SERVER_SETTINGS,
            "statement_timeout": str(max(1, round(self.statement_timeout * 1000))),
            "lock_timeout": str(max(1, round(self.lock_timeout * 1000))),
        }

    def __repr__(self) -> str:
        return f"Target({redact_dsn(self.dsn) or 'PG* environment'})"


async def connect(
    target: Target | str | None,
    connect_timeout: float = CONNECT_TIMEOUT,
    reconnect: Reconnect | None = None,
) -> ReadOnlySession:
    """A read-only session; asyncpg fills what the DSN leaves out from libpq's PG* variables.
    With ``reconnect``, a statement (or a unit of work given to ``retried``) that loses its
    connection runs again on a fresh one, with a bounded backoff."""
    session = await _connect(target, connect_timeout)
    if reconnect is not None:
        session.reconnect = (reconnect, lambda: _connect(target, connect_timeout))
    return session


async def _connect(target: Target | str | None, connect_timeout: float) -> ReadOnlySession:
    spec = Target.of(target)
    dsn = spec.dsn
    failures = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)
    try:
        uri = asyncpg_dsn(dsn) if dsn else None
        # a passfile read as libpq reads it (its escapes); else asyncpg reads it its own way
        stored = passfile_password(uri)
        if stored:
            remember([stored])  # a secret the audit now knows: hidden in every output
        connection = await asyncpg.connect(
            uri,
            timeout=connect_timeout,
            server_settings=spec.server_settings(),
            **({"password": stored} if stored is not None else {}),
        )
    except failures as exc:
        raise DatabaseUnavailable(describe_error(exc, dsn)) from None
    try:
        # the zone the database gives its sessions (what the bot's DEFAULT now() writes in
        # naive columns), then UTC for ours: every time the audit shows is UTC
        server_zone = str(await connection.fetchval("SELECT current_setting('TimeZone')"))
        await connection.execute("SET TimeZone TO 'UTC'")
    except failures as exc:
        connection.terminate()
        raise DatabaseUnavailable(describe_error(exc, dsn)) from None
    return ReadOnlySession(connection, server_zone)


def describe_error(exc: BaseException, target: Target | str | None) -> str:
    """One line naming the failure, scrubbed of any password in the DSN."""
    dsn = Target.of(target).dsn
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    for secret in secrets_of(dsn):
        text = text.replace(secret, "***")
    target = redact_dsn(dsn) if dsn else "the PG* environment"
    return f"cannot connect to {target}: {text}"


# the transaction's plan_cache_mode, set to force_generic_plan for the rest of it (the CTE is
# read first: it holds the value from before)
_GENERIC_PLANS = (
    "WITH was AS MATERIALIZED (SELECT current_setting('plan_cache_mode') AS mode)"
    " SELECT mode FROM was"
    " WHERE set_config('plan_cache_mode', 'force_generic_plan', true) IS NOT NULL"
)
_PLAN_CACHE_MODE = "SELECT set_config('plan_cache_mode', $1, true)"


class ReadOnlySession:
    """What the plugin, the checks and the profile's queries get instead of a raw connection:
    ``fetch``, ``fetchrow`` and ``fetchval``, each one prepared statement (never a script) run
    inside a transaction opened ``READ ONLY`` here, and rolled back. A session default can be
    switched off by whoever holds a raw connection (``SET default_transaction_read_only =
    off``); a transaction's mode cannot be changed once it ran a query, so no statement can
    write."""

    def __init__(self, connection: asyncpg.Connection, server_zone: str = "UTC") -> None:
        self._connection = connection
        self._grouped = False
        self.server_zone = server_zone
        # how to get a fresh connection when this one is lost (None: the error is raised)
        self.reconnect: tuple[Reconnect, Callable[[], Awaitable[ReadOnlySession]]] | None = None
        self._given_up = False  # a server that stayed away: later statements try once
        self.reconnected = 0  # how many times a fresh connection took over

    async def retried(self, work: Callable[[], Awaitable[T]]) -> T:
        """``work()``, run again on a fresh connection each time the connection is lost, with
        the session's bounded backoff. Read-only work only, which is safe to repeat; inside a
        transaction group the group's caller retries it whole."""
        if self.reconnect is None or self._grouped:
            return await work()
        policy, fresh = self.reconnect
        # a server that stayed away for one statement's whole backoff gets one quick try at
        # each later statement: the rest of an analysis fails fast, and recovers if it is back
        delays = [0.0] if self._given_up else policy.delays()
        while True:
            try:
                result = await work()
            except Exception as exc:
                lost = connection_lost(exc, self._connection)
                if not lost or not delays:
                    self._given_up = lost
                    raise
            else:
                self._given_up = False
                return result
            await asyncio.sleep(delays.pop(0))
            with contextlib.suppress(DatabaseUnavailable):  # still away: the next try says so
                replacement = await fresh()
                self._connection.terminate()
                self._connection = replacement._connection
                self.server_zone = replacement.server_zone
                self.reconnected += 1

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
            async with self._read_only():
                await self._connection.fetchval("SELECT 1")
                yield self
        finally:
            self._grouped = False

    @contextlib.asynccontextmanager
    async def generic_plans(self) -> AsyncIterator[None]:
        """Inside a transaction group: its statements run on plans made once for any values of
        their parameters (a prepared statement's generic plan: ``plan_cache_mode``), then on
        the setting the transaction had. For a statement run every tick whose plan holds for
        any window: making its custom plan each time costs more than running it."""
        if not self._grouped:
            raise ReadOnlyViolation("generic_plans() belongs inside transaction()")
        was = await self._connection.fetchval(_GENERIC_PLANS)
        yield
        # not after an error: the transaction failed, and its end takes the setting with it
        await self._connection.fetchval(_PLAN_CACHE_MODE, was)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async def run() -> list[asyncpg.Record]:
            async with self._statement():
                rows: list[asyncpg.Record] = await self._connection.fetch(sql, *args)
                return rows

        return await self.retried(run)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async def run() -> asyncpg.Record | None:
            async with self._statement():
                return await self._connection.fetchrow(sql, *args)

        return await self.retried(run)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async def run() -> Any:
            async with self._statement():
                return await self._connection.fetchval(sql, *args)

        return await self.retried(run)

    async def stream(
        self, sql: str, *args: Any, batch: int = 5000
    ) -> AsyncGenerator[list[asyncpg.Record], None]:
        """The rows of one statement as they arrive, ``batch`` rows at a time (a cursor), not
        all at once: inside ``transaction()``, whose snapshot they are read from. The next
        batch is asked for before one is handed over, so a plan that hands over its rows as
        it goes on (window_counts.sql) reads them while the caller folds the last ones."""
        if not self._grouped:
            raise ReadOnlyViolation("a cursor is read inside transaction()")
        async with self._statement():
            cursor = await self._connection.cursor(sql, *args)
            pending = asyncio.ensure_future(cursor.fetch(batch))
            try:
                while rows := await pending:
                    pending = asyncio.ensure_future(cursor.fetch(batch))
                    await asyncio.sleep(0)  # the request goes out before the caller folds
                    yield rows
            except asyncio.CancelledError:  # Ctrl+C: the batch on its way is cancelled too
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, *DB_ERRORS):
                    await pending
                raise
            finally:
                # a caller that stopped early (an error, a break): the batch on its way is read
                # and dropped, not cancelled (a cancel ends the transaction on the server)
                with contextlib.suppress(asyncio.CancelledError, *DB_ERRORS):
                    await pending

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[None]:
        if not self._grouped:
            async with self._read_only():
                yield
            return
        if not self._connection.is_in_transaction():
            raise ReadOnlyViolation("a statement ended the read-only transaction")
        yield

    @contextlib.asynccontextmanager
    async def _read_only(self) -> AsyncIterator[None]:
        """A transaction opened READ ONLY that always ends in ROLLBACK: it has nothing to
        commit, and what only a commit would deliver (a NOTIFY) is dropped with it."""
        transaction = self._connection.transaction(readonly=True)
        await transaction.start()
        try:
            yield
        finally:
            if not self._connection.is_closed():
                try:
                    await transaction.rollback()
                except (asyncpg.InterfaceError, asyncpg.InternalClientError):
                    # a statement still in flight (its task was cancelled, a tick's timeout):
                    # the connection cannot roll back now, so it is dropped, and so is the
                    # transaction with it
                    self._connection.terminate()

    async def query_tree(self, sql: str) -> str | None:
        """``sql`` as the server would run it, without running it: parsed and rewritten (views
        expanded, row security added) and printed as a node tree that names every function,
        operator and type by its oid. The server prints it for this one statement
        (``debug_print_rewritten``, a LOG message that also reaches the server's log); the
        statement is prepared, never planned nor executed. None: the server showed no tree."""
        trees: list[str] = []

        def listen(_: object, message: asyncpg.PostgresLogMessage) -> None:
            if message.message.startswith("rewritten parse tree"):
                trees.append(message.detail or "")

        async with self.transaction():
            # a savepoint, so the settings end with it even inside a tick's transaction
            savepoint = self._connection.transaction()
            await savepoint.start()
            try:
                await self.fetchval(_SHOW_TREES)
                self._connection.add_log_listener(listen)
                try:
                    await self._connection.prepare(sql)
                finally:
                    self._connection.remove_log_listener(listen)
            finally:
                if not self._connection.is_closed():
                    await savepoint.rollback()
        return trees[0] if trees else None  # asyncpg's own type look-ups, if any, come after

    def is_closed(self) -> bool:
        return bool(self._connection.is_closed())

    async def close(self) -> None:
        await self._connection.close()

    def terminate(self) -> None:
        self._connection.terminate()
