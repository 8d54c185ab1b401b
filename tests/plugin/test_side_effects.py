"""The audit has no side effect on the bot's database, end to end (real pytest runs of
audit_checks/ against the real server): a profile query that would write, run a program, take
a lock, wake a listener, cancel the bot's query or end its transaction is refused by name at
pre-flight, or by the collector when pre-flight is not run, and never runs; a query that only
reads is accepted; the role's powers are named, and the strict option makes them a FAIL."""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.exitcodes import AuditExit

from ..conftest import REPO, reader
from ..helpers import audit_command, latest_run, wait_for

DEFAULT = (REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml").read_text()
LOCK_KEY = 4242


def _profile(pytester: pytest.Pytester, **queries: str) -> str:
    """``--audit-profile=...`` of the default profile plus these queries (gauges)."""
    extra = "".join(
        f"\n[queries.{name}]\nkind = \"gauge\"\nsql = '''{sql}'''\n"
        for name, sql in queries.items()
    )
    path = pytester.path / "profile.toml"
    path.write_text(DEFAULT + extra)
    return f"--audit-profile={path}"


def _audit(pytester: pytest.Pytester, checks: Path, dsn: str, *extra: str) -> pytest.RunResult:
    """A short live audit of audit_checks/ (pre-flight first, as always)."""
    log = pytester.path / "bot.log"
    log.write_text("2025-10-15 02:40:20,001 - __main__ - INFO - 🚀 Starting trading bot\n")
    return pytester.runpytest_subprocess(
        str(checks),
        f"--audit-dsn={dsn}",
        f"--audit-log={log}",
        "--audit-duration=2s",
        "--audit-interval=0.5s",
        f"--audit-out={pytester.path / 'out'}",
        *extra,
    )


def _fetchval(dsn: str, sql: str) -> object:
    async def run() -> object:
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    return asyncio.run(run())


def _conninfo(dsn: str) -> str:
    """libpq keywords for the same database, as dblink takes them."""
    parts = urllib.parse.urlsplit(dsn)
    query = dict(urllib.parse.parse_qsl(parts.query))
    words = {
        "host": query.get("host", parts.hostname or ""),
        "port": query.get("port", str(parts.port or "")),
        "user": parts.username or "",
        "dbname": parts.path.lstrip("/"),
    }
    return " ".join(f"{key}={value}" for key, value in words.items() if value)


WRITE = "INSERT INTO monitoring.events (event_type) VALUES (''written_by_the_audit'')"


@pytest.mark.parametrize("writer", ["dblink_exec", "plpgsql"])
def test_a_superusers_query_that_writes_through_a_function_is_refused_and_writes_nothing(
    pytester: pytest.Pytester, checks_dir: Path, database: str, writer: str
) -> None:
    """dblink_exec writes on a connection of its own, outside the READ ONLY transaction."""
    if writer == "dblink_exec":
        if not _fetchval(database, "SELECT 1 FROM pg_available_extensions WHERE name = 'dblink'"):
            pytest.skip("the dblink contrib module is not installed (the plpgsql case stands)")
        _fetchval(database, "CREATE EXTENSION dblink")
        sql = f"SELECT length(dblink_exec('{_conninfo(database)}', '{WRITE}'))"
        named = "public.dblink_exec(text, text), which is VOLATILE"
    else:
        body = WRITE.replace("''", "'")
        _fetchval(
            database,
            "CREATE FUNCTION monitoring.note() RETURNS integer LANGUAGE plpgsql"
            f" AS $$ BEGIN {body}; RETURN 1; END $$",
        )
        sql = "SELECT monitoring.note()"
        named = "monitoring.note(), which is VOLATILE"
    result = _audit(pytester, checks_dir, database, _profile(pytester, writes=sql))
    written = "SELECT count(*) FROM monitoring.events WHERE event_type = 'written_by_the_audit'"
    assert _fetchval(database, written) == 0
    assert result.ret == AuditExit.NOT_RUN
    result.stdout.fnmatch_lines(
        [
            "*pre-flight failed, the audit did not start: test_profile_queries_only_read*",
            f"*FAIL: profile queries refused, never run: writes (calls {named})*",
        ]
    )


def test_copy_to_program_is_refused_and_no_program_runs(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    # the server's own user writes it (a shared temporary folder both can reach)
    marker = Path(tempfile.gettempdir()) / f"botaudit-copy-{uuid.uuid4().hex}"
    sql = f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'"
    try:
        result = _audit(pytester, checks_dir, database, _profile(pytester, shell=sql))
        assert not marker.exists()
        assert result.ret == AuditExit.NOT_RUN
        result.stdout.fnmatch_lines(
            ["*refused, never run: shell (starts with COPY: a utility statement, not a query*"]
        )
    finally:
        marker.unlink(missing_ok=True)


@pytest.mark.parametrize("stage", ["preflight", "collector"])
def test_an_advisory_lock_from_the_reader_is_refused_and_never_held(
    pytester: pytest.Pytester, checks_dir: Path, database: str, stage: str
) -> None:
    """The bot can take its lock at every moment of the audit, with pre-flight or without."""
    out = pytester.path
    (out / "bot.log").write_text("2025-10-15 02:40:20,001 - m - INFO - started\n")
    (out / ".env").write_text("BINANCE_TESTNET=true\n")
    profile = _profile(pytester, lock=f"SELECT pg_try_advisory_lock({LOCK_KEY})::int")
    selection = ["-k", "not test_preflight"] if stage == "collector" else []
    command = audit_command(checks_dir, reader(database), out, 3.0, 0.25, profile, *selection)

    async def watch(process: subprocess.Popen[str]) -> list[bool]:
        bot = await asyncpg.connect(database)
        taken: list[bool] = []
        try:
            while process.poll() is None or not taken:
                got = bool(await bot.fetchval(f"SELECT pg_try_advisory_lock({LOCK_KEY})"))
                taken.append(got)
                if got:
                    await bot.fetchval(f"SELECT pg_advisory_unlock({LOCK_KEY})")
                await asyncio.sleep(0.02)  # how often the bot tries, not a wait for an event
        finally:
            await bot.close()
        return taken

    with subprocess.Popen(
        command, cwd=out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        taken = asyncio.run(watch(process))
        stdout = process.communicate(timeout=60)[0]
    assert all(taken), f"the lock was held during {taken.count(False)} of {len(taken)} tries"
    if stage == "preflight":
        assert (
            "FAIL: profile queries refused, never run: lock (calls "
            "pg_catalog.pg_try_advisory_lock(bigint), which is VOLATILE)"
        ) in stdout
    else:  # no pre-flight: the collector refuses it at its first tick
        assert (
            "the audit could not run: collector failed: profile query 'lock' refused: calls "
            "pg_catalog.pg_try_advisory_lock(bigint), which is VOLATILE"
        ) in stdout
    assert process.returncode == AuditExit.NOT_RUN  # the bot was never judged


def test_pg_notify_from_the_reader_is_refused_and_wakes_no_listener(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    loop = asyncio.new_event_loop()
    heard: list[str] = []
    listener = loop.run_until_complete(asyncpg.connect(database))
    try:
        loop.run_until_complete(
            listener.add_listener("bot_events", lambda *event: heard.append(event[-1]))
        )
        sql = "SELECT count(*) FROM (SELECT pg_notify('bot_events', 'the audit was here')) AS n"
        result = _audit(pytester, checks_dir, reader(database), _profile(pytester, wake=sql))
        _fetchval(database, "SELECT pg_notify('bot_events', 'the bot itself')")
        # what was sent meanwhile waits in the listener's socket; a round trip reads it all
        loop.run_until_complete(listener.fetchval("SELECT 1"))
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.run_until_complete(listener.close())
        loop.close()
    assert heard == ["the bot itself"]
    result.stdout.fnmatch_lines(
        ["*refused, never run: wake (calls pg_catalog.pg_notify(text, text), which is VOLAT*"]
    )


class _Victim:
    """The bot's long query, on a connection of its own (application_name bot_victim)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.outcome = ""
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()))

    async def _run(self) -> None:
        connection = await asyncpg.connect(
            self.dsn, server_settings={"application_name": "bot_victim"}
        )
        try:
            await connection.fetchval("SELECT pg_sleep(300)")
            self.outcome = "finished"
        except asyncpg.QueryCanceledError:
            self.outcome = "cancelled"
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            self.outcome = "terminated"
        finally:
            if not connection.is_closed():
                connection.terminate()

    def state(self) -> object:
        return _fetchval(
            self.dsn,
            "SELECT string_agg(state || ': ' || query, ', ') FROM pg_stat_activity"
            " WHERE application_name = 'bot_victim'",
        )


@pytest.fixture
def victim(database: str) -> Iterator[_Victim]:
    running = _Victim(database)
    running.thread.start()
    wait_for(
        lambda: running.state() == "active: SELECT pg_sleep(300)", 30, "the bot's query to run"
    )
    yield running
    _fetchval(
        database,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = 'bot_victim'",
    )
    running.thread.join(timeout=30)


def test_pg_cancel_backend_as_superuser_is_refused_and_the_bots_query_goes_on(
    pytester: pytest.Pytester, checks_dir: Path, database: str, victim: _Victim
) -> None:
    sql = (
        "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = 'bot_victim'"
    )
    result = _audit(pytester, checks_dir, database, _profile(pytester, cancel=sql))
    assert victim.state() == "active: SELECT pg_sleep(300)"
    assert victim.outcome == ""
    result.stdout.fnmatch_lines(
        ["*refused, never run: cancel (calls pg_catalog.pg_cancel_backend(integer), which is*"]
    )


@pytest.mark.parametrize("stage", ["preflight", "collector"])
def test_a_commit_is_refused_and_never_ends_a_tick(
    pytester: pytest.Pytester, checks_dir: Path, database: str, stage: str
) -> None:
    selection = ["-k", "not test_preflight"] if stage == "collector" else []
    profile = _profile(pytester, oops="COMMIT")
    result = _audit(pytester, checks_dir, reader(database), profile, *selection)
    assert result.ret == AuditExit.NOT_RUN
    refusal = "starts with COMMIT: transaction control, not a query; a profile query is one SELECT"
    if stage == "preflight":
        result.stdout.fnmatch_lines(
            [
                "*pre-flight failed, the audit did not start: test_profile_queries_only_read*",
                f"*FAIL: profile queries refused, never run: oops ({refusal})*",
            ]
        )
    else:
        result.stdout.fnmatch_lines(
            [f"*the audit could not run: collector failed: profile query 'oops' refused: {refusal}"]
        )
        assert "query failed" not in result.stdout.str()  # no tick became a gap over it


def test_a_plain_aggregate_with_the_clock_is_accepted_and_measured(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    profile = _profile(
        pytester,
        recent_events="SELECT count(*) FROM monitoring.events"
        " WHERE created_at > now() - interval '1 hour'",
        quiet_seconds="SELECT coalesce(extract(epoch FROM clock_timestamp()"
        " - max(created_at)), -1) FROM monitoring.events",
    )
    result = _audit(pytester, checks_dir, reader(database), profile, "-v", "-rA")
    result.stdout.fnmatch_lines(["*test_profile_queries_only_read PASSED*"])
    [summary] = latest_run(pytester.path / "out").glob("monitoring_report_*.json")
    verdicts = {v["name"]: v for v in json.loads(summary.read_text())["verdicts"]}
    assert verdicts["test_profile_queries_only_read"]["message"].startswith(
        "PASS: 2 profile queries, each one SELECT calling only IMMUTABLE or STABLE"
    )
    [snapshots] = latest_run(pytester.path / "out").glob("monitoring_snapshots_*.jsonl")
    ticks = [
        record["gauges"]
        for line in snapshots.read_text().splitlines()
        if "gauges" in (record := json.loads(line))
    ]
    assert ticks
    assert all(t["recent_events"] == 0 and t["quiet_seconds"] == -1 for t in ticks)


@pytest.mark.parametrize("source", ["command line", "environment", "ini", "tool"])
def test_the_strict_role_option_fails_a_superuser_and_the_default_warns_naming_its_powers(
    pytester: pytest.Pytester,
    checks_dir: Path,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
) -> None:
    check = [str(checks_dir / "test_preflight.py"), "-k", "role", f"--audit-dsn={database}"]
    powers = (
        "the audit's role can do more than read: SUPERUSER, CREATEROLE, REPLICATION, "
        "member of pg_execute_server_program, member of pg_read_server_files, "
        "member of pg_signal_backend, member of pg_write_server_files, CREATE on database *, "
        "CREATE on schema monitoring, DELETE/INSERT/TRUNCATE/UPDATE on monitoring.events, "
        "DELETE/INSERT/TRUNCATE/UPDATE on monitoring.positions, *; audit with a SELECT-only role"
    )
    if source == "command line":
        lenient = pytester.runpytest_subprocess(*check)
        assert lenient.parseoutcomes() == {"passed": 1, "deselected": 8}  # a WARN passes
        lenient.stdout.fnmatch_lines([f"WARN * pre-flight: {powers} (README)*"])
        check.append("--audit-require-read-only-role")
    elif source == "environment":
        monkeypatch.setenv("BOTAUDIT_REQUIRE_READ_ONLY_ROLE", "yes")
    elif source == "ini":
        pytester.makeini("[pytest]\naudit_require_read_only_role = true\n")
    else:
        pytester.makefile(".toml", pyproject="[tool.botaudit]\nrequire_read_only_role = true\n")
    strict = pytester.runpytest_subprocess(*check)
    strict.assert_outcomes(failed=1, deselected=8)
    strict.stdout.fnmatch_lines([f"*FAIL: {powers} (README) (--audit-require-read-only-role)*"])


def test_the_reader_role_passes_the_strict_option(
    pytester: pytest.Pytester, checks_dir: Path, database: str
) -> None:
    result = pytester.runpytest_subprocess(
        str(checks_dir / "test_preflight.py"),
        "-k",
        "role",
        f"--audit-dsn={reader(database)}",
        "--audit-require-read-only-role",
    )
    result.assert_outcomes(passed=1, deselected=8)
