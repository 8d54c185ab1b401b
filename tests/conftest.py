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
from pytest_botaudit.errors import PostgresNotFound

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


class PasswordServer:
    """A second embedded server that asks every role but its superuser for a password
    (scram-sha-256), where the suite's own trusts every local connection: the one place a
    wrong password fails and a passfile must really be read."""

    ROLE = "bot_auditor"
    # "/" and "@" need quoting in a URI; no ":" or "\\": asyncpg reads .pgpass escapes wrongly
    PASSWORD = "Scr4m-Pa55/w@rd"

    def __init__(self, embedded: EmbeddedPostgres) -> None:
        self.embedded = embedded

    @property
    def socket_dir(self) -> str:
        return str(self.embedded.socket_dir)

    @property
    def port(self) -> int:
        return self.embedded.port

    def dsn(self, database: str, password: str | None = PASSWORD) -> str:
        """The role's DSN (with ``password=None``: none, for a passfile to give it)."""
        secret = f":{urllib.parse.quote(password, safe='')}" if password is not None else ""
        return (
            f"postgresql://{self.ROLE}{secret}@/{database}?host={self.socket_dir}&port={self.port}"
        )

    async def create_database(self) -> str:
        """A fresh database owned by the role, holding the reference schema, its name."""
        name = "pw_" + uuid.uuid4().hex[:12]
        admin = await asyncpg.connect(self.embedded.dsn())
        try:
            await admin.execute(f"CREATE DATABASE {name} OWNER {self.ROLE}")
        finally:
            await admin.close()
        owner = await asyncpg.connect(self.dsn(name))
        try:
            await owner.execute(load_sql("schema.sql"))
        finally:
            await owner.close()
        return name


@pytest.fixture(scope="session")
def password_server() -> Iterator[PasswordServer]:
    """The suite's server with password authentication (see PasswordServer), started once."""
    try:
        embedded = EmbeddedPostgres()
    except PostgresNotFound as exc:
        unavailable(str(exc))
    try:
        embedded.initdb()
        # the superuser keeps trust to set up; every other role logs in with its password
        (embedded.data_dir / "pg_hba.conf").write_text(
            "local all postgres trust\nlocal all all scram-sha-256\n"
        )
        embedded.start()
        server = PasswordServer(embedded)
        asyncio.run(_create_password_role(embedded))
        yield server
    finally:
        embedded.cleanup()


async def _create_password_role(embedded: EmbeddedPostgres) -> None:
    admin = await asyncpg.connect(embedded.dsn())
    try:
        role, password = PasswordServer.ROLE, PasswordServer.PASSWORD.replace("'", "''")
        await admin.execute("SET password_encryption = 'scram-sha-256'")
        await admin.execute(f"CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{password}'")
    finally:
        await admin.close()


@pytest.fixture
def password_database(password_server: PasswordServer) -> Iterator[str]:
    """A fresh database of the password server, holding the reference schema: its name."""
    name = asyncio.run(password_server.create_database())
    yield name

    async def drop() -> None:
        admin = await asyncpg.connect(password_server.embedded.dsn())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()

    asyncio.run(drop())


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
