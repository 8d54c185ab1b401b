"""Audit settings: scalar parsers, the option table, and precedence resolution into one object."""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .errors import ConfigError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Parse ``8h``, ``90m``, ``30s``, ``0.2s``, ``1h30m`` or a bare number of seconds.

    Returns seconds (> 0). Raises ValueError with a short reason otherwise.
    """
    value = text.strip().lower()
    if not value:
        raise ValueError("empty duration")
    try:
        seconds = float(value)
    except ValueError:
        pos = 0
        seconds = 0.0
        for match in _DURATION_PART.finditer(value):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if pos != len(value) or pos == 0:
            raise ValueError("expected a duration such as 8h, 90m, 30s or 0.2s") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("a duration must be greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """Render seconds the way a user would type them: 8h, 1h30m, 90s, 0.2s."""
    if seconds < 60 and not float(seconds).is_integer():
        return f"{seconds:g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """An ISO time (naive means UTC) or a time relative to now such as ``-8h`` or ``-90m``."""
    value = text.strip()
    reference = now or datetime.now(UTC)
    if value.lower() == "now":
        return reference
    if value.startswith("-"):
        return reference - timedelta(seconds=parse_duration(value[1:]))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "expected an ISO time (2025-10-18T07:00) or a relative one (-8h)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@?#]*:)(?P<secret>[^@/?#]*)(?=@)", re.I
)
_KEYWORD_PASSWORD = re.compile(
    r"(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|\S+)", re.I
)
REDACTED = "***"


def redact_dsn(dsn: str | None) -> str:
    """The DSN with any password replaced by ``***`` (URL userinfo, ?password=, key=value form)."""
    if not dsn:
        return ""
    if "://" not in dsn:
        return _KEYWORD_PASSWORD.sub(lambda m: m.group("head") + REDACTED, dsn)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, dsn)
    parts = urllib.parse.urlsplit(text)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(key.lower() == "password" for key, _ in query):
        cleaned = [(k, REDACTED if k.lower() == "password" else v) for k, v in query]
        text = urllib.parse.urlunsplit(
            parts._replace(query=urllib.parse.urlencode(cleaned, safe="*/"))
        )
    return text


def secrets_of(dsn: str | None) -> tuple[str, ...]:
    """Every password literal inside a DSN, so outputs can be scrubbed of it."""
    if not dsn:
        return ()
    if "://" not in dsn:
        found = [m.group("secret").strip("'") for m in _KEYWORD_PASSWORD.finditer(dsn)]
    else:
        found = [m.group("secret") for m in _URL_PASSWORD.finditer(dsn)]
        query = urllib.parse.parse_qsl(urllib.parse.urlsplit(dsn).query, keep_blank_values=True)
        found += [v for k, v in query if k.lower() == "password"]
    decoded = [urllib.parse.unquote(s) for s in found]
    return tuple(sorted({s for s in found + decoded if s and s != REDACTED}, key=len, reverse=True))


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


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _path(text: str) -> Path:
    if not text.strip():
        raise ValueError("empty path")
    return Path(text).expanduser()


OPTIONS: tuple[Option, ...] = (
    Option("dsn", "PostgreSQL DSN of the bot's database (else libpq's PG* variables are used)"),
    Option(
        "log",
        "bot log file to analyse (repeatable; rotated .1 ... .N siblings are included)",
        _path,
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
        _path,
        Path("."),
    ),
    Option(
        "profile", "profile TOML describing the bot's tables, event words and log patterns", _path
    ),
    Option(
        "env_file",
        "the bot's .env file whose *_TESTNET flags pre-flight checks (default ./.env)",
        _path,
        Path(".env"),
    ),
    Option("strict", "treat WARN verdicts as failures", parse_bool, False, flag=True),
    Option(
        "allow_no_data",
        "let NO-DATA verdicts pass (skipped) instead of erroring",
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
        _positive_int,
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
        _path,
    ),
    Option(
        "resume",
        "continue the interrupted live audit whose snapshot file is in --audit-out",
        parse_bool,
        False,
        flag=True,
    ),
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a setting's value came from, for error messages and the report header."""

    value: Any
    origin: str


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """The effective audit settings; built once per pytest session."""

    dsn: str | None = None
    log: tuple[Path, ...] = ()
    duration: float = 8 * 3600.0
    interval: float = 60.0
    out: Path = Path(".")
    profile: Path | None = None
    env_file: Path = Path(".env")
    strict: bool = False
    allow_no_data: bool = False
    abort_on_critical: bool = False
    persist: int = 1
    since: datetime | None = None
    until: datetime | None = None
    snapshots: Path | None = None
    resume: bool = False
    thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    alerts: Mapping[str, Any] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        """live (collect for the duration), window (a past period) or replay (a file)."""
        if self.snapshots is not None:
            return "replay"
        if self.since is not None:
            return "window"
        return "live"

    @property
    def expected_snapshots(self) -> int:
        return max(1, math.floor(self.duration / self.interval + 1e-9))

    @property
    def redacted_dsn(self) -> str:
        return redact_dsn(self.dsn) if self.dsn else "(libpq PG* environment)"


