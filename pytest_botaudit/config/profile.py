"""The profile: which tables, columns, event words and log patterns describe the audited bot."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ProfileError
from ..fileio import NotARegularFile, read_regular_text
from ..redaction import scrub
from .log_fields import (
    category_levels,
    classification,
    compile_patterns,
    coverage,
    exchange_pattern,
    high_volume,
    log_zone,
    redact,
    redaction,
    repeats,
    text_map,
)
from .profile_fields import (
    ForceCloseRule,
    Where,
    analysis_lists,
    force_close_rules,
    grace,
    naive_zones,
    optional_text,
    race_pairs,
)
from .roles import missing_roles
from .specs import (
    CounterSpec,
    LatencySpec,
    QuerySpec,
    counter_spec,
    query_specs,
)
from .values import is_number

DEFAULT_PROFILE = "default.toml"
MAX_PROFILE_BYTES = 4 * 2**20  # a profile is kilobytes of TOML: a bigger file is not one


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated profile. Identifiers are checked here and quoted again when SQL is rendered."""

    name: str
    source: str
    schema: str
    tables: Mapping[str, str]
    columns: Mapping[str, Mapping[str, str]]
    open_statuses: tuple[str, ...]
    max_age_hours: float
    sl_grace_seconds: float
    counters: tuple[CounterSpec, ...]
    latencies: tuple[LatencySpec, ...]
    ts_update_event_types: tuple[str, ...]
    log_patterns: Mapping[str, tuple[re.Pattern[str], ...]]
    log_echo_logger: str | None = None
    log_timezone: tzinfo | None = None
    # validated against the catalogue by checks.configure_metrics, like [tool.botaudit]'s
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    queries: tuple[QuerySpec, ...] = ()
    log_high_volume: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    log_exchange_pattern: re.Pattern[str] | None = None
    log_excessive_ts_updates: int = 20
    log_slow_ms: float = 1000.0
    closed_statuses: tuple[str, ...] = ("closed",)
    stop_loss_event_types: tuple[str, ...] = ()
    log_redact: tuple[re.Pattern[str], ...] = ()
    # the database analysis's event lists: high_rate (left out of race conditions and the
    # timeline), error, alert and zombie
    analysis_event_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # event types the bot writes that no metric counts: known, so never reported as new
    informational_event_types: tuple[str, ...] = ()
    # categories that only classify the bot's words (WARNING and above, counted by no metric)
    log_classification: tuple[str, ...] = ()
    # categories matched only at these levels
    log_levels: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # records of a category within this many seconds with the same key are one occurrence
    log_repeats: Mapping[str, float] = field(default_factory=dict)
    # when no record of a category is a real zero (log.coverage): category -> the categories
    # whose records show the log covers the topic, ("records",) for any record
    log_coverage: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # a sl_missing record proves its symbol unprotected for this long
    log_unprotected_seconds: float = 330.0
    # naive (timestamp without time zone) columns: "table.column" -> "database" (the server's
    # TimeZone, what DEFAULT now() writes) or a zone name; unlisted ones are "database"
    naive_zones: Mapping[str, str] = field(default_factory=dict)
    force_close_rules: tuple[ForceCloseRule, ...] = ()
    # a stop-loss event without position_id protects the position of its symbol and
    # exchange that opened at most this long before it (the bot writes it after the fill)
    sl_match_before_seconds: float = 10.0
    # WebSocket records whose text names no stream: logger name -> the stream it reports on
    log_streams: Mapping[str, str] = field(default_factory=dict)
    # how long after a row's created_at the bot may insert it (it batches its writes)
    write_delay_seconds: float = 5.0
    race_pairs: tuple[tuple[str, str], ...] = ()
    # trailing-stop moves: rows of the update types that carry this event_data key and not
    # the skip key (the bot writes several rows per move and rows for skipped moves)
    ts_move_key: str | None = None
    ts_skip_key: str | None = None
    digest: str = ""  # the profile text's SHA-256, first 12 hex digits (reports name it)

    def redact(self, text: str) -> str:
        """A log message fit for any output: the secrets the audit knows and the profile's
        secret patterns hidden."""
        text = scrub(text)
        return redact(text, self.log_redact) if self.log_redact else text

    def sql_names(self) -> dict[str, str]:
        """The identifiers SQL files refer to as psql variables (``:"events_table"``)."""
        names = {"schema": self.schema}
        for key, table in self.tables.items():
            names[f"{key}_table"] = table
        for table_key, cols in self.columns.items():
            prefix = {"positions": "pos", "events": "ev", "transaction_log": "tx"}.get(
                table_key, table_key
            )
            for key, column in cols.items():
                names[f"{prefix}_{key}"] = column
        return names

    @property
    def opened_statuses(self) -> tuple[str, ...]:
        """Statuses of a row whose position really opened: open now or closed since (a
        force-closed row opened too; its rule says so)."""
        return tuple(dict.fromkeys([*self.open_statuses, *self.closed_statuses]))

    def force_close_arrays(self) -> tuple[list[str], list[str], list[str], list[str]]:
        """The force-close rules as the arrays the SQL files unnest (their zones, which the
        database's TimeZone may stand for, are ColumnZones.rule_zones)."""
        rules = self.force_close_rules
        return (
            [r.status for r in rules],
            [r.exit_reason for r in rules],
            [r.at for r in rules],
            [r.path for r in rules],
        )

    def counter(self, name: str) -> CounterSpec | None:
        return next((c for c in self.counters if c.name == name), None)

    def latency(self, name: str) -> LatencySpec | None:
        return next((c for c in self.latencies if c.name == name), None)

    def unseen(self, present: set[str]) -> dict[str, tuple[str, ...]]:
        """Metrics none of whose event types occur (``present``): their zeros mean nothing."""
        specs: list[CounterSpec | LatencySpec] = [*self.counters, *self.latencies]
        return {
            s.name: s.event_types
            for s in specs
            if s.event_types and not present.intersection(s.event_types)
        }

    @property
    def named_event_types(self) -> tuple[str, ...]:
        """Every event type the profile knows: counted, timed, listed by the analysis, or
        declared informational (written by the bot, counted by no metric)."""
        kinds = set(self.all_event_types) | set(self.stop_loss_event_types)
        for types in self.analysis_event_types.values():
            kinds |= set(types)
        return tuple(sorted(kinds | set(self.informational_event_types)))

    @property
    def all_event_types(self) -> tuple[str, ...]:
        kinds = {t for c in self.counters for t in c.event_types}
        kinds |= {t for c in self.latencies for t in c.event_types}
        kinds |= set(self.ts_update_event_types)
        return tuple(sorted(kinds))


