"""The botaudit command: analyse logs, locate the checks, simulate a bot, run the demo, hold the
profile against the bot's source, compare runs and show their trend."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import __version__
from .bundled import audit_checks_dir
from .config.dsn import parse_dsn
from .config.profile import load_profile
from .config.values import parse_duration, parse_time
from .demo.scenarios import NOVEL_ERRORS, SCENARIOS
from .errors import BotAuditError
from .exitcodes import help_text
from .logs.files import analyze_files, analyze_parallel
from .logs.reader import rotated_set
from .record.folder import RunFolder
from .record.summary import write_json, write_text
from .reporting.logtext import render_log_report
from .reruns import command as compare_command
from .vocabulary import command as vocabulary_command

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
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a finite number greater than zero")
    return value


SCENARIO_HELP = "the simulated bot (default healthy): " + "; ".join(
    f"{name}: {scenario.description}" for name, scenario in sorted(SCENARIOS.items())
)
SEED_HELP = "seed of the simulated bot's random choices: the same seed plays the same run"


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a finite number of at least zero")
    return value


def _knobs(parser: argparse.ArgumentParser) -> None:
    """What a rerun may change in the simulated bot (compare tells it from noise)."""
    parser.add_argument(
        "--api-errors-per-hour",
        type=_non_negative,
        default=None,
        help="API errors at random times, this many an hour (the steady scenario has 60)",
    )
    parser.add_argument(
        "--sl-latency-factor",
        type=_positive,
        default=None,
        help="every stop-loss update takes this many times as long (e.g. 1.5)",
    )
    parser.add_argument(
        "--novel-error",
        action="store_true",
        help=f"write {NOVEL_ERRORS} errors of an exception type no scenario writes",
    )


DESCRIPTION = (
    "The botaudit command: analyse logs, locate the checks, simulate a bot, run the demo, "
    "hold the profile against the bot's source, compare runs and show their trend. The audit "
    "itself is a pytest run of the bundled checks."
)


def epilog() -> str:
    return "\n".join(
        [
            "examples:",
            "  botaudit demo --scenario faulty            a 2-minute audit of a simulated bot",
            '  pytest "$(botaudit checks-dir)" --audit-duration=8h \\',
            "      --audit-dsn=postgresql://auditor@db/fox_crypto --audit-log=/var/log/bot.log \\",
            "      --html=audit.html --self-contained-html --junitxml=audit.xml",
            "  botaudit compare baseline.xml audit.xml    the rerun against its baseline",
            "",
            f"the audit (pytest with the checks) {help_text()}",
            "",
            "botaudit commands exit 0 on success, 1 when the answer is no (compare: worse than",
            "the baseline; vocabulary: an ERROR/CRITICAL template the profile does not know),",
            "2 on an error (named in one line); demo exits with its audit's code.",
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="botaudit",
        description=DESCRIPTION,
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pytest-botaudit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    sim = commands.add_parser("simulate", help="play a bot of the contract against a database")
    sim.add_argument(
        "--dsn",
        default=os.environ.get("BOTAUDIT_DSN"),
        help="database to write to (default $BOTAUDIT_DSN or the PG* environment)",
    )
    sim.add_argument("--log", type=Path, required=True, help="log file to append to")
    sim.add_argument("--duration", type=_duration, default=300.0, help="e.g. 5m (default 5m)")
    sim.add_argument("--scenario", choices=sorted(SCENARIOS), default="healthy", help=SCENARIO_HELP)
    sim.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    sim.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        help="activity multiplier (bot seconds per real second)",
    )
    _knobs(sim)
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
    demo.add_argument(
        "--scenario", choices=sorted(SCENARIOS), default="healthy", help=SCENARIO_HELP
    )
    demo.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    _knobs(demo)
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("botaudit-demo"),
        help="folder for the bot's log, the audit's files, audit.html and audit.xml "
        "(default botaudit-demo)",
    )
    demo.add_argument(
        "--dsn", default=None, help="use this (empty) database instead of an embedded server"
    )

    commands.add_parser(
        "checks-dir", help="print where the bundled audit_checks/ are (pytest $(botaudit ...))"
    )

    analyze = commands.add_parser(
        "analyze", help="the 14-section database analysis of a window, without pytest"
    )
    analyze.add_argument(
        "--dsn",
        default=os.environ.get("BOTAUDIT_DSN"),
        help="the bot's database, as psql takes it (default $BOTAUDIT_DSN or the PG* variables)",
    )
    analyze.add_argument("--since", help="window start: ISO time or relative (-8h)")
    analyze.add_argument("--until", help="window end (default now)")
    analyze.add_argument(
        "--hours", type=_positive, default=8.0, help="without --since: the last N hours (8)"
    )
    analyze.add_argument("--profile", type=Path, help="profile TOML (default: the bot contract)")
    analyze.add_argument("--json", action="store_true", help="print the analysis as JSON")
    analyze.add_argument(
        "--out", type=Path, help="write analysis_db.txt and analysis_db.json into this folder"
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
    compare_command.add_parsers(commands)
    vocabulary_command.add_parser(commands)
    return parser


def _logs(args: argparse.Namespace) -> int:
    try:
        since = parse_time(args.since) if args.since else None
        until = parse_time(args.until) if args.until else None
    except ValueError as exc:
        raise BotAuditError(f"--since/--until: {exc}") from None
    for path in args.files:
        files = rotated_set(path)
        if not files:
            raise BotAuditError(f"no such log file: {path}")
        odd = next((f for f in files if not f.is_file()), None)
        if odd is not None:
            raise BotAuditError(f"not a regular file: {odd} (a directory, FIFO or device)")
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


def _checks_dir(args: argparse.Namespace) -> int:
    print(audit_checks_dir())
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from .demo.run import simulate  # the demo's modules load only for the demo's commands

    return simulate(args)


def _demo(args: argparse.Namespace) -> int:
    from .demo.run import demo

    return demo(args)


def _analyze(args: argparse.Namespace) -> int:
    # the database's modules load only for the command that reads one (asyncpg is not light)
    from .database.analysis import DatabaseAnalysis, run_analysis
    from .database.connection import connect
    from .reporting.dbtext import render_db_report

    try:
        until = parse_time(args.until) if args.until else datetime.now(UTC)
        since = parse_time(args.since) if args.since else until - timedelta(hours=args.hours)
        dsn = parse_dsn(args.dsn) if args.dsn else None
    except ValueError as exc:
        raise BotAuditError(f"--dsn/--since/--until: {exc}") from None
    if since >= until:
        raise BotAuditError(
            f"--since {since.isoformat()} is not before --until {until.isoformat()}"
        )
    profile = load_profile(args.profile)

    async def run() -> DatabaseAnalysis:
        session = await connect(dsn)
        try:
            return await run_analysis(session, profile, since, until)
        finally:
            await session.close()

    analysis = asyncio.run(run())
    text = render_db_report(analysis)
    if args.out:
        txt, js = RunFolder(args.out).analysis_db
        write_text(txt, text)
        write_json(js, analysis.to_json())
        print(f"botaudit analyze: wrote {txt} and {js}")
    elif args.json:
        print(json.dumps(analysis.to_json(), indent=2, default=str, ensure_ascii=False))
    else:
        print(text, end="")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "analyze": _analyze,
    "simulate": _simulate,
    "demo": _demo,
    "checks-dir": _checks_dir,
    "logs": _logs,
    "compare": compare_command.run,
    "trend": compare_command.trend,
    "vocabulary": vocabulary_command.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return COMMANDS[args.command](args)
    except BotAuditError as exc:
        print(f"botaudit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `botaudit logs ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
