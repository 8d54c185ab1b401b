"""pytest glue for an audit's inputs: the settings resolved from every source with the profile
and thresholds, and the files and database they name checked before anything waits."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from .collection.alerts import configure_rules
from .collection.botprocess import process_exists
from .collection.collect import replay_source
from .collection.replay import find_resumable
from .config.botenv import parse_env
from .config.dsn import secrets_of
from .config.options import OPTIONS
from .config.profile import Profile, load_profile
from .config.settings import AuditSettings, Mode, resolve
from .database.connection import Target, connect
from .errors import ConfigError
from .fileio import NotARegularFile, not_regular, read_regular_bytes, read_regular_text
from .judging.catalogue import configure_metrics
from .judging.preflight import MAX_ENV_BYTES
from .judging.verdicts import MetricSpec
from .logs.reader import rotated_set
from .redaction import remember
from .reporting.notify import check_urls, url_secrets

MAX_PYPROJECT_BYTES = 4 * 2**20


@dataclass(frozen=True, slots=True)
class Configured:
    settings: AuditSettings
    profile: Profile
    metrics: Mapping[str, MetricSpec]
    rule_overrides: Mapping[str, float]


def _tool_table(config: pytest.Config) -> tuple[dict[str, Any], str]:
    """``[tool.botaudit]`` of the rootdir's pyproject.toml (or the ini file if it is one)."""
    candidates = (
        [config.inipath] if config.inipath and config.inipath.name == "pyproject.toml" else []
    )
    candidates.append(config.rootpath / "pyproject.toml")
    for path in candidates:
        if path is None or not path.exists():
            continue
        try:
            data = tomllib.loads(read_regular_text(path, MAX_PYPROJECT_BYTES))
        except NotARegularFile as exc:  # a FIFO or a device: refused, never waited on
            raise pytest.UsageError(str(exc)) from None
        except UnicodeDecodeError as exc:
            raise pytest.UsageError(f"{path}: not UTF-8 text ({exc.reason})") from None
        except tomllib.TOMLDecodeError as exc:
            raise pytest.UsageError(f"{path}: invalid TOML ({exc})") from None
        table = data.get("tool", {}).get("botaudit", {})
        return (table if isinstance(table, dict) else {}), f"{path} [tool.botaudit]"
    return {}, "[tool.botaudit]"


def configure(config: pytest.Config) -> Configured:
    """Command line > BOTAUDIT_* > ini > [tool.botaudit] > defaults, the profile, thresholds
    and alert rules; any bad value is a one-line usage error naming it and its source."""
    cli = {opt.name: config.getoption(f"audit_{opt.name}") for opt in OPTIONS}
    tool, origin = _tool_table(config)
    try:
        settings = resolve(cli, os.environ, config.getini, tool, origin)
        profile = load_profile(settings.profile)
        # precedence: [tool.botaudit] thresholds over the profile's over the seed's
        from_profile = configure_metrics(profile.thresholds, f"profile {profile.source}")
        metrics = configure_metrics(settings.thresholds, origin, from_profile)
        rules = configure_rules(settings.alerts, origin)
        if settings.notify:
            check_urls(settings.notify, settings.origins["notify"])
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    remember(known_secrets(settings))
    return Configured(settings, profile, metrics, rules)


def known_secrets(s: AuditSettings) -> list[str]:
    """Every secret the audit itself holds, hidden in every output from now on: the DSN's
    password (or libpq's PGPASSWORD), the notification URLs' tokens and the secret values of
    the bot's .env (its API keys, which the bot may log)."""
    found = [*secrets_of(s.dsn), os.environ.get("PGPASSWORD", "")]
    found += [secret for url in s.notify for secret in url_secrets(url)]
    if s.env_file is not None:
        try:
            text = read_regular_bytes(s.env_file, MAX_ENV_BYTES).decode("utf-8", "replace")
        except NotARegularFile:  # pre-flight says why
            text = ""
        found += [e.value for e in parse_env(text) if e.secret and e.value]
    return found


async def probe(dsn: Target | str | None) -> None:
    session = await connect(dsn, connect_timeout=5.0)
    await session.close()


def check_inputs(s: AuditSettings) -> None:
    """Files named by the settings are what they should be, before anything waits."""
    if s.snapshots is not None and (problem := not_regular(s.snapshots)):
        what = "does not exist" if problem == "no such file" else problem
        raise pytest.UsageError(f"{s.origins['snapshots']}: snapshot file '{s.snapshots}' {what}")
    for path in s.log:
        files = rotated_set(path)
        if not files:
            raise pytest.UsageError(f"{s.origins['log']}: log file '{path}' does not exist")
        odd = next((f for f in files if not f.is_file()), None)
        if odd is not None:
            raise pytest.UsageError(
                f"{s.origins['log']}: '{odd}' is not a regular file (a directory, a FIFO "
                "or a device is not a log)"
            )
    if s.bot_pid is not None and not process_exists(s.bot_pid):
        raise pytest.UsageError(f"{s.origins['bot_pid']}: no process {s.bot_pid} on this machine")
    try:
        if s.resume:
            find_resumable(s.out, s.interval, s.duration, s.run)
        elif s.mode is Mode.REPLAY:
            replay_source(s)  # the file is read once now: one that is not one fails here
    except ConfigError as exc:
        where = s.origins["run" if s.run and not s.snapshots else "snapshots"]
        raise pytest.UsageError(f"{s.origins['resume'] if s.resume else where}: {exc}") from None
