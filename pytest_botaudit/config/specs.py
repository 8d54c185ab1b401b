"""The metrics a profile defines: counters, latencies and the user's own queries, each read
with a pointed error naming its key and the file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .profile_fields import Where

# what a counter may count in the positions table per window: rows opened in it (by
# opened_at), closed in it (closed_at), or closed by force (the profile's force-close rules)
POSITION_SOURCES = ("opened", "closed", "force_closed")


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """A per-window count of events of some types, of positions rows (``positions``: one of
    POSITION_SOURCES) and/or of log records of one category."""

    name: str
    event_types: tuple[str, ...]
    log_category: str | None = None
    positions: str | None = None


@dataclass(frozen=True, slots=True)
class LatencySpec:
    """A latency read from a number inside event_data (ms), optionally also from the log."""

    name: str
    event_types: tuple[str, ...]
    json_key: str
    log_category: str | None = None


@dataclass(frozen=True, slots=True)
class QuerySpec:
    """A user's per-tick metric: one read-only query returning one number. It may use $1 and
    $2, the tick window's start and end (timestamptz)."""

    name: str
    sql: str
    kind: str  # "counter" (per window) or "gauge" (state at the tick)

    @property
    def parameters(self) -> int:
        return max((int(n) for n in re.findall(r"\$(\d+)", self.sql)), default=0)


def counter_spec(where: Where, name: str, spec: Any, patterns: Mapping[str, Any]) -> CounterSpec:
    key = f"counters.{name}"
    if not isinstance(spec, Mapping):
        raise where.fail(key, "expected a table")
    positions = spec.get("positions")
    if positions is not None and positions not in POSITION_SOURCES:
        raise where.fail(
            f"{key}.positions", f"expected one of {', '.join(POSITION_SOURCES)}, got {positions!r}"
        )
    return CounterSpec(
        name,
        where.strings(spec, "event_types", key),
        where.category(spec, key, patterns),
        positions,
    )


def query_specs(where: Where, data: Mapping[str, Any]) -> tuple[QuerySpec, ...]:
    specs = []
    for name, spec in where.table(data, "queries", required=False).items():
        key = f"queries.{name}"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("sql"), str):
            raise where.fail(key, "expected a table with an 'sql' string")
        kind = spec.get("kind", "counter")
        if kind not in ("counter", "gauge"):
            raise where.fail(f"{key}.kind", f"expected 'counter' or 'gauge', got {kind!r}")
        query = QuerySpec(name, spec["sql"], kind)
        if query.parameters > 2:
            raise where.fail(f"{key}.sql", "only $1 (window start) and $2 (window end) exist")
        specs.append(query)
    return tuple(specs)
