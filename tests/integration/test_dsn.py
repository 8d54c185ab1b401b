"""Every connection string psql takes reaches the same server: libpq keyword/value pairs, a URI
whose ?host= and ?port= override its authority, a service from pg_service.conf, a passfile."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from pytest_botaudit.config.dsn import asyncpg_dsn, conninfo, redact_dsn, secrets_of
from pytest_botaudit.database.connection import connect


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
    (tmp_path / "pgpass").write_text("*:*:*:postgres:unused\n")
    (tmp_path / "pgpass").chmod(0o600)
    monkeypatch.setenv("PGSERVICEFILE", str(tmp_path / "pg_service.conf"))
    forms = [
        f"host={host} port={port} user=postgres dbname={name}",
        f"host = '{host}'  port={port} user=postgres dbname='{name}' connect_timeout=5",
        f"postgresql://postgres@localhost:5432/{name}?host={host}&port={port}",
        f"postgresql://postgres@127.0.0.1/{name}?host={host}&port={port}",
        "service=fox",
        "postgresql://?service=fox",
        f"service=fox passfile={tmp_path / 'pgpass'} sslmode=disable",
    ]
    for dsn in forms:
        assert await _database_of(dsn) == name, dsn


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
