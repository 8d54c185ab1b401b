"""The ``botaudit`` command: simulate a bot, run the demo audit, analyse logs."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import asyncpg

from .errors import BotAuditError
from .loganalysis import analyze_files, analyze_parallel
from .pgserver import EmbeddedPostgres
from .profile import load_profile
from .settings import format_duration, parse_duration, parse_time, redact_dsn
from .simulate import SCENARIOS, BotSimulator
from .sqlfiles import bundled_dir, load_sql
from .textreport import render_log_report

log = logging.getLogger("botaudit")


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid duration '{text}': {exc}") from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be greater than zero")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botaudit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    sim = commands.add_parser("simulate", help="play a bot of the contract against a database")
    sim.add_argument(
        "--dsn",
        default=os.environ.get("BOTAUDIT_DSN"),
        help="database to write to (default $BOTAUDIT_DSN or the PG* environment)",
    )
    sim.add_argument("--log", type=Path, required=True, help="log file to append to")
    sim.add_argument("--duration", type=_duration, default=300.0, help="e.g. 5m (default 5m)")
    sim.add_argument("--scenario", choices=sorted(SCENARIOS), default="healthy")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="activity multiplier (bot seconds per real second)",
    )
    sim.add_argument(
        "--create-schema",
        action="store_true",
        help="create the reference schema (sql/schema.sql) first",
    )

    demo = commands.add_parser("demo", help="embedded PostgreSQL + simulator + a short audit")
    demo.add_argument("--duration", type=_duration, default=120.0, help="audit length (2m)")
    demo.add_argument(
        "--interval",
        type=_duration,
        default=None,
        help="sampling interval (default: duration / 24)",
    )
    demo.add_argument("--scenario", choices=sorted(SCENARIOS), default="healthy")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", type=Path, default=Path("botaudit-demo"))
    demo.add_argument(
        "--dsn", default=None, help="use this (empty) database instead of an embedded server"
    )

    commands.add_parser(
        "checks-dir", help="print where the bundled audit_checks/ are (pytest $(botaudit ...))"
    )

    logs = commands.add_parser("logs", help="analyse bot log files (text or JSON)")
    logs.add_argument("files", nargs="+", type=Path)
    logs.add_argument("--json", action="store_true", help="the full analysis as JSON")
    logs.add_argument("--output", type=Path, help="write the report here instead of stdout")
    logs.add_argument("--since", help="ISO time or relative (-8h)")
    logs.add_argument("--until", help="ISO time or relative (-1h)")
    logs.add_argument("--profile", type=Path, help="profile TOML with the log patterns")
    logs.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes reading byte ranges of large files in parallel (default 1)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "checks-dir":
            print(audit_checks_dir())
            return 0
        return _logs(args)
    except BotAuditError as exc:
        print(f"botaudit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `botaudit logs ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


async def create_schema(dsn: str | None) -> None:
    connection = await asyncpg.connect(dsn or None)
    try:
        await connection.execute(load_sql("schema.sql"))
    finally:
        await connection.close()


def _simulate(args: argparse.Namespace) -> int:
    async def run() -> BotSimulator:
        if args.create_schema:
            await create_schema(args.dsn)
        simulator = BotSimulator(
            args.dsn, args.log, args.duration, args.scenario, args.seed, args.speed
        )
        await simulator.run()
        return simulator

    started = time.monotonic()
    simulator = asyncio.run(run())
    print(
        f"simulated {simulator.scenario.name} bot for {format_duration(args.duration)}: "
        f"{simulator.events_written} events, {simulator.log_lines_written} log lines "
        f"in {time.monotonic() - started:.1f}s"
    )
    return 0


class _BackgroundBot:
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

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self.simulator.stop)
        self._thread.join(timeout=30)


def audit_checks_dir() -> Path:
    return Path(str(bundled_dir("audit_checks")))


def _demo(args: argparse.Namespace) -> int:
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    interval = args.interval or max(1.0, args.duration / 24)
    with ExitStack() as stack:
        dsn = args.dsn
        if dsn is None:
            print("botaudit demo: starting an embedded PostgreSQL server ...")
            server = stack.enter_context(EmbeddedPostgres())
            dsn = server.dsn()
        print(f"botaudit demo: database {redact_dsn(dsn)}")
        asyncio.run(create_schema(dsn))
        log_path = out / "bot.log"
        env_file = out / ".env"
        env_file.write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=true\nLOG_LEVEL=INFO\n")
        # the bot runs a little longer than the audit, as it would in real life
        simulator = BotSimulator(
            dsn, log_path, args.duration + interval * 2, args.scenario, args.seed
        )
        bot = _BackgroundBot(simulator)
        bot.start()
        stack.callback(bot.stop)
        deadline = time.monotonic() + 10
        while not log_path.exists() and time.monotonic() < deadline and bot.error is None:
            time.sleep(0.05)
        print(
            f"botaudit demo: simulating a {args.scenario} bot, auditing for "
            f"{format_duration(args.duration)} every {format_duration(interval)}"
        )
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(audit_checks_dir()),
            "-p",
            "no:cacheprovider",
            f"--audit-dsn={dsn}",
            f"--audit-log={log_path}",
            f"--audit-env-file={env_file}",
            f"--audit-duration={args.duration:g}s",
            f"--audit-interval={interval:g}s",
            f"--audit-out={out}",
            f"--html={out / 'audit.html'}",
            "--self-contained-html",
            f"--junitxml={out / 'audit.xml'}",
        ]
        code = subprocess.call(command, cwd=out)
        if bot.error is not None:
            raise BotAuditError(f"the simulated bot failed: {bot.error}")
    print(f"botaudit demo: report {out / 'audit.html'}")
    print(f"botaudit demo: JUnit XML {out / 'audit.xml'}")
    print(f"botaudit demo: pytest exited with {code}")
    return code


def _logs(args: argparse.Namespace) -> int:
    try:
        since = parse_time(args.since) if args.since else None
        until = parse_time(args.until) if args.until else None
    except ValueError as exc:
        raise BotAuditError(f"--since/--until: {exc}") from None
    for path in args.files:
        if not path.exists():
            raise BotAuditError(f"no such log file: {path}")
    profile = load_profile(args.profile)
    if args.jobs < 1:
        raise BotAuditError(f"--jobs must be at least 1, got {args.jobs}")
    analysis = (
        analyze_parallel(args.files, profile, since, until, args.jobs)
        if args.jobs > 1
        else analyze_files(args.files, profile, since, until)
    )
    text = (
        json.dumps(analysis.to_json(), indent=2, ensure_ascii=False)
        if args.json
        else render_log_report(analysis)
    )
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"botaudit logs: wrote {args.output}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
