"""Profile queries stay queries, against the real server: every way a SELECT can reach a
function (by name, quoted or qualified, inside a view, behind an operator, a cast, a domain, an
aggregate, a row-security policy, in FROM) is judged by the catalog, before anything runs; the
audit's sessions drop what only a commit would deliver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import pytest_asyncio

from pytest_botaudit.config.profile import Profile, load_profile
from pytest_botaudit.config.specs import QuerySpec
from pytest_botaudit.database.connection import ReadOnlySession, connect
from pytest_botaudit.database.queries import AuditDatabase
from pytest_botaudit.database.querysafety import query_refusal
from pytest_botaudit.errors import QueryRefused
from pytest_botaudit.judging.preflight import (
    profile_queries_read_only,
    schema_present,
)
from pytest_botaudit.judging.verdicts import Verdict

from ..conftest import reader

# What the bot's database might hold: volatile functions reached in every indirect way a
# query can reach one, all readable by the SELECT-only role.
HOSTILE_SCHEMA = '''
CREATE FUNCTION monitoring.volatile_one() RETURNS integer LANGUAGE sql VOLATILE AS 'SELECT 1';
CREATE FUNCTION monitoring.volatile_eq(integer, integer) RETURNS boolean
    LANGUAGE sql VOLATILE AS 'SELECT $1 = $2';
CREATE OPERATOR monitoring.=== (LEFTARG = integer, RIGHTARG = integer,
    FUNCTION = monitoring.volatile_eq);
CREATE VIEW monitoring.noisy_events AS
    SELECT id, pg_notify('bot_events', event_type) IS NULL AS quiet FROM monitoring.events;
CREATE DOMAIN monitoring.checked AS integer CHECK (VALUE >= monitoring.volatile_one() - 1);
CREATE DOMAIN monitoring.double_checked AS monitoring.checked CHECK (VALUE < 1000);
CREATE FUNCTION monitoring.add_up(integer, integer) RETURNS integer
    LANGUAGE sql VOLATILE AS 'SELECT $1 + $2';
CREATE AGGREGATE monitoring.loud_sum(integer) (SFUNC = monitoring.add_up, STYPE = integer);
CREATE TYPE monitoring.boxed AS (value integer);
CREATE FUNCTION monitoring.box_it(integer) RETURNS monitoring.boxed
    LANGUAGE sql VOLATILE AS 'SELECT ROW($1)::monitoring.boxed';
CREATE CAST (integer AS monitoring.boxed) WITH FUNCTION monitoring.box_it(integer);
CREATE FUNCTION monitoring.clock_timestamp() RETURNS timestamptz
    LANGUAGE sql VOLATILE AS 'SELECT now()';
CREATE SCHEMA "Odd ""Schema""";
CREATE FUNCTION "Odd ""Schema"""."We ird"() RETURNS integer LANGUAGE sql VOLATILE AS 'SELECT 1';
CREATE TABLE monitoring.guarded (id integer);
ALTER TABLE monitoring.guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON monitoring.guarded USING (monitoring.volatile_one() = 1);
CREATE FUNCTION monitoring.write_event() RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO monitoring.events (event_type) VALUES ('written_by_a_query');
    RETURN 1;