def load_profile(path: Path | None = None) -> Profile:
    """Load a profile file, or the built-in contract profile when ``path`` is None."""
    if path is None:
        text = resources.files(__package__).joinpath("profiles", DEFAULT_PROFILE).read_text("utf-8")
        source = "built-in default profile"
    else:
        try:
            text = read_regular_text(path, MAX_PROFILE_BYTES)
        except NotARegularFile as exc:  # a FIFO or a device: refused, never waited on
            raise ProfileError(f"profile {exc}") from None
        except OSError as exc:
            raise ProfileError(f"profile {path}: cannot read it ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise ProfileError(
                f"profile {path}: not UTF-8 text (byte {exc.start}: {exc.reason})"
            ) from None
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {source}: invalid TOML ({exc})") from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return replace(parse_profile(data, source), digest=digest)


def parse_profile(data: Mapping[str, Any], source: str) -> Profile:
    where = Where(source)
    tables = where.table(data, "tables")
    schema = where.identifier(tables, "schema", "tables")
    table_names = {
        key: where.identifier(tables, key, "tables")
        for key in ("positions", "events", "trailing_stop_state")
    }
    columns_raw = where.table(data, "columns")
    columns: dict[str, dict[str, str]] = {}
    for table_key, required in _REQUIRED_COLUMNS.items():
        cols = where.table(columns_raw, table_key, "columns")
        columns[table_key] = {
            c: where.identifier(cols, c, f"columns.{table_key}") for c in required
        }
    # tables the analysis reads where the bot has them (a missing one: "not available")
    for table_key, defaults in OPTIONAL_TABLES.items():
        named = {**tables} if table_key in tables else {table_key: table_key}
        table_names[table_key] = where.identifier(named, table_key, "tables")
        cols = {**defaults, **where.table(columns_raw, table_key, "columns", required=False)}
        columns[table_key] = {
            c: where.identifier(cols, c, f"columns.{table_key}") for c in defaults
        }
    positions = where.table(data, "positions")
    open_statuses = where.strings(positions, "open_statuses", "positions", allow_empty=False)
    max_age = positions.get("max_age_hours", 3.0)
    if not is_number(max_age) or max_age <= 0:
        raise ProfileError(
            f"profile {source}: positions.max_age_hours: expected a positive number, "
            f"got {max_age!r}"
        )
    patterns = compile_patterns(where, data)
    counters = tuple(
        counter_spec(where, name, spec, patterns)
        for name, spec in where.table(data, "counters").items()
    )
    latencies = tuple(
        LatencySpec(
            name,
            where.strings(spec, "event_types", f"latencies.{name}"),
            str(spec.get("json_key", "execution_time_ms")),
            where.category(spec, f"latencies.{name}", patterns),
        )
        for name, spec in where.table(data, "latencies", required=False).items()
    )
    missing = missing_roles(
        {c.name for c in counters}, {spec.name for spec in latencies}, set(patterns)
    )
    if missing:
        key, who = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        hint = (
            "; an empty list declares that the bot never logs it"
            if key.startswith("log.patterns.")
            else ""
        )
        raise where.fail(key, f"missing: {who} relies on it{more}{hint}")
    trailing = where.table(data, "trailing_stop", required=False)
    log = where.table(data, "log", required=False)
    echo = log.get("event_echo_logger")
    if echo is not None and not isinstance(echo, str):
        raise ProfileError(
            f"profile {source}: log.event_echo_logger: expected a logger name, got {echo!r}"
        )
    return Profile(
        name=str(data.get("name", source)),
        source=source,
        schema=schema,
        tables=table_names,
        columns=columns,
        open_statuses=open_statuses,
        max_age_hours=float(max_age),
        sl_grace_seconds=grace(where, positions),
        log_redact=redaction(where, log),
        analysis_event_types=analysis_lists(where, data),
        counters=counters,
        latencies=latencies,
        ts_update_event_types=where.strings(trailing, "update_event_types", "trailing_stop")
        if trailing
        else (),
        log_patterns=patterns,
        log_echo_logger=echo,
        log_timezone=log_zone(where, log.get("timezone", "local")),
        thresholds=where.table(data, "thresholds", required=False),
        queries=query_specs(where, data),
        log_high_volume=high_volume(where, log, patterns),
        log_exchange_pattern=exchange_pattern(where, log),
        log_excessive_ts_updates=int(where.number(log, "excessive_ts_updates", "log", 20)),
        log_slow_ms=where.number(log, "slow_ms", "log", 1000.0),
        closed_statuses=where.strings(positions, "closed_statuses", "positions"),
        stop_loss_event_types=where.strings(positions, "stop_loss_event_types", "positions"),
        informational_event_types=where.strings(
            where.table(data, "events", required=False), "informational", "events"
        ),
        log_classification=classification(where, log, patterns),
        log_levels=category_levels(where, log, patterns),
        log_repeats=repeats(where, log, patterns),
        log_coverage=coverage(where, log, patterns),
        log_unprotected_seconds=where.number(log, "unprotected_seconds", "log", 330.0),
        naive_zones=naive_zones(where, data),
        force_close_rules=force_close_rules(where, positions),
        sl_match_before_seconds=where.number(
            positions, "sl_match_before_seconds", "positions", 10.0
        ),
        log_streams=text_map(where, log, "streams", "log"),
        write_delay_seconds=where.number(
            where.table(data, "events", required=False), "write_delay_seconds", "events", 5.0
        ),
        race_pairs=race_pairs(where, data),
        ts_move_key=optional_text(where, trailing, "move_key", "trailing_stop"),
        ts_skip_key=optional_text(where, trailing, "skip_key", "trailing_stop"),
    )


# the bot's transaction_log (JacobJanuary/TradingBot database/DEPLOY_SCHEMA.sql at 9d9879e and
# database/init.sql at 116d884): started_at, completed_at, duration_ms; no created_at
OPTIONAL_TABLES = {"transaction_log": {"started_at": "started_at", "duration_ms": "duration_ms"}}
_REQUIRED_COLUMNS = {
    "positions": (
        "id",
        "symbol",
        "exchange",
        "status",
        "has_stop_loss",
        "opened_at",
        "closed_at",
        "exit_reason",
    ),
    "events": (
        "id",
        "event_type",
        "event_data",
        "position_id",
        "symbol",
        "exchange",
        "severity",
        "created_at",
    ),
}
