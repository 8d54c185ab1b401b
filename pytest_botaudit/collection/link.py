"""The collector's link to the database: connect read-only, back off, reconnect, describe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ..config.profile import Profile
from ..database.connection import DB_ERRORS, ReadOnlySession, Target, connect, describe_error
from ..database.queries import AuditDatabase
from ..errors import DatabaseUnavailable


class DatabaseLink:
    """Hands out the AuditDatabase while connected. After a failure it waits before the next
    attempt, doubling the wait, but never longer than half an interval: every tick tries once,
    so a database that is back is used at the next tick."""

    def __init__(
        self,
        dsn: Target | str | None,
        profile: Profile,
        interval: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dsn = dsn
        self.profile = profile
        self.interval = interval
        self.monotonic = monotonic
        self.last_failure = "not connected"
        self._session: ReadOnlySession | None = None
        self._database: AuditDatabase | None = None
        self._reconnect_at = 0.0
        self._backoff = interval / 8

    async def database(self, now: bool = False) -> AuditDatabase | None:
        """Connected, or reconnected unless still backing off (``now`` ignores the backoff)."""
        if self._database is not None:
            return self._database
        moment = self.monotonic()
        if moment < self._reconnect_at and not now:
            return None
        try:
            self._session = await connect(
                self.dsn, connect_timeout=max(1.0, min(10.0, self.interval))
            )
        except DatabaseUnavailable as exc:
            self.last_failure = f"database unavailable: {exc}"
            self._reconnect_at = moment + self._backoff
            self._backoff = min(self.interval / 2, self._backoff * 2)
            return None
        try:
            self._database = await AuditDatabase.open(self._session, self.profile)
        except DB_ERRORS as exc:
            self.last_failure = f"database unavailable: {describe_error(exc, self.dsn)}"
            await self.disconnect()
            self._reconnect_at = moment + self._backoff
            return None
        self._backoff = self.interval / 8
        return self._database

    async def disconnect(self) -> None:
        session, self._session, self._database = self._session, None, None
        if session is not None:
            try:
                await asyncio.wait_for(session.close(), timeout=2.0)
            except (*DB_ERRORS, asyncio.CancelledError):
                session.terminate()

    async def missing_columns(self) -> tuple[str, ...]:
        """The profile's tables and columns the database lacks, checked before the first tick."""
        database = await self.database()
        if database is None:
            return ()
        try:
            return tuple(await database.missing_columns())
        except DB_ERRORS as exc:
            self.last_failure = describe_error(exc, self.dsn)
            await self.disconnect()
            return ()

    async def missing_event_types(self) -> dict[str, tuple[str, ...]]:
        """Metrics none of whose event types was ever written: their zeros mean nothing."""
        database = await self.database(now=True)
        if database is None:
            return {}
        try:
            present = await database.event_types_present(self.profile.all_event_types)
        except DB_ERRORS as exc:
            self.last_failure = describe_error(exc, self.dsn)
            return {}
        return self.profile.unseen(present)
