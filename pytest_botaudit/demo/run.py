"""The demo and simulate commands: a throw-away PostgreSQL, the simulated bot on its own thread,
and a short audit of it run as a real pytest session."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Coroutine
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from ..bundled import audit_checks_dir
from ..config.dsn import redact_dsn
from ..config.options import command_line
from ..config.values import format_duration
from ..database.connection import describe_error
from ..database.sqlfiles import load_sql
from ..errors import BotAuditError
from ..record.folder import AuditDir, run_id_of
from .pgserver import EmbeddedPostgres
from .scenarios import Scenario, tuned
from .simulator import BotSimulator, log_line

T = TypeVar("T")


# what an unreachable or refusing database raises, for a one-line error
_DB_FAILURES = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)


async def create_schema(dsn: str | None) -> None:
    """The reference schema of the bot contract (sql/schema.sql), for the simulated bot."""
    connection = await asyncpg.connect(dsn or None, timeout=10)
    try:
        await connection.execute(load_sql("schema.sql"))
    finally:
        await connection.close()


READER = "botaudit_reader"


async def reader_dsn(dsn: str) -> str:
    """The same database as the SELECT-only role of sql/reader_role.sql, as the README
    recommends; the DSN itself where the role cannot be made (no CREATEROLE privilege)."""
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute(load_sql("reader_role.sql"))
    except asyncpg.InsufficientPrivilegeError:
        return dsn
    finally:
        await connection.close()
    parts = urllib.parse.urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{READER}@{host}"))


def _database_step(step: Coroutine[Any, Any, T], dsn: str | None) -> T:
    """Run one step against the bot's database; a failure is one line, password hidden."""
    try:
        return asyncio.run(step)
    except _DB_FAILURES as exc:
        raise BotAuditError(describe_error(exc, dsn)) from None


def scenario_of(args: argparse.Namespace) -> Scenario:
    """The scenario named, with the knobs given on the command line."""
    return tuned(
        args.scenario,
        api_errors_per_hour=args.api_errors_per_hour,
        sl_latency_factor=args.sl_latency_factor,
        novel_error=args.novel_error,
    )


def simulate(args: argparse.Namespace) -> int:
    async def run() -> BotSimulator:
        if args.create_schema:
            await create_schema(args.dsn)
        simulator = BotSimulator(
            args.dsn, args.log, args.duration, scenario_of(args), args.seed, args.speed
        )
        await simulator.run()
        return simulator

    started = time.monotonic()
    simulator = _database_step(run(), args.dsn)
    print(
        f"simulated {simulator.scenario.name} bot for {format_duration(args.duration)}: "
        f"{simulator.events_written} events, {simulator.log_lines_written} log lines "
        f"in {time.monotonic() - started:.1f}s"
    )
    return 0


class BackgroundBot:
    """The simulator on its own thread and event loop, so the audit can run in the foreground."""

    def __init__(self, simulator: BotSimulator) -> None:
        self.simulator = simulator
        self.error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="botaudit-simulator", daemon=True)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self.simulator.run())
        except BaseException as exc:  # reported by the main thread after join
            self.error = exc
        finally:
            self._loop.close()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # the bot already finished: its loop is closed
            self._loop.call_soon_threadsafe(self.simulator.stop)
        self._thread.join(timeout=30)


def _when_collecting(out: Path, started: str, audit: subprocess.Popen[bytes]) -> None:
    """Wait until the audit's collector writes its run's snapshot file (or pytest ended)."""
    deadline = time.monotonic() + 120
    while audit.poll() is None and time.monotonic() < deadline:
        run = AuditDir(out).latest()
        if run is not None and run.run_id >= started and run.snapshot_files():
            return
        time.sleep(0.05)


def demo(args: argparse.Namespace) -> int:
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    # about 24 ticks, at a step a person would choose (1.25 s, 1.5 s, 5 s; not 1.66667 s)
    interval = args.interval or max(1.0, round(args.duration / 24 * 4) / 4)
    with ExitStack() as stack:
        dsn = args.dsn
        if dsn is None:
            print("botaudit demo: starting an embedded PostgreSQL server ...")
            server = stack.enter_context(EmbeddedPostgres())
            dsn = server.dsn()
        print(f"botaudit demo: database {redact_dsn(dsn)}")
        _database_step(create_schema(dsn), dsn)
        # the embedded server trusts local roles: audit as the SELECT-only one, as recommended
        auditor = _database_step(reader_dsn(dsn), dsn) if args.dsn is None else dsn
        # each demo a fresh log of its own, kept beside the runs (the run folder names it)
        started = run_id_of(datetime.now(UTC))
        log_path = out / "logs" / f"bot-{started}.log"
        log_path.parent.mkdir(exist_ok=True)
        log_path.unlink(missing_ok=True)
        env_file = out / ".env"
        env_file.write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=true\nLOG_LEVEL=INFO\n")
        # the bot runs a little longer than the audit, as it would in real life
        simulator = BotSimulator(
            dsn, log_path, args.duration + interval * 2, scenario_of(args), args.seed
        )
        bot = BackgroundBot(simulator)
        # the bot's log exists before pytest checks it; the bot itself starts with the audit's
        # collection, so every event it plays falls inside the audited window
        log_path.write_text(
            log_line(datetime.now(UTC), "bot.main", "INFO", "simulated bot starting")
        )
        print(
            f"botaudit demo: simulating a {args.scenario} bot, auditing for "
            f"{format_duration(args.duration)} every {format_duration(interval)}"
        )
        audit = {
            "dsn": auditor,
            "log": [log_path],
            "env_file": env_file,
            "duration": args.duration,
            "interval": interval,
            "out": out,
        }
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(audit_checks_dir()),
            "-p",
            "no:cacheprovider",
            # the line a project adds to its ini; the demo's folder has no ini file
            "-o",
            "asyncio_default_fixture_loop_scope=session",
            *command_line(audit),
            f"--html={out / 'audit.html'}",
            "--self-contained-html",
            f"--junitxml={out / 'audit.xml'}",
        ]
        with subprocess.Popen(command, cwd=out) as pytest_run:
            _when_collecting(out, started, pytest_run)
            bot.start()
            stack.callback(bot.stop)
            code = pytest_run.wait()
        if bot.error is not None:
            raise BotAuditError(f"the simulated bot failed: {bot.error}")
    html, xml = out / "audit.html", out / "audit.xml"
    run = AuditDir(out).latest()
    if run is not None and run.run_id >= started:
        # this demo's run keeps a copy of its reports; the paths pytest printed stay valid
        for path in (html, xml):
            if path.exists():
                shutil.copy2(path, run.path / path.name)
        html, xml = run.path / html.name, run.path / xml.name
    for what, path in (("report", html), ("JUnit XML", xml)):
        print(f"botaudit demo: {what} {path}" if path.exists() else f"botaudit demo: no {what}")
    print(f"botaudit demo: pytest exited with {code}")
    return code