def resolve(
    cli: Mapping[str, Any],
    env: Mapping[str, str],
    ini: Callable[[str], Any],
    tool: Mapping[str, Any],
    tool_origin: str = "[tool.botaudit]",
) -> AuditSettings:
    """Apply precedence command line > BOTAUDIT_* env > pytest ini > [tool.botaudit] > default."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    known = {opt.name for opt in OPTIONS} | {"thresholds", "alerts"}
    for key in tool:
        if key not in known:
            raise ConfigError(f"{tool_origin}: unknown setting '{key}'")
    for opt in OPTIONS:
        found = _first_given(opt, cli, env, ini, tool, tool_origin)
        if found is None:
            values[opt.name] = opt.default
            origins[opt.name] = "default"
            continue
        values[opt.name] = _parse(opt, found)
        origins[opt.name] = found.origin
    if values["log"] is None:
        values["log"] = ()
    thresholds = tool.get("thresholds", {})
    if not isinstance(thresholds, Mapping):
        raise ConfigError(f"{tool_origin}: 'thresholds' must be a table")
    alerts = tool.get("alerts", {})
    if not isinstance(alerts, Mapping):
        raise ConfigError(f"{tool_origin}: 'alerts' must be a table")
    settings = AuditSettings(thresholds=thresholds, alerts=alerts, origins=origins, **values)
    _check_modes(settings)
    if settings.interval > settings.duration:
        raise ConfigError(
            f"{origins['interval']}: interval {format_duration(settings.interval)} is longer than "
            f"the audit duration {format_duration(settings.duration)} ({origins['duration']})"
        )
    return settings


def _check_modes(settings: AuditSettings) -> None:
    """Cross-field rules between the modes, each naming the values and their sources."""
    o = settings.origins
    if settings.until is not None and settings.since is None:
        raise ConfigError(f"{o['until']}: --audit-until needs --audit-since (window mode)")
    if settings.since is not None:
        until = settings.until or datetime.now(UTC)
        if settings.since >= until:
            raise ConfigError(
                f"{o['since']}: window start {settings.since.isoformat()} is not before its "
                f"end {until.isoformat()}"
            )
    if settings.snapshots is not None and settings.since is not None:
        raise ConfigError(
            f"{o['snapshots']}: replay (--audit-snapshots) and window mode (--audit-since, "
            f"{o['since']}) exclude each other"
        )
    if settings.resume and settings.mode != "live":
        raise ConfigError(
            f"{o['resume']}: --audit-resume continues a live audit, not {settings.mode} mode"
        )


def _first_given(
    opt: Option,
    cli: Mapping[str, Any],
    env: Mapping[str, str],
    ini: Callable[[str], Any],
    tool: Mapping[str, Any],
    tool_origin: str,
) -> Source | None:
    cli_value = cli.get(opt.name)
    if cli_value not in (None, [], False):
        return Source(cli_value, f"{opt.cli} (command line)")
    if env.get(opt.env):
        return Source(env[opt.env], f"{opt.env} (environment)")
    ini_value = ini(opt.ini)
    if ini_value not in (None, "", []):
        return Source(ini_value, f"{opt.ini} (ini file)")
    if opt.name in tool:
        return Source(tool[opt.name], f"{tool_origin} {opt.name}")
    return None


def _parse(opt: Option, found: Source) -> Any:
    raw = found.value
    try:
        if opt.multiple:
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            return tuple(opt.parse(str(item)) for item in items if str(item).strip())
        if isinstance(raw, bool) and opt.parse is parse_bool:
            return raw
        if (
            isinstance(raw, int | float)
            and not isinstance(raw, bool)
            and opt.parse is parse_duration
        ):
            return parse_duration(str(raw))
        return opt.parse(str(raw))
    except ValueError as exc:
        shown = redact_dsn(str(raw)) if opt.name == "dsn" else str(raw)
        raise ConfigError(f"{found.origin}: invalid value '{shown}' for {opt.cli}: {exc}") from None
