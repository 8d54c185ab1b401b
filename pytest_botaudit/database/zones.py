"""What zone the bot's naive timestamps are in. A ``timestamp without time zone`` column holds
wall-clock time: ``DEFAULT now()`` writes the server's TimeZone, the bot's Python
``utcnow()`` writes UTC. The profile names a column's zone (``[timezones]``); unnamed, it is
the database's own TimeZone. Every SQL file reads such a column through one expression that
turns it into an instant, so no query compares wall-clock times with instants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config.profile import Profile
from .sqlfiles import quote_identifier, quote_literal

NAIVE = "timestamp without time zone"
# the positions columns the SQL files read as instants, by their psql variable
TIMESTAMP_COLUMNS = {"opened_at": "pos_opened_ts", "closed_at": "pos_closed_ts"}


@dataclass(frozen=True, slots=True)
class ColumnZones:
    """The server's TimeZone and, for each naive positions column, the zone it is read in."""

    server_zone: str = "UTC"
    naive: Mapping[str, str] = field(default_factory=dict)  # column key -> zone

    @classmethod
    def resolve(
        cls, profile: Profile, server_zone: str, column_types: Mapping[str, Mapping[str, str]]
    ) -> ColumnZones:
        table = profile.tables["positions"]
        types = column_types.get(table, {})
        naive: dict[str, str] = {}
        for key in TIMESTAMP_COLUMNS:
            column = profile.columns["positions"].get(key)
            if column is None or types.get(column) != NAIVE:
                continue
            chosen = profile.naive_zones.get(f"positions.{key}", "database")
            naive[key] = server_zone if chosen == "database" else chosen
        return cls(server_zone, naive)

    def expression(self, profile: Profile, key: str, override: str | None = None) -> str:
        """``p.<column>`` as an instant (alias ``p`` is the positions table in every file);
        ``override`` is a SQL expression yielding a zone name that replaces the column's."""
        column = f"p.{quote_identifier(profile.columns['positions'][key])}"
        zone = self.naive.get(key)
        if zone is None:
            return column
        zone_sql = quote_literal(zone)
        if override is not None:
            zone_sql = f"coalesce({override}, {zone_sql})"
        return f"({column} AT TIME ZONE {zone_sql})"

    def rule_zones(self, profile: Profile) -> list[str | None]:
        """Each force-close rule's zone as the SQL reads it: ``database`` is the server's
        TimeZone, None the column's own."""
        return [
            self.server_zone if rule.zone == "database" else rule.zone
            for rule in profile.force_close_rules
        ]

    def rules_read_elsewhere(self, profile: Profile) -> bool:
        """Whether a force-close rule reads its moment in a zone other than its naive column's
        (a window's force-closes are then looked for a day either side of it, not hours)."""
        return any(
            zone is not None and self.naive.get(rule.at, zone) != zone
            for rule, zone in zip(profile.force_close_rules, self.rule_zones(profile), strict=True)
        )

    def sql_names(self, profile: Profile) -> dict[str, str]:
        """The raw psql variables of the timestamp expressions: ``:pos_opened_ts`` in the
        column's zone, ``:pos_opened_ts_rule`` in the zone of a force-close rule (``r.zone``),
        and ``:pos_opened_ts_local``, what turns an instant into the column's own kind of value
        (`` AT TIME ZONE 'zone'`` for a naive column, nothing else): compared with the bare
        column, a bound so written lets a query read the column's index."""
        names: dict[str, str] = {}
        for key, variable in TIMESTAMP_COLUMNS.items():
            names[variable] = self.expression(profile, key)
            names[f"{variable}_rule"] = self.expression(profile, key, "r.zone")
            zone = self.naive.get(key)
            local = "" if zone is None else f" AT TIME ZONE {quote_literal(zone)}"
            names[f"{variable}_local"] = local
        names["force_zones_differ"] = "true" if self.rules_read_elsewhere(profile) else "false"
        return names

    def describe(self) -> str:
        if not self.naive:
            return "every timestamp column has a time zone"
        return "; ".join(f"positions.{k} read as {z}" for k, z in self.naive.items())
