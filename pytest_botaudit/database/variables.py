"""The psql variables of the SQL files, from the profile and the database's column zones: one
table for the tick, window mode and the analysis (sql/post_test_analysis.sql sets the same ones
to the default profile's values for psql)."""

from __future__ import annotations

from collections.abc import Sequence

from ..config.profile import Profile
from .zones import ColumnZones


def array_literal(items: Sequence[str | None]) -> str:
    """A PostgreSQL array literal of strings, each quoted (None is NULL)."""
    quoted = (
        "NULL" if item is None else '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for item in items
    )
    return "{" + ",".join(quoted) + "}"


def sql_variables(profile: Profile, zones: ColumnZones) -> dict[str, str]:
    lists = profile.analysis_event_types
    latency_key = profile.latencies[0].json_key if profile.latencies else "execution_time_ms"
    statuses, reasons, ats, paths = profile.force_close_arrays()
    return {
        **profile.sql_names(),
        **zones.sql_names(profile),
        "open_statuses": array_literal(profile.open_statuses),
        "opened_statuses": array_literal(profile.opened_statuses),
        "closed_statuses": array_literal(profile.closed_statuses),
        "max_age_hours": repr(profile.max_age_hours),
        "sl_grace_seconds": repr(profile.sl_grace_seconds),
        "sl_match_before_seconds": repr(profile.sl_match_before_seconds),
        "latency_key": latency_key,
        "stop_loss_types": array_literal(profile.stop_loss_event_types),
        "ts_update_types": array_literal(profile.ts_update_event_types),
        "ts_move_key": profile.ts_move_key or "",
        "ts_skip_key": profile.ts_skip_key or "",
        "force_statuses": array_literal(statuses),
        "force_reasons": array_literal(reasons),
        "force_ats": array_literal(ats),
        "force_zones": array_literal(zones.rule_zones(profile)),  # `database`: the server's
        "force_paths": array_literal(paths),
        "race_first_types": array_literal([first for first, _ in profile.race_pairs]),
        "race_second_types": array_literal([second for _, second in profile.race_pairs]),
        **{f"{name}_types": array_literal(types) for name, types in lists.items()},
    }
