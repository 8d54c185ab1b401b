"""The audit's options, defined once: flag, ini key, environment variable, parser and help."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dsn import parse_dsn
from .values import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_EFFECT,
    optional_path,
    parse_alpha,
    parse_bool,
    parse_duration,
    parse_effect,
    parse_run,
    parse_time,
    path,
    positive_int,
)


@dataclass(frozen=True, slots=True)
class Option:
    """One audit setting: ``--audit-<name>``, ini ``audit_<name>``, env ``BOTAUDIT_<NAME>``."""

    name: str
    help: str
    parse: Callable[[str], Any] = str
    default: Any = None
    flag: bool = False
    multiple: bool = False

    @property
    def cli(self) -> str:
        return "--audit-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "audit_" + self.name

    @property
    def env(self) -> str:
        return "BOTAUDIT_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option(
        "dsn",
        "the bot's database: a postgresql:// URI or libpq keyword/value pairs, as psql takes "
        "them (else libpq's PG* variables are used)",
        parse_dsn,
    ),
    Option(
        "log",
        "bot log file to analyse (repeatable; rotated .1 ... .N siblings are included)",
        path,
        multiple=True,
    ),
    Option(
        "duration",
        "how long a live audit collects, e.g. 8h, 90m, 30s (default 8h)",
        parse_duration,
        8 * 3600.0,
    ),
    Option("interval", "sampling interval of the collector (default 60s)", parse_duration, 60.0),
    Option(
        "out",
        "directory for snapshots, the summary JSON and other artifacts (default .)",
        path,
        Path("."),
    ),
    Option(
        "profile", "profile TOML describing the bot's tables, event words and log patterns", path
    ),
    Option(
        "env_file",
        "the bot's .env file whose *_TESTNET flags pre-flight checks (default ./.env); "
        "'none' for a bot without one (the check is then skipped)",
        optional_path,
        Path(".env"),
    ),
    Option(
        "strict",
        "treat WARN verdicts as failures (a YELLOW audit then exits 6)",
        parse_bool,
        False,
        flag=True,
    ),
    Option(
        "allow_no_data",
        "let NO-DATA verdicts pass as skipped instead of failing (exit 6)",
        parse_bool,
        False,
        flag=True,
    ),
    Option(
        "require_read_only_role",
        "pre-flight FAILs, instead of WARNing, when the audit's role can do more than read "
        "(superuser, pg_execute_server_program, pg_write_server_files, pg_signal_backend, "
        "write grants ...)",
        parse_bool,
        False,
        flag=True,
    ),
    Option(
        "abort_on_critical",
        "stop collecting as soon as a CRITICAL incident opens",
        parse_bool,
        False,
        flag=True,
    ),
    Option(
        "persist",
        "ticks an alert condition must hold before its incident opens (default 1)",
        positive_int,
        1,
    ),
    Option(
        "since",
        "window mode: judge the period from this time (ISO, or relative like -8h)",
        parse_time,
    ),
    Option("until", "window mode: end of the judged period (default now)", parse_time),
    Option(
        "snapshots",
        "replay mode: re-judge this snapshot file (ours or bot_monitor.py's)",
        path,
    ),
    Option(
        "statement_timeout",
        "longest a query of the audit may run on the bot's database (default 30s)",
        parse_duration,
        30.0,
    ),
    Option(
        "lock_timeout",
        "longest a query of the audit may wait for a lock (default 5s)",
        parse_duration,
        5.0,
    ),
    Option(
        "bot_pid",
        "the bot's process id on this machine: its CPU and memory are sampled each tick",
        positive_int,
    ),
    Option(
        "notify",
        "an Apprise URL to tell about CRITICAL incidents, outages, crashes and the end of the "
        "audit (repeatable): tgram://, slack://, discord://, mailto://, json://host/path ...",
        multiple=True,
    ),
    Option(
        "progress_every",
        "without a terminal (a CI log): one progress line this often (default 5m); a terminal "
        "gets one status line, updated every tick",
        parse_duration,
        300.0,
    ),
    Option(
        "notify_gap_ticks",
        "ticks in a row without the database before a notification says so (default 3)",
        positive_int,
        3,
    ),
    Option(
        "resume",
        "continue an interrupted live audit in --audit-out: the run --audit-run names, else "
        "the newest unfinished one",
        parse_bool,
        False,
        flag=True,
    ),
    Option(
        "run",
        "a run of --audit-out (or of --audit-snapshots) by id, latest, or all (replay only): "
        "alone it replays that run; with --audit-resume it continues it",
        parse_run,
    ),
    Option(
        "bot_version",
        "free text naming the audited bot's version (e.g. its git commit), kept in every report",
    ),
    Option(
        "bot_source",
        "a checkout of the audited bot: pre-flight holds the profile against its source "
        "(event types, log templates) and WARNs on a fault it logs in words no pattern knows",
        path,
    ),
    Option(
        "baseline",
        "an earlier audit's JUnit XML (or run folder) to compare this run with at the end",
        path,
    ),
    Option(
        "fail_on_regression",
        "with --audit-baseline: a run worse than the baseline fails the session (a verdict "
        "worse, a metric significantly and relevantly worse, a new ERROR/CRITICAL message "
        "shape)",
        parse_bool,
        False,
        flag=True,
    ),
    Option(
        "baseline_alpha",
        "with --audit-baseline: the significance level of a change, family-wise over the "
        f"metrics (Holm) (default {DEFAULT_ALPHA:g})",
        parse_alpha,
        DEFAULT_ALPHA,
    ),
    Option(
        "baseline_min_effect",
        "with --audit-baseline: the smallest change that counts, in Cohen's units (d for "
        f"latencies, h for rates) (default {DEFAULT_MIN_EFFECT:g})",
        parse_effect,
        DEFAULT_MIN_EFFECT,
    ),
)


OPTIONS_BY_NAME: dict[str, Option] = {opt.name: opt for opt in OPTIONS}


def command_line(values: Mapping[str, Any]) -> list[str]:
    """``--audit-*`` arguments for the given settings, e.g. ``{"duration": 12.0, "log": [p]}``:
    durations are written in seconds, flags only when true, repeatable options once per value.
    The one place that spells an audit's command line (the demo and the tests use it)."""
    arguments: list[str] = []
    for name, value in values.items():
        opt = OPTIONS_BY_NAME.get(name)
        if opt is None:
            raise KeyError(f"no audit option '{name}' (known: {', '.join(OPTIONS_BY_NAME)})")
        if value is None:
            continue
        if opt.flag:
            if value:
                arguments.append(opt.cli)
            continue
        items: Iterable[Any] = value if opt.multiple and not isinstance(value, str) else [value]
        for item in items:
            seconds = opt.parse is parse_duration and not isinstance(item, str)
            shown = f"{item:g}s" if seconds else item
            arguments.append(f"{opt.cli}={shown}")
    return arguments
