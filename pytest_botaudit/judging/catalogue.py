"""The check catalogue: every metric of the seed with its thresholds, and the user's changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..config.values import is_number
from ..errors import ConfigError
from .verdicts import Kind, MetricSpec, Threshold


def _t(op: str, limit: float) -> Threshold:
    return Threshold(op, limit)


# The seed's "Interpreting Results": good indicators pass while `good` holds; a warning sign is
# present (FAIL) while `warning` holds. Worse values never give a better verdict.
METRICS: dict[str, MetricSpec] = {
    m.metric_id: m
    for m in (
        MetricSpec("snapshots_collected", "snapshots collected", "%", _t(">=", 100), _t("<", 100)),
        MetricSpec("snapshot_gaps", "gaps in the data", "gaps", _t("<=", 0), None),
        MetricSpec(
            "critical_alerts",
            "CRITICAL alerts",
            "incidents",
            _t("<=", 0),
            _t(">", 1),
            critical=True,
        ),
        MetricSpec("warning_alerts", "WARNING alerts", "incidents", None, _t(">", 10)),
        MetricSpec(
            "unprotected_positions",
            "positions without stop-loss",
            "positions",
            _t("<=", 0),
            _t(">", 0),
            critical=True,
        ),
        MetricSpec(
            "emergency_closes", "emergency closes", "closes", _t("<=", 0), _t(">", 0), critical=True
        ),
        MetricSpec("aged_positions", "aged positions", "positions", _t("<", 5), _t(">", 10)),
        MetricSpec(
            "api_response_ms", "average API response time", "ms", _t("<", 500), _t(">", 1000)
        ),
        MetricSpec(
            "sl_update_latency_ms",
            "average stop-loss update latency",
            "ms",
            _t("<", 200),
            _t(">", 500),
        ),
        MetricSpec("timeouts", "timeout errors", "timeouts", _t("<=", 0), _t(">", 10)),
        MetricSpec("ws_reconnects", "WebSocket reconnects", "reconnects", _t("<", 5), _t(">", 20)),
        MetricSpec("api_errors", "API errors", "errors", _t("<", 10), _t(">", 50)),
        MetricSpec("zombie_orders", "zombie orders", "orders", _t("<=", 0), _t(">", 5)),
        MetricSpec(
            "ts_updates_per_position",
            "trailing-stop updates of the busiest position",
            "updates",
            None,
            _t(">", 20),
        ),
        MetricSpec(
            "ts_updates_per_minute",
            "trailing-stop updates per minute of the busiest position",
            "updates/min",
            None,
            _t(">", 1),
        ),
        MetricSpec("slow_operations", "operations slower than 1 s", "operations", None, _t(">", 0)),
    )
}


def configure_metrics(
    thresholds: Mapping[str, Any],
    origin: str = "[tool.botaudit]",
    base: Mapping[str, MetricSpec] = METRICS,
) -> dict[str, MetricSpec]:
    """``base`` with the user's thresholds applied; every bad key or value is named."""
    configured = dict(base)
    for metric_id, table in thresholds.items():
        where = f"{origin} thresholds.{metric_id}"
        if metric_id not in METRICS:
            known = ", ".join(sorted(METRICS))
            raise ConfigError(f"{where}: unknown metric '{metric_id}' (known: {known})")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: expected a table such as {{ good = 5, warning = 20 }}")
        spec = configured[metric_id]
        for key, value in table.items():
            if key in ("good", "warning"):
                if not is_number(value):
                    raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
                current = spec.threshold(
                    Kind.GOOD_INDICATOR if key == "good" else Kind.WARNING_SIGN
                )
                if current is None:
                    raise ConfigError(f"{where}.{key}: this check has no {key} threshold")
                threshold = Threshold(current.op, float(value))
                spec = (
                    replace(spec, good=threshold)
                    if key == "good"
                    else replace(spec, warning=threshold)
                )
            elif key == "severity":
                if value not in ("critical", "normal"):
                    raise ConfigError(
                        f"{where}.severity: expected 'critical' or 'normal', got {value!r}"
                    )
                spec = replace(spec, critical=value == "critical")
            else:
                raise ConfigError(
                    f"{where}: unknown key '{key}' (expected good, warning, severity)"
                )
        configured[metric_id] = spec
    return configured