END $$;
GRANT USAGE ON SCHEMA "Odd ""Schema""" TO botaudit_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA monitoring TO botaudit_reader;
'''

REFUSED = [
    ("SELECT pg_try_advisory_lock(4242)", "pg_catalog.pg_try_advisory_lock(bigint), which is VOL"),
    ("SELECT pg_advisory_xact_lock(1, 2)", "pg_catalog.pg_advisory_xact_lock(integer, integer)"),
    ("SELECT \"pg_notify\"('bot_events', 'x')", "pg_catalog.pg_notify(text, text), which is"),
    ("SELECT pg_catalog.pg_cancel_backend(1)", "pg_catalog.pg_cancel_backend(integer)"),
    ("SELECT pg_terminate_backend(1)", "pg_catalog.pg_terminate_backend(integer, bigint)"),
    ("SELECT count(*) FROM monitoring.noisy_events", "pg_catalog.pg_notify(text, text)"),
    ("SELECT 1 OPERATOR(monitoring.===) 2", "monitoring.volatile_eq(integer, integer)"),
    ("SELECT count(*) FROM generate_series(1, monitoring.volatile_one())", "monitoring.volatile"),
    ("SELECT (1::monitoring.boxed).value", "monitoring.box_it(integer), which is VOLATILE"),
    ("SELECT 5::monitoring.double_checked", "monitoring.volatile_one(), which is VOLATILE"),
    ("SELECT monitoring.loud_sum(id::integer) FROM monitoring.events", "monitoring.add_up("),
    ("SELECT count(*) FROM monitoring.guarded", "monitoring.volatile_one(), which is VOLATILE"),
    ('SELECT "Odd ""Schema"""."We ird"()', '"Odd ""Schema"""."We ird"(), which is VOLATILE'),
    ("SELECT monitoring.clock_timestamp()", "monitoring.clock_timestamp(), which is VOLATILE"),
    ("SELECT monitoring.write_event()", "monitoring.write_event(), which is VOLATILE"),
    ("SELECT txid_current()", "pg_catalog.txid_current(), which assigns a transaction id"),
    ("SELECT set_config('work_mem', '1GB', false)", "pg_catalog.set_config(text, text, boolean)"),
    ("SELECT nextval('monitoring.events_id_seq')", "pg_catalog.nextval(regclass)"),
    ("SELECT length(pg_read_file('PG_VERSION'))", "pg_catalog.pg_read_file(text)"),
    ("SELECT lo_import('/etc/hostname')", "pg_catalog.lo_import(text)"),
    ("SELECT random()", "pg_catalog.random(), which is VOLATILE"),
    ("SELECT pg_sleep(1)", "pg_catalog.pg_sleep(double precision)"),
    ("COMMIT", "starts with COMMIT: transaction control, not a query"),
    ("  /* a /* nested */ comment */ -- and one more\n rollback", "starts with ROLLBACK"),
    ("BEGIN", "starts with BEGIN: transaction control"),
    ("SAVEPOINT s", "starts with SAVEPOINT: transaction control"),
    ("COPY (SELECT 1) TO PROGRAM 'true'", "starts with COPY: a utility statement, not a query"),
    ("SET default_transaction_read_only = off", "starts with SET: a utility statement"),
    ("LISTEN bot_events", "starts with LISTEN: a utility statement"),
    ("NOTIFY bot_events", "starts with NOTIFY: a utility statement"),
    ("LOCK monitoring.events", "starts with LOCK: a utility statement"),
    ("DO $$BEGIN PERFORM 1; END$$", "starts with DO: a utility statement"),
    ("CALL monitoring.anything()", "starts with CALL: a utility statement"),
    ("VACUUM monitoring.events", "starts with VACUUM: a utility statement"),
    ("EXPLAIN ANALYZE SELECT 1", "starts with EXPLAIN: a utility statement"),
    ("DELETE FROM monitoring.events", "starts with DELETE: a write, not a query"),
    ("", "empty: a profile query is one SELECT"),
    ("SELECT 1 INTO monitoring.copied", "the server reads it as a utility statement"),
    ("SELECT id FROM monitoring.events FOR UPDATE", "it locks rows (FOR UPDATE/SHARE)"),
    ("SELECT count(*) FROM (SELECT 1 FROM monitoring.positions FOR SHARE) AS p", "locks rows"),
    (
        "WITH gone AS (DELETE FROM monitoring.events RETURNING 1) SELECT count(*) FROM gone",
        "it (or one of its WITH parts) changes rows",
    ),
]

ACCEPTED = [
    "SELECT count(*) FROM monitoring.events WHERE created_at > now() - interval '1 hour'",
    "SELECT count(*) FROM monitoring.events WHERE created_at >= $1 AND created_at < $2",
    "SELECT extract(epoch FROM clock_timestamp() - max(created_at)) FROM monitoring.events",
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()",
    "SELECT count(*) FROM pg_locks WHERE NOT granted",
    "SELECT pg_total_relation_size('monitoring.events')",
    # text that looks like a call, a field of the tree, or a column named like one
    'SELECT count(*) AS ":funcid 3036" FROM monitoring.events'
    " WHERE event_type = 'pg_notify(''x'', ''y'') :funcid 3036 :commandType 2'",
    "SELECT sum(id) OVER (ORDER BY id RANGE BETWEEN 1 PRECEDING AND CURRENT ROW)"
    " FROM monitoring.events LIMIT 1",
    "SELECT count(*) FROM monitoring.positions WHERE (id, symbol) > (0, '')",
    "WITH recent AS (SELECT * FROM monitoring.events WHERE created_at > $1)"
    " SELECT count(*) FROM recent",
    "(SELECT count(*) FROM monitoring.positions WHERE status = ANY (ARRAY['active']))",
]


@pytest_asyncio.fixture
async def hostile(database: str) -> AsyncIterator[ReadOnlySession]:
    """A session of the SELECT-only role on a database holding HOSTILE_SCHEMA."""
    admin = await asyncpg.connect(database)
    try:
        await admin.execute(HOSTILE_SCHEMA)
    finally:
        await admin.close()
    session = await connect(reader(database))
    try:
        yield session
    finally:
        await session.close()


@pytest.mark.asyncio
@pytest.mark.parametrize(("sql", "named"), REFUSED, ids=[sql[:40] for sql, _ in REFUSED])
async def test_a_query_that_could_act_is_refused_by_name(
    hostile: ReadOnlySession, sql: str, named: str
) -> None:
    refusal = await query_refusal(hostile, sql)
    assert refusal is not None
    assert named in refusal


@pytest.mark.asyncio
async def test_queries_that_only_read_are_accepted(hostile: ReadOnlySession) -> None:
    refused = {sql: await query_refusal(hostile, sql) for sql in ACCEPTED}
    assert {sql: why for sql, why in refused.items() if why is not None} == {}


@pytest.mark.asyncio
async def test_the_check_runs_nothing_and_leaves_the_session_as_it_was(
    hostile: ReadOnlySession, database: str
) -> None:
    superuser = await connect(database)
    try:
        refusal = await query_refusal(superuser, "SELECT monitoring.write_event()")
        assert refusal == "calls monitoring.write_event(), which is VOLATILE"
        assert await superuser.fetchval("SELECT count(*) FROM monitoring.events") == 0
        # inside a tick's transaction, the check's settings end with it; the tick goes on
        async with hostile.transaction():
            assert await query_refusal(hostile, "SELECT pg_notify('c', 'x')") is not None
            settings = await hostile.fetchval(
                "SELECT current_setting('debug_print_rewritten')"
                " || '/' || current_setting('client_min_messages')"
            )
            assert settings == "off/notice"
            assert await hostile.fetchval("SELECT count(*) FROM monitoring.events") == 0
    finally:
        await superuser.close()


@pytest.mark.asyncio
async def test_a_query_that_does_not_parse_is_the_servers_error(
    hostile: ReadOnlySession,
) -> None:
    with pytest.raises(asyncpg.PostgresSyntaxError, match="multiple commands"):
        await query_refusal(hostile, "SELECT 1; COMMIT")
    with pytest.raises(asyncpg.UndefinedTableError):
        await query_refusal(hostile, "SELECT count(*) FROM monitoring.nowhere")
    assert await hostile.fetchval("SELECT 1") == 1  # the session is usable after


@pytest.mark.asyncio
async def test_a_notify_that_slips_through_is_never_delivered(database: str) -> None:
    """Defence in depth: every transaction of the audit's sessions ends in ROLLBACK, and a
    notification is only sent when its transaction commits."""
    received: list[str] = []
    listener = await asyncpg.connect(database)
    await listener.add_listener("bot_events", lambda *args: received.append(args[-1]))
    session = await connect(reader(database))
    try:
        await session.fetchval("SELECT pg_notify('bot_events', 'one statement')")
        async with session.transaction():
            await session.fetchval("SELECT pg_notify('bot_events', 'a tick')")
        await listener.execute("NOTIFY bot_events, 'the listener hears'")
        await listener.fetchval("SELECT 1")  # the server sends what is pending before this
        await asyncio.sleep(0)  # let the callbacks scheduled meanwhile run
        assert received == ["the listener hears"]
    finally:
        await session.close()
        await listener.close()


def _profile_with(**queries: str) -> Profile:
    return replace(
        load_profile(),
        queries=tuple(QuerySpec(name, sql, "gauge") for name, sql in queries.items()),
    )


@pytest.mark.asyncio
async def test_the_collector_never_runs_a_refused_query(database: str) -> None:
    """Even with pre-flight skipped: the tick refuses the query by name, never runs it, and
    the lock it would take stays free for the bot."""
    profile = _profile_with(
        events="SELECT count(*) FROM monitoring.events",
        lock="SELECT pg_try_advisory_lock(4242)::int",
    )
    session = await connect(reader(database))
    bot = await asyncpg.connect(database)
    try:
        database_queries = AuditDatabase(session, profile)
        end = datetime.now(UTC)
        with pytest.raises(QueryRefused, match=r"profile query 'lock' refused: calls pg_cat"):
            await database_queries.profile_queries(end - timedelta(minutes=1), end)
        assert await bot.fetchval("SELECT pg_try_advisory_lock(4242)") is True
    finally:
        await bot.close()
        await session.close()


@pytest.mark.asyncio
async def test_preflight_refuses_by_name_and_runs_only_the_safe_queries(database: str) -> None:
    profile = _profile_with(
        lock="SELECT pg_try_advisory_lock(4242)::int",
        oops="COMMIT",
        typo="SELEC 1",
        missing="SELECT count(*) FROM monitoring.nowhere",
        fine="SELECT count(*) FROM monitoring.events WHERE created_at > now() - interval '1h'",
    )
    queries = await profile_queries_read_only(reader(database), profile)
    assert queries.verdict is Verdict.FAIL
    assert queries.message.startswith("FAIL: profile queries refused, never run: lock (calls ")
    assert "oops (starts with COMMIT: transaction control, not a query" in queries.message
    assert "typo (starts with SELEC: not a query" in queries.message
    assert "query missing: does not parse (the schema check fails it): Undefined" in " ".join(
        queries.evidence
    )
    assert "query fine: one SELECT, only readers called" in queries.evidence
    schema = await schema_present(reader(database), profile)
    assert schema.verdict is Verdict.FAIL
    assert schema.message.endswith(": missing")  # the refused ones were never run
    bot = await asyncpg.connect(database)
    try:
        assert await bot.fetchval("SELECT pg_try_advisory_lock(4242)") is True
    finally:
        await bot.close()
