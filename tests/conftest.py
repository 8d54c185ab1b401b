"""Fixtures of the project's own tests: a real PostgreSQL started by the suite, fresh databases."""

from __future__ import annotations

import asyncio
import os
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.database.sqlfiles import load_sql
from pytest_botaudit.demo.pgserver import EmbeddedPostgres

from .helpers import unavailable

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
TEMPLATE = "botaudit_template"
READER = "botaudit_reader"


class Server:
    """Either the suite's own embedded server or one named by BOTAUDIT_TEST_DSN."""

    def __init__(self, admin_dsn: str, embedded: EmbeddedPostgres | None) -> None:
        self.admin_dsn = admin_dsn
        self.embedded = embedded

    def dsn(self, database: str) -> str:
        parts = urllib.parse.urlsplit(self.admin_dsn)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))

    async def execute(self, sql: str, database: str = "postgres") -> None:
        connection = await asyncpg.connect(self.dsn(database))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


@pytest.fixture(autouse=True)
def _standalone_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite runs on xdist workers; a pytest started by a test (pytester, the demo) is a
    run of its own, not a worker (pytest-benchmark, for one, reads these variables)."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """A throw-away PostgreSQL for the whole run (set BOTAUDIT_TEST_DSN to use your own)."""
    override = os.environ.get("BOTAUDIT_TEST_DSN")
    if override:
        server = Server(override, None)
        asyncio.run(_make_template(server))
        yield server
        return
    with EmbeddedPostgres() as embedded:
        server = Server(embedded.dsn(), embedded)
        asyncio.run(_make_template(server))
        yield server


async def _make_template(server: Server) -> None:
    await server.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
    await server.execute(f"CREATE DATABASE {TEMPLATE}")
    await server.execute(load_sql("schema.sql"), TEMPLATE)
    await server.execute(load_sql("reader_role.sql"), TEMPLATE)


def reader(dsn: str) -> str:
    """The same database as the SELECT-only role of sql/reader_role.sql (its password, if the
    DSN has one, is kept: the test server trusts every local connection)."""
    return as_role(dsn, READER)


def as_role(dsn: str, role: str) -> str:
    """The same database as another role, keeping the DSN's password if it has one."""
    parts = urllib.parse.urlsplit(dsn)
    user, at, host = parts.netloc.rpartition("@")
    secret = user.partition(":")[2]
    netloc = f"{role}{':' + secret if secret else ''}{at}{host}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def database(pg_server: Server) -> Iterator[str]:
    """The DSN of a fresh database holding the reference schema (dropped afterwards)."""
    name = "t_" + uuid.uuid4().hex[:12]
    asyncio.run(pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    yield pg_server.dsn(name)
    asyncio.run(pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def legacy_run() -> Path:
    """The real output of the bot's first monitor, read from ../shared (never copied)."""
    path = SHARED / "data" / "legacy_run"
    if not path.is_dir():
        unavailable(f"shared data not found at {path} (CI has ../shared beside the clone)")
    return path


@pytest.fixture
def realbot_database(request: pytest.FixtureRequest, pg_server: Server) -> Iterator[str]:
    """A fresh database holding the real bot's schema of one version (``request.param`` is
    (version, the database's TimeZone); see tests/realbot.py), the SELECT-only role on it."""
    from .realbot import schema_sql

    version, zone = request.param
    name = "rb_" + uuid.uuid4().hex[:12]

    async def create() -> None:
        await pg_server.execute(f"CREATE DATABASE {name}")
        await pg_server.execute(f"ALTER DATABASE {name} SET timezone = '{zone}'")
        await pg_server.execute(schema_sql(version), name)
        await pg_server.execute(load_sql("reader_role.sql"), name)

    asyncio.run(create())
    yield pg_server.dsn(name)
    asyncio.run(pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
