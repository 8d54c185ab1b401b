"""Every connection string psql takes reaches the same server: libpq keyword/value pairs, a URI
whose ?host= and ?port= override its authority, a service from pg_service.conf; and against a
server that asks for passwords, the password of the DSN, of a passfile, of PGPASSFILE and of
~/.pgpass (a wrong one refused)."""

from __future__ import annotations

import urllib.parse
import uuid
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.config.dsn import asyncpg_dsn, conninfo, redact_dsn, secrets_of
from pytest_botaudit.database.connection import connect
from pytest_botaudit.errors import DatabaseUnavailable

from ..conftest import PasswordServer


def _parts(database: str) -> tuple[str, str, str]:
    """(socket dir, port, database name) of the test server's DSN."""
    parts = urllib.parse.urlsplit(database)
    query = dict(urllib.parse.parse_qsl(parts.query))
    return query["host"], query["port"], parts.path.lstrip("/")


async def _database_of(dsn: str) -> str:
    session = await connect(dsn)
    try:
        return str(await session.fetchval("SELECT current_database()"))
    finally:
        await session.close()


@pytest.mark.asyncio
async def test_every_form_psql_takes_connects(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port, name = _parts(database)
    (tmp_path / "pg_service.conf").write_text(
        f"[fox]\nhost={host}\nport={port}\ndbname={name}\nuser=postgres\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(tmp_path / "pg_service.conf"))
    forms = [
        f"host={host} port={port} user=postgres dbname={name}",
        f"host = '{host}'  port={port} user=postgres dbname='{name}' connect_timeout=5",
        f"postgresql://postgres@localhost:5432/{name}?host={host}&port={port}",
        f"postgresql://postgres@127.0.0.1/{name}?host={host}&port={port}",
        "service=fox",
        "postgresql://?service=fox",
        "service=fox sslmode=disable",
    ]
    for dsn in forms:
        assert await _database_of(dsn) == name, dsn


@pytest.fixture
def no_stored_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No password but the test's own: an empty home (no ~/.pgpass), no PG* password."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("PGPASSFILE", "PGPASSWORD", "PGSERVICEFILE", "PGUSER"):
        monkeypatch.delenv(name, raising=False)
    return home


def _pgpass(path: Path, server: PasswordServer, database: str, password: str) -> Path:
    """A libpq password file: a line for another database first (it must not match), then
    this one's, with ':' and '\\' escaped; mode 0600 or libpq ignores it. Any host: for a
    socket outside the default folder psql matches the folder's path, asyncpg "localhost"."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    path.write_text(
        f"*:{server.port}:other_db:{server.ROLE}:not-this-one\n"
        f"*:{server.port}:{database}:{server.ROLE}:{escaped}\n"
    )
    path.chmod(0o600)
    return path


@pytest.mark.asyncio
async def test_a_wrong_or_missing_password_is_refused_and_never_shown(
    password_server: PasswordServer, password_database: str, no_stored_password: Path
) -> None:
    assert await _database_of(password_server.dsn(password_database)) == password_database
    wrong = "Wr0ng-Pa55word"
    for dsn in (
        password_server.dsn(password_database, wrong),
        password_server.dsn(password_database, None),
        f"host={password_server.socket_dir} port={password_server.port} "
        f"user={password_server.ROLE} password={wrong} dbname={password_database}",
    ):
        with pytest.raises(DatabaseUnavailable) as refused:
            await _database_of(dsn)
        message = str(refused.value)
        assert "password" in message.lower(), message
        assert wrong not in message


@pytest.mark.parametrize("where", ["passfile keyword", "passfile URI parameter", "PGPASSFILE"])
@pytest.mark.asyncio
async def test_a_passfile_gives_the_password(
    password_server: PasswordServer,
    password_database: str,
    no_stored_password: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    passfile = _pgpass(tmp_path / "audit.pgpass", password_server, password_database, "x")
    bare = password_server.dsn(password_database, None)
    keywords = (
        f"host={password_server.socket_dir} port={password_server.port} "
        f"user={password_server.ROLE} dbname={password_database}"
    )
    dsn = {
        "passfile keyword": f"{keywords} passfile={passfile}",
        "passfile URI parameter": f"{bare}&passfile={passfile}",
        "PGPASSFILE": bare,
    }[where]
    if where == "PGPASSFILE":
        monkeypatch.setenv("PGPASSFILE", str(passfile))
    # the file is read: with a wrong password in it the server refuses ...
    with pytest.raises(DatabaseUnavailable, match="password"):
        await _database_of(dsn)
    # ... and with the right one it lets the role in
    _pgpass(passfile, password_server, password_database, password_server.PASSWORD)
    assert await _database_of(dsn) == password_database


@pytest.mark.asyncio
async def test_the_home_pgpass_gives_the_password(
    password_server: PasswordServer, password_database: str, no_stored_password: Path
) -> None:
    bare = password_server.dsn(password_database, None)
    with pytest.raises(DatabaseUnavailable, match="password"):
        await _database_of(bare)
    _pgpass(no_stored_password / ".pgpass", password_server, password_database, "x")
    with pytest.raises(DatabaseUnavailable, match="password"):
        await _database_of(bare)
    pgpass = no_stored_password / ".pgpass"
    _pgpass(pgpass, password_server, password_database, password_server.PASSWORD)
    assert await _database_of(bare) == password_database
    pgpass.chmod(0o644)  # readable by others: libpq (and asyncpg) ignore it
    with (
        pytest.warns(UserWarning, match="has group or world access"),
        pytest.raises(DatabaseUnavailable, match="password"),
    ):
        await _database_of(bare)
    pgpass.unlink()


@pytest.mark.asyncio
async def test_a_passfile_password_with_an_escaped_colon_reads_as_psql_reads_it(
    password_server: PasswordServer, no_stored_password: Path, tmp_path: Path
) -> None:
    role = "colon_" + uuid.uuid4().hex[:8]
    password = "pass:with\\both"
    admin = await asyncpg.connect(password_server.embedded.dsn())
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    finally:
        await admin.close()
    passfile = tmp_path / "escaped.pgpass"
    escaped = "pass\\:with\\\\both"  # libpq's escapes of ':' and '\\'
    passfile.write_text(f"*:{password_server.port}:postgres:{role}:{escaped}\n")
    passfile.chmod(0o600)
    dsn = (
        f"host={password_server.socket_dir} port={password_server.port} user={role} "
        f"dbname=postgres passfile={passfile}"
    )
    assert await _database_of(dsn) == "postgres"


def test_keyword_value_parsing_follows_libpq() -> None:
    assert conninfo("host=/run/pg  port = 5432 password='a b\\'c\\\\d' dbname=x") == {
        "host": "/run/pg",
        "port": "5432",
        "password": "a b'c\\d",
        "dbname": "x",
    }
    for bad, reason in [
        ("host=a bogus=1", "unknown connection keyword 'bogus'"),
        ("password='open", "unterminated quoted value"),
        ("= 5", "expected keyword=value"),
        ("", "empty connection string"),
    ]:
        with pytest.raises(ValueError, match=reason):
            conninfo(bad)


def test_passwords_stay_hidden_in_every_form() -> None:
    for dsn, secret in [
        ("host=/run/pg user=bot password='S3c ret' dbname=x", "S3c ret"),
        ("host=/run/pg user=bot password=S3cret dbname=x", "S3cret"),
        ("postgresql://bot:S3cret@db/x?host=/run/pg", "S3cret"),
        ("postgresql://bot@db/x?password=S3cret", "S3cret"),
        ("postgresql://bot:S3cret@[::1", "S3cret"),
    ]:
        assert secret not in redact_dsn(dsn), dsn
        assert secret in secrets_of(dsn), dsn


def test_uri_host_and_port_parameters_override_the_authority() -> None:
    rewritten = asyncpg_dsn("postgresql://bot:pw@localhost:5555/fox?host=/sock")
    assert rewritten == "postgresql://bot:pw@/fox?port=5555&host=/sock"
    assert asyncpg_dsn("postgresql://bot@db/fox") == "postgresql://bot@db/fox"
