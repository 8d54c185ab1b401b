"""The effective audit settings: precedence resolution into one frozen object."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..record.model import expected_ticks
from .dsn import redact_dsn
from .options import OPTIONS, Option
from .values import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_EFFECT,
    format_duration,
    parse_bool,
    parse_duration,
)

MIN_INTERVAL = 0.1  # seconds between two ticks at least


class Mode(enum.Enum):
    """live (collect for the duration), window (judge a past period) or replay (a file)."""

    LIVE = "live"
    WINDOW = "window"
    REPLAY = "replay"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a setting's value came from, for error messages and the report header."""

    value: Any
    origin: str


@dataclass(frozen=True, slots=True, repr=False)
class AuditSettings:
    """The effective audit settings; built once per pytest session."""

    dsn: str | None = None
    log: tuple[Path, ...] = ()
    duration: float = 8 * 3600.0
    interval: float = 60.0
    out: Path = Path(".")
    profile: Path | None = None
    env_file: Path | None = Path(".env")
    strict: bool = False
    allow_no_data: bool = False
    require_read_only_role: bool = False
    abort_on_critical: bool = False
    persist: int = 1
    since: datetime | None = None
    until: datetime | None = None
    snapshots: Path | None = None
    statement_timeout: float = 30.0
    lock_timeout: float = 5.0
    resume: bool = False
    run: str | None = None
    bot_version: str | None = None
    bot_source: Path | None = None
    baseline: Path | None = None
    fail_on_regression: bool = False
    baseline_alpha: float = DEFAULT_ALPHA
    baseline_min_effect: float = DEFAULT_MIN_EFFECT
    bot_pid: int | None = None
    notify: tuple[str, ...] = ()
    notify_gap_ticks: int = 3
    progress_every: float = 300.0
    thresholds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    alerts: Mapping[str, Any] = field(default_factory=dict)
    origins: Mapping[str, str] = field(default_factory=dict)

    @property
    def mode(self) -> Mode:
        if self.snapshots is not None or (self.run is not None and not self.resume):
            return Mode.REPLAY
        if self.since is not None:
            return Mode.WINDOW
        return Mode.LIVE

    @property
    def expected_snapshots(self) -> int:
        return expected_ticks(self.duration, self.interval)

    @property
    def redacted_dsn(self) -> str:
        return redact_dsn(self.dsn) if self.dsn else "(libpq PG* environment)"

    def __repr__(self) -> str:
        """Every field, the DSN with its password hidden (a failing check prints this)."""
        shown = {name: getattr(self, name) for name in self.__dataclass_fields__}
        if self.dsn:
            shown["dsn"] = redact_dsn(self.dsn)
        # notification URLs carry tokens in their path (Telegram, Discord): scheme only
        shown["notify"] = tuple(url.split("://", 1)[0] + "://***" for url in self.notify)
        fields = [f"{name}={value!r}" for name, value in shown.items()]
        return f"AuditSettings({', '.join(fields)})"


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
    for name in ("log", "notify"):
        if values[name] is None:
            values[name] = ()
    thresholds = tool.get("thresholds", {})
    if not isinstance(thresholds, Mapping):
        raise ConfigError(f"{tool_origin}: 'thresholds' must be a table")
    alerts = tool.get("alerts", {})
    if not isinstance(alerts, Mapping):
        raise ConfigError(f"{tool_origin}: 'alerts' must be a table")
    settings = AuditSettings(thresholds=thresholds, alerts=alerts, origins=origins, **values)
    _check_modes(settings)
    if settings.interval < MIN_INTERVAL:
        raise ConfigError(
            f"{origins['interval']}: interval {format_duration(settings.interval)} is shorter than "
            f"{format_duration(MIN_INTERVAL)}: every tick queries the bot's database"
        )
    if settings.out.exists() and not settings.out.is_dir():
        raise ConfigError(f"{origins['out']}: '{settings.out}' is a file, not a folder")
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
    if settings.run is not None and settings.since is not None:
        raise ConfigError(
            f"{o['run']}: --audit-run names a recorded run; window mode (--audit-since, "
            f"{o['since']}) judges a new one"
        )
    if settings.resume and settings.run == "all":
        raise ConfigError(f"{o['run']}: --audit-resume continues one run, not 'all'")
    if settings.run == "all" and settings.snapshots is None:
        raise ConfigError(
            f"{o['run']}: 'all' judges every run of one snapshot file: give --audit-snapshots"
        )
    if settings.baseline is not None and not settings.baseline.exists():
        raise ConfigError(f"{o['baseline']}: baseline '{settings.baseline}' does not exist")
    if settings.fail_on_regression and settings.baseline is None:
        raise ConfigError(
            f"{o['fail_on_regression']}: --audit-fail-on-regression needs --audit-baseline"
        )
    if settings.resume and settings.mode is not Mode.LIVE:
        raise ConfigError(
            f"{o['resume']}: --audit-resume continues a live audit, not {settings.mode.value} mode"
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
        if isinstance(raw, list | tuple | dict):  # a TOML array or table where one value goes
            raise ValueError(f"expected one value, not a {type(raw).__name__}")
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
        if isinstance(raw, dict) or (isinstance(raw, list | tuple) and not opt.multiple):
            shown = f"a TOML {'table' if isinstance(raw, dict) else 'array'}"  # may hold secrets
        raise ConfigError(f"{found.origin}: invalid value '{shown}' for {opt.cli}: {exc}") from None
